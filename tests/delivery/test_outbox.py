"""The durable outbox on a real SQLite file and a real PostgreSQL server: claiming, leases, verdicts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hookhub.delivery.outbox import DELIVERED, FAILED, PENDING, Delivery, Outbox, Verdict, list_deliveries
from hookhub.store import Store

from ..outgoing.receiver import FakeClock


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[Store]:
    s = Store(store_url)
    s.open()
    yield s
    s.close()


async def test_claim_lease_and_verdicts(store: Store) -> None:
    clock = FakeClock(1000.0)
    seen: list[str] = []
    verdicts = {"a": Verdict(DELIVERED, last_status=200),
                "b": Verdict(PENDING, next_attempt_at=1010.0, tries=1, last_status=500, error="boom"),
                "c": Verdict(FAILED, last_status=404)}

    async def handler(d: Delivery) -> Verdict:
        seen.append(d.payload["name"])
        return verdicts[d.payload["name"]]

    box = Outbox(store, "test", handler, clock=clock, lease_s=60)
    await box.enqueue([{"target": "t1", "message_id": "m", "payload": {"name": n}} for n in "abc"])
    assert await box.run_due() == 3
    assert seen == ["a", "b", "c"]  # one target: in order
    rows = {r.payload["name"]: r for r in [Delivery.from_row(x) for x in await list_deliveries(store, kind="test")]}
    assert rows["a"].status == DELIVERED and rows["c"].status == FAILED
    assert rows["b"].status == PENDING and rows["b"].tries == 1 and rows["b"].last_error == "boom"
    assert await box.run_due() == 0  # b is not due yet
    assert await box.next_due() == 1010.0
    clock.now = 1010.0
    verdicts["b"] = Verdict(DELIVERED)
    assert await box.run_due() == 1 and seen[-1] == "b"


async def test_a_claimed_delivery_is_not_taken_twice_until_its_lease_expires(store: Store) -> None:
    clock = FakeClock(0.0)
    started = asyncio.Event()
    release = asyncio.Event()
    calls: list[str] = []

    async def slow(d: Delivery) -> Verdict:
        calls.append(d.id)
        started.set()
        await release.wait()
        return Verdict(DELIVERED)

    first = Outbox(store, "test", slow, clock=clock, lease_s=30)
    second = Outbox(store, "test", slow, clock=clock, lease_s=30)  # another node
    await first.enqueue([{"target": "t", "payload": {}}])
    task = asyncio.create_task(first.run_due())
    await started.wait()
    assert await second.run_due() == 0
    clock.now = 31.0  # the first node is presumed dead: its lease expired
    started.clear()
    task2 = asyncio.create_task(second.run_due())
    await started.wait()
    release.set()
    assert await task == 1 and await task2 == 1
    assert len(calls) == 2 and calls[0] == calls[1]  # at-least-once


async def test_a_crashing_handler_reschedules(store: Store) -> None:
    clock = FakeClock(0.0)

    async def broken(d: Delivery) -> Verdict:
        raise RuntimeError("bug")

    box = Outbox(store, "test", broken, clock=clock)
    await box.enqueue([{"target": "t", "payload": {}}])
    assert await box.run_due() == 1
    [row] = [Delivery.from_row(r) for r in await list_deliveries(store)]
    assert row.status == PENDING and row.next_attempt_at == 60 and "bug" in (row.last_error or "")


async def test_finished_deliveries_are_pruned_pending_ones_kept(store: Store) -> None:
    clock = FakeClock(0.0)

    async def handler(d: Delivery) -> Verdict:
        return Verdict(DELIVERED) if d.payload["ok"] else Verdict(PENDING, next_attempt_at=10**9, tries=1)

    box = Outbox(store, "test", handler, clock=clock)
    await box.enqueue([{"target": "a", "payload": {"ok": True}}, {"target": "b", "payload": {"ok": False}}])
    assert await box.run_due() == 2
    clock.now = 100.0
    assert await box.prune(200) == 0  # not old enough
    assert await box.prune(0) == 0  # 0 keeps everything
    clock.now = 1000.0
    assert await box.prune(200) == 1
    [left] = [Delivery.from_row(r) for r in await list_deliveries(store)]
    assert left.target == "b" and left.status == PENDING


async def test_a_slow_target_does_not_hold_up_the_others(store: Store) -> None:
    clock = FakeClock(0.0)
    release = asyncio.Event()
    done: list[str] = []

    async def handler(d: Delivery) -> Verdict:
        if d.target == "slow":
            await release.wait()
        done.append(f"{d.target}:{d.payload['n']}")
        return Verdict(DELIVERED)

    box = Outbox(store, "test", handler, clock=clock, per_target=2, poll_s=0.05)
    await box.enqueue([{"target": "slow", "payload": {"n": n}} for n in range(5)])
    box.start()
    try:
        await asyncio.sleep(0.2)
        await box.enqueue([{"target": "fast", "payload": {"n": 0}}])
        for _ in range(100):
            if "fast:0" in done:
                break
            await asyncio.sleep(0.02)
        assert done == ["fast:0"]  # delivered while the slow target is still stuck
        rows = [Delivery.from_row(r) for r in await list_deliveries(store, target="slow")]
        assert all(r.status == PENDING for r in rows)
        release.set()
        for _ in range(200):
            if len(done) == 6:
                break
            await asyncio.sleep(0.02)
        assert done[1:] == [f"slow:{n}" for n in range(5)]  # in order
    finally:
        box.stop()


def _store_message(store: Store, message_id: str, ts: float) -> None:
    from sqlalchemy import insert

    from hookhub import schema
    doc = {"_id": message_id, "msg": message_id}
    store.write_now(lambda c: c.execute(insert(schema.messages).values(
        id=message_id, ts=ts, room="#general", integration_id=None, doc=doc)))


async def _queued(store: Store) -> list[str]:
    return sorted(Delivery.from_row(r).message_id or "" for r in await list_deliveries(store, kind="test"))


async def _wait_recovered(box: Outbox) -> None:
    for _ in range(200):
        if box._recovered and not box._spawned:
            await asyncio.sleep(0.05)  # the recovery's own enqueue has committed
            return
        await asyncio.sleep(0.01)


async def test_after_a_crash_messages_stored_before_the_start_are_queued_once(store: Store) -> None:
    import time

    async def never(d: Delivery) -> Verdict:
        return Verdict(PENDING, next_attempt_at=10**12)

    def items_for(message: dict[str, object]) -> list[dict[str, object]]:
        return [{"target": "t", "message_id": message["_id"], "payload": {}}]

    now = time.time()
    _store_message(store, "old", now - 10_000)  # outside the window: left alone
    _store_message(store, "lost", now - 5)  # committed, its deliveries never were (the crash)
    box = Outbox(store, "test", never, items_for=items_for, recover_window_s=600, poll_s=0.05)
    box.start()  # no clean-stop marker: the last run crashed
    try:
        # A message of this run whose deliveries are still being queued by the live path
        # must not be picked up by the recovery scan as well (it would be delivered twice).
        _store_message(store, "live", time.time())
        await _wait_recovered(box)
        assert await _queued(store) == ["lost"]
        await box.enqueue(items_for({"_id": "live"}))
        assert await _queued(store) == ["live", "lost"]
    finally:
        box.stop()
    # A clean stop leaves a marker: the next start scans nothing.  On a shared store (PostgreSQL) the
    # marker may be another node's, so every start scans (queueing is idempotent per item key).
    _store_message(store, "after-stop", time.time() - 1)
    again = Outbox(store, "test", never, items_for=items_for, recover_window_s=600, poll_s=0.05)
    again.start()
    try:
        await _wait_recovered(again)
        assert await _queued(store) == (["after-stop", "live", "lost"] if store.shared else ["live", "lost"])
    finally:
        again.stop()


async def test_nodes_claiming_at_once_take_different_deliveries(store_url: str) -> None:
    """Four nodes on one database claim 200 deliveries of 50 targets at once: each is handled exactly once."""
    nodes = [Store(store_url) for _ in range(4)]
    for st in nodes:
        st.open()
    handled: list[str] = []

    async def handler(d: Delivery) -> Verdict:
        handled.append(d.id)
        await asyncio.sleep(0.001)
        return Verdict(DELIVERED, last_status=200)

    try:
        boxes = [Outbox(st, "test", handler, lease_s=30, batch=16) for st in nodes]
        ids = await boxes[0].enqueue([{"target": f"t{i % 50}", "payload": {}} for i in range(200)])
        for _ in range(40):
            if not any(await asyncio.gather(*(box.run_due() for box in boxes))):
                break
        assert sorted(handled) == sorted(ids)  # all of them, none twice
    finally:
        for st in nodes:
            st.close()


async def test_a_held_lease_is_renewed_and_a_dead_nodes_lease_runs_out(store: Store) -> None:
    clock = FakeClock(1000.0)
    release = asyncio.Event()
    calls: list[str] = []

    async def slow(d: Delivery) -> Verdict:
        calls.append(d.id)
        await release.wait()
        return Verdict(DELIVERED)

    live = Outbox(store, "test", slow, clock=clock, lease_s=30)
    other = Outbox(store, "test", slow, clock=clock, lease_s=30)
    await live.enqueue([{"target": "t", "payload": {}}])
    task = asyncio.create_task(live.run_due())
    while not calls:
        await asyncio.sleep(0.01)
    clock.now = 1020.0
    assert await live.renew() == 1  # still working on it: the lease now ends at 1050
    clock.now = 1040.0
    assert await other.run_due() == 0  # not taken over: its lease was renewed
    clock.now = 1051.0  # the live node stopped renewing (as if killed)
    second = asyncio.create_task(other.run_due())
    while len(calls) < 2:
        await asyncio.sleep(0.01)
    release.set()
    assert await task == 1 and await second == 1


def test_calls_carry_a_stable_idempotency_key() -> None:
    from hookhub.delivery.outbox import with_idempotency_key

    assert with_idempotency_key({"A": "1"}, "d1") == {"A": "1", "Idempotency-Key": "d1"}
    assert with_idempotency_key({"idempotency-key": "mine"}, "d1") == {"idempotency-key": "mine"}


async def test_queueing_an_item_twice_keeps_one(store: Store) -> None:
    from hookhub.delivery.queue import item_key

    async def never(d: Delivery) -> Verdict:
        return Verdict(PENDING, next_attempt_at=10**12)

    box = Outbox(store, "test", never)
    item = {"target": "t", "message_id": "m1", "key": item_key("t", "m1", "sendMessage", 0), "payload": {}}
    first = await box.enqueue([item])
    again = await asyncio.gather(*(box.enqueue([dict(item)]) for _ in range(5)))
    assert len(first) == 1 and all(ids == [] for ids in again)
    assert len(await list_deliveries(store, kind="test")) == 1
