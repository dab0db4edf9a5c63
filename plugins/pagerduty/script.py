"""PagerDuty → chat: incidents triggered, acknowledged, resolved, reassigned, escalated.

Add a Generic Webhook (V3) subscription with URL https://<host>/hooks/<id>/<token>;
legacy V1/V2 webhooks ({"messages": [...]}) are understood too. See README.md.
"""

from hookkit import BLUE, GREEN, RED, YELLOW, at_most, dispatch, field, link, message, obj, objs

# PagerDuty sends no event header: the type is in the body, "event.event_type" (V3)
# or "messages[].event" / "messages[].type" (V2/V1); listed here with "." as "_".
EVENT_FIELD = "event.event_type"
KINDS = (
    "incident_triggered",
    "incident_acknowledged",
    "incident_unacknowledged",
    "incident_resolved",
    "incident_reassigned",
    "incident_escalated",
    "incident_reopened",
    "incident_trigger",
    "incident_acknowledge",
    "incident_unacknowledge",
    "incident_resolve",
    "incident_assign",
    "incident_escalate",
)

# V1/V2 names → V3 names, and how each is shown.
LEGACY_NAMES = {
    "incident_trigger": "incident_triggered",
    "incident_acknowledge": "incident_acknowledged",
    "incident_unacknowledge": "incident_unacknowledged",
    "incident_resolve": "incident_resolved",
    "incident_assign": "incident_reassigned",
    "incident_escalate": "incident_escalated",
}
SHOWN_AS = {
    "incident_triggered": ("Triggered", RED),
    "incident_acknowledged": ("Acknowledged", YELLOW),
    "incident_unacknowledged": ("Unacknowledged", RED),
    "incident_resolved": ("Resolved", GREEN),
    "incident_reassigned": ("Reassigned", BLUE),
    "incident_escalated": ("Escalated", RED),
    "incident_reopened": ("Reopened", RED),
}
MAX_INCIDENTS = 10


def ref_name(ref):
    """Name of a PagerDuty reference object (V3 "summary", V1 "name")."""
    if not isinstance(ref, dict):
        return None
    return ref.get("summary") or ref.get("name") or ref.get("email")


# -- payload generations → one incident shape ------------------------------


def from_v3(event):
    kind = str(event.get("event_type") or "").replace(".", "_")
    if not kind:
        return {"error": "PagerDuty V3 payload is missing 'event.event_type'"}
    if kind not in KINDS:
        console.log(f"PagerDuty event '{event.get('event_type')}' is not supported; nothing posted")
        return []
    data = event.get("data")
    if not isinstance(data, dict) or not data.get("html_url"):
        return {"error": "PagerDuty V3 payload is missing 'event.data' with 'html_url'"}
    return [{
        "kind": kind,
        "number": data.get("number"),
        "title": data.get("title") or data.get("summary") or "incident",
        "url": data["html_url"],
        "service": ref_name(data.get("service")),
        "service_url": obj(data.get("service")).get("html_url"),
        "assignees": [ref_name(person) for person in objs(data.get("assignees"))],
        "urgency": data.get("urgency"),
        "policy": ref_name(data.get("escalation_policy")),
        "agent": ref_name(event.get("agent")),
    }]


def from_legacy(messages):
    if not isinstance(messages, (list, tuple)):
        return {"error": "PagerDuty V1/V2 payload: 'messages' must be a list"}
    incidents = []
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            return {"error": f"PagerDuty V1/V2 payload: messages[{index}] must be an object"}
        kind = str(message.get("event") or message.get("type") or "").replace(".", "_")
        if kind not in KINDS:
            console.log(f"PagerDuty event '{kind}' is not supported; skipped")
            continue
        incident = message.get("incident") or obj(message.get("data")).get("incident")
        if not isinstance(incident, dict) or not incident.get("html_url"):
            return {"error": f"PagerDuty V1/V2 payload: messages[{index}] has no 'incident' with 'html_url'"}
        incidents.append(legacy_incident(LEGACY_NAMES.get(kind, kind), message, incident))
    return incidents


