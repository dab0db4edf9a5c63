"""GitHub → chat: pushes, branches and tags, pull requests and reviews, issues, comments, releases,
workflow runs, deployments, discussions, wiki pages, forks, stars and collaborators.

Point a GitHub webhook (content type application/json) at
https://<host>/hooks/<id>/<token>; see README.md next to this file.
"""

from hookkit import (BLUE, GREEN, GREY, PURPLE, RED, YELLOW, at_most, commit_line, dispatch, event_key, field,
                    http_url, link, message, obj, objs, pluck, plural, push_message, shorten)

EVENT_HEADER = "X-GitHub-Event"

# Fields that must be present, per event (dotted paths into the payload).
NEEDS = {
    "push": ("ref", "repository.full_name", "repository.html_url"),
    "pull_request": ("pull_request.number", "pull_request.html_url", "repository.full_name"),
    "issues": ("issue.number", "issue.html_url", "repository.full_name"),
    "issue_comment": ("issue.number", "comment.html_url", "repository.full_name"),
    "release": ("release.tag_name", "release.html_url", "repository.full_name"),
    "workflow_run": ("workflow_run.html_url", "workflow_run.head_branch", "repository.full_name"),
    "pull_request_review": ("pull_request.number", "pull_request.html_url", "review.state", "repository.full_name"),
    "pull_request_review_comment": ("pull_request.number", "comment.html_url", "repository.full_name"),
    "commit_comment": ("comment.html_url", "comment.commit_id", "repository.full_name"),
    "create": ("ref", "ref_type", "repository.full_name", "repository.html_url"),
    "delete": ("ref", "ref_type", "repository.full_name", "repository.html_url"),
    "fork": ("forkee.full_name", "repository.full_name"),
    "star": ("repository.full_name",),
    "deployment_status": ("deployment_status.state", "deployment.environment", "repository.full_name"),
    "discussion": ("discussion.number", "discussion.html_url", "repository.full_name"),
    "discussion_comment": ("discussion.number", "comment.html_url", "repository.full_name"),
    "gollum": ("pages", "repository.full_name"),
    "member": ("member.login", "repository.full_name"),
}

MAX_COMMITS = 10
MAX_BODY = 500


# -- helpers -------------------------------------------------------------

def repo(content):
    repository = content["repository"]
    return link(repository["full_name"], repository.get("html_url"))


def sender(content):
    who = obj(content.get("sender"))
    name = who.get("login") or obj(content.get("pusher")).get("name") or "someone"
    return link(name, who.get("html_url"))



# -- events --------------------------------------------------------------


def push(content, request):
    ref = str(content["ref"])
    repo_url = content["repository"].get("html_url")
    is_tag = ref.startswith("refs/tags/")
    name = ref.split("/", 2)[-1]
    kind = "tag" if is_tag else "branch"
    where = link(name, f"{repo_url}/tree/{name}")
    who = sender(content)
    if content.get("deleted"):
        text = f"{who} deleted {kind} {name} of {repo(content)}"
        return message(text)
    if is_tag:
        text = f"{who} pushed tag {where} to {repo(content)}"
        head = obj(content.get("head_commit"))
        return message(text, {"color": BLUE, "text": commit_of(head)} if head else None)
    lines = [commit_of(commit) for commit in objs(content.get("commits"))]
    return push_message(who, where, repo(content), lines, compare_url=content.get("compare"),
                        new_branch=bool(content.get("created")), forced=bool(content.get("forced")),
                        limit=MAX_COMMITS)

def commit_of(commit):
    author = obj(commit.get("author")).get("name")
    return commit_line(commit.get("id"), commit.get("message"), commit.get("url"), author)



def pull_request(content, request):
    pr = content["pull_request"]
    action = content["action"]
    color = BLUE
    verb = action
    if action == "closed" and pr.get("merged"):
        verb, color = "merged", PURPLE
    elif action == "closed":
        color = GREY
    label = f"#{pr['number']} {pr.get('title') or ''}".strip()
    text = f"{sender(content)} {verb} pull request {link(label, pr['html_url'])} in {repo(content)}"
    if action == "ready_for_review":
        text = f"{sender(content)} marked pull request {link(label, pr['html_url'])} in {repo(content)} ready for review"
    elif action == "review_requested":
        reviewer = obj(content.get("requested_reviewer")).get("login") or obj(content.get("requested_team")).get("name")
        text = (f"{sender(content)} requested a review from {reviewer or 'someone'} on pull request "
                f"{link(label, pr['html_url'])} in {repo(content)}")
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


