"""Messages posted by an outgoing integration (a script's ``message``/``content``, or the receiver's JSON reply).

A reply goes to the ``channel`` it names, else the integration's
``target_room``, else the room of the message that triggered the call.  It is
posted as the integration's ``username`` (or as the author of the triggering
message with ``impersonate_user: true``), is marked ``bot: {"i": <id>}`` so it
never triggers that same integration again, and carries the reply depth used
by the loop protection (:data:`~hookhub.outgoing.triggers.MAX_REPLY_DEPTH`).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from ..config import UserConfig
from ..records import LogRecord
from ..errors import MessageError
from ..message import Draft, build_doc, check_allowed, drop_none, resolve, split_targets
from ..registry import Integration
from .triggers import DEPTH_FIELD, Room

if TYPE_CHECKING:  # pragma: no cover
    from ..hub import Hub


def _poster(hub: Hub, integ: Integration, trigger: dict[str, Any]) -> UserConfig:
    users = hub.registry.users
    if integ.config.impersonate_user:
        author = (trigger.get("u") or {}).get("username")
        if author in users:
            return users[author]
    if integ.config.username and integ.config.username in users:
        return users[integ.config.username]
    default = hub.config.admin.username or (hub.config.users[0].username if hub.config.users else None)
    if default is None:
        raise MessageError(f"integration {integ.id!r} cannot post a reply: declare a user under users: "
                           "and set username: on the integration")
    return users[default]


def reply_drafts(hub: Hub, integ: Integration, content: Any, trigger: dict[str, Any],
                 room: Room | None, logs: list[LogRecord] | None = None) -> list[Draft]:
    """Validated drafts for a reply; raise :class:`~hookhub.errors.MessageError` when it cannot be posted.

    Fields stored with a warning (a URL that is not http(s)) add a ``warn`` record to ``logs``.
    """
    if not isinstance(content, dict):
        raise MessageError("a reply must be an object with text or attachments")
    content = drop_none(dict(content))
    requested = content.pop("channel", None) or content.pop("roomId", None)
    default = integ.config.target_room
    if default is None and room is not None:
        default = f"#{room.name}" if room.kind == "channel" else f"@{room.name}"
    if not requested and default is None:
        raise MessageError(f"integration {integ.id!r}: a reply to this event needs a channel "
                           "(set target_room: or return a channel)")
    targets = split_targets(requested) if requested else [str(default)]
    poster = _poster(hub, integ, trigger)
    cfg = integ.config
    warnings: list[str] = []
    doc = build_doc(content, poster=poster, max_chars=hub.config.server.max_message_chars, alias=cfg.alias,
                    avatar=cfg.avatar, emoji=cfg.emoji, bot_id=integ.id, warnings=warnings)
    if logs is not None:
        logs.extend(LogRecord("warn", time.time(), f"reply field {w}") for w in warnings)
    doc[DEPTH_FIELD] = int(trigger.get(DEPTH_FIELD) or 0) + 1
    if content.get("tmid") is None and trigger.get("tmid"):
        doc["tmid"] = trigger["tmid"]
    drafts = []
    for target in targets:
        dest = resolve(target, hub.registry)
        check_allowed(dest, poster, hub.registry)
        drafts.append(Draft(dest, dict(doc)))
    return drafts
