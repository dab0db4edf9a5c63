"""Google Cloud Monitoring → chat: alerting policy incidents opened, acknowledged and closed.

Add a Webhook notification channel (Monitoring → Alerting → Edit notification channels) with URL
https://<host>/hooks/<id>/<token> and use it in alerting policies; see README.md next to this file.
"""

from hookkit import GREEN, RED, YELLOW, dispatch, field, http_url, link, message, obj, shorten

NEEDS = {"*": ("incident.incident_id", "incident.policy_name")}
STATES = {"open": ("Alert", RED), "acknowledged": ("Acknowledged", YELLOW), "closed": ("Resolved", GREEN)}


def state(body):
    """Cloud Monitoring sends no event header: ``incident.state`` is open, acknowledged or closed."""
    value = obj(body.get("incident")).get("state")
    return str(value).lower() if value else None


def incident(body, request=None):
    item = body["incident"]
    label, color = STATES[str(item["state"]).lower()]
    url = http_url(item.get("url"))
    text = f"{label}: {link(item['policy_name'], url)}"
    if item.get("resource_name"):
        text = f"{text} on {item['resource_name']}"
    fields = []
    if item.get("condition_name"):
        fields.append(field("Condition", item["condition_name"]))
    if item.get("observed_value") is not None and item.get("threshold_value") is not None:
        fields.append(field("Value", f"{item['observed_value']} (threshold {item['threshold_value']})"))
    project = item.get("scoping_project_id") or obj(obj(item.get("resource")).get("labels")).get("project_id")
    if project:
        fields.append(field("Project", project))
    documentation = obj(item.get("documentation")).get("content")
    if documentation:
        fields.append(field("Documentation", shorten(documentation, 300), short=False))
    return message(text, {"color": color, "title": item.get("condition_name") or item["policy_name"],
                          "title_link": url, "text": shorten(item.get("summary"), 500), "fields": fields})


EVENTS = {"open": incident, "acknowledged": incident, "closed": incident}


class Script:
    def process_incoming_request(self, request):
        return dispatch(request, EVENTS, detect=state, needs=NEEDS, service="Google Cloud Monitoring",
                        hint="expected 'incident.state'")
