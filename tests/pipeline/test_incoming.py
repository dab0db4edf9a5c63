"""The incoming pipeline on SQLite and on PostgreSQL, with two hubs (two nodes) on one database."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from hookhub import scriptstate
from hookhub.config import load_config
from hookhub.hub import Hub
from hookhub.pipeline import Inbound, receive

from ..conftest import integration

STORE_SCRIPT = """
class Script:
    def process_incoming_request(self, request):
        c = request.content
        Store.set(c.key, c.value)
        if c.count:
            Store.set("count", (Store.get("count") or 0) + 1)
        return {"content": {"text": "stored " + c.key}}
"""


@pytest.fixture
async def nodes(store_url: str, write_config: Callable[..., Path]) -> AsyncIterator[list[Hub]]:
    """Two started hubs sharing one store (in-process sandboxes, real database)."""
    path = write_config(
        integration("state", STORE_SCRIPT),
        integration("gh", None, dedupe="{header: X-Delivery, wait_s: 10}"),
        integration("limited", None, rate_limit="{calls: 6, per_seconds: 3600}"))
    path.write_text(path.read_text().replace("sqlite:///data/hookhub.db", store_url), encoding="utf-8")
    config = load_config(path)
    hubs = [Hub(config), Hub(config)]
    for hub in hubs:
        hub.store.shared = True  # two hubs in one process: as two nodes
        await hub.start()
    yield hubs
    for hub in hubs:
        await hub.stop()


def _inbound(integration_id: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> Inbound:
    return Inbound(integration_id, f"{integration_id}-token", headers={"content-type": "application/json",
                                                                      **(headers or {})},
                   body=json.dumps(body).encode())


async def test_store_changes_on_two_nodes_are_merged_per_key(nodes: list[Hub]) -> None:
    outcomes = await asyncio.gather(*(receive(nodes[i % 2], _inbound("state", {"key": f"k{i}", "value": i}))
                                      for i in range(30)))
    assert [o.status for o in outcomes] == [200] * 30
    saved = await scriptstate.load(nodes[0].store, "state")
    assert saved == {f"k{i}": i for i in range(30)}  # no node's key lost to another's write


async def test_a_counter_in_the_store_loses_nothing_within_one_node(nodes: list[Hub]) -> None:
    async def one(i: int) -> Any:
        await asyncio.sleep(0.003 * i)  # staggered: calls start while earlier ones are being committed
        return await receive(nodes[0], _inbound("state", {"key": "x", "value": i, "count": 1}))

    outcomes = await asyncio.gather(*(one(i) for i in range(20)))
    assert all(o.status == 200 for o in outcomes)
    saved = await scriptstate.load(nodes[1].store, "state")
    assert saved is not None and saved["count"] == 20
    # the other node starts from what is committed
    await receive(nodes[1], _inbound("state", {"key": "y", "value": 1, "count": 1}))
    assert (await scriptstate.load(nodes[0].store, "state") or {})["count"] == 21


async def test_one_delivery_id_sent_to_both_nodes_at_once_posts_one_message(nodes: list[Hub]) -> None:
    async def both(i: int) -> list[Any]:
        headers = {"x-delivery": f"d-{i}"}
        return list(await asyncio.gather(*(receive(hub, _inbound("gh", {"text": f"m{i}"}, headers))
                                           for hub in nodes)))

    pairs = await asyncio.gather(*(both(i) for i in range(10)))
    for pair in pairs:
        assert [o.status for o in pair] == [200, 200]
        assert sorted(bool(o.body.get("duplicate")) for o in pair) == [False, True]
    texts = [m["text"] for m in await nodes[0].store.messages("#general", limit=100)]
    assert sorted(texts) == sorted(f"m{i}" for i in range(10))


async def test_a_failed_first_copy_does_not_swallow_the_retry(nodes: list[Hub]) -> None:
    headers = {"x-delivery": "d-fail"}
    bad = await receive(nodes[0], Inbound("gh", "gh-token", headers={"content-type": "application/json", **headers},
                                          body=b"not json"))
    assert bad.status == 400
    retry = await receive(nodes[1], _inbound("gh", {"text": "second try"}, headers))
    assert retry.status == 200 and not retry.body.get("duplicate")
    again = await receive(nodes[0], _inbound("gh", {"text": "third"}, headers))
    assert again.status == 200 and again.body.get("duplicate") is True


async def test_a_rate_limit_holds_across_nodes(nodes: list[Hub]) -> None:
    outcomes = await asyncio.gather(*(receive(nodes[i % 2], _inbound("limited", {"text": "hi"})) for i in range(10)))
    assert sorted(o.status for o in outcomes) == [200] * 6 + [429] * 4
    ok = [o for o in outcomes if o.status == 200]
    assert sorted(int(o.headers["X-RateLimit-Remaining"]) for o in ok) == [0, 1, 2, 3, 4, 5]
    limited = [o for o in outcomes if o.status == 429][0]
    assert limited.headers["X-RateLimit-Limit"] == "6" and limited.headers["X-RateLimit-Remaining"] == "0"


async def test_calls_waiting_for_a_store_section_do_not_hold_up_the_commit(nodes: list[Hub]) -> None:
    """A Store-using script runs one call at a time from load to commit: the calls waiting for that
    section are not "on their way" to the store, or each commit would wait for one that can only go
    on after it (here the commit delay is an hour: with that mistake this test would not finish)."""
    hub = nodes[0]
    hub.store.commit_delay_s = 3600.0
    outcomes = await asyncio.wait_for(asyncio.gather(
        *(receive(hub, _inbound("state", {"key": f"s{i}", "value": i})) for i in range(10))), 60)
    assert [o.status for o in outcomes] == [200] * 10
    assert hub.store.coming == 0
