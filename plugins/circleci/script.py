"""CircleCI → chat: completed workflows and jobs (and the legacy 1.0/2.0 build webhook).

Add a project webhook (Project Settings → Webhooks) with receiver URL
https://<host>/hooks/<id>/<token>; see README.md next to this file.
"""

import datetime
import re

from hookkit import GREEN, GREY, RED, YELLOW, dispatch, duration, event_key, field, link, message, obj, objs

EVENT_HEADER = "Circleci-Event-Type"
# Without the header, the body's "type" names the event; a body {"payload": {...}} is the
# legacy 1.0/2.0 `notify: webhooks:` build payload.
EVENT_FIELD = "type"

NEEDS = {
    "workflow-completed": ("workflow.url",),
    "job-completed": ("workflow.url", "job"),
}

# Status → (phrase, colour), for workflows, jobs and legacy builds.
OUTCOMES = {
    "success": ("succeeded", GREEN),
    "fixed": ("was fixed", GREEN),
    "failed": ("failed", RED),
    "failing": ("failed", RED),
    "error": ("errored", RED),
    "infrastructure_fail": ("failed (infrastructure)", RED),
    "timedout": ("timed out", RED),
    "unauthorized": ("was unauthorized", RED),
    "canceled": ("was canceled", GREY),
    "not_run": ("was not run", GREY),
    "no_tests": ("ran no tests", YELLOW),
    "on_hold": ("is on hold", YELLOW),
}

TIMESTAMP = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def seconds_since_epoch(value):
    """RFC 3339 time → seconds (float), or None."""
    match = TIMESTAMP.match(str(value or ""))
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    stamp = datetime.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                              tzinfo=datetime.timezone.utc)
    seconds = stamp.timestamp() + (float(fraction) if fraction else 0.0)
    if zone != "Z":
        offset = int(zone[1:3]) * 3600 + int(zone[4:6]) * 60
        seconds = seconds - offset if zone[0] == "+" else seconds + offset
    return seconds


def repo_label(url):
    """"https://github.com/org/repo" → "org/repo"."""
    parts = str(url or "").rstrip("/").split("/")
    return "/".join(parts[3:5]) if len(parts) >= 5 else None


# -- helpers -------------------------------------------------------------


def source_of(content):
    """Repository, branch and commit from the pipeline (GitHub/Bitbucket or GitLab triggers)."""
    pipeline = obj(content.get("pipeline"))
    vcs = obj(pipeline.get("vcs"))
    params = obj(pipeline.get("trigger_parameters"))
    gitlab = obj(params.get("gitlab"))
    git = obj(params.get("git"))
    commit = obj(vcs.get("commit"))
    repo_url = vcs.get("target_repository_url") or gitlab.get("web_url")
    sha = vcs.get("revision") or git.get("checkout_sha") or gitlab.get("commit_sha") or ""
    commit_url = None
    if repo_url and sha:
        commit_url = f"{repo_url}/-/commit/{sha}" if gitlab else f"{repo_url}/commit/{sha}"
    return {
        "repo": link(repo_label(repo_url) or obj(content.get("project")).get("name") or "project", repo_url),
        "branch": vcs.get("branch") or git.get("branch") or gitlab.get("branch"),
        "tag": vcs.get("tag") or git.get("tag"),
        "sha": sha,
        "commit_url": commit_url,
        "subject": commit.get("subject") or gitlab.get("commit_title"),
        "author": obj(commit.get("author")).get("name") or gitlab.get("commit_author_name"),
        "number": pipeline.get("number"),
    }

# -- events --------------------------------------------------------------


def completed(content, request):
    event = event_key(request["headers"].get("circleci-event-type") or content.get("type"))
    workflow = content["workflow"]
    job = obj(content.get("job"))
    thing = job if event == "job_completed" else workflow
    status = thing.get("status") or "unknown"
    phrase, color = OUTCOMES.get(status, (f"finished ({status})", YELLOW))
    source = source_of(content)
    ref = f"tag {source['tag']}" if source["tag"] else source["branch"]
    where = f" on {ref}" if ref else ""
    if event == "job_completed":
        label = f"{job.get('name')} #{job.get('number')}" if job.get("number") else job.get("name")
        job_url = f"{workflow['url']}/jobs/{job['number']}" if job.get("number") else None
        text = (f"Job {link(label, job_url)} {phrase} in workflow {link(workflow.get('name'), workflow['url'])}"
                f"{where} of {source['repo']}")
    else:
        text = f"Workflow {link(workflow.get('name'), workflow['url'])} {phrase}{where} of {source['repo']}"
    fields = []
    if source["number"]:
        fields.append(field("Pipeline", f"#{source['number']}"))
    if source["sha"]:
        fields.append(field("Commit", link(source["sha"][:7], source["commit_url"])))
    if source["author"]:
        fields.append(field("Author", source["author"]))
    started = seconds_since_epoch(thing.get("started_at") or thing.get("created_at"))
    stopped = seconds_since_epoch(thing.get("stopped_at"))
    if started is not None and stopped is not None and stopped >= started:
        fields.append(field("Duration", duration(stopped - started)))
    attachment = {
        "color": color,
        "title": source["subject"],
        "title_link": source["commit_url"] if source["subject"] else None,
        "fields": fields,
    }
    return message(text, attachment)


def legacy(content, request):
    build = content.get("payload")
    if not isinstance(build, dict) or build.get("build_num") is None:
        return {"error": "CircleCI legacy payload is missing 'payload' with 'build_num'"}
    if build.get("lifecycle") and build["lifecycle"] != "finished":
        console.log(f"CircleCI legacy build lifecycle '{build['lifecycle']}' is not posted")
        return None
    status = build.get("status") or build.get("outcome") or "unknown"
    phrase, color = OUTCOMES.get(status, (f"finished ({status})", YELLOW))
    repo_url = build.get("vcs_url")
    repo = link(repo_label(repo_url) or build.get("reponame") or "project", repo_url)
    branch = build.get("branch")
    where = f" on {branch}" if branch else ""
    number = build["build_num"]
    text = f"Build {link(f'#{number}', build.get('build_url'))} {phrase}{where} of {repo}"
    sha = str(build.get("vcs_revision") or "")
    details = [item for item in objs(build.get("all_commit_details")) if item.get("commit") == sha]
    commit_url = details[0].get("commit_url") if details else None
    if not commit_url and repo_url and sha:
        commit_url = f"{repo_url}/commit/{sha}"
    fields = []
    if sha:
        fields.append(field("Commit", link(sha[:7], commit_url)))
    author = build.get("author_name") or build.get("committer_name")
    if author:
        fields.append(field("Author", author))
    if isinstance(build.get("build_time_millis"), (int, float)):
        fields.append(field("Duration", duration(build["build_time_millis"] / 1000)))
    attachment = {
        "color": color,
        "title": build.get("subject"),
        "title_link": build.get("compare") if build.get("subject") else None,
        "fields": fields,
    }
    return message(text, attachment)


def legacy_or_none(content):
    return "legacy_build" if isinstance(content.get("payload"), dict) else None


EVENTS = {"workflow-completed": completed, "job-completed": completed, "legacy_build": legacy}


class Script:
    def process_incoming_request(self, request):
        return dispatch(request, EVENTS, header=EVENT_HEADER, field=EVENT_FIELD, detect=legacy_or_none,
                        needs=NEEDS, service="CircleCI")
