"""Docker Hub → chat: an image tag was pushed to a repository.

Add a webhook to the repository (Repository → Webhooks) with URL https://<host>/hooks/<id>/<token>;
see README.md next to this file.
"""

from hookkit import BLUE, dispatch, field, http_url, link, message

NEEDS = {"*": ("repository.repo_name", "push_data.tag")}


def push(body, request=None):
    repo = body["repository"]
    data = body["push_data"]
    name = repo["repo_name"]
    tag = data["tag"]
    url = http_url(repo.get("repo_url"))
    who = data.get("pusher") or "someone"
    text = f"{who} pushed {link(f'{name}:{tag}', url)}"
    fields = [field("Tag", tag)]
    if repo.get("is_private") is not None:
        fields.append(field("Visibility", "private" if repo["is_private"] else "public"))
    return message(text, {"color": BLUE, "title": f"{name}:{tag}", "title_link": url, "fields": fields})


def kind(body):
    """Docker Hub sends one kind of webhook, without an event header: an image push."""
    return "push" if "push_data" in body else None


EVENTS = {"push": push}


class Script:
    def process_incoming_request(self, request):
        return dispatch(request, EVENTS, detect=kind, needs=NEEDS, service="Docker Hub",
                        hint="expected 'push_data' and 'repository'")
