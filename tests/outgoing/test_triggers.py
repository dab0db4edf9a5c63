"""Trigger words and channel filters, without HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from hookhub.config import load_config
from hookhub.registry import Registry
from hookhub.outgoing.triggers import MAX_REPLY_DEPTH, channel_matches, find_trigger_word, matches, room_of

from .conftest import outgoing


@pytest.mark.parametrize(("words", "text", "anywhere", "expected"), [
    (["!go"], "!go now", False, (True, "!go")),
    (["!go"], "now !go", False, (False, None)),
    (["!go"], "now !go", True, (True, "!go")),
    (["a", "b"], "b first", False, (True, "b")),
    ([], "anything", False, (True, None)),
    (["", "  "], "anything", False, (True, None)),
    (["", "x"], "anything", False, (False, None)),
])
def test_find_trigger_word(words: list[str], text: str, anywhere: bool, expected: tuple[bool, str | None]) -> None:
    assert find_trigger_word(words, text, anywhere) == expected


@pytest.fixture
def registry(write_config) -> Registry:  # type: ignore[no-untyped-def]
    config = load_config(write_config(outgoing("o", ["https://x.test/"])))
    return Registry(config, {})


def _msg(channel: str, poster: str = "rocket.cat", **extra: object) -> dict[str, object]:
    return {"_id": "m", "channel": channel, "rid": channel, "text": "hi", "u": {"username": poster}, **extra}


@pytest.mark.parametrize(("filters", "channel", "poster", "expected"), [
    ([], "general", "rocket.cat", True),
    ([], "ops", "alice", False),
    (["all_private_groups"], "ops", "alice", True),
    (["all_public_channels"], "ops", "alice", False),
    (["all_direct_messages"], "@bob", "alice", True),
    (["@bob"], "@bob", "alice", True),
    (["@alice"], "@bob", "alice", True),  # alice takes part in that conversation
    (["@alice"], "@bob", "rocket.cat", False),
    (["#general"], "general", "rocket.cat", True),
    (["#general"], "notifications", "rocket.cat", False),
    (["general"], "general", "rocket.cat", True),
])
def test_channel_filters(registry: Registry, filters: list[str], channel: str, poster: str, expected: bool) -> None:
    room = room_of(_msg(channel, poster), registry)
    assert channel_matches(filters, room, registry) is expected


def test_loop_protection_and_edits(registry: Registry) -> None:
    integ = registry.integrations["o"].config
    room = room_of(_msg("general"), registry)
    assert matches(integ, _msg("general"), room, registry) is not None
    assert matches(integ, _msg("general", bot={"i": "o"}), room, registry) is None
    assert matches(integ, _msg("general", bot={"i": "other"}), room, registry) is not None
    assert matches(integ, _msg("general", outgoing_depth=MAX_REPLY_DEPTH), room, registry) is None
    assert matches(integ, _msg("general", editedAt="2026-01-01"), room, registry) is None
    edits = integ.model_copy(update={"run_on_edits": True})
    assert matches(edits, _msg("general", editedAt="2026-01-01"), room, registry) is not None
    assert matches(integ.model_copy(update={"enabled": False}), _msg("general"), room, registry) is None


def test_unsupported_event_is_a_config_error(write_config) -> None:  # type: ignore[no-untyped-def]
    from hookhub.errors import ConfigError

    with pytest.raises(ConfigError, match=r"integrations\[0\]\.event: event 'fileUploaded' is not supported"):
        load_config(write_config(outgoing("o", ["https://x.test/"], event="fileUploaded")))


def test_the_index_finds_exactly_what_matching_every_integration_finds(write_config) -> None:  # type: ignore[no-untyped-def]
    from hookhub.outgoing.triggers import OutgoingIndex

    from ..conftest import integration

    filters: list[list[str]] = [[], ["#general"], ["#ops"], ["#general", "#notifications"], ["all_public_channels"],
                                ["all_private_groups"], ["all_direct_messages"], ["@alice"], ["general"],
                                ["#general", "all_direct_messages"]]
    entries = [outgoing(f"o{i}", ["https://x.test/"], channel=f) for i, f in enumerate(filters)]
    entries += [outgoing("switched-off", ["https://x.test/"], channel=["#general"], enabled=False),
                outgoing("edits", ["https://x.test/"], channel=["#general"], trigger_words=["!go"]),
                integration("in1"), integration("in2")]
    registry = Registry(load_config(write_config(*entries)), {})
    index = OutgoingIndex(registry)
    assert all(i.config.type == "outgoing" for lst in index.by_channel.values() for _, i in lst)
    for channel, poster in [("general", "rocket.cat"), ("ops", "alice"), ("notifications", "bob"),
                            ("@bob", "alice"), ("@alice", "bob"), ("unknown", "bob")]:
        for text in ("hi", "!go there"):
            msg = {**_msg(channel, poster), "text": text}
            room = room_of(msg, registry)
            brute = [m for integ in registry.integrations.values()
                     if (m := matches(integ.config, msg, room, registry)) is not None]
            indexed = [m for integ in index.candidates(room)
                       if (m := matches(integ.config, msg, room, registry)) is not None]
            assert indexed == brute, (channel, poster, text)
            assert brute or channel == "unknown" or text == "!go there" or poster == "bob"  # not vacuous
    assert len(index.candidates(room_of(_msg("general"), registry))) < len(registry.integrations) - 2
