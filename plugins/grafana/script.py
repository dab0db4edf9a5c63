"""Grafana → chat: Grafana Alerting (8+) notifications and legacy dashboard alerts.

Add a "Webhook" contact point with URL https://<host>/hooks/<id>/<token>;
see README.md next to this file.
"""

import re

from hookkit import (GREEN, RED, YELLOW, dispatch, field, http_url, link, message, obj, objs, plural,
                    shorten, unique)

# Grafana sends no event header. The payload kind is told apart by its body:
# "unified_alerting" has "alerts" and "version"; "legacy_alerting" has "ruleName" and "state".

# States posted per kind; others (pending, paused, ...) are logged and skipped.
LEGACY_STATES = {"alerting": "Alerting", "ok": "OK", "no_data": "No data"}

MAX_ALERTS = 10
MAX_METRICS = 10
MAX_BODY = 500
# "[ var='B' labels={...} value=17 ]" → ("B", "17")
VALUE = re.compile(r"var='([^']*)'[^\]]*?value=([^ \]]+)")


# -- Grafana Alerting (unified) -----------------------------------------


def unified(content, request):
    status = content["status"]
    alerts = content.get("alerts")
    if not isinstance(alerts, (list, tuple)) or not alerts:
        return {"error": "Grafana alert payload is missing 'alerts' (a non-empty list)"}
    for index, alert in enumerate(alerts):
        if not isinstance(alert, dict) or not isinstance(alert.get("labels"), dict):
            return {"error": f"Grafana alert payload: alerts[{index}] has no 'labels' object"}
    names = unique(alert["labels"].get("alertname") or "alert" for alert in alerts)
    count = len(alerts)
    state = "Firing" if status == "firing" else "Resolved"
    base = http_url(content.get("externalURL"))
    url = f"{base.rstrip('/')}/alerting/list" if base else None
    text = f"{state} ({plural(count, 'alert')}): {link(', '.join(names), url)}"
    if count > MAX_ALERTS:
        text = f"{text} — showing {MAX_ALERTS}, {count - MAX_ALERTS} more in Grafana"
    common = obj(content.get("commonLabels"))
    attachments = [alert_attachment(alert, status, common) for alert in alerts[:MAX_ALERTS]]
    return message(text, *attachments)


def alert_attachment(alert, group_status, common):
    labels = alert["labels"]
    annotations = obj(alert.get("annotations"))
    status = alert.get("status") or group_status
    fields = []
    for name in sorted(labels):
        if name == "alertname" or common.get(name) == labels[name]:
            continue
        fields.append(field(name, labels[name]))
    values = values_of(alert)
    if values:
        fields.append(field("Value", values))
    links = []
    for label, key in (("Dashboard", "dashboardURL"), ("Panel", "panelURL"), ("Silence", "silenceURL")):
        if http_url(alert.get(key)):
            links.append(link(label, alert[key]))
    if http_url(annotations.get("runbook_url")):
        links.append(link("Runbook", annotations["runbook_url"]))
    if links:
        fields.append(field("Links", " · ".join(links), short=False))
    return {
        "color": GREEN if status == "resolved" else RED,
        "title": annotations.get("summary") or labels.get("alertname") or "Alert",
        "title_link": http_url(alert.get("generatorURL")),
        "text": shorten(annotations.get("description"), MAX_BODY) or None,
        "fields": fields,
    }


def values_of(alert):
    """"B=17, C=1" from Grafana's "values" object or its "valueString"."""
    values = alert.get("values")
    if isinstance(values, dict) and values:
        return ", ".join(f"{key}={values[key]}" for key in sorted(values))
    pairs = VALUE.findall(str(alert.get("valueString") or ""))
    return ", ".join(f"{name}={value}" for name, value in pairs)

# -- legacy dashboard alerting (Grafana ≤ 10) ----------------------------


def legacy(content, request):
    state = content["state"]
    rule = content.get("ruleName") or content.get("title") or "Grafana alert"
    text = f"{LEGACY_STATES[state]}: {link(rule, http_url(content.get('ruleUrl')))}"
    colors = {"alerting": RED, "ok": GREEN, "no_data": YELLOW}
    matches = objs(content.get("evalMatches"))
    fields = [field(match.get("metric") or "value", match.get("value")) for match in matches[:MAX_METRICS]]
    if len(matches) > MAX_METRICS:
        fields.append(field("…", f"{len(matches) - MAX_METRICS} more"))
    attachment = {
        "color": colors[state],
        "title": content.get("title"),
        "title_link": http_url(content.get("ruleUrl")),
        "text": shorten(content.get("message"), MAX_BODY) or None,
        "image_url": http_url(content.get("imageUrl")),
        "fields": fields,
    }
    return message(text, attachment)


def generation(content):
    """Grafana sends no event header: Grafana Alerting bodies have 'alerts', legacy ones 'ruleName'."""
    if "alerts" in content:
        return "unified_alerting"
    if "ruleName" in content or "evalMatches" in content:
        return "legacy_alerting"
    return None


EVENTS = {
    "unified_alerting": {"firing": unified, "resolved": unified},
    "legacy_alerting": {state: legacy for state in LEGACY_STATES},
}
# The sub-tables are keyed by the group's status (Grafana Alerting) or the rule's state (legacy).
ACTION = {"unified_alerting": "status", "legacy_alerting": "state"}


class Script:
    def process_incoming_request(self, request):
        return dispatch(request, EVENTS, detect=generation, action=ACTION, service="Grafana",
                        hint="expected 'alerts' (Grafana Alerting) or 'ruleName' and 'state' (legacy alerting)")