def issue(content, request):
    issue = content["issue"]
    action = content["action"]
    color = {"opened": YELLOW, "reopened": YELLOW, "closed": GREEN, "assigned": BLUE}[action]
    label = f"#{issue['number']} {issue.get('title') or ''}".strip()
    text = f"{sender(content)} {action} issue {link(label, issue['html_url'])} in {repo(content)}"
    if action == "assigned":
        assignee = obj(content.get("assignee")).get("login") or "someone"
        text = f"{sender(content)} assigned issue {link(label, issue['html_url'])} in {repo(content)} to {assignee}"
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


def issue_comment(content, request):
    issue = content["issue"]
    comment = content["comment"]
    kind = "pull request" if issue.get("pull_request") else "issue"
    label = f"#{issue['number']} {issue.get('title') or ''}".strip()
    text = (f"{sender(content)} commented on {kind} {link(label, comment['html_url'])}"
            f" in {repo(content)}")
    attachment = {"color": BLUE, "text": shorten(comment.get("body"), MAX_BODY) or None}
    return message(text, attachment)


def release(content, request):
    release = content["release"]
    tag = release["tag_name"]
    name = release.get("name") or tag
    kind = "pre-release" if release.get("prerelease") else "release"
    text = f"{sender(content)} {RELEASE_VERBS[content['action']]} {kind} {link(name, release['html_url'])} of {repo(content)}"
    attachment = {
        "color": GREEN,
        "title": name,
        "title_link": release["html_url"],
        "text": shorten(release.get("body"), MAX_BODY) or None,
        "fields": [field("Tag", tag)],
    }
    return message(text, attachment)


def workflow_run(content, request):
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
            f"{link(branch, f'{repo_url}/tree/{branch}')} of {repo(content)}")
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


RELEASE_VERBS = {"published": "published", "prereleased": "published", "released": "published"}

REVIEW_STATES = {
    "approved": ("approved", GREEN),
    "changes_requested": ("requested changes on", RED),
    "commented": ("reviewed", BLUE),
}


def quote(body, color=BLUE):
    """An attachment quoting a comment's body, or None when it is empty."""
    text = shorten(body, MAX_BODY)
    return {"color": color, "text": text} if text else None


def pr_label(pr):
    return f"#{pr['number']} {pr.get('title') or ''}".strip()


def pull_request_review(content, request):
    pr = content["pull_request"]
    review = content["review"]
    url = review.get("html_url") or pr["html_url"]
    reviewer = obj(review.get("user"))
    who = link(reviewer.get("login"), reviewer.get("html_url")) if reviewer.get("login") else sender(content)
    if content.get("action") == "dismissed":
        text = f"{sender(content)} dismissed the review of {who} on pull request {link(pr_label(pr), url)} in {repo(content)}"
        return message(text)
    verb, color = REVIEW_STATES.get(str(review["state"]).lower(), ("reviewed", BLUE))
    text = f"{who} {verb} pull request {link(pr_label(pr), url)} in {repo(content)}"
    return message(text, quote(review.get("body"), color))


def pull_request_review_comment(content, request):
    pr = content["pull_request"]
    comment = content["comment"]
    where = f" ({comment['path']})" if comment.get("path") else ""
    text = (f"{sender(content)} commented on pull request {link(pr_label(pr), comment['html_url'])}{where}"
            f" in {repo(content)}")
    return message(text, quote(comment.get("body")))


def commit_comment(content, request):
    comment = content["comment"]
    sha = str(comment["commit_id"])
    where = f" ({comment['path']})" if comment.get("path") else ""
    text = (f"{sender(content)} commented on commit {link(sha[:7], comment['html_url'])}{where}"
            f" in {repo(content)}")
    return message(text, quote(comment.get("body")))


def ref_event(content, request):
    kind = content["ref_type"]
    name = content["ref"]
    if event_key(request["headers"].get("x-github-event")) == "delete":
        return message(f"{sender(content)} deleted {kind} {name} of {repo(content)}")
    where = link(name, f"{content['repository']['html_url']}/tree/{name}")
    return message(f"{sender(content)} created {kind} {where} in {repo(content)}")


def fork(content, request):
    forkee = content["forkee"]
    return message(f"{sender(content)} forked {repo(content)} to {link(forkee['full_name'], forkee.get('html_url'))}")


