"""Bitbucket Cloud → chat: pushes, pull requests, issues, comments, build statuses.

Add a repository webhook (Repository settings → Webhooks) with URL
https://<host>/hooks/<id>/<token>; see README.md next to this file.
"""

from hookkit import (BLUE, GREEN, GREY, PURPLE, RED, YELLOW, at_most, dispatch, event_key, field, first_line, link,
                    message, obj, objs, shorten)

EVENT_HEADER = "X-Event-Key"

# Fields that must be present, per event (dotted paths into the payload).
NEEDS = {
    "*": ("repository.full_name",),
    "repo:push": ("push.changes",),
    "repo:fork": ("fork.full_name",),
    "repo:commit_comment_created": ("comment.id",),
    "pullrequest:*": ("pullrequest.id",),
    "issue:*": ("issue.id",),
}

# Where the sub-tables of EVENTS read their key.
ACTION = {"repo:commit_status_*": "commit_status.state"}

# Pull request events: verb and colour.
PR_VERBS = {
    "pullrequest_created": ("opened", BLUE),
    "pullrequest_updated": ("updated", BLUE),
    "pullrequest_approved": ("approved", GREEN),
    "pullrequest_unapproved": ("removed their approval of", YELLOW),
    "pullrequest_fulfilled": ("merged", PURPLE),
    "pullrequest_rejected": ("declined", GREY),
    "pullrequest_comment_created": ("commented on", BLUE),
    "pullrequest_comment_updated": ("edited a comment on", BLUE),
    "pullrequest_comment_deleted": ("deleted a comment on", GREY),
}

# Build states posted.
BUILD_STATES = {"SUCCESSFUL": "succeeded", "FAILED": "failed", "STOPPED": "was stopped"}

MAX_CHANGES = 5
MAX_COMMITS = 10
MAX_BODY = 500


def html(thing):
    """Bitbucket puts web links in thing.links.html.href."""
    href = obj(obj(obj(thing).get("links")).get("html")).get("href")
    return href if isinstance(href, str) else None


def raw(thing):
    """Text of a Bitbucket rendered-content object ({"raw": ..., "markup": ...})."""
    return obj(thing).get("raw")


# -- helpers -------------------------------------------------------------


def repo(content):
    repository = content["repository"]
    return link(repository["full_name"], html(repository))


def actor(content):
    actor = obj(content.get("actor"))
    return actor.get("display_name") or actor.get("nickname") or actor.get("username") or "Someone"


def names(people):
    return ", ".join(str(person.get("display_name") or person.get("nickname") or "") for person in objs(people))

# -- events --------------------------------------------------------------


def push(content, request):
    changes = [change for change in content["push"]["changes"] if isinstance(change, dict)]
    if not changes:
        console.log("Bitbucket push without changes; nothing posted")
        return None
    if len(changes) == 1:
        text = f"{actor(content)} {change_summary(changes[0])} {repo(content)}"
    else:
        text = f"{actor(content)} pushed {len(changes)} changes to {repo(content)}"
    attachments = [change_attachment(change, len(changes) > 1) for change in changes[:MAX_CHANGES]]
    return message(text, *[item for item in attachments if item["title"] or item["text"]])


def change_summary(change):
    """"pushed 2 commits to [main](...) of" — the repository follows."""
    ref = obj(change.get("new") or change.get("old"))
    kind = "tag" if ref.get("type") == "tag" else "branch"
    name = ref.get("name") or "?"
    if not change.get("new"):
        return f"deleted {kind} {name} of"
    where = link(name, html(change["new"]))
    if kind == "tag":
        return f"pushed tag {where} to"
    count = len(objs(change.get("commits")))
    more = "+" if change.get("truncated") else ""
    noun = "commit" if count == 1 and not more else "commits"
    verb = "force-pushed" if change.get("forced") else "pushed"
    target = f"new branch {where}" if change.get("created") else where
    return f"{verb} {count}{more} {noun} to {target} of"


