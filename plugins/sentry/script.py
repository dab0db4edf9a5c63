"""Sentry → chat: issue changes, alert-rule notifications, errors, legacy WebHooks plugin.

Create an internal integration (Settings → Developer Settings) with webhook URL
https://<host>/hooks/<id>/<token>; see README.md next to this file.
"""

import re

from hookkit import BLUE, GREEN, GREY, RED, YELLOW, dispatch, field, link, message, obj, shorten

EVENT_HEADER = "Sentry-Hook-Resource"
# "legacy_plugin" is the old WebHooks plugin, which sends no Sentry-Hook-Resource header.
NO_HEADER = "legacy_plugin"

ISSUE_ACTIONS = ("created", "resolved", "assigned", "ignored", "archived", "unresolved")

NEEDS = {
    "issue": ("data.issue.id", "data.issue.title"),
    "event_alert": ("data.event.event_id",),
    "error": ("data.error.event_id",),
    "legacy_plugin": ("project_name", "url"),
}

LEVEL_COLORS = {"fatal": RED, "error": RED, "warning": YELLOW, "info": BLUE, "debug": GREY}
MAX_TITLE = 200
MAX_BODY = 500
# ".../api/0/projects/<org>/<project>/events/..." → <project>
PROJECT_IN_URL = re.compile(r"/projects/[^/]+/([^/]+)/")


def tag(event, name):
    """The value of tag ``name`` in Sentry's [[key, value], ...] tag list."""
    tags = event.get("tags")
    for pair in tags if isinstance(tags, (list, tuple)) else ():
        if isinstance(pair, (list, tuple)) and len(pair) == 2 and pair[0] == name:
            return pair[1]
    return None


# -- helpers -------------------------------------------------------------


def actor(content):
    actor = obj(content.get("actor"))
    return actor.get("name") if actor.get("type") == "user" else None


def project_from_url(event):
    match = PROJECT_IN_URL.search(str(event.get("url") or ""))
    return match.group(1) if match else None


def event_attachment(event, title, url):
    level = event.get("level") or "error"
    fields = [field("Level", level)]
    if event.get("platform"):
        fields.append(field("Platform", event["platform"]))
    environment = event.get("environment") or tag(event, "environment")
    if environment:
        fields.append(field("Environment", environment))
    if event.get("release"):
        fields.append(field("Release", event["release"]))
    return {
        "color": LEVEL_COLORS.get(level, RED),
        "title": title,
        "title_link": url,
        "text": shorten(event.get("culprit"), MAX_BODY) or None,
        "fields": fields,
    }

# -- resources -------------------------------------------------------------


def issue(content, request):
    action = content["action"]
    issue = content["data"]["issue"]
    project = obj(issue.get("project")).get("name") or "Sentry"
    url = issue.get("web_url") or issue.get("permalink")
    verb = action
    if action == "assigned":
        assignee = obj(issue.get("assignedTo")).get("name")
        verb = f"assigned to {assignee}" if assignee else "assigned"
    by = actor(content)
    if by:
        verb = f"{verb} by {by}"
    short_id = issue.get("shortId") or issue["id"]
    title = shorten(issue["title"], MAX_TITLE)
    text = f"Issue {link(short_id, url)} {verb} in {project}: {title}"
    level = issue.get("level") or "error"
    colors = {"resolved": GREEN, "ignored": GREY, "archived": GREY, "assigned": BLUE}
    fields = [field("Level", level)]
    if issue.get("platform"):
        fields.append(field("Platform", issue["platform"]))
    if issue.get("count") is not None:
        fields.append(field("Events", issue["count"]))
    if issue.get("userCount") is not None:
        fields.append(field("Users", issue["userCount"]))
    attachment = {
        "color": colors.get(action, LEVEL_COLORS.get(level, RED)),
        "title": title,
        "title_link": url,
        "text": shorten(issue.get("culprit"), MAX_BODY) or None,
        "fields": fields,
    }
    return message(text, attachment)


def event_alert(content, request):
    event = content["data"]["event"]
    rule = content["data"].get("triggered_rule") or "an alert rule"
    title = shorten(event.get("title") or event.get("message") or event["event_id"], MAX_TITLE)
    url = event.get("web_url")
    project = project_from_url(event)
    where = f" in {project}" if project else ""
    text = f"Alert “{rule}” triggered{where}: {link(title, url)}"
    return message(text, event_attachment(event, title, url))


def error(content, request):
    event = content["data"]["error"]
    title = shorten(event.get("title") or event.get("message") or event["event_id"], MAX_TITLE)
    url = event.get("web_url")
    project = project_from_url(event)
    where = f" in {project}" if project else ""
    text = f"New error{where}: {link(title, url)}"
    return message(text, event_attachment(event, title, url))


def legacy(content, request):
    event = dict(obj(content.get("event")))
    event["level"] = content.get("level") or event.get("level")
    event["culprit"] = content.get("culprit") or event.get("culprit")
    title = shorten(content.get("message") or event.get("title") or "Sentry event", MAX_TITLE)
    text = f"New {event['level'] or 'event'} in {content['project_name']}: {link(title, content['url'])}"
    return message(text, event_attachment(event, title, content["url"]))


EVENTS = {
    "issue": {action: issue for action in ISSUE_ACTIONS},
    "event_alert": event_alert,
    "error": error,
    "legacy_plugin": legacy,
}


class Script:
    def process_incoming_request(self, request):
        return dispatch(request, EVENTS, header=EVENT_HEADER, default=NO_HEADER, needs=NEEDS, service="Sentry")
