"""Gitea (and Forgejo) → chat: pushes, branches/tags, issues, comments, pull requests, releases.

Add a "Gitea" webhook (repository Settings → Webhooks) with target URL
https://<host>/hooks/<id>/<token>; see README.md next to this file.
"""

EVENT_HEADER = "X-Gitea-Event"
EVENTS = ("push", "create", "delete", "issues", "issue_comment", "pull_request", "release")

# Actions posted per event; other actions of a supported event are logged and skipped.
ACTIONS = {
    "issues": ("opened", "closed", "reopened"),
    "issue_comment": ("created",),
    "pull_request": ("opened", "closed", "reopened"),
    "release": ("published",),
}

REQUIRED = {
    "push": ("ref", "repository.full_name", "repository.html_url"),
    "create": ("ref", "ref_type", "repository.full_name", "repository.html_url"),
    "delete": ("ref", "ref_type", "repository.full_name", "repository.html_url"),
    "issues": ("action", "issue.number", "repository.full_name", "repository.html_url"),
    "issue_comment": ("action", "issue.number", "comment", "repository.full_name", "repository.html_url"),
    "pull_request": ("action", "pull_request.number", "repository.full_name", "repository.html_url"),
    "release": ("action", "release.tag_name", "repository.full_name", "repository.html_url"),
}

GREEN = "#2eb886"
YELLOW = "#daa038"
BLUE = "#439fe0"
PURPLE = "#6f42c1"
GREY = "#808080"

ZERO_SHA = "0000000000000000000000000000000000000000"
MAX_COMMITS = 10
MAX_BODY = 500


def link(label, url):
    """A Markdown link; square brackets in the label are escaped."""
    label = str(label).replace("[", "\\[").replace("]", "\\]")
    if not url:
        return label
    return f"[{label}]({url})"


def shorten(text, limit):
    """At most ``limit`` characters, ending with an ellipsis when cut."""
    if isinstance(text, (int, float)):
        text = str(text)
    text = text.strip() if isinstance(text, str) else ""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def obj(value):
    """``value`` when it is a JSON object, else an empty one: payload parts are never trusted."""
    return value if isinstance(value, dict) else {}


def objs(value):
    """The JSON objects in ``value`` when it is a list, else an empty list."""
    if not isinstance(value, (list, tuple)):
        return []
    return [item for item in value if isinstance(item, dict)]


def field(title, value, short=True):
    return {"title": title, "value": str(value), "short": short}


def find_missing(content, paths):
    """The first dotted path that is absent (or null) in ``content``, else None."""
    for path in paths:
        value = content
        for key in path.split("."):
            if not isinstance(value, dict) or value.get(key) is None:
                return path
            value = value[key]
    return None


