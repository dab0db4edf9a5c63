"""From content to message (CONTRACT §6).

:func:`build_messages` applies the integration's defaults and the override
rule, resolves every destination, validates fields and returns one
:class:`Draft` per destination, or raises :class:`~hookhub.errors.MessageError`.
Nothing here touches the store.

URL fields are stored as the script wrote them, as Rocket.Chat does (``data:``
avatars, relative links): a value that is not an absolute http(s) URL adds a
warning naming the field to the ``warnings`` list passed in (the pipeline logs
them), and whatever renders the message uses :func:`hookhub.urls.safe_http_url`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import ids
from .config import ChannelConfig, Config, IntegrationConfig, UserConfig
from .errors import MessageError, Problem
from .registry import Registry
from .urls import url_problem

URL_FIELDS = ("author_link", "author_icon", "title_link", "image_url", "thumb_url",
              "audio_url", "video_url", "message_link")
ATTACHMENT_KEYS = {"color", "text", "ts", "author_name", "title", "collapsed", "fields", "actions",
                   "pretext", "fallback", "footer", "footer_icon", "mrkdwn_in", "title_link_download",
                   "image_dimensions", "image_preview", "type", "description", "attachments", *URL_FIELDS}
OVERRIDE_ERROR = "overriding destination channel is disabled for this integration"


@dataclass(frozen=True)
class Destination:
    """Where a message goes: a channel, or a direct conversation with a user."""

    kind: str  # "channel" | "direct"
    name: str  # channel name, or the other user's username
    room_id: str
    private: bool = False

    @property
    def label(self) -> str:
        """How the destination is written in messages: ``#channel`` or ``@username``."""
        return f"#{self.name}" if self.kind == "channel" else f"@{self.name}"


@dataclass
class Draft:
    """A validated message for one destination, ready to store."""

    destination: Destination
    doc: dict[str, Any]


_SCALARS = (str, int, float, bool)


def _has_none_value(value: Any) -> bool:
    """True when an object anywhere inside ``value`` has a ``None`` value (a loop: no recursion, no generators)."""
    stack = [value]
    while stack:
        item = stack.pop()
        children: Any
        if isinstance(item, dict):
            children = item.values()
            for v in children:
                if v is None:
                    return True
        elif isinstance(item, list):
            children = item
        else:
            continue
        for v in children:
            kind = type(v)
            if kind is dict or kind is list:
                stack.append(v)
            elif kind not in _SCALARS and v is not None and isinstance(v, (dict, list)):
                stack.append(v)  # a subclass
    return False


def drop_none(value: Any) -> Any:
    """Drop ``None`` values inside objects (like JavaScript ``undefined``).

    Returns ``value`` itself when there is nothing to drop (the common case:
    a check is cheaper than a copy, and nothing downstream changes it).
    """
    if not _has_none_value(value):
        return value
    return _drop_none(value)


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def split_targets(value: Any) -> list[str]:
    """A channel value (string, comma-separated string, or list) → entries."""
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise MessageError("invalid-channel", field="channel",
                               fix="give a channel as '#name' or '@username', or a list of them")
        out.extend(p.strip() for p in item.split(",") if p.strip())
    return out


def _same_target(a: str, b: str, registry: Registry) -> bool:
    try:
        return resolve(a, registry) == resolve(b, registry)
    except MessageError:
        return a == b


def destinations_for(content: dict[str, Any], integ: IntegrationConfig, registry: Registry) -> list[str]:
    """The destination entries, applying the override rule."""
    requested = content.get("channel") or content.get("roomId")
    if not requested:
        return list(integ.channel)
    entries = split_targets(requested)
    if not integ.override_destination_channel:
        own = list(integ.channel)
        if not all(any(_same_target(e, o, registry) for o in own) for e in entries):
            raise MessageError(OVERRIDE_ERROR, field="channel",
                               fix=f"post to the integration's own channel ({', '.join(own)}), drop 'channel' "
                                   "from the content, or set override_destination_channel: true")
    return entries