def change_attachment(change, several):
    ref = obj(change.get("new"))
    title = None
    if not ref:
        lines = []
    elif ref.get("type") == "tag":
        lines = [commit_line(obj(ref.get("target")))]
    else:
        commits = objs(change.get("commits"))
        lines = at_most([commit_line(commit) for commit in commits], MAX_COMMITS)
        more = "+" if change.get("truncated") else ""
        noun = "commit" if len(commits) == 1 and not more else "commits"
        title = f"{len(commits)}{more} {noun}"
    if several:
        name = obj(change.get("new") or change.get("old")).get("name")
        if not ref:
            title = f"{name} deleted"
        elif title:
            title = f"{name}: {title}"
        else:
            title = f"tag {name}"
    return {
        "color": GREY if change.get("closed") else BLUE,
        "title": title,
        "title_link": html(change),
        "text": "\n".join(lines) or None,
    }


def commit_line(commit):
    sha = str(commit.get("hash") or "")[:7]
    title = shorten(first_line(commit.get("message")), 100)
    author = obj(commit.get("author"))
    name = author.get("display_name") or obj(author.get("user")).get("display_name")
    line = f"{link(sha, html(commit))} {title}".strip()
    return f"{line} — {name}" if name else line


def commit_status(content, request):
    status = content["commit_status"]
    state = status["state"]
    name = status.get("name") or status.get("key") or "Build"
    commit_api = obj(obj(status.get("links")).get("commit")).get("href") or ""
    sha = commit_api.rstrip("/").split("/")[-1] if "/commit/" in commit_api else ""
    repo_url = html(content["repository"])
    commit = link(sha[:7], f"{repo_url}/commits/{sha}" if repo_url else None) if sha else "a commit"
    text = f"Build {link(name, status.get('url'))} {BUILD_STATES[state]} for {commit} of {repo(content)}"
    fields = []
    if status.get("refname"):
        fields.append(field("Branch", status["refname"]))
    attachment = {
        "color": {"SUCCESSFUL": GREEN, "FAILED": RED, "STOPPED": GREY}[state],
        "title": name,
        "title_link": status.get("url"),
        "text": shorten(status.get("description"), MAX_BODY) or None,
        "fields": fields or None,
    }
    return message(text, attachment)


def pull_request(content, request):
    event = event_key(request["headers"].get("x-event-key"))
    pr = content["pullrequest"]
    label = f"#{pr['id']} {pr.get('title') or ''}".strip()
    url = html(pr)
    body = None
    if event.startswith("pullrequest_comment"):
        comment = obj(content.get("comment"))
        url = html(comment) or url
        body = raw(comment.get("content")) if event != "pullrequest_comment_deleted" else None
    elif event == "pullrequest_created":
        body = pr.get("description")
    elif event == "pullrequest_rejected":
        body = pr.get("reason")
    verb, color = PR_VERBS[event]
    text = f"{actor(content)} {verb} pull request {link(label, url)} in {repo(content)}"
    source = obj(obj(pr.get("source")).get("branch")).get("name")
    target = obj(obj(pr.get("destination")).get("branch")).get("name")
    fields = []
    if source and target:
        fields.append(field("Branches", f"{source} → {target}"))
    if names(pr.get("reviewers")):
        fields.append(field("Reviewers", names(pr.get("reviewers"))))
    attachment = {
        "color": color,
        "title": label,
        "title_link": html(pr),
        "text": shorten(body, MAX_BODY) or None,
        "fields": fields,
    }
    return message(text, attachment)


