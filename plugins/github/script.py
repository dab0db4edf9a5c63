"""GitHub → chat: pushes, pull requests, issues, comments, releases, workflow runs.

Point a GitHub webhook (content type application/json) at
https://<host>/hooks/<id>/<token>; see README.md next to this file.
"""

from hookkit import (BLUE, GREEN, GREY, PURPLE, RED, YELLOW, commit_line, field, link, message, obj, objs,
                    payload_problem, pluck, plural, push_message, shorten)

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

MAX_COMMITS = 10
MAX_BODY = 500


class Script:
    def process_incoming_request(self, request):
        event = (request["headers"].get("x-github-event") or "").strip().lower()
        if not event:
            return {"error": "missing X-GitHub-Event header: is this a GitHub webhook delivery?"}
        if event not in EVENTS:
            console.log(f"GitHub event '{event}' is not supported; nothing posted")
            return None
        content = request["content"]
        problem = payload_problem(content, REQUIRED[event], f"GitHub '{event}'")
        if problem:
            return {"error": problem}
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
            return message(text)
        if is_tag:
            text = f"{who} pushed tag {where} to {self.repo(content)}"
            head = obj(content.get("head_commit"))
            return message(text, {"color": BLUE, "text": self.commit_line(head)} if head else None)
        lines = [self.commit_line(commit) for commit in objs(content.get("commits"))]
        return push_message(who, where, self.repo(content), lines, compare_url=content.get("compare"),
                            new_branch=bool(content.get("created")), forced=bool(content.get("forced")),
                            limit=MAX_COMMITS)

    def commit_line(self, commit):
        author = obj(commit.get("author")).get("name")
        return commit_line(commit.get("id"), commit.get("message"), commit.get("url"), author)

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
            files = plural(pr.get("changed_files") or 0, "file")
            fields.append(field("Changes", f"+{pr['additions']} −{pr.get('deletions') or 0} in {files}"))
        attachment = {
            "color": color,
            "title": label,
            "title_link": pr["html_url"],
            "text": shorten(pr.get("body"), MAX_BODY) or None if action == "opened" else None,
            "fields": fields or None,
        }
        return message(text, attachment)

    def issue(self, content):
        issue = content["issue"]
        action = content["action"]
        color = {"opened": YELLOW, "reopened": YELLOW, "closed": GREEN}[action]
        label = f"#{issue['number']} {issue.get('title') or ''}".strip()
        text = f"{self.sender(content)} {action} issue {link(label, issue['html_url'])} in {self.repo(content)}"
        fields = []
        labels = pluck(issue.get("labels"), "name")
        if labels:
            fields.append(field("Labels", ", ".join(labels)))
        assignees = pluck(issue.get("assignees"), "login")
        if assignees:
            fields.append(field("Assignees", ", ".join(assignees)))
        attachment = {
            "color": color,
            "title": label,
            "title_link": issue["html_url"],
            "text": shorten(issue.get("body"), MAX_BODY) or None if action == "opened" else None,
            "fields": fields or None,
        }
        return message(text, attachment)

    def issue_comment(self, content):
        issue = content["issue"]
        comment = content["comment"]
        kind = "pull request" if issue.get("pull_request") else "issue"
        label = f"#{issue['number']} {issue.get('title') or ''}".strip()
        text = (f"{self.sender(content)} commented on {kind} {link(label, comment['html_url'])}"
                f" in {self.repo(content)}")
        attachment = {"color": BLUE, "text": shorten(comment.get("body"), MAX_BODY) or None}
        return message(text, attachment)

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
        return message(text, attachment)

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
        return message(text, attachment)
