"""Statuspage (Atlassian) → chat: incident updates and component status changes.

Subscribe https://<host>/hooks/<id>/<token> to webhook notifications of the page; see README.md.
"""

from hookkit import BLUE, GREEN, GREY, RED, YELLOW, dispatch, field, link, message, obj, objs, shorten

INCIDENT_COLORS = {
    "investigating": RED, "identified": YELLOW, "monitoring": BLUE, "resolved": GREEN, "postmortem": GREY,
    "scheduled": BLUE, "in_progress": YELLOW, "verifying": BLUE, "completed": GREEN,
}
COMPONENT_COLORS = {
    "operational": GREEN, "degraded_performance": YELLOW, "partial_outage": YELLOW, "major_outage": RED,
    "under_maintenance": BLUE,
}


def words(value):
    """"under_maintenance" → "under maintenance"."""
    return str(value or "unknown").replace("_", " ")


def shape(body):
    """Statuspage sends no event header: an incident body has ``incident``, a component one ``component_update``."""
    if "incident" in body:
        return "incident"
    if "component_update" in body or "component" in body:
        return "component"
    return None


def incident(body, request=None):
    item = obj(body.get("incident"))
    if not item.get("name"):
        return {"error": "Statuspage 'incident' payload is missing 'incident.name'"}
    status = str(item.get("status") or "")
    updates = objs(item.get("incident_updates"))
    latest = updates[0] if updates else {}
    text = f"Incident {link(item['name'], item.get('shortlink'))} is now {words(status)}"
    fields = []
    if item.get("impact"):
        fields.append(field("Impact", item["impact"]))
    components = [c.get("name") for c in objs(item.get("components")) if c.get("name")]
    if components:
        fields.append(field("Components", ", ".join(components)))
    return message(text, {"color": INCIDENT_COLORS.get(status, BLUE), "title": item["name"],
                          "title_link": item.get("shortlink"), "text": shorten(latest.get("body"), 500),
                          "fields": fields})


def component(body, request=None):
    item = obj(body.get("component"))
    update = obj(body.get("component_update"))
    name = item.get("name")
    new = update.get("new_status") or item.get("status")
    if not name or not new:
        return {"error": "Statuspage 'component' payload is missing 'component.name' or 'component_update.new_status'"}
    old = update.get("old_status")
    change = f"from {words(old)} to {words(new)}" if old else f"to {words(new)}"
    text = f"Component {name} changed {change}"
    page = obj(body.get("page")).get("status_description")
    attachment = {"color": COMPONENT_COLORS.get(new, BLUE), "title": f"{name}: {words(new)}",
                  "fields": [field("Page status", page)] if page else []}
    return message(text, attachment)


EVENTS = {"incident": incident, "component": component}


class Script:
    def process_incoming_request(self, request):
        return dispatch(request, EVENTS, detect=shape, service="Statuspage",
                        hint="expected 'incident' or 'component_update'")
