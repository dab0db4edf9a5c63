"""A hookhub message rendered for each chat platform, within that platform's limits.

:func:`render` returns the HTTP request (:class:`Outbound`) that delivers one
message to one bridge.  Each target gets its own format:

==================  ==============================================================
``slack``           Slack incoming webhook: ``text``, ``username``, ``icon_*``,
                    ``attachments`` (text cut at 40 000 characters, ≤ 20 attachments)
``mattermost``      the same Slack-compatible format (text ≤ 16 383 characters)
``discord``         native Discord webhook: ``content`` ≤ 2000 characters,
                    attachments → ``embeds`` (≤ 10, Discord's field limits, 6000
                    characters in all), mentions disabled; a URL ending in
                    ``/slack`` gets the Slack format with the 2000-character cut
``rocketchat``      Rocket.Chat incoming webhook: the message as posted in hookhub
``rocketchat-rest`` Rocket.Chat REST ``chat.postMessage`` with ``X-User-Id`` and
                    ``X-Auth-Token``, to the bridge's ``channel``
``json``            generic: ``{"event": "message", "channel", "message"}``
==================  ==============================================================

Text that is too long is cut and ends with "…" (the original stays in hookhub).
Links and image URLs go out only when :func:`hookhub.urls.safe_http_url`
accepts them (absolute http(s)); other values (``data:`` avatars, relative
links, ``javascript:``) are left out.  ``json`` forwards the stored message as is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..config import BridgeConfig
from ..message import URL_FIELDS
from ..urls import safe_http_url

ELLIPSIS = "…"
#: default maximum text length per bridge type
TEXT_LIMITS = {"slack": 40_000, "mattermost": 16_383, "discord": 2_000, "rocketchat": 5_000,
               "rocketchat-rest": 5_000, "json": 1_000_000}
SLACK_MAX_ATTACHMENTS = 20
SLACK_ATTACHMENT_KEYS = ("fallback", "color", "pretext", "author_name", "author_link", "author_icon", "title",
                         "title_link", "text", "fields", "image_url", "thumb_url", "footer", "footer_icon", "ts",
                         "mrkdwn_in")
#: Discord embed limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits)
DISCORD = {"embeds": 10, "title": 256, "description": 4096, "fields": 25, "field_name": 256,
           "field_value": 1024, "footer": 2048, "author": 256, "total": 6000, "username": 80}
#: webhook usernames containing these are refused by Discord; the webhook's own name is used instead
DISCORD_FORBIDDEN_NAMES = ("discord", "clyde")
NAMED_COLORS = {"good": 0x2EB886, "warning": 0xDAA038, "danger": 0xA30200}


@dataclass
class Outbound:
    """One HTTP request to a bridge target."""

    url: str
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    method: str = "POST"
    #: header names whose values are secrets (never shown)
    secret_headers: tuple[str, ...] = ()


def cut(text: Any, limit: int) -> str:
    """``text`` as a string of at most ``limit`` characters (ending in "…" when cut)."""
    value = "" if text is None else str(text)
    if len(value) <= limit:
        return value
    return value[: max(0, limit - 1)] + ELLIPSIS


def author_of(message: dict[str, Any]) -> str:
    """The name a message is posted under: its ``alias``, else its user's ``name`` or ``username``, else "hookhub"."""
    user = message.get("u") or {}
    return str(message.get("alias") or user.get("name") or user.get("username") or "hookhub")


def _extra_links(att: dict[str, Any]) -> list[str]:
    """Rocket.Chat-only media fields become links in the text (http(s) ones only)."""
    found = (safe_http_url(att.get(key)) for key in ("audio_url", "video_url", "message_link"))
    return [url for url in found if url]


def safe_links(att: dict[str, Any]) -> dict[str, Any]:
    """``att`` without the URL fields (and ``footer_icon``) that are not absolute http(s) URLs."""
    return {k: v for k, v in att.items()
            if not ((k in URL_FIELDS or k == "footer_icon") and safe_http_url(v) is None)}


