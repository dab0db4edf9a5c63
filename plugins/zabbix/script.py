"""Zabbix → chat: problems and recoveries of triggers.

Zabbix has no fixed webhook body: create a Webhook media type whose script POSTs the JSON shown in
README.md (hostname, severity, status, item, trigger, link) to https://<host>/hooks/<id>/<token>.
"""

from hookkit import GREEN, RED, YELLOW, BLUE, dispatch, field, http_url, link, message

# Zabbix severities, most severe first → colour.
SEVERITY_COLORS = {
    "disaster": RED, "high": RED, "average": YELLOW, "warning": YELLOW,
    "information": BLUE, "not classified": BLUE,
}

NEEDS = {"*": ("hostname", "trigger")}


def trigger(body):
    return link(body["trigger"], http_url(body.get("link")))


def details(body):
    out = [field("Host", body["hostname"])]
    if body.get("severity"):
        out.append(field("Severity", body["severity"]))
    if body.get("item"):
        out.append(field("Item", body["item"], short=False))
    return out


def problem(body, request=None):
    severity = str(body.get("severity") or "").strip()
    color = SEVERITY_COLORS.get(severity.lower(), RED)
    label = f"{severity} problem" if severity else "Problem"
    text = f"{label} on {body['hostname']}: {trigger(body)}"
    return message(text, {"color": color, "title": body["trigger"], "title_link": http_url(body.get("link")),
                          "fields": details(body)})


def resolved(body, request=None):
    text = f"Resolved on {body['hostname']}: {trigger(body)}"
    return message(text, {"color": GREEN, "title": body["trigger"], "title_link": http_url(body.get("link")),
                          "fields": details(body)})


# {EVENT.STATUS} is PROBLEM or RESOLVED; older templates send {TRIGGER.STATUS} (PROBLEM / OK).
EVENTS = {"problem": problem, "resolved": resolved, "ok": resolved}


class Script:
    def process_incoming_request(self, request):
        return dispatch(request, EVENTS, field="status", needs=NEEDS, service="Zabbix")
