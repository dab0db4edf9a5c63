"""Posting (hookhub.pipeline.posting): stamp → rows → one transaction → announce, in that order."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from hookhub.config import load_config
from hookhub.hookspecs import hookimpl
from hookhub.hub import Hub
from hookhub.pipeline.posting import Post, message_rows, post
from hookhub.pipeline.processing import deliver
from hookhub.records import LogRecord
from hookhub.store import WriteOp, new_id
from hookhub.plugins import make_plugin_manager

from ..conftest import integration


class Listener:
    """A plugin noting each announced message and whether it was already committed then."""

    def __init__(self) -> None:
        self.hub: Hub | None = None
        self.seen: list[tuple[str, str | None, bool]] = []

    @hookimpl
    def hookhub_message_posted(self, hub: Hub, message: dict[str, Any], integration_id: str | None) -> None:
        stored = [m["_id"] for m in hub.store.read_now(
            lambda c: [dict(r._mapping) for r in c.exec_driver_sql("SELECT id AS _id FROM messages")])]
        self.seen.append((message["_id"], integration_id, message["_id"] in stored))


@pytest.fixture
async def hub(write_config: Callable[..., Path]) -> AsyncIterator[tuple[Hub, Listener]]:
    listener = Listener()
    config = load_config(write_config(integration("hook")))
    hub = Hub(config, pm=make_plugin_manager(extra=[listener]))
    await hub.start()
    try:
        yield hub, listener
    finally:
        await hub.stop()


def drafts_of(hub: Hub, *texts: str) -> list[Any]:
    integ = hub.registry.integrations["hook"]
    found: list[Any] = []
    for text in texts:
        found += deliver(hub, integ, {"text": text}, None, None).drafts
    return found


def history_row(hid: str) -> dict[str, Any]:
    return {"id": hid, "integration_id": "hook", "kind": "incoming", "step": None, "request": {}, "result": None,
            "status": 200, "response": {"success": True}, "error": None, "duration_ms": 1.0, "delivery_id": None}


async def test_post_commits_everything_then_announces_each_message(hub: tuple[Hub, Listener]) -> None:
    h, listener = hub
    drafts = drafts_of(h, "one", "two")
    hid = new_id()
    await post(h, Post("hook", drafts, history=history_row(hid), logs=[LogRecord("info", 1.0, "ran")]))
    ids = [d.doc["_id"] for d in drafts]
    assert [(i, "hook", True) for i in ids] == listener.seen  # announced once each, after the commit
    texts = sorted(m["text"] for m in await h.store.messages("#general"))
    assert texts == ["one", "two"]
    entry = await h.store.history_entry("hook", hid)
    assert entry is not None and entry["message_ids"] == ids
    assert [r["message"] for r in await h.store.logs("hook")] == ["ran"]


async def test_a_failing_extra_operation_commits_nothing_and_announces_nothing(hub: tuple[Hub, Listener]) -> None:
    h, listener = hub

    def boom(conn: Any) -> None:
        raise RuntimeError("disk on fire")

    failing: WriteOp = boom
    with pytest.raises(RuntimeError, match="disk on fire"):
        await post(h, Post("hook", drafts_of(h, "lost"), history=history_row(new_id()), extra=[failing]))
    assert listener.seen == []
    assert await h.store.messages("#general") == []
    assert await h.store.history("hook") == []


def test_ops_stamp_unstamped_drafts_and_fill_the_history(write_config: Callable[..., Path]) -> None:
    h = Hub(load_config(write_config(integration("hook"))))
    drafts = drafts_of(h, "x")  # deliver stamps
    stamped_id = drafts[0].doc["_id"]
    fresh = [type(drafts[0])(drafts[0].destination, {"msg": "y", "text": "y"})]
    history = history_row("h1")
    ops = Post("hook", drafts + fresh, history=history).ops(now=1234.5)
    assert len(ops) == 3  # messages, logs, history
    assert drafts[0].doc["_id"] == stamped_id  # already stamped: kept
    assert "_id" in fresh[0].doc
    assert history["ts"] == 1234.5 and history["message_ids"] == [stamped_id, fresh[0].doc["_id"]]
    assert len(Post(None, fresh).ops(now=1.0)) == 1  # the chat API: messages only


def test_message_rows_are_keyed_by_id_and_room(write_config: Callable[..., Path]) -> None:
    h = Hub(load_config(write_config(integration("hook"))))
    drafts = drafts_of(h, "x")
    [row] = message_rows(drafts, "hook", 99.0)
    assert row == {"id": drafts[0].doc["_id"], "ts": 99.0, "room": "#general", "integration_id": "hook",
                   "doc": drafts[0].doc}