def slack_attachment(att: dict[str, Any]) -> dict[str, Any]:
    """``att`` as a Slack attachment: Slack's keys only (unsafe links dropped), Rocket.Chat media links added
    to the text, fields reduced to title/value/short, and a ``fallback`` (≤ 300 characters) when it has none."""
    att = safe_links(att)
    out = {k: att[k] for k in SLACK_ATTACHMENT_KEYS if att.get(k) not in (None, "", [])}
    links = _extra_links(att)
    if links:
        out["text"] = "\n".join([str(out.get("text") or ""), *links]).strip()
    if "fields" in out:
        out["fields"] = [{"title": str(f.get("title") or ""), "value": str(f.get("value") or ""),
                          "short": bool(f.get("short"))} for f in out["fields"] if isinstance(f, dict)]
    if "fallback" not in out:
        out["fallback"] = str(att.get("title") or att.get("text") or att.get("pretext") or "attachment")[:300]
    return out


def slack(message: dict[str, Any], bridge: BridgeConfig, limit: int) -> dict[str, Any]:
    """The Slack/Mattermost webhook body: text cut at ``limit``, author as ``username``, avatar or emoji icon,
    at most 20 attachments (the last one's footer counts those left out) and ``bridge.channel`` when set."""
    body: dict[str, Any] = {"text": cut(message.get("text"), limit), "username": author_of(message)}
    avatar = safe_http_url(message.get("avatar"))
    if avatar:
        body["icon_url"] = avatar
    elif message.get("emoji"):
        body["icon_emoji"] = message["emoji"]
    attachments = [a for a in message.get("attachments") or [] if isinstance(a, dict)]
    if attachments:
        rendered = [slack_attachment(a) for a in attachments[:SLACK_MAX_ATTACHMENTS]]
        if len(attachments) > SLACK_MAX_ATTACHMENTS:
            rendered[-1]["footer"] = f"{len(attachments) - SLACK_MAX_ATTACHMENTS + 1} more attachment(s) not shown"
        body["attachments"] = rendered
    if bridge.channel:
        body["channel"] = bridge.channel
    return body


def _color(value: Any) -> int | None:
    if not isinstance(value, str) or not value:
        return None
    if value in NAMED_COLORS:
        return NAMED_COLORS[value]
    raw = value.lstrip("#")
    if len(raw) == 3:
        raw = "".join(c * 2 for c in raw)
    try:
        return int(raw, 16) if len(raw) == 6 else None
    except ValueError:
        return None


def discord_embed(att: dict[str, Any]) -> dict[str, Any]:
    """``att`` as a Discord embed, each part cut to Discord's limits and at most 25 fields; a
    ``good``/``warning``/``danger`` or ``#rgb``/``#rrggbb`` colour becomes an integer (other colours are left out)."""
    att = safe_links(att)
    embed: dict[str, Any] = {}
    if att.get("title"):
        embed["title"] = cut(att["title"], DISCORD["title"])
    if att.get("title_link"):
        embed["url"] = att["title_link"]
    description = "\n".join(p for p in [str(att.get("pretext") or ""), str(att.get("text") or ""),
                                        *_extra_links(att)] if p)
    if description:
        embed["description"] = cut(description, DISCORD["description"])
    color = _color(att.get("color"))
    if color is not None:
        embed["color"] = color
    if att.get("author_name"):
        author: dict[str, Any] = {"name": cut(att["author_name"], DISCORD["author"])}
        if att.get("author_link"):
            author["url"] = att["author_link"]
        if att.get("author_icon"):
            author["icon_url"] = att["author_icon"]
        embed["author"] = author
    fields = [f for f in att.get("fields") or [] if isinstance(f, dict)]
    if fields:
        embed["fields"] = [{"name": cut(f.get("title") or "\u200b", DISCORD["field_name"]),
                            "value": cut(f.get("value") or "\u200b", DISCORD["field_value"]),
                            "inline": bool(f.get("short"))} for f in fields[: DISCORD["fields"]]]
    if att.get("image_url"):
        embed["image"] = {"url": att["image_url"]}
    if att.get("thumb_url"):
        embed["thumbnail"] = {"url": att["thumb_url"]}
    if att.get("footer"):
        embed["footer"] = {"text": cut(att["footer"], DISCORD["footer"])}
    return embed


def _embed_size(embed: dict[str, Any]) -> int:
    size = len(embed.get("title", "")) + len(embed.get("description", ""))
    size += len(embed.get("author", {}).get("name", "")) + len(embed.get("footer", {}).get("text", ""))
    size += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
    return size


