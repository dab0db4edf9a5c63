"""Gitea (and Forgejo) → chat: pushes, branches/tags, issues, comments, pull requests, releases.

Add a "Gitea" webhook (repository Settings → Webhooks) with target URL
https://<host>/hooks/<id>/<token>; see README.md next to this file.
"""

from hookkit import (BLUE, GREEN, GREY, PURPLE, YELLOW, commit_line, dispatch, event_key, field, link, message, obj, objs,
                    pluck, push_message, shorten)

EVENT_HEADER = ("X-Gitea-Event", "X-Forgejo-Event")

# Fields that must be present, per event (dotted paths into the payload).
NEEDS = {
    "push": ("ref",),
    "create": ("ref", "ref_type"),
    "delete": ("ref", "ref_type"),
    "fork": ("forkee.full_name",),
    "issues": ("issue.number",),
    "issue_comment": ("issue.number", "comment"),
    "pull_request_comment": ("issue.number", "comment"),
    "pull_request": ("pull_request.number",),
    "pull_request_review_*": ("pull_request.number",),
    "release": ("release.tag_name",),
    "*": ("repository.full_name", "repository.html_url"),
}

ZERO_SHA = "0000000000000000000000000000000000000000"
MAX_COMMITS = 10
MAX_BODY = 500


# -- helpers -------------------------------------------------------------


def repo(content):
    repo = content["repository"]
    return link(repo["full_name"], repo["html_url"])


def sender(content):
    sender = obj(content.get("sender") or content.get("pusher"))
    return sender.get("login") or sender.get("username") or "Someone"


def ref_url(content, kind, name):
    return f"{content['repository']['html_url']}/src/{kind}/{name}"


def issue_url(content, issue):
    return issue.get("html_url") or f"{content['repository']['html_url']}/issues/{issue['number']}"

# -- events --------------------------------------------------------------


def push(content, request):
    ref = str(content["ref"])
    is_tag = ref.startswith("refs/tags/")
    name = ref.split("/", 2)[-1]
    kind = "tag" if is_tag else "branch"
    where = link(name, ref_url(content, kind, name))
    who = sender(content)
    if content.get("after") == ZERO_SHA:
        return message(f"{who} deleted {kind} {name} of {repo(content)}")
    if is_tag:
        return message(f"{who} pushed tag {where} to {repo(content)}")
    commits = objs(content.get("commits"))
    count = content.get("total_commits")
    if not isinstance(count, int):
        count = len(commits)
    lines = [commit_of(commit) for commit in commits]
    return push_message(who, where, repo(content), lines, count=count,
                        compare_url=content.get("compare_url") or None,
                        new_branch=content.get("before") == ZERO_SHA, limit=MAX_COMMITS)


def commit_of(commit):
    author = obj(commit.get("author")).get("name")
    return commit_line(commit.get("id"), commit.get("message"), commit.get("url"), author)


def ref_event(content, request):
    event = event_key(request["headers"].get("x-gitea-event") or request["headers"].get("x-forgejo-event"))
    kind = content["ref_type"]
    name = content["ref"]
    if event == "delete":
        text = f"{sender(content)} deleted {kind} {name} of {repo(content)}"
        return message(text)
    where = link(name, ref_url(content, kind, name))
    text = f"{sender(content)} created {kind} {where} in {repo(content)}"
    sha = str(content.get("sha") or "")
    fields = [field("Commit", link(sha[:7], f"{content['repository']['html_url']}/commit/{sha}"))] if sha else []
    return message(text, {"color": BLUE, "fields": fields or None})


def issue(content, request):
    issue = content["issue"]
    action = content["action"]
    url = issue_url(content, issue)
    label = f"#{issue['number']} {issue.get('title') or ''}".strip()
    text = f"{sender(content)} {action} issue {link(label, url)} in {repo(content)}"
    fields = []
    labels = pluck(issue.get("labels"), "name")
    if labels:
        fields.append(field("Labels", ", ".join(labels)))
    assignees = pluck(issue.get("assignees"), "login")
    if assignees:
        fields.append(field("Assignees", ", ".join(assignees)))
    attachment = {
        "color": GREEN if action == "closed" else YELLOW,
        "title": label,
        "title_link": url,
        "text": shorten(issue.get("body"), MAX_BODY) or None if action == "opened" else None,
        "fields": fields or None,
    }
    return message(text, attachment)