def resolve(entry: str, registry: Registry) -> Destination:
    """``#name`` → channel; ``@username`` → direct; else channel by id or name, else user by id.

    Found once per configuration (the registry keeps it); an entry that names nothing raises each time.
    """
    found: Destination | None = registry.resolved.get(entry)
    if found is None:
        found = registry.resolved[entry] = _resolve(entry, registry)
    return found


def _resolve(entry: str, registry: Registry) -> Destination:
    channel: ChannelConfig | None = None
    user: UserConfig | None = None
    if entry.startswith("#"):
        channel = registry.channels.get(entry[1:])
    elif entry.startswith("@"):
        user = registry.users.get(entry[1:])
    else:
        channel = registry.channels_by_id.get(entry) or registry.channels.get(entry)
        if channel is None:
            user = registry.users_by_id.get(entry)
    if channel is not None:
        return Destination("channel", channel.name, channel.channel_id, channel.private)
    if user is not None:
        return Destination("direct", user.username, f"@{user.username}")
    raise MessageError("invalid-channel", field="channel",
                       fix=f"{entry!r} is not a declared channel ('#name') or user ('@username'); declare it under "
                           "channels: or users: in the YAML file")


def check_allowed(dest: Destination, poster: UserConfig, registry: Registry) -> None:
    """Private channels accept posts only from members (a pair allowed once is remembered by the registry)."""
    if dest.kind == "channel" and (dest.name, poster.username) not in registry.allowed:
        channel = registry.channels[dest.name]
        if channel.archived:
            raise MessageError("error-room-archived", field="channel",
                               fix=f"#{channel.name} is archived; post to another channel")
        if channel.private and poster.username not in channel.members:
            raise MessageError("error-not-allowed", field="channel",
                               fix=f"#{channel.name} is private and {poster.username!r} is not in its members; "
                                   "add it to members: or post as a member")
        registry.allowed.add((dest.name, poster.username))


def _check_url(value: Any, where: str, warnings: list[str] | None) -> None:
    """A URL field must be a string; one that is not an absolute http(s) URL is kept with a warning."""
    if not isinstance(value, str):
        raise MessageError(f"{where} must be a string URL", field=where,
                           fix="give an absolute http(s) URL as a string, or leave the field out")
    problem = url_problem(value)
    if problem is not None and warnings is not None:
        warnings.append(f"{where} {problem}; stored as is, but bridges and the UI leave it out")


def default_warnings(alias: Any, avatar: Any, emoji: Any) -> list[str]:
    """What :func:`build_doc` would say about an integration's own ``alias``/``avatar``/``emoji``.

    ``hookhub check`` calls it on each integration, so what serving would log
    (or refuse) is known before the first webhook.  Empty values mean unset.
    """
    found: list[str] = []
    for key, value in (("alias", alias), ("emoji", emoji)):
        if value and not isinstance(value, str):
            found.append(f"{key} must be a string")
    if avatar:
        problem = url_problem(avatar)
        if problem is not None:
            found.append(f"avatar {problem}; messages get it as is, but bridges and the UI leave it out")
    return found


