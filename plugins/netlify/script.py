"""Netlify → chat: deploys started, succeeded, failed, locked and unlocked.

Add an outgoing webhook notification (Site configuration → Notifications → Deploy notifications) with URL
https://<host>/hooks/<id>/<token> and a JWS secret; see README.md next to this file.
"""

from hookkit import BLUE, GREEN, GREY, RED, YELLOW, dispatch, field, link, message, shorten

NEEDS = {"*": ("name", "id")}


def site(body):
    return link(body["name"], body.get("ssl_url") or body.get("url"))


def deploy_url(body):
    return body.get("deploy_ssl_url") or body.get("deploy_url") or body.get("admin_url")


def fields(body):
    out = []
    if body.get("context"):
        out.append(field("Context", str(body["context"]).replace("-", " ")))
    if body.get("branch"):
        out.append(field("Branch", body["branch"]))
    commit = str(body.get("commit_ref") or "")
    if commit:
        out.append(field("Commit", link(commit[:7], body.get("commit_url"))))
    if body.get("deploy_time"):
        out.append(field("Deploy time", f"{body['deploy_time']} s"))
    return out


def deploy(verb, color):
    def handler(body, request=None):
        text = f"Deploy of {site(body)} {verb}"
        logs = body.get("admin_url")
        attachment = {"color": color, "title": body.get("title") or f"{body['name']} ({body.get('context') or 'deploy'})",
                      "title_link": deploy_url(body), "fields": fields(body)}
        if body.get("error_message"):
            attachment["text"] = shorten(body["error_message"], 500)
        if logs and color == RED:
            attachment["fields"].append(field("Logs", link("Deploy log", f"{logs}/deploys/{body['id']}")))
        return message(text, attachment)
    return handler


def lock(verb):
    def handler(body, request=None):
        return message(f"Deploys of {site(body)} were {verb}", {"color": GREY, "title": body["name"],
                                                               "title_link": body.get("admin_url")})
    return handler


def state(body):
    """Netlify sends no event header: ``state`` says building / ready / error; ``locked`` says (un)locked."""
    if body.get("locked") is True:
        return "locked"
    return body.get("state")


EVENTS = {
    "building": deploy("started", YELLOW),
    "enqueued": deploy("was queued", BLUE),
    "ready": deploy("succeeded", GREEN),
    "error": deploy("failed", RED),
    "locked": lock("locked"),
    # "new", "uploading", "processing", "preparing" are intermediate states: nothing posted
}


class Script:
    def process_incoming_request(self, request):
        return dispatch(request, EVENTS, detect=state, needs=NEEDS, service="Netlify",
                        hint="expected the deploy 'state'")
