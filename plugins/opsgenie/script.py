"""Opsgenie → chat: alerts created, acknowledged, closed, escalated, commented on, reassigned.

Add a Webhook integration in Opsgenie with URL https://<host>/hooks/<id>/<token> and
"Add Alert Description/Details to Payload" on; see README.md next to this file.
"""

from hookkit import BLUE, GREEN, GREY, RED, YELLOW, dispatch, field, message, obj

PRIORITY_COLORS = {"P1": RED, "P2": RED, "P3": YELLOW, "P4": BLUE, "P5": GREY}

NEEDS = {"*": ("alert.alertId",)}


def alert_label(alert):
    title = alert.get("message") or alert.get("alias") or alert.get("alertId")
    return f"#{alert['tinyId']} {title}" if alert.get("tinyId") else str(title)


def priority(alert):
    value = alert.get("priority")
    if value in (None, ""):
        return None
    text = str(value)
    return text if text.startswith("P") else f"P{text}"


def attachment(body, color, extra=()):
    alert = body["alert"]
    fields = []
    if priority(alert):
        fields.append(field("Priority", priority(alert)))
    if alert.get("entity"):
        fields.append(field("Entity", alert["entity"]))
    if alert.get("source"):
        fields.append(field("Source", alert["source"]))
    tags = [str(tag) for tag in (alert.get("tags") or []) if tag]
    if tags:
        fields.append(field("Tags", ", ".join(tags)))
    fields.extend(extra)
    return {"color": color, "title": alert_label(alert), "fields": fields}


def who(body):
    return obj(body.get("alert")).get("username") or "someone"


def created(body, request=None):
    alert = body["alert"]
    color = PRIORITY_COLORS.get(priority(alert) or "", RED)
    return message(f"New alert: {alert_label(alert)}", attachment(body, color))


def simple(verb, color):
    def handler(body, request=None):
        return message(f"{who(body)} {verb} alert {alert_label(body['alert'])}", attachment(body, color))
    return handler


def note_added(body, request=None):
    alert = body["alert"]
    note = field("Note", alert.get("note") or "", short=False)
    return message(f"{who(body)} added a note to alert {alert_label(alert)}", attachment(body, BLUE, [note]))


def escalated(body, request=None):
    target = obj(body.get("escalationNotify")).get("name")
    name = body.get("escalationName") or "an escalation"
    label = alert_label(body["alert"])
    text = f"Alert {label} was escalated by {name}" + (f" to {target}" if target else "")
    return message(text, {"color": RED, "title": label})


def assigned(body, request=None):
    alert = body["alert"]
    owner = alert.get("owner")
    text = f"{who(body)} assigned alert {alert_label(alert)}" + (f" to {owner}" if owner else "")
    return message(text, attachment(body, BLUE))


EVENTS = {
    "Create": created,
    "Acknowledge": simple("acknowledged", YELLOW),
    "UnAcknowledge": simple("unacknowledged", RED),
    "Close": simple("closed", GREEN),
    "Delete": simple("deleted", GREY),
    "Escalate": escalated,
    "AddNote": note_added,
    "AssignOwnership": assigned,
    "TakeOwnership": simple("took ownership of", BLUE),
}


class Script:
    def process_incoming_request(self, request):
        return dispatch(request, EVENTS, field="action", needs=NEEDS, service="Opsgenie")
