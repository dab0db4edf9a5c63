"""GitHub → chat: pushes, pull requests, issues, comments, releases, workflow runs.

Point a GitHub webhook (content type application/json) at
https://<host>/hooks/<id>/<token>; see README.md next to this file.
"""

EVENT_HEADER = "X-GitHub-Event"
EVENTS = ("push", "pull_request", "issues", "issue_comment", "release", "workflow_run")

# Actions posted per event; other actions of a supported event are logged and skipped.
ACTIONS = {
    "pull_request": ("opened", "closed", "reopened"),
    "issues": ("opened", "closed", "reopened"),
    "issue_comment": ("created",),
    "release": ("published",),
    "workflow_run": ("completed",),
}

# Fields that must be present, per event (dotted paths into the payload).
REQUIRED = {
    "push": ("ref", "repository.full_name", "repository.html_url"),
    "pull_request": ("action", "pull_request.number", "pull_request.html_url", "repository.full_name"),
    "issues": ("action", "issue.number", "issue.html_url", "repository.full_name"),
    "issue_comment": ("action", "issue.number", "comment.html_url", "repository.full_name"),
    "release": ("action", "release.tag_name", "release.html_url", "repository.full_name"),
    "workflow_run": ("action", "workflow_run.html_url", "workflow_run.head_branch", "repository.full_name"),
}

