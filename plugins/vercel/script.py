"""Vercel → chat: deployments created, succeeded, failed, canceled and promoted.

Add a webhook (Team Settings → Webhooks) with URL https://<host>/hooks/<id>/<token> and the deployment
events; see README.md next to this file.
"""

from hookkit import BLUE, GREEN, GREY, PURPLE, RED, YELLOW, dispatch, field, link, message, obj, shorten

NEEDS = {"*": ("payload.deployment.id",)}


def https(host):
    text = str(host or "")
    if not text:
        return None
    return text if text.startswith(("http://", "https://")) else f"https://{text}"


def project(body):
    payload = body["payload"]
    name = payload.get("name") or obj(payload.get("deployment")).get("name") or "project"
    return link(name, obj(payload.get("links")).get("project"))


def fields(body):
    payload = body["payload"]
    meta = obj(obj(payload.get("deployment")).get("meta"))
    out = [field("Target", payload.get("target") or "preview")]
    if meta.get("githubCommitRef"):
        out.append(field("Branch", meta["githubCommitRef"]))
    sha = str(meta.get("githubCommitSha") or "")
    if sha:
        repo = f"{meta.get('githubCommitOrg')}/{meta.get('githubCommitRepo')}" if meta.get("githubCommitRepo") else None
        out.append(field("Commit", link(sha[:7], f"https://github.com/{repo}/commit/{sha}" if repo else None)))
    author = meta.get("githubCommitAuthorLogin") or meta.get("githubCommitAuthorName")
    if author:
        out.append(field("Author", author))
    return out


def deployment(verb, color):
    def handler(body, request=None):
        payload = body["payload"]
        item = payload["deployment"]
        inspect = obj(payload.get("links")).get("deployment") or item.get("inspectorUrl")
        url = https(item.get("url") or payload.get("url"))
        text = f"{link('Deployment', inspect)} of {project(body)} {verb}"
        title = shorten(obj(item.get("meta")).get("githubCommitMessage"), 100) or str(item.get("url") or item["id"])
        return message(text, {"color": color, "title": title, "title_link": url, "fields": fields(body)})
    return handler


EVENTS = {
    "deployment.created": deployment("started", YELLOW),
    "deployment.succeeded": deployment("succeeded", GREEN),
    "deployment.ready": None,  # sent alongside deployment.succeeded
    "deployment.error": deployment("failed", RED),
    "deployment.canceled": deployment("was canceled", GREY),
    "deployment.promoted": deployment("was promoted to production", PURPLE),
    "deployment.rollback": deployment("was rolled back", BLUE),
}


class Script:
    def process_incoming_request(self, request):
        return dispatch(request, EVENTS, field="type", needs=NEEDS, service="Vercel")