def star(content, request):
    count = content["repository"].get("stargazers_count")
    total = f" ({plural(count, 'star')})" if isinstance(count, int) else ""
    return message(f"{sender(content)} starred {repo(content)}{total}")


DEPLOYMENT_STATES = {
    "success": ("succeeded", GREEN),
    "failure": ("failed", RED),
    "error": ("errored", RED),
    "inactive": ("is inactive", GREY),
}


def deployment_status(content, request):
    status = content["deployment_status"]
    deployment = content["deployment"]
    verb, color = DEPLOYMENT_STATES[status["state"]]
    target = http_url(status.get("environment_url")) or http_url(status.get("target_url"))
    environment = link(deployment["environment"], target)
    text = f"Deployment to {environment} {verb} for {repo(content)}"
    fields = []
    if deployment.get("ref"):
        fields.append(field("Ref", deployment["ref"]))
    sha = str(deployment.get("sha") or "")
    if sha:
        fields.append(field("Commit", link(sha[:7], f"{content['repository'].get('html_url')}/commit/{sha}")))
    creator = obj(deployment.get("creator")).get("login")
    if creator:
        fields.append(field("By", creator))
    attachment = {"color": color, "text": shorten(status.get("description"), MAX_BODY) or None, "fields": fields}
    return message(text, attachment)


def discussion(content, request):
    item = content["discussion"]
    label = f"#{item['number']} {item.get('title') or ''}".strip()
    category = obj(item.get("category")).get("name")
    action = content.get("action")
    text = f"{sender(content)} {action} discussion {link(label, item['html_url'])} in {repo(content)}"
    attachment = {
        "color": GREEN if action == "answered" else BLUE,
        "title": label,
        "title_link": item["html_url"],
        "text": shorten(item.get("body"), MAX_BODY) or None if action == "created" else None,
        "fields": [field("Category", category)] if category else None,
    }
    return message(text, attachment)


def discussion_comment(content, request):
    item = content["discussion"]
    comment = content["comment"]
    label = f"#{item['number']} {item.get('title') or ''}".strip()
    text = f"{sender(content)} commented on discussion {link(label, comment['html_url'])} in {repo(content)}"
    return message(text, quote(comment.get("body")))


def gollum(content, request):
    pages = objs(content.get("pages"))
    lines = [f"{page.get('action') or 'edited'} {link(page.get('title') or page.get('page_name'), page.get('html_url'))}"
             for page in pages]
    if len(pages) == 1:
        text = f"{sender(content)} {lines[0]} in the wiki of {repo(content)}"
        return message(text)
    text = f"{sender(content)} changed {plural(len(pages), 'wiki page')} of {repo(content)}"
    return message(text, {"color": BLUE, "text": "\n".join(at_most(lines, MAX_COMMITS)) or None})


def member(content, request):
    person = content["member"]
    verb = {"added": "added", "removed": "removed"}[content["action"]]
    preposition = "to" if verb == "added" else "from"
    text = f"{sender(content)} {verb} {link(person['login'], person.get('html_url'))} {preposition} {repo(content)}"
    return message(text)


EVENTS = {
    "push": push,
    "pull_request": {action: pull_request for action in ("opened", "closed", "reopened", "ready_for_review",
                                                         "review_requested")},
    "issues": {action: issue for action in ("opened", "closed", "reopened", "assigned")},
    "issue_comment": {"created": issue_comment},
    "release": {"published": release, "prereleased": release},
    "workflow_run": {"completed": workflow_run},
    "pull_request_review": {"submitted": pull_request_review, "dismissed": pull_request_review},
    "pull_request_review_comment": {"created": pull_request_review_comment},
    "commit_comment": {"created": commit_comment},
    "create": ref_event,
    "delete": ref_event,
    "fork": fork,
    "star": {"created": star},
    "deployment_status": {state: deployment_status for state in DEPLOYMENT_STATES},
    "discussion": {"created": discussion, "answered": discussion, "closed": discussion, "reopened": discussion},
    "discussion_comment": {"created": discussion_comment},
    "gollum": gollum,
    "member": {"added": member, "removed": member},
}

# deployment_status is keyed by the state of the deployment, every other sub-table by "action"
ACTION = {"*": "action", "deployment_status": "deployment_status.state"}


class Script:
    def process_incoming_request(self, request):
        return dispatch(request, EVENTS, header=EVENT_HEADER, needs=NEEDS, action=ACTION, service="GitHub")
