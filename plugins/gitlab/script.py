"""GitLab → chat: pushes, tags, issues, merge requests, comments, pipelines.

Add a project (or group) webhook pointing at https://<host>/hooks/<id>/<token>;
see README.md next to this file.
"""

from hookkit import (BLUE, GREEN, GREY, PURPLE, RED, YELLOW, commit_line, duration, field, first_line, link,
                    message, obj, objs, payload_problem, push_message, shorten)

EVENT_HEADER = "X-Gitlab-Event"
# The header value lower-cased with spaces as underscores ("Push Hook" → "push_hook").
EVENTS = (
    "push_hook",
    "tag_push_hook",
    "issue_hook",
    "confidential_issue_hook",
    "merge_request_hook",
    "note_hook",
    "confidential_note_hook",
    "pipeline_hook",
)

# Actions (object_attributes.action) posted; others (e.g. "update") are logged and skipped.
ISSUE_ACTIONS = {"open": "opened", "close": "closed", "reopen": "reopened"}
MR_ACTIONS = {"open": "opened", "close": "closed", "reopen": "reopened", "merge": "merged"}
# Pipeline statuses posted; running/pending/created/... are logged and skipped.
PIPELINE_STATUSES = {
    "success": "succeeded",
    "failed": "failed",
    "canceled": "was canceled",
}

REQUIRED = {
    "push_hook": ("ref", "project.web_url", "project.path_with_namespace"),
    "tag_push_hook": ("ref", "project.web_url", "project.path_with_namespace"),
    "issue_hook": ("object_attributes.iid", "object_attributes.url", "project.web_url"),
    "merge_request_hook": ("object_attributes.iid", "object_attributes.url", "project.web_url"),
    "note_hook": ("object_attributes.noteable_type", "object_attributes.url", "project.web_url"),
    "pipeline_hook": ("object_attributes.id", "object_attributes.status", "project.web_url"),
}

ZERO_SHA = "0000000000000000000000000000000000000000"
MAX_COMMITS = 10
MAX_BODY = 500


