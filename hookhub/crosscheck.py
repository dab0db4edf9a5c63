"""Checks across the sections of a validated configuration (CONTRACT §8).

The schema (:mod:`hookhub.config`) checks each key on its own; these checks
need several at once: ids, usernames and channel names are unique; members,
usernames and channel targets are declared; each integration type has what it
needs (a token, a channel, urls or a script); script files exist; bridges
forward declared channels.  Every problem names the file, line and key path.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from . import yamlsource
from .errors import Problem

if TYPE_CHECKING:  # pragma: no cover
    from .config import Config

__all__ = ["cross_check"]


def _duplicates(src: yamlsource.Source, section: str, key: str, values: list[str], what: str,
                hint: str = "") -> list[Problem]:
    """One problem per value seen before in ``section`` (``key`` of each entry)."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for i, value in enumerate(values):
        if value in seen:
            problems.append(src.problem((section, i, key), f"duplicate {what} {value!r} "
                                                           f"(also {section}[{seen[value]}]){hint}"))
        else:
            seen[value] = i
    return problems


def cross_check(config: Config, src: yamlsource.Source) -> list[Problem]:
    """Checks across sections: ids, users, channels, scripts files."""
    users = {u.username for u in config.users}
    user_ids = {u.user_id for u in config.users}
    channels = {c.name for c in config.channels} | {c.channel_id for c in config.channels}
    problems = _duplicates(src, "users", "username", [u.username for u in config.users], "user")
    problems += _duplicates(src, "channels", "name", [c.name for c in config.channels], "channel")
    problems += _duplicates(src, "integrations", "id", [i.id for i in config.integrations], "integration id",
                            "; ids must be unique")
    for i, channel in enumerate(config.channels):
        for j, member in enumerate(channel.members):
            if member not in users:
                problems.append(src.problem(("channels", i, "members", j),
                                            f"user {member!r} is not declared under users:"))
    if config.admin.username and config.admin.username not in users:
        problems.append(src.problem(("admin", "username"),
                                    f"user {config.admin.username!r} is not declared under users:"))

    for i, integ in enumerate(config.integrations):
        at = ("integrations", i)
        if integ.type == "incoming":
            if integ.token is None or not integ.token.get_secret_value():
                problems.append(src.problem((*at, "token"), "an incoming integration needs a token "
                                                            "(generate one with: hookhub new-token)"))
            if not integ.channel:
                problems.append(src.problem((*at, "channel"), "an incoming integration needs a channel "
                                                              "(e.g. \"#general\" or \"@alice\")"))
            if not integ.username:
                problems.append(src.problem((*at, "username"), "an incoming integration needs a username "
                                                               "to post as (one of the users: entries)"))
        elif not integ.urls and not (integ.script_enabled and (integ.script or integ.script_file)):
            problems.append(src.problem((*at, "urls"), "an outgoing integration needs urls (or a script "
                                                       "whose prepare_outgoing_request sets url)"))
        if integ.username and integ.username not in users:
            problems.append(src.problem((*at, "username"), f"user {integ.username!r} is not declared under users:"))
        for j, target in enumerate(integ.channel):
            problem = _check_target(target, users, user_ids, channels, integ.type)
            if problem:
                problems.append(src.problem((*at, "channel", j) if len(integ.channel) > 1 else (*at, "channel"),
                                            problem))
        if integ.dedupe is not None and integ.delivery_header is None:
            problems.append(src.problem((*at, "dedupe", "header"),
                                        "name the header carrying the delivery id (e.g. X-Request-Id)"))
        if integ.script is not None and integ.script_file is not None:
            problems.append(src.problem((*at, "script_file"), "set either script or script_file, not both"))
        if integ.script_file is not None and not config.resolve(integ.script_file).is_file():
            problems.append(src.problem((*at, "script_file"),
                                        f"file not found: {integ.script_file} (paths are relative to the YAML file)"))
        # outgoing: only events hookhub has a source for (hookhub/outgoing/triggers.py, events.py)
        if integ.type == "outgoing" and integ.event not in _OUTGOING_EVENTS:
            problems.append(src.problem((*at, "event"), f"event {integ.event!r} is not supported by hookhub; use "
                                                        f"one of: {', '.join(e for e in _OUTGOING_EVENTS if e)}"))
    problems.extend(_check_bridges(config, src, channels))
    return problems


def _check_bridges(config: Config, src: yamlsource.Source, channels: set[str]) -> list[Problem]:
    """Bridges: unique names, declared channels, what each type needs."""
    problems = _duplicates(src, "bridges", "name", [b.name for b in config.bridges], "bridge name")
    for i, bridge in enumerate(config.bridges):
        at = ("bridges", i)
        if not bridge.channels:
            problems.append(src.problem((*at, "channels"), "name the channels to forward, e.g. [\"#general\"]"))
        for j, entry in enumerate(bridge.channels):
            if not entry.startswith("#") or entry[1:] not in channels:
                problems.append(src.problem((*at, "channels", j), f"{entry!r} is not a declared channel; "
                                                                  "write \"#name\" of a channels: entry"))
        if bridge.type == "rocketchat-rest":
            for key in ("user_id", "auth_token", "channel"):
                if not getattr(bridge, key):
                    problems.append(src.problem((*at, key), f"a rocketchat-rest bridge needs {key}"))
        url = bridge.url.get_secret_value()
        if not re.match(r"^https?://[^/]+", url):
            problems.append(src.problem((*at, "url"), "must be an absolute http(s) URL"))
    return problems


_OUTGOING_EVENTS = (None, "sendMessage", "roomCreated", "roomArchived", "roomJoined", "roomLeft", "userCreated")
_OUTGOING_FILTERS = {"all_public_channels", "all_private_groups", "all_direct_messages"}


def _check_target(target: str, users: set[str], user_ids: set[str], channels: set[str], kind: str) -> str | None:
    if kind == "outgoing" and target in _OUTGOING_FILTERS:
        return None
    if target.startswith("#"):
        if target[1:] not in channels:
            return f"channel {target!r} is not declared under channels:"
    elif target.startswith("@"):
        if target[1:] not in users:
            return f"user {target!r} is not declared under users:"
    elif target not in channels and target not in user_ids:
        return f"{target!r} is neither a declared channel nor a user id; write \"#name\" or \"@username\""
    return None
