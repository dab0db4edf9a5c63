"""Which outgoing integrations a posted message triggers (CONTRACT §7).

* Channel filters: ``#name``, ``@user`` (direct conversations that user is
  part of), ``all_public_channels``, ``all_private_groups``,
  ``all_direct_messages``, or a bare channel id/name; no filter means all
  public channels.
* Trigger words: a prefix of the text by default, anywhere in it with
  ``trigger_word_anywhere``; blank words are ignored (a list of only blank
  words fires on every message, unlike Rocket.Chat #17820); the matched word
  is sent as ``trigger_word``.
* Edited messages (a document with ``editedAt``) only with ``run_on_edits``.
* Loop protection: a message posted by an outgoing integration never
  triggers that same integration, and a chain of replies between
  integrations stops after :data:`MAX_REPLY_DEPTH` hops.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..config import IntegrationConfig
from ..registry import Integration, Registry

#: events an outgoing integration can listen to in hookhub (room and user events come from reloads,
#: see :mod:`hookhub.outgoing.events`)
SUPPORTED_EVENTS = ("sendMessage", "roomCreated", "roomArchived", "roomJoined", "roomLeft", "userCreated")
#: Rocket.Chat events that have no source in hookhub (it stores no files)
UNSUPPORTED_EVENTS = ("fileUploaded",)
#: a reply to a reply to ... stops triggering integrations after this many hops
MAX_REPLY_DEPTH = 3
#: the message field counting reply hops
DEPTH_FIELD = "outgoing_depth"

FILTER_WORDS = ("all_public_channels", "all_private_groups", "all_direct_messages")


@dataclass(frozen=True)
class Room:
    """Where a message was posted, as the filters see it."""

    kind: str  # "channel" | "direct"
    name: str  # channel name, or the other user's username
    id: str
    private: bool
    #: usernames taking part in a direct conversation
    participants: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Match:
    """An integration to call for a message."""

    integration_id: str
    trigger_word: str | None
    room: Room


def room_of(message: dict[str, Any], registry: Registry) -> Room:
    """The :class:`Room` ``message`` was posted in: ``@user`` is a direct conversation (that user and the poster),
    otherwise the configured channel named by ``channel`` or ``rid`` (an unknown one is taken as public)."""
    label = str(message.get("channel") or "")
    poster = (message.get("u") or {}).get("username")
    if label.startswith("@"):
        other = label[1:]
        people = frozenset(p for p in (other, poster) if p)
        return Room("direct", other, str(message.get("rid") or label), True, people)
    channel = registry.channels.get(label) or registry.channels_by_id.get(str(message.get("rid") or ""))
    if channel is None:
        return Room("channel", label, str(message.get("rid") or label), False)
    return Room("channel", channel.name, channel.channel_id, channel.private)


def channel_matches(filters: list[str], room: Room, registry: Registry) -> bool:
    """Whether ``room`` passes one of the channel ``filters`` (none: ``all_public_channels``); a
    bare entry is a channel's name or id, or the id of a user taking part in a direct conversation."""
    for entry in filters or ["all_public_channels"]:
        if entry == "all_public_channels":
            if room.kind == "channel" and not room.private:
                return True
        elif entry == "all_private_groups":
            if room.kind == "channel" and room.private:
                return True
        elif entry == "all_direct_messages":
            if room.kind == "direct":
                return True
        elif entry.startswith("#"):
            if room.kind == "channel" and room.name == entry[1:]:
                return True
        elif entry.startswith("@"):
            if room.kind == "direct" and entry[1:] in room.participants:
                return True
        elif room.kind == "channel" and entry in (room.name, room.id):
            return True
        elif room.kind == "direct":
            user = registry.users_by_id.get(entry)
            if user is not None and user.username in room.participants:
                return True
    return False


def find_trigger_word(words: list[str], text: str, anywhere: bool) -> tuple[bool, str | None]:
    """``(fires, matched_word)``; blank words are ignored."""
    usable = [w for w in words if w.strip()]
    if not usable:
        return True, None
    for word in usable:
        if (word in text) if anywhere else text.startswith(word):
            return True, word
    return False, None


def matches(integ: IntegrationConfig, message: dict[str, Any], room: Room, registry: Registry) -> Match | None:
    """The match when ``message`` triggers the outgoing integration ``integ``, else None."""
    if integ.type != "outgoing" or not integ.enabled:
        return None
    if (integ.event or "sendMessage") != "sendMessage":
        return None
    if message.get("editedAt") and not integ.run_on_edits:
        return None
    if (message.get("bot") or {}).get("i") == integ.id:
        return None
    if int(message.get(DEPTH_FIELD) or 0) >= MAX_REPLY_DEPTH:
        return None
    if not channel_matches(list(integ.channel), room, registry):
        return None
    fires, word = find_trigger_word(list(integ.trigger_words), str(message.get("text") or ""),
                                    integ.trigger_word_anywhere)
    if not fires:
        return None
    return Match(integ.id, word, room)


class OutgoingIndex:
    """The outgoing integrations of a registry, by the channel they filter on.

    A posted message is matched against the integrations that can fire for its
    room only: those whose filters are all ``#name`` entries are listed under
    those names, every other outgoing integration (``all_public_channels``,
    ``@user``, ids, no filter) is a candidate for every room.  Incoming
    integrations are never candidates.  :func:`matches` still decides for each
    candidate (enabled, event, edits, loops, trigger words), so a runtime change
    of ``enabled`` (a 410 answer) needs no rebuild; a reload builds a new
    registry and therefore a new index.
    """

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.by_channel: dict[str, list[tuple[int, Integration]]] = {}
        self.anywhere: list[tuple[int, Integration]] = []
        for position, item in enumerate(registry.integrations.values()):
            if item.config.type != "outgoing":
                continue
            filters = list(item.config.channel)
            if filters and all(f.startswith("#") for f in filters):
                for name in dict.fromkeys(f[1:] for f in filters):
                    self.by_channel.setdefault(name, []).append((position, item))
            else:
                self.anywhere.append((position, item))

    def candidates(self, room: Room) -> list[Integration]:
        """Every outgoing integration that may fire for a message in ``room``, in registry order."""
        named = self.by_channel.get(room.name, []) if room.kind == "channel" else []
        if not named:
            return [item for _, item in self.anywhere]
        if not self.anywhere:
            return [item for _, item in named]
        return [item for _, item in sorted(named + self.anywhere, key=lambda pair: pair[0])]
