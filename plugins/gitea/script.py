"""Gitea (and Forgejo) → chat: pushes, branches/tags, issues, comments, pull requests, releases.

Add a "Gitea" webhook (repository Settings → Webhooks) with target URL
https://<host>/hooks/<id>/<token>; see README.md next to this file.
"""

from hookkit import (BLUE, GREEN, GREY, PURPLE, YELLOW, commit_line, field, link, message, obj, objs,
                    payload_problem, pluck, push_message, shorten)

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

ZERO_SHA = "0000000000000000000000000000000000000000"
MAX_COMMITS = 10
MAX_BODY = 500


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
        problem = payload_problem(content, REQUIRED[event], f"Gitea '{event}'")
        if problem:
            return {"error": problem}
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

    # -- events --------------------------------------------------------------

    def push(self, content):
        ref = str(content["ref"])
        is_tag = ref.startswith("refs/tags/")
        name = ref.split("/", 2)[-1]
        kind = "tag" if is_tag else "branch"
        where = link(name, self.ref_url(content, kind, name))
        who = self.sender(content)
        if content.get("after") == ZERO_SHA:
            return message(f"{who} deleted {kind} {name} of {self.repo(content)}")
        if is_tag:
            return message(f"{who} pushed tag {where} to {self.repo(content)}")
        commits = objs(content.get("commits"))
        count = content.get("total_commits")
        if not isinstance(count, int):
            count = len(commits)
        lines = [self.commit_line(commit) for commit in commits]
        return push_message(who, where, self.repo(content), lines, count=count,
                            compare_url=content.get("compare_url") or None,
                            new_branch=content.get("before") == ZERO_SHA, limit=MAX_COMMITS)

    def commit_line(self, commit):
        author = obj(commit.get("author")).get("name")
        return commit_line(commit.get("id"), commit.get("message"), commit.get("url"), author)

    def ref_event(self, content, event):
        kind = content["ref_type"]
        name = content["ref"]
        if event == "delete":
            text = f"{self.sender(content)} deleted {kind} {name} of {self.repo(content)}"
            return message(text)
        where = link(name, self.ref_url(content, kind, name))
        text = f"{self.sender(content)} created {kind} {where} in {self.repo(content)}"
        sha = str(content.get("sha") or "")
        fields = [field("Commit", link(sha[:7], f"{content['repository']['html_url']}/commit/{sha}"))] if sha else []
        return message(text, {"color": BLUE, "fields": fields or None})

    def issue(self, content):
        issue = content["issue"]
        action = content["action"]
        url = self.issue_url(content, issue)
        label = f"#{issue['number']} {issue.get('title') or ''}".strip()
        text = f"{self.sender(content)} {action} issue {link(label, url)} in {self.repo(content)}"
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

    def issue_comment(self, content):
        issue = content["issue"]
        comment = obj(content["comment"])
        kind = "pull request" if content.get("is_pull") or issue.get("pull_request") else "issue"
        url = comment.get("html_url") or self.issue_url(content, issue)
        label = f"#{issue['number']} {issue.get('title') or ''}".strip()
        text = f"{self.sender(content)} commented on {kind} {link(label, url)} in {self.repo(content)}"
        return message(text, {"color": BLUE, "text": shorten(comment.get("body"), MAX_BODY) or None})

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
        return message(text, attachment)

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
        return message(text, attachment)
