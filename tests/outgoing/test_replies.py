"""Replies of outgoing integrations (hookhub.outgoing.replies): where they go, as whom, marked how."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hookhub.config import load_config
from hookhub.errors import MessageError
from hookhub.hub import Hub
from hookhub.outgoing.replies import reply_drafts
from hookhub.outgoing.triggers import DEPTH_FIELD, Room
from hookhub.records import LogRecord

from .conftest import outgoing

GENERAL = Room("channel", "general", "general", False)
TRIGGER: dict[str, Any] = {"_id": "m1", "text": "!deploy", "u": {"username": "alice"}}


def hub_with(write_config: Callable[..., Path], **fields: Any) -> Hub:
    return Hub(load_config(write_config(outgoing("out", ["http://127.0.0.1:9/"], username="rocket.cat", **fields))))


def test_a_reply_goes_to_the_room_of_the_trigger_as_the_integrations_user(write_config: Callable[..., Path]) -> None:
    hub = hub_with(write_config)
    [draft] = reply_drafts(hub, hub.registry.integrations["out"], {"text": "deploying"}, TRIGGER, GENERAL)
    assert draft.destination.label == "#general"
    assert draft.doc["text"] == "deploying" and draft.doc["u"]["username"] == "rocket.cat"
    assert draft.doc["bot"] == {"i": "out"}  # never triggers the same integration again
    assert draft.doc[DEPTH_FIELD] == 1


def test_the_reply_depth_grows_and_threads_are_kept(write_config: Callable[..., Path]) -> None:
    hub = hub_with(write_config)
    trigger = {**TRIGGER, DEPTH_FIELD: 2, "tmid": "thread-1"}
    [draft] = reply_drafts(hub, hub.registry.integrations["out"], {"text": "again"}, trigger, GENERAL)
    assert draft.doc[DEPTH_FIELD] == 3 and draft.doc["tmid"] == "thread-1"


def test_channel_in_the_reply_then_target_room_then_the_triggers_room(write_config: Callable[..., Path]) -> None:
    hub = hub_with(write_config, target_room="#notifications")
    integ = hub.registry.integrations["out"]
    [draft] = reply_drafts(hub, integ, {"text": "x"}, TRIGGER, GENERAL)
    assert draft.destination.label == "#notifications"
    drafts = reply_drafts(hub, integ, {"text": "x", "channel": "#general,@bob"}, TRIGGER, GENERAL)
    assert [d.destination.label for d in drafts] == ["#general", "@bob"]


def test_impersonation_posts_as_the_author(write_config: Callable[..., Path]) -> None:
    hub = hub_with(write_config, impersonate_user=True)
    [draft] = reply_drafts(hub, hub.registry.integrations["out"], {"text": "x"}, TRIGGER, GENERAL)
    assert draft.doc["u"]["username"] == "alice"


def test_replies_that_cannot_be_posted_say_why(write_config: Callable[..., Path]) -> None:
    hub = hub_with(write_config)
    integ = hub.registry.integrations["out"]
    with pytest.raises(MessageError, match="a reply must be an object with text or attachments"):
        reply_drafts(hub, integ, "just text", TRIGGER, GENERAL)
    with pytest.raises(MessageError, match=r"a reply to this event needs a channel \(set target_room:"):
        reply_drafts(hub, integ, {"text": "x"}, TRIGGER, None)
    with pytest.raises(MessageError):
        reply_drafts(hub, integ, {"text": "x", "channel": "#nowhere"}, TRIGGER, GENERAL)


def test_fields_kept_with_a_warning_are_logged(write_config: Callable[..., Path]) -> None:
    hub = hub_with(write_config)
    logs: list[LogRecord] = []
    content = {"text": "x", "attachments": [{"title": "t", "title_link": "javascript:alert(1)"}]}
    reply_drafts(hub, hub.registry.integrations["out"], content, TRIGGER, GENERAL, logs)
    assert logs and all(r.level == "warn" and r.message.startswith("reply field ") for r in logs)