def issue(content, request):
    event = event_key(request["headers"].get("x-event-key"))
    issue = content["issue"]
    label = f"#{issue['id']} {issue.get('title') or ''}".strip()
    if event == "issue_comment_created":
        comment = obj(content.get("comment"))
        text = (f"{actor(content)} commented on issue {link(label, html(comment) or html(issue))}"
                f" in {repo(content)}")
        attachment = {"color": BLUE, "text": shorten(raw(comment.get("content")), MAX_BODY) or None}
        return message(text, attachment)
    if event == "issue_updated":
        return issue_updated(content, issue, label)
    text = f"{actor(content)} opened issue {link(label, html(issue))} in {repo(content)}"
    fields = []
    for title, key in (("Kind", "kind"), ("Priority", "priority"), ("State", "state")):
        if issue.get(key):
            fields.append(field(title, issue[key]))
    assignee = obj(issue.get("assignee")).get("display_name")
    fields.append(field("Assignee", assignee or "Unassigned"))
    attachment = {
        "color": YELLOW,
        "title": label,
        "title_link": html(issue),
        "text": shorten(raw(issue.get("content")), MAX_BODY) or None,
        "fields": fields,
    }
    return message(text, attachment)


def issue_updated(content, issue, label):
    changes = obj(content.get("changes"))
    lines = []
    for name in sorted(changes):
        change = obj(changes[name])
        if "old" in change or "new" in change:
            lines.append(f"{name}: {change.get('old') or '—'} → {change.get('new') or '—'}")
    comment = raw(obj(content.get("comment")).get("content"))
    text = f"{actor(content)} updated issue {link(label, html(issue))} in {repo(content)}"
    attachment = {
        "color": YELLOW,
        "title": label,
        "title_link": html(issue),
        "text": "\n".join(at_most(lines, MAX_CHANGES)) or None,
        "fields": [field("Comment", shorten(comment, MAX_BODY), False)] if comment else None,
    }
    return message(text, attachment)


def fork(content, request):
    target = content["fork"]
    text = (f"{actor(content)} forked {repo(content)} to "
            f"{link(target['full_name'], html(target))}")
    return message(text)


def commit_comment(content, request):
    comment = content["comment"]
    sha = str(obj(content.get("commit")).get("hash") or "")
    repo_url = html(content["repository"])
    commit = link(sha[:7], f"{repo_url}/commits/{sha}" if repo_url and sha else None) if sha else "a commit"
    where = obj(comment.get("inline")).get("path")
    text = (f"{actor(content)} {link('commented', html(comment))} on commit {commit}"
            f"{f' ({where})' if where else ''} of {repo(content)}")
    return message(text, {"color": BLUE, "text": shorten(raw(comment.get("content")), MAX_BODY) or None})


def repo_updated(content, request):
    changes = obj(content.get("changes"))
    lines = []
    for name in sorted(changes):
        change = obj(changes[name])
        old, new = change.get("old"), change.get("new")
        if isinstance(old, (str, int, float)) or isinstance(new, (str, int, float)):
            lines.append(f"{name}: {old or '—'} → {new or '—'}")
    text = f"{actor(content)} changed the settings of {repo(content)}"
    return message(text, {"color": GREY, "text": "\n".join(at_most(lines, MAX_CHANGES)) or None})


EVENTS = {
    "repo:push": push,
    "repo:fork": fork,
    "repo:updated": repo_updated,
    "repo:commit_comment_created": commit_comment,
    # build states by commit_status.state (see ACTION); INPROGRESS is not posted
    "repo:commit_status_created": {"SUCCESSFUL": commit_status, "FAILED": commit_status, "STOPPED": commit_status},
    "repo:commit_status_updated": {"SUCCESSFUL": commit_status, "FAILED": commit_status, "STOPPED": commit_status},
    "pullrequest:created": pull_request,
    "pullrequest:updated": pull_request,
    "pullrequest:approved": pull_request,
    "pullrequest:unapproved": pull_request,
    "pullrequest:fulfilled": pull_request,
    "pullrequest:rejected": pull_request,
    "pullrequest:comment_created": pull_request,
    "pullrequest:comment_updated": pull_request,
    "pullrequest:comment_deleted": pull_request,
    "issue:created": issue,
    "issue:updated": issue,
    "issue:comment_created": issue,
}


class Script:
    def process_incoming_request(self, request):
        return dispatch(request, EVENTS, header=EVENT_HEADER, needs=NEEDS, action=ACTION, service="Bitbucket")
