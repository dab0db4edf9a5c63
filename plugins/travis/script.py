"""Travis CI → chat: finished builds of pushes, pull requests, cron jobs and API triggers.

Add `notifications: webhooks: https://<host>/hooks/<id>/<token>` to .travis.yml; see README.md next to
this file. Travis posts form data with a `payload` field, which hookhub unwraps.
"""

from hookkit import GREEN, GREY, RED, YELLOW, duration, field, link, message, dispatch, first_line, shorten

NEEDS = {"*": ("state", "build_url", "repository.name")}
STATES = {
    "passed": ("passed", GREEN), "fixed": ("was fixed", GREEN), "failed": ("failed", RED),
    "broken": ("broke", RED), "still failing": ("is still failing", RED), "errored": ("errored", RED),
    "canceled": ("was canceled", GREY), "started": ("started", YELLOW), "pending": ("is pending", YELLOW),
}


def repo(body):
    item = body["repository"]
    return f"{item.get('owner_name')}/{item['name']}" if item.get("owner_name") else item["name"]


def build(body, request=None):
    message_key = str(body.get("status_message") or body["state"]).lower()
    verb, color = STATES.get(message_key, STATES.get(str(body["state"]).lower(), (str(body["state"]), YELLOW)))
    number = body.get("number")
    label = f"Build #{number}" if number else "Build"
    kind = body.get("type")
    what = f" of pull request #{body['pull_request_number']}" if body.get("pull_request_number") else ""
    text = f"{link(label, body['build_url'])}{what} of {repo(body)} {verb}"
    fields = []
    if body.get("branch"):
        fields.append(field("Branch", body["branch"]))
    commit = str(body.get("commit") or "")
    if commit:
        fields.append(field("Commit", link(commit[:7], body.get("compare_url"))))
    if body.get("author_name"):
        fields.append(field("Author", body["author_name"]))
    if isinstance(body.get("duration"), (int, float)) and body["duration"]:
        fields.append(field("Duration", duration(body["duration"])))
    if kind and kind != "push":
        fields.append(field("Trigger", str(kind).replace("_", " ")))
    title = shorten(first_line(str(body.get("message") or "").replace("+", " ")), 100) or repo(body)
    return message(text, {"color": color, "title": title, "title_link": body["build_url"], "fields": fields})


# Travis's `type` says what started the build; every type is reported the same way.
EVENTS = {"push": build, "pull_request": build, "cron": build, "api": build}


class Script:
    def process_incoming_request(self, request):
        return dispatch(request, EVENTS, field="type", needs=NEEDS, service="Travis CI")