class Script:
    def process_incoming_request(self, request):
        header = request["headers"].get("x-gitlab-event") or ""
        event = header.strip().lower().replace(" ", "_")
        if not event:
            return {"error": "missing X-Gitlab-Event header: is this a GitLab webhook delivery?"}
        if event not in EVENTS:
            console.log(f"GitLab event '{header}' is not supported; nothing posted")
            return None
        event = event.replace("confidential_", "")
        content = request["content"]
        problem = payload_problem(content, REQUIRED[event], f"GitLab '{header}'")
        if problem:
            return {"error": problem}
        if event == "push_hook":
            return self.push(content)
        if event == "tag_push_hook":
            return self.tag_push(content)
        if event == "issue_hook":
            return self.issue(content)
        if event == "merge_request_hook":
            return self.merge_request(content)
        if event == "note_hook":
            return self.note(content)
        return self.pipeline(content)

    # -- helpers -------------------------------------------------------------

    def project(self, content):
        project = content["project"]
        return link(project.get("path_with_namespace") or project.get("name"), project["web_url"])

    def user(self, content):
        user = obj(content.get("user"))
        return content.get("user_name") or user.get("name") or user.get("username") or "Someone"

    def names(self, people):
        return ", ".join(str(person.get("name") or person.get("username") or "") for person in objs(people))

    def labels(self, content):
        return ", ".join(label.get("title") or "" for label in objs(content.get("labels")))

    # -- events --------------------------------------------------------------

    def push(self, content):
        web_url = content["project"]["web_url"]
        branch = str(content["ref"]).replace("refs/heads/", "", 1)
        where = link(branch, f"{web_url}/-/tree/{branch}")
        who = self.user(content)
        if content.get("after") == ZERO_SHA:
            return message(f"{who} deleted branch {branch} of {self.project(content)}")
        commits = objs(content.get("commits"))
        count = content.get("total_commits_count")
        if not isinstance(count, int):
            count = len(commits)
        before = content.get("before") or ZERO_SHA
        compare = None
        if before != ZERO_SHA and content.get("after"):
            compare = f"{web_url}/-/compare/{before}...{content['after']}"
        lines = [self.commit_line(commit) for commit in commits]
        return push_message(who, where, self.project(content), lines, count=count, compare_url=compare,
                            new_branch=before == ZERO_SHA, limit=MAX_COMMITS)

    def commit_line(self, commit):
        author = obj(commit.get("author")).get("name")
        return commit_line(commit.get("id"), commit.get("title") or commit.get("message"), commit.get("url"),
                           author, sha_length=8)

    def tag_push(self, content):
        web_url = content["project"]["web_url"]
        tag = str(content["ref"]).replace("refs/tags/", "", 1)
        who = self.user(content)
        if content.get("after") == ZERO_SHA:
            return message(f"{who} deleted tag {tag} of {self.project(content)}")
        text = f"{who} pushed tag {link(tag, f'{web_url}/-/tags/{tag}')} to {self.project(content)}"
        note = shorten(content.get("message"), MAX_BODY)
        return message(text, {"color": BLUE, "text": note} if note else None)

    def issue(self, content):
        issue = content["object_attributes"]
        action = issue.get("action")
        if action not in ISSUE_ACTIONS:
            console.log(f"GitLab issue action '{action}' is not posted")
            return None
        verb = ISSUE_ACTIONS[action]
        label = f"#{issue['iid']} {issue.get('title') or ''}".strip()
        text = f"{self.user(content)} {verb} issue {link(label, issue['url'])} in {self.project(content)}"
        fields = []
        assignees = self.names(content.get("assignees")) or self.names([content["assignee"]] if content.get("assignee") else [])
        if assignees:
            fields.append(field("Assignee", assignees))
        if self.labels(content):
            fields.append(field("Labels", self.labels(content)))
        if issue.get("due_date"):
            fields.append(field("Due", issue["due_date"]))
        attachment = {
            "color": GREEN if action == "close" else YELLOW,
            "title": label,
            "title_link": issue["url"],
            "text": shorten(issue.get("description"), MAX_BODY) or None if action == "open" else None,
            "fields": fields or None,
        }
        return message(text, attachment)

    def merge_request(self, content):
        mr = content["object_attributes"]
        action = mr.get("action")
        if action not in MR_ACTIONS:
            console.log(f"GitLab merge request action '{action}' is not posted")
            return None
        verb = MR_ACTIONS[action]
        colors = {"open": BLUE, "reopen": BLUE, "merge": PURPLE, "close": GREY}
        label = f"!{mr['iid']} {mr.get('title') or ''}".strip()
        text = f"{self.user(content)} {verb} merge request {link(label, mr['url'])} in {self.project(content)}"
        fields = []
        if mr.get("source_branch") and mr.get("target_branch"):
            fields.append(field("Branches", f"{mr['source_branch']} → {mr['target_branch']}"))
        if self.names(content.get("assignees")):
            fields.append(field("Assignees", self.names(content.get("assignees"))))
        if self.names(content.get("reviewers")):
            fields.append(field("Reviewers", self.names(content.get("reviewers"))))
        if self.labels(content):
            fields.append(field("Labels", self.labels(content)))
        attachment = {
            "color": colors[action],
            "title": label,
            "title_link": mr["url"],
            "text": shorten(mr.get("description"), MAX_BODY) or None if action == "open" else None,
            "fields": fields or None,
        }
        return message(text, attachment)

    def note(self, content):
        note = content["object_attributes"]
        kind = note["noteable_type"]
        if kind == "Issue":
            issue = obj(content.get("issue"))
            noun, label = "issue", f"#{issue.get('iid')} {issue.get('title') or ''}"
        elif kind == "MergeRequest":
            mr = obj(content.get("merge_request"))
            noun, label = "merge request", f"!{mr.get('iid')} {mr.get('title') or ''}"
        elif kind == "Commit":
            commit = obj(content.get("commit"))
            noun, label = "commit", str(commit.get("id") or note.get("commit_id") or "")[:8]
        else:
            snippet = obj(content.get("snippet"))
            noun, label = "snippet", f"${snippet.get('id')} {snippet.get('title') or ''}"
        text = (f"{self.user(content)} commented on {noun} {link(label.strip(), note['url'])}"
                f" in {self.project(content)}")
        return message(text, {"color": BLUE, "text": shorten(note.get("note"), MAX_BODY) or None})

    def pipeline(self, content):
        pipeline = content["object_attributes"]
        status = pipeline["status"]
        if status not in PIPELINE_STATUSES:
            console.log(f"GitLab pipeline status '{status}' is not posted")
            return None
        web_url = content["project"]["web_url"]
        ref = pipeline.get("ref") or ""
        kind = "tag" if pipeline.get("tag") else "branch"
        ref_url = f"{web_url}/-/tags/{ref}" if pipeline.get("tag") else f"{web_url}/-/tree/{ref}"
        pipeline_link = link(f"#{pipeline['id']}", f"{web_url}/-/pipelines/{pipeline['id']}")
        text = (f"Pipeline {pipeline_link} {PIPELINE_STATUSES[status]} on {kind} {link(ref, ref_url)}"
                f" of {self.project(content)}")
        commit = obj(content.get("commit"))
        sha = str(pipeline.get("sha") or commit.get("id") or "")
        fields = []
        if sha:
            fields.append(field("Commit", link(sha[:8], commit.get("url") or f"{web_url}/-/commit/{sha}")))
        if isinstance(pipeline.get("duration"), (int, float)):
            fields.append(field("Duration", duration(int(pipeline["duration"]))))  # whole seconds, not rounded
        if content.get("user"):
            fields.append(field("Triggered by", self.user(content)))
        failed = [job.get("name") for job in objs(content.get("builds")) if job.get("status") == "failed"]
        attachment = {
            "color": {"success": GREEN, "failed": RED, "canceled": GREY}[status],
            "title": shorten(first_line(commit.get("message")), 100) or None,
            "title_link": commit.get("url"),
            "text": f"Failed jobs: {', '.join(failed)}" if failed else None,
            "fields": fields or None,
        }
        return message(text, attachment)
