"""Bitbucket Cloud → chat: pushes, pull requests, issues, comments, build statuses.

Add a repository webhook (Repository settings → Webhooks) with URL
https://<host>/hooks/<id>/<token>; see README.md next to this file.
"""

from hookkit import (BLUE, GREEN, GREY, PURPLE, RED, YELLOW, at_most, field, first_line, link, message, obj,
                    objs, payload_problem, shorten)

EVENT_HEADER = "X-Event-Key"
# The header value with ":" as "_" ("repo:push" → "repo_push").
EVENTS = (
    "repo_push",
    "repo_commit_status_created",
    "repo_commit_status_updated",
    "pullrequest_created",
    "pullrequest_approved",
    "pullrequest_fulfilled",
    "pullrequest_rejected",
    "pullrequest_comment_created",
    "issue_created",
    "issue_comment_created",
)

REQUIRED = {
    "repo": ("repository.full_name",),
    "repo_push": ("push.changes",),
    "repo_commit_status": ("commit_status.state",),
    "pullrequest": ("pullrequest.id",),
    "issue": ("issue.id",),
}

# Pull request events: verb and colour.
PR_VERBS = {
    "pullrequest_created": "opened",
    "pullrequest_approved": "approved",
    "pullrequest_fulfilled": "merged",
    "pullrequest_rejected": "declined",
    "pullrequest_comment_created": "commented on",
}

# Build states posted; INPROGRESS is logged and skipped.
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


class Script:
    def process_incoming_request(self, request):
        header = request["headers"].get("x-event-key") or ""
        event = header.strip().lower().replace(":", "_")
        if not event:
            return {"error": "missing X-Event-Key header: is this a Bitbucket Cloud webhook delivery?"}
        if event not in EVENTS:
            console.log(f"Bitbucket event '{header}' is not supported; nothing posted")
            return None
        family = "repo_commit_status" if event.startswith("repo_commit_status") else event
        family = "pullrequest" if event.startswith("pullrequest") else family
        family = "issue" if event.startswith("issue") else family
        content = request["content"]
        problem = payload_problem(content, REQUIRED["repo"] + REQUIRED[family], f"Bitbucket '{header}'")
        if problem:
            return {"error": problem}
        if family == "repo_push":
            return self.push(content)
        if family == "repo_commit_status":
            return self.commit_status(content)
        if family == "pullrequest":
            return self.pull_request(content, event)
        return self.issue(content, event)

    # -- helpers -------------------------------------------------------------

    def repo(self, content):
        repository = content["repository"]
        return link(repository["full_name"], html(repository))

    def actor(self, content):
        actor = obj(content.get("actor"))
        return actor.get("display_name") or actor.get("nickname") or actor.get("username") or "Someone"

    def names(self, people):
        return ", ".join(str(person.get("display_name") or person.get("nickname") or "") for person in objs(people))

    # -- events --------------------------------------------------------------

    def push(self, content):
        changes = [change for change in content["push"]["changes"] if isinstance(change, dict)]
        if not changes:
            console.log("Bitbucket push without changes; nothing posted")
            return None
        if len(changes) == 1:
            text = f"{self.actor(content)} {self.change_summary(changes[0])} {self.repo(content)}"
        else:
            text = f"{self.actor(content)} pushed {len(changes)} changes to {self.repo(content)}"
        attachments = [self.change_attachment(change, len(changes) > 1) for change in changes[:MAX_CHANGES]]
        return message(text, *[item for item in attachments if item["title"] or item["text"]])

    def change_summary(self, change):
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

    def change_attachment(self, change, several):
        ref = obj(change.get("new"))
        title = None
        if not ref:
            lines = []
        elif ref.get("type") == "tag":
            lines = [self.commit_line(obj(ref.get("target")))]
        else:
            commits = objs(change.get("commits"))
            lines = at_most([self.commit_line(commit) for commit in commits], MAX_COMMITS)
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

    def commit_line(self, commit):
        sha = str(commit.get("hash") or "")[:7]
        title = shorten(first_line(commit.get("message")), 100)
        author = obj(commit.get("author"))
        name = author.get("display_name") or obj(author.get("user")).get("display_name")
        line = f"{link(sha, html(commit))} {title}".strip()
        return f"{line} — {name}" if name else line

    def commit_status(self, content):
        status = content["commit_status"]
        state = status["state"]
        if state not in BUILD_STATES:
            console.log(f"Bitbucket build state '{state}' is not posted")
            return None
        name = status.get("name") or status.get("key") or "Build"
        commit_api = obj(obj(status.get("links")).get("commit")).get("href") or ""
        sha = commit_api.rstrip("/").split("/")[-1] if "/commit/" in commit_api else ""
        repo_url = html(content["repository"])
        commit = link(sha[:7], f"{repo_url}/commits/{sha}" if repo_url else None) if sha else "a commit"
        text = f"Build {link(name, status.get('url'))} {BUILD_STATES[state]} for {commit} of {self.repo(content)}"
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

    def pull_request(self, content, event):
        pr = content["pullrequest"]
        label = f"#{pr['id']} {pr.get('title') or ''}".strip()
        url = html(pr)
        body = None
        if event == "pullrequest_comment_created":
            comment = obj(content.get("comment"))
            url = html(comment) or url
            body = raw(comment.get("content"))
        elif event == "pullrequest_created":
            body = pr.get("description")
        text = f"{self.actor(content)} {PR_VERBS[event]} pull request {link(label, url)} in {self.repo(content)}"
        colors = {"pullrequest_approved": GREEN, "pullrequest_fulfilled": PURPLE, "pullrequest_rejected": GREY}
        source = obj(obj(pr.get("source")).get("branch")).get("name")
        target = obj(obj(pr.get("destination")).get("branch")).get("name")
        fields = []
        if source and target:
            fields.append(field("Branches", f"{source} → {target}"))
        if self.names(pr.get("reviewers")):
            fields.append(field("Reviewers", self.names(pr.get("reviewers"))))
        attachment = {
            "color": colors.get(event, BLUE),
            "title": label,
            "title_link": html(pr),
            "text": shorten(body, MAX_BODY) or None,
            "fields": fields,
        }
        return message(text, attachment)

    def issue(self, content, event):
        issue = content["issue"]
        label = f"#{issue['id']} {issue.get('title') or ''}".strip()
        if event == "issue_comment_created":
            comment = obj(content.get("comment"))
            text = (f"{self.actor(content)} commented on issue {link(label, html(comment) or html(issue))}"
                    f" in {self.repo(content)}")
            attachment = {"color": BLUE, "text": shorten(raw(comment.get("content")), MAX_BODY) or None}
            return message(text, attachment)
        text = f"{self.actor(content)} opened issue {link(label, html(issue))} in {self.repo(content)}"
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