class Script:
    def process_incoming_request(self, request):
        headers = request["headers"]
        event = (headers.get("x-gitea-event") or headers.get("x-forgejo-event") or "").strip().lower()
        if not event:
            return {"error": "missing X-Gitea-Event header: is this a Gitea webhook delivery?"}
        if event not in EVENTS:
            console.log(f"Gitea event '{event}' is not supported; nothing posted")
            return None
        content = request["content"]
        if not isinstance(content, dict):
            return {"error": f"Gitea '{event}' payload must be a JSON object"}
        missing = find_missing(content, REQUIRED[event])
        if missing:
            return {"error": f"Gitea '{event}' payload is missing '{missing}'"}
        action = content.get("action")
        if event in ACTIONS and action not in ACTIONS[event]:
            console.log(f"Gitea '{event}' action '{action}' is not posted")
            return None
        if event == "push":
            return self.push(content)
        if event in ("create", "delete"):
            return self.ref_event(content, event)
        if event == "issues":
            return self.issue(content)
        if event == "issue_comment":
            return self.issue_comment(content)
        if event == "pull_request":
            return self.pull_request(content)
        return self.release(content)

    # -- helpers -------------------------------------------------------------

    def repo(self, content):
        repo = content["repository"]
        return link(repo["full_name"], repo["html_url"])

    def sender(self, content):
        sender = obj(content.get("sender") or content.get("pusher"))
        return sender.get("login") or sender.get("username") or "Someone"

    def ref_url(self, content, kind, name):
        return f"{content['repository']['html_url']}/src/{kind}/{name}"

    def issue_url(self, content, issue):
        return issue.get("html_url") or f"{content['repository']['html_url']}/issues/{issue['number']}"

    def message(self, text, attachment=None):
        """The answer posting ``text``, with ``attachment`` when there is one."""
        content = {"text": text}
        if attachment:
            content["attachments"] = [attachment]
        return {"content": content}

    # -- events --------------------------------------------------------------

    def push(self, content):
        ref = str(content["ref"])
        is_tag = ref.startswith("refs/tags/")
        name = ref.split("/", 2)[-1]
        kind = "tag" if is_tag else "branch"
        where = link(name, self.ref_url(content, kind, name))
        who = self.sender(content)
        if content.get("after") == ZERO_SHA:
            return self.message(f"{who} deleted {kind} {name} of {self.repo(content)}")
        if is_tag:
            return self.message(f"{who} pushed tag {where} to {self.repo(content)}")
        commits = objs(content.get("commits"))
        count = content.get("total_commits")
        if not isinstance(count, int):
            count = len(commits)
        noun = "commit" if count == 1 else "commits"
        target = f"new branch {where}" if content.get("before") == ZERO_SHA else where
        text = f"{who} pushed {count} {noun} to {target} of {self.repo(content)}"
        lines = [self.commit_line(commit) for commit in commits[:MAX_COMMITS]]
        if count > len(lines):
            lines.append(f"… and {count - len(lines)} more")
        attachment = {
            "color": BLUE,
            "title": f"{count} {noun}",
            "title_link": content.get("compare_url") or None,
            "text": "\n".join(lines),
        }
        return self.message(text, attachment)

    def commit_line(self, commit):
        sha = str(commit.get("id") or "")[:7]
        title = shorten(str(commit.get("message") or "").split("\n")[0], 100)
        author = obj(commit.get("author")).get("name")
        line = f"{link(sha, commit.get('url'))} {title}"
        if author:
            line = f"{line} — {author}"
        return line

    def ref_event(self, content, event):
        kind = content["ref_type"]
        name = content["ref"]
        if event == "delete":
            text = f"{self.sender(content)} deleted {kind} {name} of {self.repo(content)}"
            return self.message(text)
        where = link(name, self.ref_url(content, kind, name))
        text = f"{self.sender(content)} created {kind} {where} in {self.repo(content)}"
        sha = str(content.get("sha") or "")
        fields = [field("Commit", link(sha[:7], f"{content['repository']['html_url']}/commit/{sha}"))] if sha else []
        return self.message(text, {"color": BLUE, "fields": fields or None})

    def issue(self, content):
        issue = content["issue"]
        action = content["action"]
        url = self.issue_url(content, issue)
        label = f"#{issue['number']} {issue.get('title') or ''}".strip()
        text = f"{self.sender(content)} {action} issue {link(label, url)} in {self.repo(content)}"
        fields = []
        labels = [item.get("name") for item in objs(issue.get("labels")) if item.get("name")]
        if labels:
            fields.append(field("Labels", ", ".join(labels)))
        assignees = [item.get("login") for item in objs(issue.get("assignees")) if item.get("login")]
        if assignees:
            fields.append(field("Assignees", ", ".join(assignees)))
        attachment = {
            "color": GREEN if action == "closed" else YELLOW,
            "title": label,
            "title_link": url,
            "text": shorten(issue.get("body"), MAX_BODY) or None if action == "opened" else None,
            "fields": fields or None,
        }
        return self.message(text, attachment)

    def issue_comment(self, content):
        issue = content["issue"]
        comment = obj(content["comment"])
        kind = "pull request" if content.get("is_pull") or issue.get("pull_request") else "issue"
        url = comment.get("html_url") or self.issue_url(content, issue)
        label = f"#{issue['number']} {issue.get('title') or ''}".strip()
        text = f"{self.sender(content)} commented on {kind} {link(label, url)} in {self.repo(content)}"
        return self.message(text, {"color": BLUE, "text": shorten(comment.get("body"), MAX_BODY) or None})

    def pull_request(self, content):
        pr = content["pull_request"]
        action = content["action"]
        verb, color = action, BLUE
        if action == "closed" and pr.get("merged"):
            verb, color = "merged", PURPLE
        elif action == "closed":
            color = GREY
        url = pr.get("html_url") or f"{content['repository']['html_url']}/pulls/{pr['number']}"
        label = f"#{pr['number']} {pr.get('title') or ''}".strip()
        text = f"{self.sender(content)} {verb} pull request {link(label, url)} in {self.repo(content)}"
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
        return self.message(text, attachment)

    def release(self, content):
        release = content["release"]
        tag = release["tag_name"]
        name = release.get("name") or tag
        url = release.get("html_url") or f"{content['repository']['html_url']}/releases/tag/{tag}"
        kind = "pre-release" if release.get("prerelease") else "release"
        text = f"{self.sender(content)} published {kind} {link(name, url)} of {self.repo(content)}"
        attachment = {
            "color": GREEN,
            "title": name,
            "title_link": url,
            "text": shorten(release.get("body"), MAX_BODY) or None,
            "fields": [field("Tag", tag)],
        }
        return self.message(text, attachment)
