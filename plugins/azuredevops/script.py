"""Azure DevOps → chat: builds completed, pushes, pull requests created and updated.

Create Web Hooks service hook subscriptions (Project settings → Service hooks) with URL
https://<host>/hooks/<id>/<token>; see README.md next to this file.
"""

from hookkit import BLUE, GREEN, GREY, PURPLE, RED, YELLOW, commit_line, dispatch, field, link, message, obj, objs
from hookkit import push_message, shorten

NEEDS = {
    "build.complete": ("resource.id",),
    "git.push": ("resource.pushId",),
    "git.pullrequest.created": ("resource.pullRequestId",),
    "git.pullrequest.updated": ("resource.pullRequestId",),
}
BUILD = {"succeeded": ("succeeded", GREEN), "partiallySucceeded": ("partially succeeded", YELLOW),
         "failed": ("failed", RED), "canceled": ("was canceled", GREY), "stopped": ("was stopped", GREY)}
MAX_COMMITS = 10


def branch(ref):
    """"refs/heads/main" → "main"."""
    text = str(ref or "")
    return text[len("refs/heads/"):] if text.startswith("refs/heads/") else text


def repo_link(repository):
    return link(repository.get("name") or "repository", repository.get("remoteUrl"))


def build_branch(build):
    """``sourceBranch``, or the branch of a XAML build's ``sourceGetVersion`` ("LG:refs/heads/master:<sha>")."""
    if build.get("sourceBranch"):
        return branch(build["sourceBranch"])
    parts = str(build.get("sourceGetVersion") or "").split(":")
    return branch(parts[1]) if len(parts) > 1 else None


def build_complete(body, request=None):
    build = body["resource"]
    status = build.get("result") or build.get("status")
    verb, color = BUILD.get(status, (str(status or "finished"), YELLOW))
    definition = obj(build.get("definition")).get("name")
    number = build.get("buildNumber") or build.get("id")
    links = obj(obj(build.get("_links")).get("web")).get("href")
    url = links or build.get("url")
    text = f"Build {link(number, url)} {verb}" + (f" ({definition})" if definition else "")
    fields = []
    source = build_branch(build)
    if source:
        fields.append(field("Branch", source))
    who = obj(build.get("requestedFor")).get("displayName") or obj(build.get("lastChangedBy")).get("displayName")
    if who:
        fields.append(field("By", who))
    if build.get("reason"):
        fields.append(field("Reason", build["reason"]))
    return message(text, {"color": color, "title": definition or str(number), "title_link": url, "fields": fields})


def git_push(body, request=None):
    push = body["resource"]
    repository = obj(push.get("repository"))
    who = obj(push.get("pushedBy")).get("displayName") or "someone"
    updates = objs(push.get("refUpdates"))
    ref = branch(updates[0].get("name")) if updates else "?"
    if updates and set(str(updates[0].get("newObjectId") or "")) == {"0"}:
        return message(f"{who} deleted branch {ref} of {repo_link(repository)}")
    created = bool(updates) and set(str(updates[0].get("oldObjectId") or "")) == {"0"}
    lines = [commit_line(c.get("commitId"), c.get("comment"), c.get("url"), obj(c.get("author")).get("name"))
             for c in objs(push.get("commits"))]
    url = repository.get("remoteUrl")
    where = link(ref, f"{url}?version=GB{ref}" if url else None)
    return push_message(who, where, repo_link(repository), lines, new_branch=created, limit=MAX_COMMITS)


def pull_request_label(pr):
    return f"!{pr.get('pullRequestId')} {pr.get('title') or ''}".strip()


def pull_request_url(pr):
    remote = obj(pr.get("repository")).get("remoteUrl")
    return f"{remote}/pullrequest/{pr.get('pullRequestId')}" if remote else pr.get("url")


def pull_request(verb_of):
    def handler(body, request=None):
        pr = body["resource"]
        verb, color = verb_of(pr)
        who = obj(pr.get("createdBy")).get("displayName") or "someone"
        if pr.get("closedBy"):
            who = obj(pr["closedBy"]).get("displayName") or who
        text = (f"{who} {verb} pull request {link(pull_request_label(pr), pull_request_url(pr))} "
                f"in {repo_link(obj(pr.get('repository')))}")
        fields = [field("Branches", f"{branch(pr.get('sourceRefName'))} → {branch(pr.get('targetRefName'))}")]
        reviewers = [r.get("displayName") for r in objs(pr.get("reviewers")) if r.get("displayName")]
        if reviewers:
            fields.append(field("Reviewers", ", ".join(reviewers)))
        attachment = {"color": color, "title": pull_request_label(pr), "title_link": pull_request_url(pr),
                      "fields": fields}
        if pr.get("description") and verb == "created":
            attachment["text"] = shorten(pr["description"], 500)
        return message(text, attachment)
    return handler


def created(pr):
    return "created", BLUE


def updated(pr):
    status = pr.get("status")
    if status == "completed":
        return "completed", PURPLE
    if status == "abandoned":
        return "abandoned", GREY
    return "updated", BLUE


EVENTS = {
    "build.complete": build_complete,
    "git.push": git_push,
    "git.pullrequest.created": pull_request(created),
    "git.pullrequest.updated": pull_request(updated),
    # git.pullrequest.merged is a merge *attempt* (a merge commit was computed): noise for a channel
}


class Script:
    def process_incoming_request(self, request):
        return dispatch(request, EVENTS, field="eventType", needs=NEEDS, service="Azure DevOps")
