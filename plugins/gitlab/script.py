"""GitLab → chat: pushes, tags, issues, merge requests, comments, pipelines.

Add a project (or group) webhook pointing at https://<host>/hooks/<id>/<token>;
see README.md next to this file.
"""

from hookkit import (BLUE, GREEN, GREY, PURPLE, RED, YELLOW, commit_line, dispatch, duration, field, first_line, link,
                    message, obj, objs, push_message, shorten)

EVENT_HEADER = "X-Gitlab-Event"

# Where the sub-tables of EVENTS read their key: the action, or the status of pipelines, jobs, deployments.
ACTION = {
    "*": "object_attributes.action",
    "Pipeline Hook": "object_attributes.status",
    "Job Hook": "build_status",
    "Deployment Hook": "status",
    "Release Hook": "action",
}

ISSUE_ACTIONS = {"open": "opened", "close": "closed", "reopen": "reopened"}
MR_ACTIONS = {"open": "opened", "close": "closed", "reopen": "reopened", "merge": "merged",
              "approved": "approved", "unapproved": "unapproved"}
STATUSES = {
    "success": ("succeeded", GREEN),
    "failed": ("failed", RED),
    "canceled": ("was canceled", GREY),
}

ISSUE = ("object_attributes.iid", "object_attributes.url", "project.web_url")
NOTE = ("object_attributes.noteable_type", "object_attributes.url", "project.web_url")
NEEDS = {
    "Push Hook": ("ref", "project.web_url", "project.path_with_namespace"),
    "Tag Push Hook": ("ref", "project.web_url", "project.path_with_namespace"),
    "Issue Hook": ISSUE,
    "Confidential Issue Hook": ISSUE,
    "Merge Request Hook": ("object_attributes.iid", "object_attributes.url", "project.web_url"),
    "Note Hook": NOTE,
    "Confidential Note Hook": NOTE,
    "Pipeline Hook": ("object_attributes.id", "project.web_url"),
    "Job Hook": ("build_id", "build_name", "repository.homepage"),
    "Wiki Page Hook": ("object_attributes.title", "object_attributes.url", "project.web_url"),
    "Deployment Hook": ("environment", "project.web_url"),
    "Release Hook": ("tag", "url", "project.web_url"),
}

ZERO_SHA = "0000000000000000000000000000000000000000"
MAX_COMMITS = 10
MAX_BODY = 500


# -- helpers -------------------------------------------------------------


def project(content):
    project = content["project"]
    return link(project.get("path_with_namespace") or project.get("name"), project["web_url"])


def user(content):
    user = obj(content.get("user"))
    return content.get("user_name") or user.get("name") or user.get("username") or "Someone"


def names(people):
    return ", ".join(str(person.get("name") or person.get("username") or "") for person in objs(people))


def labels(content):
    return ", ".join(label.get("title") or "" for label in objs(content.get("labels")))

# -- events --------------------------------------------------------------


def push(content, request):
    web_url = content["project"]["web_url"]
    branch = str(content["ref"]).replace("refs/heads/", "", 1)
    where = link(branch, f"{web_url}/-/tree/{branch}")
    who = user(content)
    if content.get("after") == ZERO_SHA:
        return message(f"{who} deleted branch {branch} of {project(content)}")
    commits = objs(content.get("commits"))
    count = content.get("total_commits_count")
    if not isinstance(count, int):
        count = len(commits)
    before = content.get("before") or ZERO_SHA
    compare = None
    if before != ZERO_SHA and content.get("after"):
        compare = f"{web_url}/-/compare/{before}...{content['after']}"
    lines = [commit_of(commit) for commit in commits]
    return push_message(who, where, project(content), lines, count=count, compare_url=compare,
                        new_branch=before == ZERO_SHA, limit=MAX_COMMITS)


def commit_of(commit):
    author = obj(commit.get("author")).get("name")
    return commit_line(commit.get("id"), commit.get("title") or commit.get("message"), commit.get("url"),
                       author, sha_length=8)


