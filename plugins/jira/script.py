"""Jira → chat: issues created, updated (status, assignee, ...), deleted; comments; work logs.

Add a webhook (Jira settings → System → WebHooks) with URL
https://<host>/hooks/<id>/<token>; see README.md next to this file.
"""

from hookkit import BLUE, GREEN, YELLOW, field, link, message, obj, objs, payload_problem, shorten

# Jira sends no event header: the event is the body's "webhookEvent",
# with the "jira:" prefix removed ("jira:issue_created" → "issue_created").
EVENT_HEADER = None
EVENTS = ("issue_created", "issue_updated", "issue_deleted", "comment_created", "worklog_created")

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


def site(api_url):
    """"https://x.atlassian.net/rest/api/2/issue/1" → "https://x.atlassian.net"."""
    api_url = str(api_url or "")
    if "/rest/api/" not in api_url:
        return None
    return api_url.split("/rest/api/")[0]


def person(user):
    user = obj(user)
    return user.get("displayName") or user.get("name") or "Someone"


class Script:
    def process_incoming_request(self, request):
        content = request["content"]
        problem = payload_problem(content, source="Jira")
        if problem:
            return {"error": problem}
        event = content.get("webhookEvent")
        if not event:
            return {"error": "Jira payload is missing 'webhookEvent': is this a Jira webhook delivery?"}
        event = str(event).replace("jira:", "", 1)
        if event not in EVENTS:
            console.log(f"Jira event '{event}' is not supported; nothing posted")
            return None
        if event == "worklog_created":
            return self.worklog(content)
        issue = content.get("issue")
        if not isinstance(issue, dict) or not issue.get("key") or not isinstance(issue.get("fields"), dict):
            return {"error": f"Jira '{event}' payload is missing 'issue' with 'key' and 'fields'"}
        if event == "issue_created":
            return self.created(content, issue)
        if event == "issue_deleted":
            return self.deleted(content, issue)
        if event == "comment_created":
            return self.commented(content, issue)
        kind = content.get("issue_event_type_name")
        if kind in SKIPPED_UPDATES:
            console.log(f"Jira issue update '{kind}' is not posted")
            return None
        if kind == "issue_commented" and isinstance(content.get("comment"), dict):
            return self.commented(content, issue)
        return self.updated(content, issue)

    # -- helpers -------------------------------------------------------------

    def issue_url(self, issue):
        base = site(issue.get("self"))
        return f"{base}/browse/{issue['key']}" if base else None

    def issue_link(self, issue, url=None):
        summary = issue["fields"].get("summary")
        label = f"{issue['key']}: {summary}" if summary else issue["key"]
        return link(label, url or self.issue_url(issue))

    def color(self, issue):
        status = obj(issue["fields"].get("status"))
        category = obj(status.get("statusCategory")).get("key")
        return STATUS_COLORS.get(category, BLUE)

    def name_of(self, value):
        return obj(value).get("name")

    # -- events --------------------------------------------------------------

    def created(self, content, issue):
        fields = issue["fields"]
        project = self.name_of(fields.get("project"))
        where = f" in {project}" if project else ""
        text = f"{person(content.get('user'))} created {self.issue_link(issue)}{where}"
        details = []
        for title, key in (("Type", "issuetype"), ("Priority", "priority"), ("Status", "status")):
            if self.name_of(fields.get(key)):
                details.append(field(title, self.name_of(fields.get(key))))
        assignee = fields.get("assignee")
        details.append(field("Assignee", person(assignee) if assignee else "Unassigned"))
        attachment = {
            "color": BLUE,
            "title": fields.get("summary") or issue["key"],
            "title_link": self.issue_url(issue),
            "text": shorten(fields.get("description"), MAX_BODY) or None,
            "fields": details,
        }
        return message(text, attachment)

    def deleted(self, content, issue):
        summary = issue["fields"].get("summary")
        label = f"{issue['key']}: {summary}" if summary else issue["key"]
        return message(f"{person(content.get('user'))} deleted {label}")

    def commented(self, content, issue):
        comment = content.get("comment")
        if not isinstance(comment, dict):
            return {"error": "Jira comment payload is missing 'comment'"}
        url = self.issue_url(issue)
        if url and comment.get("id"):
            url = f"{url}?focusedCommentId={comment['id']}"
        author = person(comment.get("author") or content.get("user"))
        text = f"{author} commented on {self.issue_link(issue, url)}"
        return message(text, {"color": BLUE, "text": shorten(str(comment.get("body") or ""), MAX_BODY) or None})

    def updated(self, content, issue):
        changes = objs(obj(content.get("changelog")).get("items"))
        who = person(content.get("user"))
        if len(changes) == 1 and changes[0].get("field") == "status":
            change = changes[0]
            text = (f"{who} changed the status of {self.issue_link(issue)}"
                    f" from {change.get('fromString')} to {change.get('toString')}")
        elif len(changes) == 1 and changes[0].get("field") == "assignee":
            new = changes[0].get("toString")
            text = f"{who} assigned {self.issue_link(issue)} to {new}" if new else f"{who} unassigned {self.issue_link(issue)}"
        else:
            text = f"{who} updated {self.issue_link(issue)}"
        details = []
        for change in changes[:MAX_CHANGES]:
            old = change.get("fromString") or "none"
            new = change.get("toString") or "none"
            name = str(change.get("field") or "field")
            details.append(field(name[:1].upper() + name[1:], f"{old} → {new}"))
        attachment = {"color": self.color(issue), "fields": details}
        return message(text, attachment)

    def worklog(self, content):
        worklog = content.get("worklog")
        if not isinstance(worklog, dict) or not worklog.get("issueId"):
            return {"error": "Jira 'worklog_created' payload is missing 'worklog' with 'issueId'"}
        spent = worklog.get("timeSpent") or f"{worklog.get('timeSpentSeconds') or 0}s"
        text = f"{person(worklog.get('author'))} logged {spent} of work on issue {worklog['issueId']}"
        attachment = {
            "color": BLUE,
            "text": shorten(str(worklog.get("comment") or ""), MAX_BODY) or None,
            "fields": [field("Time spent", spent)],
        }
        return message(text, attachment)