GREEN = "#2eb886"
RED = "#a30200"
YELLOW = "#daa038"
BLUE = "#439fe0"
PURPLE = "#6f42c1"
GREY = "#808080"

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
        event = (request["headers"].get("x-github-event") or "").strip().lower()
        if not event:
            return {"error": "missing X-GitHub-Event header: is this a GitHub webhook delivery?"}
        if event not in EVENTS:
            console.log(f"GitHub event '{event}' is not supported; nothing posted")
            return None
        content = request["content"]
        if not isinstance(content, dict):
            return {"error": f"GitHub '{event}' payload must be a JSON object"}
        missing = find_missing(content, REQUIRED[event])
        if missing:
            return {"error": f"GitHub '{event}' payload is missing '{missing}'"}
        action = content.get("action")
        if event in ACTIONS and action not in ACTIONS[event]:
            console.log(f"GitHub '{event}' action '{action}' is not posted")
            return None
        if event == "push":
            return self.push(content)
        if event == "pull_request":
            return self.pull_request(content)
        if event == "issues":
            return self.issue(content)
        if event == "issue_comment":
            return self.issue_comment(content)
        if event == "release":
            return self.release(content)
        return self.workflow_run(content)

    # -- helpers -------------------------------------------------------------

    def repo(self, content):
        repo = content["repository"]
        return link(repo["full_name"], repo.get("html_url"))

    def sender(self, content):
        sender = obj(content.get("sender"))
        pusher = obj(content.get("pusher"))
        name = sender.get("login") or pusher.get("name") or "someone"
        return link(name, sender.get("html_url"))

    def message(self, text, attachment=None):
        """The answer posting ``text``, with ``attachment`` when there is one."""
        content = {"text": text}
        if attachment:
            content["attachments"] = [attachment]
        return {"content": content}

    # -- events --------------------------------------------------------------

    def push(self, content):
        ref = str(content["ref"])
        repo_url = content["repository"].get("html_url")
        is_tag = ref.startswith("refs/tags/")
        name = ref.split("/", 2)[-1]
        kind = "tag" if is_tag else "branch"
        where = link(name, f"{repo_url}/tree/{name}")
        who = self.sender(content)
        if content.get("deleted"):
            text = f"{who} deleted {kind} {name} of {self.repo(content)}"
            return self.message(text)
        if is_tag:
            text = f"{who} pushed tag {where} to {self.repo(content)}"
            head = obj(content.get("head_commit"))
            return self.message(text, {"color": BLUE, "text": self.commit_line(head)} if head else None)
        commits = objs(content.get("commits"))
        count = len(commits)
        noun = "commit" if count == 1 else "commits"
        verb = "force-pushed" if content.get("forced") else "pushed"
        target = f"new branch {where}" if content.get("created") else where
        text = f"{who} {verb} {count} {noun} to {target} of {self.repo(content)}"
        lines = [self.commit_line(commit) for commit in commits[:MAX_COMMITS]]
        if count > MAX_COMMITS:
            lines.append(f"… and {count - MAX_COMMITS} more")
        attachment = {
            "color": BLUE,
            "title": f"{count} {noun}",
            "title_link": content.get("compare"),
            "text": "\n".join(lines),
        }
        return self.message(text, attachment)

    def commit_line(self, commit):
        sha = str(commit.get("id") or "")[:7]
        title = shorten(str(commit.get("message") or "").split("\n")[0], 100)
        author = obj(commit.get("author")).get("name") or ""
        line = f"{link(sha, commit.get('url'))} {title}"
        if author:
            line = f"{line} — {author}"
        return line

    def pull_request(self, content):
        pr = content["pull_request"]
        action = content["action"]
        color = BLUE
        verb = action
        if action == "closed" and pr.get("merged"):
            verb, color = "merged", PURPLE
        elif action == "closed":
            color = GREY
        label = f"#{pr['number']} {pr.get('title') or ''}".strip()
        text = f"{self.sender(content)} {verb} pull request {link(label, pr['html_url'])} in {self.repo(content)}"
        head = obj(pr.get("head")).get("ref")
        base = obj(pr.get("base")).get("ref")
        fields = []
        if head and base:
            fields.append(field("Branches", f"{head} → {base}"))
        if pr.get("additions") is not None:
            files = pr.get("changed_files") or 0
            noun = "file" if files == 1 else "files"
            fields.append(field("Changes", f"+{pr['additions']} −{pr.get('deletions') or 0} in {files} {noun}"))
        attachment = {
            "color": color,
            "title": label,
            "title_link": pr["html_url"],
            "text": shorten(pr.get("body"), MAX_BODY) or None if action == "opened" else None,
            "fields": fields or None,
        }
        return self.message(text, attachment)

    def issue(self, content):
        issue = content["issue"]
        action = content["action"]
        color = {"opened": YELLOW, "reopened": YELLOW, "closed": GREEN}[action]
        label = f"#{issue['number']} {issue.get('title') or ''}".strip()
        text = f"{self.sender(content)} {action} issue {link(label, issue['html_url'])} in {self.repo(content)}"
        fields = []
        labels = [item.get("name") for item in objs(issue.get("labels")) if item.get("name")]
        if labels:
            fields.append(field("Labels", ", ".join(labels)))
        assignees = [item.get("login") for item in objs(issue.get("assignees")) if item.get("login")]
        if assignees:
            fields.append(field("Assignees", ", ".join(assignees)))
        attachment = {
            "color": color,
            "title": label,
            "title_link": issue["html_url"],
            "text": shorten(issue.get("body"), MAX_BODY) or None if action == "opened" else None,
            "fields": fields or None,
        }
        return self.message(text, attachment)

    def issue_comment(self, content):
        issue = content["issue"]
        comment = content["comment"]
        kind = "pull request" if issue.get("pull_request") else "issue"
        label = f"#{issue['number']} {issue.get('title') or ''}".strip()
        text = (f"{self.sender(content)} commented on {kind} {link(label, comment['html_url'])}"
                f" in {self.repo(content)}")
        attachment = {"color": BLUE, "text": shorten(comment.get("body"), MAX_BODY) or None}
        return self.message(text, attachment)

    def release(self, content):
        release = content["release"]
        tag = release["tag_name"]
        name = release.get("name") or tag
        kind = "pre-release" if release.get("prerelease") else "release"
        text = f"{self.sender(content)} published {kind} {link(name, release['html_url'])} of {self.repo(content)}"
        attachment = {
            "color": GREEN,
            "title": name,
            "title_link": release["html_url"],
            "text": shorten(release.get("body"), MAX_BODY) or None,
            "fields": [field("Tag", tag)],
        }
        return self.message(text, attachment)

    def workflow_run(self, content):
        run = content["workflow_run"]
        workflow = obj(content.get("workflow"))
        name = run.get("name") or workflow.get("name") or "Workflow"
        conclusion = run.get("conclusion") or "unknown"
        outcomes = {
            "success": ("succeeded", GREEN),
            "failure": ("failed", RED),
            "timed_out": ("timed out", RED),
            "startup_failure": ("failed to start", RED),
            "cancelled": ("was cancelled", GREY),
            "skipped": ("was skipped", GREY),
            "action_required": ("needs action", YELLOW),
        }
        verb, color = outcomes.get(conclusion, (f"finished ({conclusion})", YELLOW))
        repo_url = content["repository"].get("html_url")
        branch = run["head_branch"]
        run_label = f"{name} #{run.get('run_number')}" if run.get("run_number") else name
        text = (f"Workflow {link(run_label, run['html_url'])} {verb} on "
                f"{link(branch, f'{repo_url}/tree/{branch}')} of {self.repo(content)}")
        sha = str(run.get("head_sha") or "")
        fields = [field("Branch", branch)]
        if sha:
            fields.append(field("Commit", link(sha[:7], f"{repo_url}/commit/{sha}")))
        if run.get("event"):
            fields.append(field("Trigger", run["event"]))
        attachment = {
            "color": color,
            "title": run.get("display_title") or obj(run.get("head_commit")).get("message"),
            "title_link": run["html_url"],
            "fields": fields or None,
        }
        return self.message(text, attachment)
