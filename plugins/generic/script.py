"""Generic Slack / Rocket.Chat-compatible incoming webhook, with validation.

Anything that can send a Slack-style incoming webhook can post through this
script: {"text": ..., "attachments": [...], "channel": ..., "username": ...,
"icon_emoji": ..., "icon_url": ...}. Wrong types are answered with a 400
naming the key; Slack's <url|label> links become Markdown links; Slack's
colour names (good, warning, danger) become hex colours. See README.md.
"""

import re

from hookkit import GREEN, RED, YELLOW, http_url

EVENT_HEADER = None
EVENTS = ("message",)

STRING_KEYS = ("text", "username", "icon_emoji", "icon_url")
ATTACHMENT_STRINGS = (
    "color", "text", "pretext", "fallback", "title", "title_link", "author_name", "author_link",
    "author_icon", "image_url", "thumb_url", "footer", "footer_icon", "audio_url", "video_url",
    "message_link",
)
ATTACHMENT_URLS = (
    "title_link", "author_link", "author_icon", "image_url", "thumb_url", "footer_icon", "audio_url",
    "video_url", "message_link",
)
# Keys Slack senders often add that have no meaning here; dropped without complaint.
IGNORED_KEYS = ("blocks", "mrkdwn", "unfurl_links", "unfurl_media", "link_names", "parse", "as_user",
                "response_type", "thread_ts", "token", "type")
COLORS = {"good": GREEN, "warning": YELLOW, "danger": RED}
MAX_ATTACHMENTS = 20
MAX_FIELDS = 20
# Slack link syntax: <https://example.com|label> or <https://example.com>
SLACK_LINK = re.compile(r"<(https?://[^|>\s]+)(?:\|([^>]*))?>")


def slack_links(text):
    """Rewrite Slack's <url|label> links as Markdown [label](url)."""
    def rewrite(match):
        url, label = match.group(1), match.group(2)
        return f"[{label}]({url})" if label else url

    return SLACK_LINK.sub(rewrite, text)


class Script:
    def process_incoming_request(self, request):
        content = request["content"]
        if not isinstance(content, dict):
            return {"error": "the body must be a JSON object like {\"text\": \"hello\"}"}
        problem = self.check_top_level(content)
        if problem:
            return {"error": problem}
        message = {}
        for key in STRING_KEYS:
            if content.get(key) is not None:
                message[key] = content[key]
        if message.get("text"):
            message["text"] = slack_links(message["text"])
        if content.get("channel"):
            message["channel"] = list(content["channel"]) if isinstance(content["channel"], (list, tuple)) else content["channel"]
        attachments = []
        for index, attachment in enumerate(content.get("attachments") or ()):
            checked = self.check_attachment(attachment, index)
            if isinstance(checked, str):
                return {"error": checked}
            attachments.append(checked)
        if attachments:
            message["attachments"] = attachments
        if not message.get("text", "").strip() and not attachments:
            return {"error": "nothing to post: send a non-empty 'text' or at least one attachment"}
        ignored = sorted(key for key in content if key in IGNORED_KEYS)
        if ignored:
            console.debug(f"ignored Slack keys: {', '.join(ignored)}")
        return {"content": message}

    def check_top_level(self, content):
        for key in STRING_KEYS:
            if content.get(key) is not None and not isinstance(content[key], str):
                return f"'{key}' must be a string"
        if content.get("icon_url") and not http_url(content["icon_url"]):
            return "'icon_url' must be an absolute http(s) URL"
        channel = content.get("channel")
        if channel is not None:
            entries = channel if isinstance(channel, (list, tuple)) else [channel]
            if not all(isinstance(entry, str) and entry for entry in entries):
                return "'channel' must be a string like \"#general\" or \"@alice\", or a list of them"
        attachments = content.get("attachments")
        if attachments is not None:
            if not isinstance(attachments, (list, tuple)):
                return "'attachments' must be a list of objects"
            if len(attachments) > MAX_ATTACHMENTS:
                return f"too many attachments: {len(attachments)} (at most {MAX_ATTACHMENTS})"
        return None

    def check_attachment(self, attachment, index):
        """A clean copy of one attachment, or an error message (a str)."""
        where = f"attachments[{index}]"
        if not isinstance(attachment, dict):
            return f"{where} must be an object"
        out = {}
        for key in ATTACHMENT_STRINGS:
            value = attachment.get(key)
            if value is None:
                continue
            if not isinstance(value, str):
                return f"{where}.{key} must be a string"
            if key in ATTACHMENT_URLS and not http_url(value):
                return f"{where}.{key} must be an absolute http(s) URL"
            out[key] = value
        if out.get("color") in COLORS:
            out["color"] = COLORS[out["color"]]
        for key in ("text", "pretext"):
            if out.get(key):
                out[key] = slack_links(out[key])
        if attachment.get("ts") is not None:
            if isinstance(attachment["ts"], bool) or not isinstance(attachment["ts"], (int, float, str)):
                return f"{where}.ts must be a number (seconds since the epoch) or a string"
            out["ts"] = attachment["ts"]
        if attachment.get("collapsed") is not None:
            out["collapsed"] = bool(attachment["collapsed"])
        fields = attachment.get("fields")
        if fields is not None:
            checked = self.check_fields(fields, where)
            if isinstance(checked, str):
                return checked
            out["fields"] = checked
        if not out:
            return f"{where} is empty: give it at least a 'text' or a 'title'"
        return out

    def check_fields(self, fields, where):
        if not isinstance(fields, (list, tuple)):
            return f"{where}.fields must be a list of {{title, value, short}} objects"
        if len(fields) > MAX_FIELDS:
            return f"{where}.fields has {len(fields)} entries (at most {MAX_FIELDS})"
        out = []
        for index, item in enumerate(fields):
            if not isinstance(item, dict):
                return f"{where}.fields[{index}] must be an object with 'title' and 'value'"
            title = item.get("title")
            value = item.get("value")
            if title is not None and not isinstance(title, str):
                return f"{where}.fields[{index}].title must be a string"
            if isinstance(value, (dict, list, tuple)):
                return f"{where}.fields[{index}].value must be a string, number or boolean"
            if isinstance(value, bool):
                value = "true" if value else "false"
            out.append({"title": title or "", "value": "" if value is None else str(value),
                        "short": bool(item.get("short"))})
        return out
