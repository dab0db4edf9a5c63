"""Script runs the UI starts (hookhub.ui.runs): pasted tests, dry and real replays, header parsing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from hookhub.config import load_config
from hookhub.errors import RequestError
from hookhub.hub import Hub
from hookhub.pipeline import Inbound, receive
from hookhub.ui import runs
from tests.conftest import integration

from .conftest import SCRIPT


@pytest.fixture
async def hub(write_config: Callable[..., Path]) -> AsyncIterator[Hub]:
    hub = Hub(load_config(write_config(integration("s", SCRIPT))))
    await hub.start()
    try:
        yield hub
    finally:
        await hub.stop()


def test_parse_headers() -> None:
    assert runs.parse_headers("X-Event: push\n\nContent-Type:  text/plain \n") == {
        "x-event": "push", "content-type": "text/plain"}
    assert runs.parse_headers("") == {}
    for bad, line in [("no colon", 1), ("ok: 1\n: empty name", 2), ("X Event: a", 1)]:
        with pytest.raises(RequestError, match=f"headers line {line}: write it as 'Name: value'"):
            runs.parse_headers(bad)


async def test_a_pasted_payload_runs_as_a_dry_run(hub: Hub) -> None:
    run = await runs.script_test(hub, hub.registry.integrations["s"], '{"n": 3}', "X-Event: a")
    assert run.status == 200 and [m["text"] for m in run.messages] == ["n=3"]
    assert [entry["message"] for entry in run.logs] == ["got 3"]
    assert run.script is not None and run.history_id is None
    assert await hub.store.history("s") == [] and await hub.store.messages("#general") == []


async def test_a_failing_payload_shows_the_error(hub: Hub) -> None:
    run = await runs.script_test(hub, hub.registry.integrations["s"], '{"boom": 1}')
    assert run.status == 400 and run.error is not None and "ValueError: boom" in run.error


async def test_replay_dry_compares_then_real_posts_again(hub: Hub) -> None:
    integ = hub.registry.integrations["s"]
    answer = await receive(hub, Inbound("s", "s-token", headers={"content-type": "application/json"},
                                        body=b'{"n": 7}'))
    assert answer.status == 200
    [entry] = await hub.store.history("s")
    dry = await runs.replay(hub, integ, entry, dry=True)
    assert dry.changed is False and dry.run is not None and dry.run.history_id is None
    assert dry.old["messages"] == dry.new["messages"] and len(await hub.store.history("s")) == 1
    real = await runs.replay(hub, integ, entry, dry=False)
    assert real.run is not None and real.run.history_id is not None
    assert len(await hub.store.history("s")) == 2
    assert [m["text"] for m in await hub.store.messages("#general")] == ["n=7", "n=7"]


async def test_a_kind_without_a_replayer_is_refused(hub: Hub) -> None:
    with pytest.raises(RequestError, match="history entries of kind 'carrier' cannot be replayed"):
        await runs.replay(hub, hub.registry.integrations["s"], {"kind": "carrier"}, dry=True)
