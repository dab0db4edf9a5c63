"""Linear → chat: issues created, updated (status, assignee, priority, title) and removed; comments.

Add a webhook (Settings → API → Webhooks) with URL https://<host>/hooks/<id>/<token> and the
Issues and Comments data change events; see README.md next to this file.
"""

from hookkit import BLUE, GREEN, GREY, RED, YELLOW, dispatch, field, link, message, obj, pluck, shorten

EVENT_HEADER = "Linear-Event"
NEEDS = {"*": ("data.id", "url")}
MAX_BODY = 500

# Linear's workflow state types → colour.
STATE_COLORS = {"triage": GREY, "backlog": GREY, "unstarted": BLUE, "started": YELLOW, "completed": GREEN,
                "canceled": GREY}
PRIORITY_COLORS = {1: RED, 2: YELLOW}


def issue_label(data, url):
    identifier = f"{obj(data.get('team')).get('key')}-{data['number']}" if data.get("number") else None
    title = data.get("title") or "issue"
    return link(f"{identifier} {title}" if identifier else title, url)


def issue_fields(data):
    fields = []
    state = obj(data.get("state")).get("name")
    if state:
        fields.append(field("Status", state))
    if data.get("priorityLabel") and data.get("priority"):
        fields.append(field("Priority", data["priorityLabel"]))
    assignee = obj(data.get("assignee")).get("name")
    if assignee:
        fields.append(field("Assignee", assignee))
    labels = pluck(data.get("labels"), "name")
    if labels:
        fields.append(field("Labels", ", ".join(str(name) for name in labels)))
    return fields


def issue_color(data):
    return PRIORITY_COLORS.get(data.get("priority")) or STATE_COLORS.get(obj(data.get("state")).get("type"), BLUE)


def actor(body):
    return obj(body.get("actor")).get("name")


def issue_created(body, request=None):
    data = body["data"]
    who = actor(body)
    text = f"{who} created {issue_label(data, body['url'])}" if who else f"New issue {issue_label(data, body['url'])}"
    attachment = {"color": issue_color(data), "title": data.get("title"), "title_link": body["url"],
                  "fields": issue_fields(data)}
    if data.get("description"):
        attachment["text"] = shorten(data["description"], MAX_BODY)
    return message(text, attachment)


def changes(body):
    """What an update changed, from ``updatedFrom`` (the previous values of the changed fields)."""
    data = body["data"]
    before = obj(body.get("updatedFrom"))
    out = []
    if "title" in before:
        out.append("renamed")
    if "stateId" in before:
        out.append(f"status → {obj(data.get('state')).get('name') or '?'}")
    if "assigneeId" in before:
        out.append(f"assignee → {obj(data.get('assignee')).get('name') or 'nobody'}")
    if "priority" in before:
        out.append(f"priority → {data.get('priorityLabel') or data.get('priority')}")
    return out


def issue_updated(body, request=None):
    data = body["data"]
    changed = changes(body)
    if not changed:
        console.log("Linear issue update without a title, status, assignee or priority change; nothing posted")
        return None
    text = f"Issue {issue_label(data, body['url'])} updated: " + "; ".join(changed)
    attachment = {"color": issue_color(data), "title": data.get("title"), "title_link": body["url"],
                  "fields": issue_fields(data)}
    before = obj(body.get("updatedFrom")).get("title")
    if before:
        attachment["text"] = f"Previous title: {shorten(before, 200)}"
    return message(text, attachment)


def issue_removed(body, request=None):
    data = body["data"]
    return message(f"Issue {issue_label(data, body['url'])} was removed", {"color": GREY, "title": data.get("title")})


def comment_created(body, request=None):
    data = body["data"]
    who = obj(data.get("user")).get("name") or actor(body) or "someone"
    issue = obj(data.get("issue"))
    target = link(issue.get("title") or "an issue", body["url"])
    return message(f"{who} commented on {target}",
                   {"color": BLUE, "title": issue.get("title"), "title_link": body["url"],
                    "text": shorten(data.get("body"), MAX_BODY)})


EVENTS = {
    "Issue": {"create": issue_created, "update": issue_updated, "remove": issue_removed},
    "Comment": {"create": comment_created},
}


class Script:
    def process_incoming_request(self, request):
        return dispatch(request, EVENTS, header=EVENT_HEADER, field="type", needs=NEEDS, service="Linear")