def issue_comment(content, request):
    issue = content["issue"]
    comment = obj(content["comment"])
    kind = "pull request" if content.get("is_pull") or issue.get("pull_request") else "issue"
    url = comment.get("html_url") or issue_url(content, issue)
    label = f"#{issue['number']} {issue.get('title') or ''}".strip()
    text = f"{sender(content)} commented on {kind} {link(label, url)} in {repo(content)}"
    return message(text, {"color": BLUE, "text": shorten(comment.get("body"), MAX_BODY) or None})


def pull_request(content, request):
    pr = content["pull_request"]
    action = content["action"]
    verb, color = action, BLUE
    if action == "closed" and pr.get("merged"):
        verb, color = "merged", PURPLE
    elif action == "closed":
        color = GREY
    url = pr.get("html_url") or f"{content['repository']['html_url']}/pulls/{pr['number']}"
    label = f"#{pr['number']} {pr.get('title') or ''}".strip()
    text = f"{sender(content)} {verb} pull request {link(label, url)} in {repo(content)}"
    head = obj(pr.get("head")).get("ref")
    base = obj(pr.get("base")).get("ref")
    fields = [field("Branches", f"{head} → {base}")] if head and base else []
    attachment = {
        "color": color,
        "title": label,
        "title_link": url,
        "text": shorten(pr.get("body"), MAX_BODY) or None if action == "opened" else None,
        "fields": fields or None,
    }
    return message(text, attachment)


def release(content, request):
    release = content["release"]
    tag = release["tag_name"]
    name = release.get("name") or tag
    url = release.get("html_url") or f"{content['repository']['html_url']}/releases/tag/{tag}"
    kind = "pre-release" if release.get("prerelease") else "release"
    text = f"{sender(content)} published {kind} {link(name, url)} of {repo(content)}"
    attachment = {
        "color": GREEN,
        "title": name,
        "title_link": url,
        "text": shorten(release.get("body"), MAX_BODY) or None,
        "fields": [field("Tag", tag)],
    }
    return message(text, attachment)


def fork(content, request):
    # Gitea's "forkee" is the repository that was forked, "repository" the new fork
    original = content["forkee"]
    text = f"{sender(content)} forked {link(original['full_name'], original.get('html_url'))} to {repo(content)}"
    return message(text)


REVIEWS = {
    "pull_request_review_approved": ("approved", GREEN),
    "pull_request_review_rejected": ("requested changes on", YELLOW),
    "pull_request_review_comment": ("reviewed", BLUE),
}


def review(content, request):
    event = event_key(request["headers"].get("x-gitea-event") or request["headers"].get("x-forgejo-event"))
    pr = content["pull_request"]
    verb, color = REVIEWS[event]
    url = pr.get("html_url") or f"{content['repository']['html_url']}/pulls/{pr['number']}"
    label = f"#{pr['number']} {pr.get('title') or ''}".strip()
    text = f"{sender(content)} {verb} pull request {link(label, url)} in {repo(content)}"
    return message(text, {"color": color, "text": shorten(obj(content.get("review")).get("content"), MAX_BODY) or None})


def repository(content, request):
    where = obj(content.get("organization")).get("username") or obj(content["repository"].get("owner")).get("login")
    text = f"{sender(content)} {content['action']} repository {repo(content)}"
    return message(text + (f" in {where}" if where else ""))


EVENTS = {
    "push": push,
    "repository": {"created": repository, "deleted": repository},
    "create": ref_event,
    "delete": ref_event,
    "fork": fork,
    "issues": {"opened": issue, "closed": issue, "reopened": issue},
    "issue_comment": {"created": issue_comment},
    "pull_request_comment": {"created": issue_comment},     # Gitea 1.20+: comments on pull requests
    "pull_request": {"opened": pull_request, "closed": pull_request, "reopened": pull_request},
    "pull_request_review_approved": review,
    "pull_request_review_rejected": review,
    "pull_request_review_comment": review,
    "release": {"published": release},
}


class Script:
    def process_incoming_request(self, request):
        return dispatch(request, EVENTS, header=EVENT_HEADER, needs=NEEDS, service="Gitea")
