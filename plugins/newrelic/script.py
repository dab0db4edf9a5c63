"""New Relic → chat: alert issues created, activated, acknowledged and closed.

Add a Webhook destination in New Relic (Alerts → Destinations) pointing at
https://<host>/hooks/<id>/<token> and use it in a workflow; see README.md next to this file.
"""

from hookkit import GREEN, RED, YELLOW, BLUE, dispatch, field, http_url, link, message, shorten

PRIORITY_COLORS = {"CRITICAL": RED, "HIGH": RED, "MEDIUM": YELLOW, "LOW": BLUE}

NEEDS = {"*": ("issueUrl",)}


def names(value):
    if isinstance(value, (list, tuple)):
        return ", ".join(str(item) for item in value if item)
    return str(value or "")


def title(body):
    """Workflow payloads have ``title``; the classic template has ``condition_name``."""
    conditions = names(body.get("alertConditionNames"))
    return body.get("title") or body.get("condition_name") or conditions or "New Relic issue"


def fields(body):
    out = []
    if body.get("priority"):
        out.append(field("Priority", body["priority"]))
    policies = names(body.get("alertPolicyNames"))
    if policies:
        out.append(field("Policy", policies))
    conditions = names(body.get("alertConditionNames"))
    if conditions:
        out.append(field("Condition", conditions))
    entities = names(body.get("impactedEntities"))
    if entities:
        out.append(field("Entities", entities))
    if body.get("owner"):
        out.append(field("Owner", body["owner"]))
    return out


def color(body, default):
    return PRIORITY_COLORS.get(str(body.get("priority") or "").upper(), default)


def state(verb, default_color):
    def handler(body, request=None):
        name = title(body)
        url = http_url(body["issueUrl"])
        text = f"{verb}: {link(shorten(name, 200), url)}"
        if verb == "Acknowledged" and body.get("owner"):
            text = f"Acknowledged by {body['owner']}: {link(shorten(name, 200), url)}"
        attachment = {"color": GREEN if verb == "Closed" else color(body, default_color),
                      "title": shorten(name, 200), "title_link": url, "fields": fields(body)}
        if body.get("details"):
            attachment["text"] = shorten(body["details"], 500)
        return message(text, attachment)
    return handler


EVENTS = {
    "created": state("Issue created", RED),
    "activated": state("Issue activated", RED),
    "acknowledged": state("Acknowledged", YELLOW),
    "closed": state("Closed", GREEN),
}


class Script:
    def process_incoming_request(self, request):
        return dispatch(request, EVENTS, field="state", needs=NEEDS, service="New Relic")
