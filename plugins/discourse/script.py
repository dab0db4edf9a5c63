"""Discourse → chat: new topics and replies (post events).

Add a webhook (Admin → API → Webhooks) with payload URL https://<host>/hooks/<id>/<token>, content type
application/json, a secret, and the Post event; see README.md next to this file.
"""

from hookkit import BLUE, GREEN, dispatch, field, http_url, link, message, shorten

EVENT_HEADER = "X-Discourse-Event"
NEEDS = {"*": ("post.topic_id", "post.topic_title")}
MAX_BODY = 500


def post_url(post, request):
    base = http_url(request.headers.get("x-discourse-instance"))
    if not base:
        return None
    slug = post.get("topic_slug") or "-"
    return f"{base.rstrip('/')}/t/{slug}/{post['topic_id']}/{post.get('post_number') or 1}"


def created(body, request):
    post = body["post"]
    if post.get("topic_archetype") == "private_message":
        console.log("Discourse private message; nothing posted")
        return None
    who = post.get("display_username") or post.get("username") or "someone"
    url = post_url(post, request)
    topic = link(post["topic_title"], url)
    first = post.get("post_number") == 1
    text = f"{who} started the topic {topic}" if first else f"{who} replied to {topic}"
    fields = []
    if post.get("category_slug"):
        fields.append(field("Category", post["category_slug"]))
    if not first and post.get("topic_posts_count"):
        fields.append(field("Posts", post["topic_posts_count"]))
    return message(text, {"color": GREEN if first else BLUE, "title": post["topic_title"], "title_link": url,
                          "text": shorten(post.get("raw"), MAX_BODY), "fields": fields})


# Discourse sends post_edited and post_destroyed with the same body; only new posts reach the channel.
EVENTS = {"post_created": created, "post_edited": None, "post_destroyed": None, "post_recovered": None}


class Script:
    def process_incoming_request(self, request):
        return dispatch(request, EVENTS, header=EVENT_HEADER, needs=NEEDS, service="Discourse")