def _text_of(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise MessageError(f"{where} must be a string", field=where,
                           fix="convert the value with str(...) or an f-string")
    return str(value)


def default_problems(config: Config) -> list[Problem]:
    """:func:`default_warnings` of every integration, located at its YAML key (for ``hookhub check``)."""
    problems: list[Problem] = []
    for i, integ in enumerate(config.integrations):
        for text in default_warnings(integ.alias, integ.avatar, integ.emoji):
            path = f"integrations[{i}].{text.split(' ', 1)[0]}"
            problems.append(Problem(config.file, config.line_of(path), path, f"integration {integ.id}: {text}"))
    return problems


_URL_KEYS = frozenset(URL_FIELDS)
_TEXT_KEYS = frozenset(("title", "text", "author_name", "pretext", "color"))


def validate_attachments(value: Any, warnings: list[str] | None = None) -> list[dict[str, Any]]:
    """Checked copies of a message's attachments (field values become strings, ``None`` values dropped).

    One pass over each attachment's own keys: text fields must be text (numbers become strings), URL
    fields strings (a warning when not an absolute http(s) URL), ``fields`` a list of objects, ``actions``
    a list; other keys are kept as they are, without the ``None`` values inside them (like
    :func:`drop_none`).
    """
    if not isinstance(value, list):
        raise MessageError("attachments must be a list of objects", field="attachments",
                           fix="return attachments as a list: [{'title': ..., 'text': ...}]")
    out: list[dict[str, Any]] = []
    for i, att in enumerate(value):
        if type(att) is not dict and not isinstance(att, dict):
            where = f"attachments[{i}]"
            raise MessageError(f"{where} must be an object", field=where,
                               fix="each attachment is an object such as {'title': ..., 'text': ...}")
        checked: dict[str, Any] = {}
        for key, item in att.items():
            if item is None:
                continue
            if key in _TEXT_KEYS:
                if type(item) is not str:
                    item = _text_of(item, f"attachments[{i}].{key}")
            elif key in _URL_KEYS:
                _check_url(item, f"attachments[{i}].{key}", warnings)
            elif key == "fields":
                item = _checked_fields(item, i)
            else:
                if key == "actions" and not isinstance(item, list):
                    raise MessageError(f"attachments[{i}].actions must be a list", field=f"attachments[{i}].actions",
                                       fix="give a list of action objects, or leave the field out")
                if type(item) is dict or type(item) is list or isinstance(item, (dict, list)):
                    item = drop_none(item)
            checked[key] = item
        out.append(checked)
    return out


def _checked_fields(fields: Any, i: int) -> list[dict[str, Any]]:
    """An attachment's ``fields``: objects with ``title`` (text), ``value`` (made text) and ``short`` (bool)."""
    if not isinstance(fields, list):
        raise MessageError(f"attachments[{i}].fields must be a list of {{title, value, short}} objects",
                           field=f"attachments[{i}].fields", fix="use [{'title': ..., 'value': ..., 'short': True}]")
    checked = []
    for j, f in enumerate(fields):
        if not isinstance(f, dict):
            raise MessageError(f"attachments[{i}].fields[{j}] must be an object with title and value",
                               field=f"attachments[{i}].fields[{j}]", fix="use {'title': ..., 'value': ...}")
        one: dict[str, Any] = {}
        for key, item in f.items():
            if item is None:
                continue
            if key == "value":
                if type(item) is not str:
                    item = _stringify(drop_none(item))
            elif key == "title":
                if type(item) is not str:
                    item = _text_of(item, f"attachments[{i}].fields[{j}].title")
            elif key == "short":
                item = bool(item)
            elif type(item) is dict or type(item) is list or isinstance(item, (dict, list)):
                item = drop_none(item)
            one[key] = item
        checked.append(one)
    return checked


def _stringify(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        import json
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def poster_for(integ: IntegrationConfig, override: Any, registry: Registry) -> UserConfig:
    """The "post as" user, possibly changed by the script's ``user`` return."""
    if override:
        name = None
        if isinstance(override, str):
            name = override
        elif isinstance(override, dict):
            name = override.get("username")
            if name is None and isinstance(override.get("_id"), str):
                by_id = registry.users_by_id.get(override["_id"])
                name = by_id.username if by_id else None
        user = registry.users.get(name) if isinstance(name, str) else None
        if user is None:
            raise MessageError("invalid-user: the script's user must be a declared username", field="user",
                               fix=f"{name!r} is not declared under users: in the YAML file; declared: "
                                   f"{', '.join(sorted(registry.users)) or 'none'}")
        return user
    return registry.users[integ.username or ""]


def build_doc(content: dict[str, Any], *, poster: UserConfig, max_chars: int, alias: str | None = None,
              avatar: str | None = None, emoji: str | None = None, bot_id: str | None = None,
              warnings: list[str] | None = None) -> dict[str, Any]:
    """Validated message fields (without destination, id or time).

    ``alias``, ``avatar`` and ``emoji`` are the defaults (the integration's;
    empty means unset); ``bot_id`` marks the message as posted by that
    integration; ``warnings`` collects what was stored but will not be shown.
    """
    raw_text = content.get("text")
    if raw_text is None:
        raw_text = content.get("msg")
    text = _text_of(raw_text, "text").strip() if raw_text is not None else ""
    raw_attachments = content.get("attachments")
    attachments = validate_attachments(raw_attachments, warnings) if raw_attachments is not None else []
    if not text and not attachments:
        raise MessageError("the message needs a non-empty text (or msg) or at least one attachment", field="text",
                           fix="set text (or attachments), or return None to post nothing")
    if len(text) > max_chars:
        raise MessageError("error-message-size-exceeded", field="text",
                           fix=f"the text has {len(text)} characters, the limit is {max_chars} "
                               "(server.max_message_chars): shorten it (hookkit.shorten) or raise the limit")

    default_avatar, default_emoji = avatar or None, emoji or None
    alias = content.get("username") or content.get("alias") or alias
    avatar = content.get("icon_url") or content.get("avatar")
    emoji = None
    where = "icon_url" if content.get("icon_url") else "avatar"
    if not avatar:
        emoji = content.get("icon_emoji") or content.get("emoji")
    if not avatar and not emoji:
        avatar = default_avatar
        emoji = None if avatar else default_emoji
        where = "the integration's avatar"
    if avatar is not None:
        _check_url(avatar, where, warnings)
    doc: dict[str, Any] = {
        "text": text,
        "alias": _text_of(alias, "alias") if alias else None,
        "emoji": _text_of(emoji, "emoji") if emoji else None,
        "avatar": avatar,
        "attachments": attachments,
        "parseUrls": bool(content["parseUrls"]) if content.get("parseUrls") is not None else not attachments,
        "groupable": bool(content.get("groupable", False)),
        "u": {"_id": poster.user_id, "username": poster.username, "name": poster.name or poster.username},
    }
    if bot_id is not None:
        doc["bot"] = {"i": bot_id}
    if content.get("tmid") is not None:
        doc["tmid"] = _text_of(content["tmid"], "tmid")
    return doc


def build_messages(content: dict[str, Any], integ: IntegrationConfig, registry: Registry, *,
                   user_override: Any = None, max_chars: int = 5000,
                   warnings: list[str] | None = None) -> tuple[list[Draft], list[dict[str, Any]]]:
    """Turn content into drafts (``warnings``: see :func:`build_doc`).

    Returns ``(drafts, failures)``.  Without ``separateResponse`` every
    destination must be valid (any failure raises, nothing is posted); with it,
    failures are collected per destination as ``{"channel", "error"}``.
    """
    # None values are dropped like JavaScript's undefined: build_doc reads a top-level None as a missing
    # key and validate_attachments drops the ones inside attachments (no walk over the whole content)
    separate = bool(content.get("separateResponse"))
    poster = poster_for(integ, user_override, registry)
    entries = destinations_for(content, integ, registry)
    doc = build_doc(content, poster=poster, max_chars=max_chars, alias=integ.alias, avatar=integ.avatar,
                    emoji=integ.emoji, bot_id=integ.id, warnings=warnings)
    drafts: list[Draft] = []
    failures: list[dict[str, Any]] = []
    for entry in entries:
        try:
            dest = resolve(entry, registry)
            check_allowed(dest, poster, registry)
        except MessageError as exc:
            if not separate:
                raise
            failures.append({"channel": entry, "error": exc.error})
            continue
        drafts.append(Draft(dest, dict(doc)))
    return drafts, failures


def stamp(drafts: list[Draft], now: float) -> None:
    """Give each draft its id, time, room id and channel label."""
    for draft in drafts:
        dest = draft.destination
        draft.doc.update({"_id": ids.new_id(), "ts": ids.iso(now), "rid": dest.room_id,
                          "channel": dest.name if dest.kind == "channel" else dest.label})
