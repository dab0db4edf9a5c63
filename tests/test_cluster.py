"""Periodic jobs run once per interval for the whole cluster."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from hookhub import schema

from hookhub.cluster import Housekeeper, Job
from hookhub.store import Store


@pytest.fixture
async def stores(store_url: str) -> AsyncIterator[list[Store]]:
    nodes = [Store(store_url, shared=True) for _ in range(4)]
    for st in nodes:
        st.open()
    yield nodes
    for st in nodes:
        st.close()


async def test_a_job_runs_once_per_interval_across_nodes(stores: list[Store]) -> None:
    ran: list[int] = []

    def job(node: int) -> Job:
        def make(_now: float) -> Any:
            def run(conn: Connection) -> None:
                ran.append(node)
            return run
        return Job("test-job", 0.5, make)

    keepers = [Housekeeper(st, [job(i)]) for i, st in enumerate(stores)]
    for _ in range(3):  # three rounds, every node tries each time
        await asyncio.gather(*(k.run_due() for k in keepers))
        await asyncio.gather(*(k.run_due() for k in keepers))  # at once again: not due yet
        assert len(ran) == len(set(range(len(ran)))), ran
        await asyncio.sleep(0.6)
    assert len(ran) == 3
    assert sum(k.runs.get("test-job", 0) for k in keepers) == 3


async def test_a_failing_job_does_not_stop_the_next(stores: list[Store]) -> None:
    def boom(_now: float) -> Any:
        def run(conn: Connection) -> None:
            raise RuntimeError("boom")
        return run

    def fine(_now: float) -> Any:
        return lambda conn: None

    keeper = Housekeeper(stores[0], [Job("boom", 1, boom), Job("fine", 1, fine)])
    assert await keeper.run_due() == ["fine"]
    assert await keeper.run_due() == []  # "boom" rolled back its last_run: due again, fails again
    assert keeper.runs == {"fine": 1}
    assert time.time() > 0


async def test_history_is_pruned_for_every_integration_in_one_job(stores: list[Store]) -> None:
    from hookhub.cluster import op_prune_all_history
    from hookhub.store import InsertRows, new_id

    now = time.time()
    rows = [{"id": new_id(), "integration_id": f"i{n % 3}", "ts": now - n, "kind": "incoming", "status": 200}
            for n in range(30)]  # i0, i1, i2: 10 entries each, 0..29 s old
    await stores[0].write(InsertRows(schema.history, rows))
    await stores[1].write(op_prune_all_history(max_entries=4, max_age_s=25, now=now))
    t = schema.history
    q = select(t.c.integration_id, func.count(), func.min(t.c.ts)).group_by(t.c.integration_id).order_by(t.c.integration_id)
    left = stores[0].read_now(lambda c: c.execute(q).all())
    assert [(r[0], r[1]) for r in left] == [("i0", 4), ("i1", 4), ("i2", 4)]
    assert all(now - r[2] < 25 for r in left)