def tag_push(content, request):
    web_url = content["project"]["web_url"]
    tag = str(content["ref"]).replace("refs/tags/", "", 1)
    who = user(content)
    if content.get("after") == ZERO_SHA:
        return message(f"{who} deleted tag {tag} of {project(content)}")
    text = f"{who} pushed tag {link(tag, f'{web_url}/-/tags/{tag}')} to {project(content)}"
    note = shorten(content.get("message"), MAX_BODY)
    return message(text, {"color": BLUE, "text": note} if note else None)


def issue(content, request):
    issue = content["object_attributes"]
    action = issue["action"]
    verb = ISSUE_ACTIONS[action]
    label = f"#{issue['iid']} {issue.get('title') or ''}".strip()
    text = f"{user(content)} {verb} issue {link(label, issue['url'])} in {project(content)}"
    fields = []
    assignees = names(content.get("assignees")) or names([content["assignee"]] if content.get("assignee") else [])
    if assignees:
        fields.append(field("Assignee", assignees))
    if labels(content):
        fields.append(field("Labels", labels(content)))
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


def merge_request(content, request):
    mr = content["object_attributes"]
    action = mr["action"]
    verb = MR_ACTIONS[action]
    colors = {"open": BLUE, "reopen": BLUE, "merge": PURPLE, "close": GREY, "approved": GREEN,
              "unapproved": YELLOW}
    label = f"!{mr['iid']} {mr.get('title') or ''}".strip()
    text = f"{user(content)} {verb} merge request {link(label, mr['url'])} in {project(content)}"
    fields = []
    if mr.get("source_branch") and mr.get("target_branch"):
        fields.append(field("Branches", f"{mr['source_branch']} → {mr['target_branch']}"))
    if names(content.get("assignees")):
        fields.append(field("Assignees", names(content.get("assignees"))))
    if names(content.get("reviewers")):
        fields.append(field("Reviewers", names(content.get("reviewers"))))
    if labels(content):
        fields.append(field("Labels", labels(content)))
    attachment = {
        "color": colors[action],
        "title": label,
        "title_link": mr["url"],
        "text": shorten(mr.get("description"), MAX_BODY) or None if action == "open" else None,
        "fields": fields or None,
    }
    return message(text, attachment)


def note(content, request):
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
    text = (f"{user(content)} commented on {noun} {link(label.strip(), note['url'])}"
            f" in {project(content)}")
    return message(text, {"color": BLUE, "text": shorten(note.get("note"), MAX_BODY) or None})


def pipeline(content, request):
    pipeline = content["object_attributes"]
    status = pipeline["status"]
    verb, color = STATUSES[status]
    web_url = content["project"]["web_url"]
    ref = pipeline.get("ref") or ""
    kind = "tag" if pipeline.get("tag") else "branch"
    ref_url = f"{web_url}/-/tags/{ref}" if pipeline.get("tag") else f"{web_url}/-/tree/{ref}"
    pipeline_link = link(f"#{pipeline['id']}", f"{web_url}/-/pipelines/{pipeline['id']}")
    text = (f"Pipeline {pipeline_link} {verb} on {kind} {link(ref, ref_url)}"
            f" of {project(content)}")
    commit = obj(content.get("commit"))
    sha = str(pipeline.get("sha") or commit.get("id") or "")
    fields = []
    if sha:
        fields.append(field("Commit", link(sha[:8], commit.get("url") or f"{web_url}/-/commit/{sha}")))
    if isinstance(pipeline.get("duration"), (int, float)):
        fields.append(field("Duration", duration(int(pipeline["duration"]))))  # whole seconds, not rounded
    if content.get("user"):
        fields.append(field("Triggered by", user(content)))
    failed = [job.get("name") for job in objs(content.get("builds")) if job.get("status") == "failed"]
    attachment = {
        "color": color,
        "title": shorten(first_line(commit.get("message")), 100) or None,
        "title_link": commit.get("url"),
        "text": f"Failed jobs: {', '.join(failed)}" if failed else None,
        "fields": fields or None,
    }
    return message(text, attachment)


