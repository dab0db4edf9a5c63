"""Jira → chat: issues created, updated (status, assignee, ...), deleted; comments; work logs.

Add a webhook (Jira settings → System → WebHooks) with URL
https://<host>/hooks/<id>/<token>; see README.md next to this file.
"""

from hookkit import BLUE, GREEN, YELLOW, dispatch, field, link, message, obj, objs, shorten

# Jira sends no event header: the event is the body's "webhookEvent",
# with the "jira:" prefix removed ("jira:issue_created" → "issue_created").
# Jira sends no event header: the body's "webhookEvent" names the event.
EVENT_FIELD = "webhookEvent"

ISSUE = ("issue.key", "issue.fields")
NEEDS = {
    "jira:issue_*": ISSUE,
    "comment_*": ("comment",) + ISSUE,
    "worklog_*": ("worklog.issueId",),
}

# issue_updated sub-types (issue_event_type_name) that are not posted:
# edits and deletions of comments, and work logs (see worklog_created).
SKIPPED_UPDATES = (
    "issue_comment_edited",
    "issue_comment_deleted",
    "issue_work_logged",
    "issue_worklog_updated",
    "issue_worklog_deleted",
)

# Colour by the issue's status category (Jira's "To Do", "In Progress", "Done").
STATUS_COLORS = {"new": BLUE, "indeterminate": YELLOW, "done": GREEN}
MAX_BODY = 500
MAX_CHANGES = 10

COMMENT_VERBS = {"comment_updated": "edited a comment on", "comment_deleted": "deleted a comment on"}


def site(api_url):
    """"https://x.atlassian.net/rest/api/2/issue/1" → "https://x.atlassian.net"."""
    api_url = str(api_url or "")
    if "/rest/api/" not in api_url:
        return None
    return api_url.split("/rest/api/")[0]


def person(user):
    user = obj(user)
    return user.get("displayName") or user.get("name") or "Someone"


# -- helpers -------------------------------------------------------------


def issue_url(issue):
    base = site(issue.get("self"))
    return f"{base}/browse/{issue['key']}" if base else None


def issue_link(issue, url=None):
    summary = issue["fields"].get("summary")
    label = f"{issue['key']}: {summary}" if summary else issue["key"]
    return link(label, url or issue_url(issue))


def color(issue):
    status = obj(issue["fields"].get("status"))
    category = obj(status.get("statusCategory")).get("key")
    return STATUS_COLORS.get(category, BLUE)


def name_of(value):
    return obj(value).get("name")

# -- events --------------------------------------------------------------


def created(content, request):
    issue = content["issue"]
    fields = issue["fields"]
    project = name_of(fields.get("project"))
    where = f" in {project}" if project else ""
    text = f"{person(content.get('user'))} created {issue_link(issue)}{where}"
    details = []
    for title, key in (("Type", "issuetype"), ("Priority", "priority"), ("Status", "status")):
        if name_of(fields.get(key)):
            details.append(field(title, name_of(fields.get(key))))
    assignee = fields.get("assignee")
    details.append(field("Assignee", person(assignee) if assignee else "Unassigned"))
    attachment = {
        "color": BLUE,
        "title": fields.get("summary") or issue["key"],
        "title_link": issue_url(issue),
        "text": shorten(fields.get("description"), MAX_BODY) or None,
        "fields": details,
    }
    return message(text, attachment)


def deleted(content, request):
    issue = content["issue"]
    summary = issue["fields"].get("summary")
    label = f"{issue['key']}: {summary}" if summary else issue["key"]
    return message(f"{person(content.get('user'))} deleted {label}")


def commented(content, request):
    issue = content["issue"]
    comment = obj(content.get("comment"))
    verb = COMMENT_VERBS.get(content.get("webhookEvent"), "commented on")
    url = issue_url(issue)
    if url and comment.get("id"):
        url = f"{url}?focusedCommentId={comment['id']}"
    author = person(comment.get("author") or content.get("user"))
    text = f"{author} {verb} {issue_link(issue, url)}"
    body = shorten(str(comment.get("body") or ""), MAX_BODY) if verb != "deleted a comment on" else ""
    return message(text, {"color": BLUE, "text": body} if body else None)


def issue_updated(content, request):
    kind = content.get("issue_event_type_name")
    if kind in SKIPPED_UPDATES:
        console.log(f"Jira 'jira:issue_updated' issue_event_type_name '{kind}' is not supported; nothing posted")
        return None
    if kind == "issue_commented" and isinstance(content.get("comment"), dict):
        return commented(content, request)
    return updated(content, content["issue"])


def updated(content, issue):
    changes = objs(obj(content.get("changelog")).get("items"))
    who = person(content.get("user"))
    if len(changes) == 1 and changes[0].get("field") == "status":
        change = changes[0]
        text = (f"{who} changed the status of {issue_link(issue)}"
                f" from {change.get('fromString')} to {change.get('toString')}")
    elif len(changes) == 1 and changes[0].get("field") == "assignee":
        new = changes[0].get("toString")
        text = f"{who} assigned {issue_link(issue)} to {new}" if new else f"{who} unassigned {issue_link(issue)}"
    else:
        text = f"{who} updated {issue_link(issue)}"
    details = []
    for change in changes[:MAX_CHANGES]:
        old = change.get("fromString") or "none"
        new = change.get("toString") or "none"
        name = str(change.get("field") or "field")
        details.append(field(name[:1].upper() + name[1:], f"{old} → {new}"))
    attachment = {"color": color(issue), "fields": details}
    return message(text, attachment)


def worklog(content, request):
    worklog = content["worklog"]
    spent = worklog.get("timeSpent") or f"{worklog.get('timeSpentSeconds') or 0}s"
    if content.get("webhookEvent") == "worklog_updated":
        who = person(worklog.get("updateAuthor") or worklog.get("author"))
        text = f"{who} changed a work log on issue {worklog['issueId']} to {spent}"
    else:
        text = f"{person(worklog.get('author'))} logged {spent} of work on issue {worklog['issueId']}"
    attachment = {
        "color": BLUE,
        "text": shorten(str(worklog.get("comment") or ""), MAX_BODY) or None,
        "fields": [field("Time spent", spent)],
    }
    return message(text, attachment)


EVENTS = {
    "jira:issue_created": created,
    "jira:issue_updated": issue_updated,
    "jira:issue_deleted": deleted,
    "comment_created": commented,
    "comment_updated": commented,
    "comment_deleted": commented,
    "worklog_created": worklog,
    "worklog_updated": worklog,
}


class Script:
    def process_incoming_request(self, request):
        return dispatch(request, EVENTS, field=EVENT_FIELD, needs=NEEDS, service="Jira")