def legacy_incident(kind, message, incident):
    subject = obj(incident.get("trigger_summary_data")).get("subject")
    assignees = [ref_name(item.get("assignee")) for item in objs(incident.get("assignments"))]
    if not assignees and incident.get("assigned_to_user"):
        assignees = [ref_name(incident["assigned_to_user"])]
    entries = objs(message.get("log_entries"))
    agent = ref_name(entries[0].get("agent")) if entries and isinstance(entries[0], dict) else None
    return {
        "kind": kind,
        "number": incident.get("incident_number"),
        "title": incident.get("title") or subject or incident.get("summary") or "incident",
        "url": incident["html_url"],
        "service": ref_name(incident.get("service")),
        "service_url": obj(incident.get("service")).get("html_url"),
        "assignees": assignees,
        "urgency": incident.get("urgency"),
        "policy": ref_name(incident.get("escalation_policy")),
        "agent": agent,
    }

# -- message ----------------------------------------------------------------


def summary(incident):
    state, _ = SHOWN_AS[incident["kind"]]
    if incident["kind"] == "incident_reassigned" and incident["assignees"]:
        state = f"Reassigned to {', '.join(incident['assignees'])}"
    elif incident["agent"]:
        state = f"{state} by {incident['agent']}"
    label = f"#{incident['number']} {incident['title']}" if incident["number"] else incident["title"]
    text = f"{state}: {link(label, incident['url'])}"
    if incident["service"]:
        text = f"{text} in {link(incident['service'], incident['service_url'])}"
    return text


def attachment(incident):
    _, color = SHOWN_AS[incident["kind"]]
    fields = []
    if incident["urgency"]:
        fields.append(field("Urgency", incident["urgency"]))
    if incident["assignees"]:
        fields.append(field("Assigned to", ", ".join(incident["assignees"])))
    if incident["policy"]:
        fields.append(field("Escalation policy", incident["policy"]))
    return {"color": color, "title": incident["title"], "title_link": incident["url"], "fields": fields}


def notification(incidents):
    if isinstance(incidents, dict):  # an error answer
        return incidents
    if not incidents:
        return None
    if len(incidents) == 1:
        text = summary(incidents[0])
    else:
        lines = at_most([summary(incident) for incident in incidents], MAX_INCIDENTS)
        text = f"{len(incidents)} PagerDuty incident updates:\n" + "\n".join(lines)
    attachments = [attachment(incident) for incident in incidents[:MAX_INCIDENTS]]
    return message(text, *attachments)


def v3(content, request):
    return notification(from_v3(content["event"]))


def legacy(content, request):
    return notification(from_legacy(content["messages"]))


def generation(content):
    """V1/V2 webhooks carry {"messages": [...]} and no event_type of their own."""
    return "legacy_messages" if "messages" in content else None


EVENTS = {kind.replace("_", "."): v3 for kind in KINDS if not kind.endswith(("trigger", "acknowledge", "resolve",
                                                                            "assign", "escalate"))}
EVENTS["legacy_messages"] = legacy


def annotated(content, request):
    """A note added to an incident (V3 ``incident.annotated``: data is the note, data.incident the incident)."""
    event = content["event"]
    note = event["data"]
    incident = note["incident"]
    who = ref_name(event.get("agent")) or "Someone"
    title = incident.get("summary") or "an incident"
    text = f"{who} added a note to {link(title, incident['html_url'])}"
    return message(text, {"color": BLUE, "text": str(note.get("content") or "")[:500] or None})


EVENTS["incident.annotated"] = annotated
NEEDS = {"incident.annotated": ("event.data.incident.html_url",), "incident.*": ("event.data.html_url",)}


class Script:
    def process_incoming_request(self, request):
        return dispatch(request, EVENTS, field=EVENT_FIELD, detect=generation, needs=NEEDS, service="PagerDuty",
                        hint="expected 'event' (V3) or 'messages' (V1/V2)")