def job(content, request):
    status = content["build_status"]
    verb, color = STATUSES[status]
    web_url = content["repository"]["homepage"]
    name = content["build_name"]
    job_link = link(f"{name} #{content['build_id']}", f"{web_url}/-/jobs/{content['build_id']}")
    ref = content.get("ref") or ""
    kind = "tag" if content.get("tag") else "branch"
    ref_url = f"{web_url}/-/tags/{ref}" if content.get("tag") else f"{web_url}/-/tree/{ref}"
    project_name = content["repository"].get("name") or content.get("project_name")
    text = (f"Job {job_link} {verb} on {kind} {link(ref, ref_url)} of {link(project_name, web_url)}"
            + (" (allowed to fail)" if content.get("build_allow_failure") and status == "failed" else ""))
    fields = [field("Stage", content.get("build_stage") or "?")]
    sha = str(content.get("sha") or "")
    if sha:
        fields.append(field("Commit", link(sha[:8], f"{web_url}/-/commit/{sha}")))
    if isinstance(content.get("build_duration"), (int, float)):
        fields.append(field("Duration", duration(content["build_duration"])))
    if status == "failed" and content.get("build_failure_reason"):
        fields.append(field("Reason", str(content["build_failure_reason"]).replace("_", " ")))
    commit = obj(content.get("commit"))
    attachment = {
        "color": color,
        "title": shorten(first_line(commit.get("message")), 100) or None,
        "fields": fields,
    }
    return message(text, attachment)


WIKI_ACTIONS = {"create": "created", "update": "updated", "delete": "deleted"}


def wiki_page(content, request):
    page = content["object_attributes"]
    action = page["action"]
    verb = WIKI_ACTIONS[action]
    title = link(page["title"], page["url"] if action != "delete" else None)
    text = f"{user(content)} {verb} wiki page {title} in {project(content)}"
    note = page.get("message")
    return message(text, {"color": BLUE, "text": shorten(note, MAX_BODY) or None} if note else None)


def deployment(content, request):
    status = content["status"]
    verb, color = STATUSES[status]
    job_url = content.get("deployable_url")
    text = (f"{link('Deployment', job_url)} to {content['environment']} {verb}"
            f" for {project(content)}")
    fields = []
    if content.get("short_sha"):
        fields.append(field("Commit", link(content["short_sha"], content.get("commit_url"))))
    if content.get("user"):
        fields.append(field("By", user(content)))
    attachment = {
        "color": color,
        "title": shorten(content.get("commit_title"), 100) or None,
        "title_link": content.get("commit_url") if content.get("commit_title") else None,
        "fields": fields or None,
    }
    return message(text, attachment)


def release(content, request):
    name = content.get("name") or content["tag"]
    verb = {"create": "published", "update": "updated"}[content["action"]]
    text = f"Release {link(name, content['url'])} {verb} in {project(content)}"
    attachment = {
        "color": GREEN,
        "title": name,
        "title_link": content["url"],
        "text": shorten(content.get("description"), MAX_BODY) or None,
        "fields": [field("Tag", content["tag"])],
    }
    return message(text, attachment)


ISSUE_TABLE = {"open": issue, "close": issue, "reopen": issue}
FINISHED = ("success", "failed", "canceled")

EVENTS = {
    "Push Hook": push,
    "Tag Push Hook": tag_push,
    "Issue Hook": ISSUE_TABLE,
    "Confidential Issue Hook": ISSUE_TABLE,
    "Merge Request Hook": {action: merge_request for action in MR_ACTIONS},
    "Note Hook": note,
    "Confidential Note Hook": note,
    "Pipeline Hook": {status: pipeline for status in FINISHED},
    "Job Hook": {status: job for status in FINISHED},
    "Deployment Hook": {status: deployment for status in FINISHED},
    "Wiki Page Hook": {action: wiki_page for action in WIKI_ACTIONS},
    "Release Hook": {"create": release, "update": release},
}


class Script:
    def process_incoming_request(self, request):
        return dispatch(request, EVENTS, header=EVENT_HEADER, needs=NEEDS, action=ACTION, service="GitLab")
