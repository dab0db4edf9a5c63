"""GitHub Actions and checks → chat: workflow runs, jobs, check suites and check runs that finished.

A repository (or organization) webhook with the "Workflow runs", "Workflow jobs", "Check suites" and
"Check runs" events, URL https://<host>/hooks/<id>/<token>; see README.md next to this file. The
github/ plugin covers pushes, pull requests and issues; use both on one channel, or each on its own.
"""

from hookkit import GREEN, GREY, RED, YELLOW, dispatch, field, link, message, obj, objs, shorten

EVENT_HEADER = "X-GitHub-Event"

NEEDS = {
    "workflow_run": ("workflow_run.html_url", "repository.full_name"),
    "workflow_job": ("workflow_job.html_url", "repository.full_name"),
    "check_suite": ("check_suite.head_sha", "repository.full_name"),
    "check_run": ("check_run.html_url", "repository.full_name"),
}

# conclusion → (verb, colour)
CONCLUSIONS = {
    "success": ("succeeded", GREEN), "failure": ("failed", RED), "timed_out": ("timed out", RED),
    "startup_failure": ("failed to start", RED), "action_required": ("needs action", YELLOW),
    "cancelled": ("was cancelled", GREY), "skipped": ("was skipped", GREY), "stale": ("went stale", GREY),
    "neutral": ("finished", GREY),
}


def outcome(item):
    conclusion = str(item.get("conclusion") or "")
    return CONCLUSIONS.get(conclusion, (conclusion or "finished", YELLOW))


def repo(body):
    item = body["repository"]
    return link(item["full_name"], item.get("html_url"))


def branch_link(body, branch):
    base = body["repository"].get("html_url")
    return link(branch, f"{base}/tree/{branch}" if base else None)


def commit_field(body, sha):
    base = body["repository"].get("html_url")
    return field("Commit", link(str(sha)[:7], f"{base}/commit/{sha}" if base else None))


def pull_requests(item):
    numbers = [f"#{pr['number']}" for pr in objs(item.get("pull_requests")) if pr.get("number")]
    return field("Pull requests", ", ".join(numbers)) if numbers else None


def workflow_run(body, request=None):
    run = body["workflow_run"]
    verb, color = outcome(run)
    name = run.get("name") or obj(body.get("workflow")).get("name") or "workflow"
    label = f"{name} #{run['run_number']}" if run.get("run_number") else name
    branch = run.get("head_branch")
    on = f" on {branch_link(body, branch)}" if branch else ""
    text = f"Workflow {link(label, run['html_url'])} {verb}{on} in {repo(body)}"
    fields = []
    if run.get("head_sha"):
        fields.append(commit_field(body, run["head_sha"]))
    if run.get("event"):
        fields.append(field("Trigger", str(run["event"]).replace("_", " ")))
    actor = obj(run.get("triggering_actor")).get("login") or obj(run.get("actor")).get("login")
    if actor:
        fields.append(field("By", actor))
    if run.get("run_attempt") and run["run_attempt"] > 1:
        fields.append(field("Attempt", run["run_attempt"]))
    prs = pull_requests(run)
    if prs:
        fields.append(prs)
    title = run.get("display_title") or obj(run.get("head_commit")).get("message")
    return message(text, {"color": color, "title": shorten(title, 100) or label, "title_link": run["html_url"],
                          "fields": fields})


def failed_steps(job):
    return [step.get("name") for step in objs(job.get("steps")) if step.get("conclusion") == "failure"]


def workflow_job(body, request=None):
    job = body["workflow_job"]
    verb, color = outcome(job)
    workflow = job.get("workflow_name")
    label = f"{workflow} / {job.get('name')}" if workflow else str(job.get("name") or "job")
    branch = job.get("head_branch")
    on = f" on {branch_link(body, branch)}" if branch else ""
    text = f"Job {link(label, job['html_url'])} {verb}{on} in {repo(body)}"
    fields = []
    if job.get("head_sha"):
        fields.append(commit_field(body, job["head_sha"]))
    if job.get("runner_name"):
        fields.append(field("Runner", job["runner_name"]))
    steps = failed_steps(job)
    attachment = {"color": color, "title": label, "title_link": job["html_url"], "fields": fields}
    if steps:
        attachment["text"] = "Failed steps: " + ", ".join(str(step) for step in steps)
    return message(text, attachment)


def check_suite(body, request=None):
    suite = body["check_suite"]
    verb, color = outcome(suite)
    app = obj(suite.get("app")).get("name") or "Checks"
    branch = suite.get("head_branch")
    on = f" on {branch_link(body, branch)}" if branch else ""
    base = body["repository"].get("html_url")
    sha = str(suite["head_sha"])
    target = link(sha[:7], f"{base}/commit/{sha}/checks" if base else None)
    text = f"{app} checks {verb} for {target}{on} in {repo(body)}"
    fields = []
    if suite.get("latest_check_runs_count") is not None:
        fields.append(field("Check runs", suite["latest_check_runs_count"]))
    prs = pull_requests(suite)
    if prs:
        fields.append(prs)
    title = shorten(obj(suite.get("head_commit")).get("message"), 100) or sha[:7]
    return message(text, {"color": color, "title": title, "fields": fields})


def check_run(body, request=None):
    run = body["check_run"]
    verb, color = outcome(run)
    name = run.get("name") or "check"
    branch = obj(run.get("check_suite")).get("head_branch")
    on = f" on {branch_link(body, branch)}" if branch else ""
    text = f"Check {link(name, run['html_url'])} {verb}{on} in {repo(body)}"
    output = obj(run.get("output"))
    fields = []
    if run.get("head_sha"):
        fields.append(commit_field(body, run["head_sha"]))
    app = obj(run.get("app")).get("name")
    if app:
        fields.append(field("App", app))
    prs = pull_requests(run)
    if prs:
        fields.append(prs)
    attachment = {"color": color, "title": output.get("title") or name, "title_link": run["html_url"],
                  "fields": fields}
    if output.get("summary"):
        attachment["text"] = shorten(output["summary"], 300)
    return message(text, attachment)


# Only finished runs post: "requested", "queued", "in_progress" and "waiting" would double every message.
EVENTS = {
    "workflow_run": {"completed": workflow_run},
    "workflow_job": {"completed": workflow_job},
    "check_suite": {"completed": check_suite},
    "check_run": {"completed": check_run},
}


class Script:
    def process_incoming_request(self, request):
        return dispatch(request, EVENTS, header=EVENT_HEADER, needs=NEEDS, service="GitHub")