def _fit(embed: dict[str, Any], budget: int) -> int:
    """Drop fields, then shorten the description, until the embed fits ``budget`` characters."""
    size = _embed_size(embed)
    fields = embed.get("fields", [])
    while size > budget and fields:
        fields.pop()
        size = _embed_size(embed)
    if not fields:
        embed.pop("fields", None)
    if size > budget and "description" in embed:
        keep = len(embed["description"]) - (size - budget)
        if keep > 0:
            embed["description"] = cut(embed["description"], keep)
        else:
            del embed["description"]
        size = _embed_size(embed)
    return size


def discord(message: dict[str, Any], limit: int) -> dict[str, Any]:
    """The Discord webhook body: text cut at ``limit`` (≤ 2000), mentions off, ≤ 10 embeds of 6000 characters
    in all, the author as ``username`` unless Discord refuses it; a zero-width space if nothing else."""
    body: dict[str, Any] = {"content": cut(message.get("text"), min(limit, 2000)),
                            "allowed_mentions": {"parse": []}}
    name = author_of(message)
    if not any(word in name.lower() for word in DISCORD_FORBIDDEN_NAMES):  # Discord rejects those (400)
        body["username"] = cut(name, DISCORD["username"])
    avatar = safe_http_url(message.get("avatar"))
    if avatar:
        body["avatar_url"] = avatar
    embeds: list[dict[str, Any]] = []
    budget = DISCORD["total"]
    for att in [a for a in message.get("attachments") or [] if isinstance(a, dict)][: DISCORD["embeds"]]:
        embed = discord_embed(att)
        size = _fit(embed, budget)
        if size > budget:
            break
        budget -= size
        if embed:
            embeds.append(embed)
    if embeds:
        body["embeds"] = embeds
    if not body["content"] and not embeds:
        body["content"] = "\u200b"
    return body


def rocketchat(message: dict[str, Any], limit: int) -> dict[str, Any]:
    """The Rocket.Chat body: text cut at ``limit``, author as ``alias``,
    avatar or emoji, and the attachments as posted, minus their unsafe links."""
    body: dict[str, Any] = {"text": cut(message.get("text"), limit), "alias": author_of(message)}
    avatar = safe_http_url(message.get("avatar"))
    if avatar:
        body["avatar"] = avatar
    elif message.get("emoji"):
        body["emoji"] = message["emoji"]
    if message.get("attachments"):
        body["attachments"] = [safe_links(a) if isinstance(a, dict) else a for a in message["attachments"]]
    return body


def rest_url(base: str) -> str:
    """The ``/api/v1/chat.postMessage`` URL of the Rocket.Chat server at ``base`` (``base`` itself if it already is)."""
    base = base.rstrip("/")
    return base if base.endswith("/api/v1/chat.postMessage") else f"{base}/api/v1/chat.postMessage"


def render(bridge: BridgeConfig, message: dict[str, Any]) -> Outbound:
    """The request delivering ``message`` to ``bridge``."""
    url = bridge.url.get_secret_value()
    limit = bridge.max_text_chars or TEXT_LIMITS[bridge.type]
    kind = bridge.type
    if kind == "discord" and url.rstrip("/").endswith("/slack"):
        return Outbound(url, slack(message, bridge, min(limit, 2000)))
    if kind == "discord":
        return Outbound(url, discord(message, limit))
    if kind in ("slack", "mattermost"):
        return Outbound(url, slack(message, bridge, limit))
    if kind == "rocketchat":
        return Outbound(url, rocketchat(message, limit))
    if kind == "rocketchat-rest":
        body = {**rocketchat(message, limit), "channel": bridge.channel}
        token = bridge.auth_token.get_secret_value() if bridge.auth_token else ""
        return Outbound(rest_url(url), body, {"X-User-Id": bridge.user_id or "", "X-Auth-Token": token},
                        secret_headers=("X-Auth-Token",))
    doc = dict(message)
    doc["text"] = cut(doc.get("text"), limit)
    headers = {k: v.get_secret_value() for k, v in bridge.headers.items()}
    return Outbound(url, {"event": "message", "channel": message.get("channel"), "message": doc}, headers,
                    secret_headers=tuple(headers))
