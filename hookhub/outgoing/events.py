"""Room and user events for outgoing integrations, derived from configuration reloads.

hookhub's channels and users are declared in the YAML file, so Rocket.Chat's
room and user events happen when a reload (``POST /api/v1/reload``, SIGHUP)
changes that directory:

=================  ==========================================================
``roomCreated``    a channel was added
``roomArchived``   a channel's ``archived`` became true
``roomJoined``     a user was added to a channel's ``members``
``roomLeft``       a user was removed from a channel's ``members``
``userCreated``    a user was added
=================  ==========================================================

``fileUploaded`` has no source (hookhub stores no files).  Channel filters
apply to room events; trigger words only to ``sendMessage``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ..config import Config
from ..ids import iso
from .triggers import Room

ROOM_EVENTS = ("roomCreated", "roomArchived", "roomJoined", "roomLeft")
EVENTS = ("sendMessage", *ROOM_EVENTS, "userCreated")


@dataclass(frozen=True)
class Event:
    """One room or user event: its name, the data of its default body, and the room it concerns."""

    name: str
    data: dict[str, Any]
    room: Room | None


Directory = tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]


def snapshot(config: Config) -> Directory:
    """Users and channels of a configuration, as plain data."""
    users = {u.username: {"_id": u.user_id, "username": u.username, "name": u.name or u.username}
             for u in config.users}
    channels = {c.name: {"_id": c.channel_id, "name": c.name, "private": c.private, "archived": c.archived,
                         "members": list(c.members)} for c in config.channels}
    return users, channels


def _room(channel: dict[str, Any]) -> Room:
    return Room("channel", channel["name"], channel["_id"], bool(channel["private"]))


def _room_data(channel: dict[str, Any], user: dict[str, Any] | None, now: str) -> dict[str, Any]:
    room = {"_id": channel["_id"], "name": channel["name"], "t": "p" if channel["private"] else "c"}
    data: dict[str, Any] = {"channel_id": channel["_id"], "channel_name": channel["name"], "timestamp": now,
                            "room": room}
    if user is not None:
        data.update({"user_id": user["_id"], "user_name": user["username"], "user": user})
    return data


def changes(before: Directory, after: Directory, now: float | None = None) -> list[Event]:
    """The events that turn ``before`` into ``after``."""
    stamp = iso(time.time() if now is None else now)
    old_users, old_channels = before
    users, channels = after
    events: list[Event] = []
    for name, user in users.items():
        if name not in old_users:
            events.append(Event("userCreated", {"timestamp": stamp, "user_id": user["_id"],
                                                "user_name": user["username"], "user": user}, None))
    for name, channel in channels.items():
        old = old_channels.get(name)
        if old is None:
            events.append(Event("roomCreated", _room_data(channel, None, stamp), _room(channel)))
        elif channel["archived"] and not old["archived"]:
            events.append(Event("roomArchived", _room_data(channel, None, stamp), _room(channel)))
        previous = set(old["members"]) if old is not None else set()
        for member in channel["members"]:
            if member not in previous and member in users:
                events.append(Event("roomJoined", _room_data(channel, users[member], stamp), _room(channel)))
        if old is not None:
            for member in old["members"]:
                if member not in channel["members"]:
                    gone = users.get(member) or old_users.get(member) or {"_id": member, "username": member}
                    events.append(Event("roomLeft", _room_data(channel, gone, stamp), _room(channel)))
    return events


def event_body(token: str | None, event: Event | dict[str, Any], site_url: str | None = None) -> dict[str, Any]:
    """The default body of a room or user event (Rocket.Chat's fields for that event)."""
    data = event.data if isinstance(event, Event) else event
    body: dict[str, Any] = {"token": token, "bot": False, **data}
    if site_url:
        body["siteUrl"] = site_url
    return body
