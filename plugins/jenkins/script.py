"""Jenkins → chat: builds started and finished, from the Notification plugin.

Install the Notification plugin and add an HTTP/JSON endpoint https://<host>/hooks/<id>/<token> to the
job (Job Notifications); see README.md next to this file.
"""

from hookkit import GREEN, GREY, RED, YELLOW, dispatch, field, http_url, link, message, obj, shorten

NEEDS = {"*": ("name", "build.number")}
RESULTS = {
    "SUCCESS": ("succeeded", GREEN), "FAILURE": ("failed", RED), "UNSTABLE": ("is unstable", YELLOW),
    "ABORTED": ("was aborted", GREY), "NOT_BUILT": ("was not built", GREY),
}


def build_label(body):
    build = body["build"]
    label = f"{body.get('display_name') or body['name']} #{build['number']}"
    return link(label, http_url(build.get("full_url")))


def fields(build):
    scm = obj(build.get("scm"))
    out = []
    branch = scm.get("branch") or obj(build.get("parameters")).get("branch")
    if branch:
        out.append(field("Branch", branch))
    if scm.get("commit"):
        out.append(field("Commit", str(scm["commit"])[:7]))
    return out


def started(body, request=None):
    build = body["build"]
    return message(f"Build {build_label(body)} started",
                   {"color": YELLOW, "title": f"{body['name']} #{build['number']}",
                    "title_link": http_url(build.get("full_url")), "fields": fields(build)})


def finished(body, request=None):
    build = body["build"]
    status = str(build.get("status") or "").upper()
    verb, color = RESULTS.get(status, (f"finished ({status.lower() or 'no result'})", YELLOW))
    attachment = {"color": color, "title": f"{body['name']} #{build['number']}",
                  "title_link": http_url(build.get("full_url")), "fields": fields(build)}
    log = build.get("log")
    if log and color == RED:
        attachment["text"] = shorten(log, 1000)
    return message(f"Build {build_label(body)} {verb}", attachment)


# The plugin sends QUEUED, STARTED, COMPLETED and FINALIZED; COMPLETED and FINALIZED carry the same
# result, so only COMPLETED posts (FINALIZED comes after post-build steps, useful when it alone is sent).
EVENTS = {"STARTED": started, "COMPLETED": finished, "FINALIZED": None, "QUEUED": None}


class Script:
    def process_incoming_request(self, request):
        return dispatch(request, EVENTS, field="build.phase", needs=NEEDS, service="Jenkins")
