"""hookhub.delivery.queue: the outbox's rows and the operations on them, on a real SQLite store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from hookhub.delivery.queue import (
    CANCELLED,
    DELIVERED,
    FAILED,
    PENDING,
    Delivery,
    Verdict,
    delivery_json,
    item_key,
    list_deliveries,
    op_claim,
    op_enqueue,
    op_finish,
    op_mark_clean_stop,
    op_prune,
    op_renew,
    op_take_clean_stop,
    unqueued_messages,
    with_idempotency_key,
)
from hookhub.store import Store, iso, op_insert_messages


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'hookhub.db'}")
    s.open()
    yield s
    s.close()


async def rows(store: Store, **filters: Any) -> dict[str, Delivery]:
    return {d.id: d for d in (Delivery.from_row(r) for r in await list_deliveries(store, **filters))}


def test_item_key_and_idempotency_key() -> None:
    assert item_key("out-1", "m1", "sent", "https://a.test/") == "out-1\x1fm1\x1fsent\x1fhttps://a.test/"
    assert item_key("out-1", "m1", None, 3) == "out-1\x1fm1\x1f\x1f3"
    assert item_key("out-1", "m1", "a") != item_key("out-1", "m1", "b")
    assert item_key("out-1", None, "sent") is None  # no message: never de-duplicated
    assert with_idempotency_key({"A": "1"}, "d1") == {"A": "1", "Idempotency-Key": "d1"}
    own = {"idempotency-KEY": "mine"}
    assert with_idempotency_key(own, "d1") is own  # a key the script set itself is kept


async def test_enqueue_is_idempotent_per_key(store: Store) -> None:
    key = item_key("t", "m1", "sent")
    first = await store.write(op_enqueue("outgoing", [
        {"target": "t", "message_id": "m1", "event": "sent", "payload": {"n": 1}, "key": key},
        {"target": "t", "payload": {"n": 2}},  # no key: always queued
        {"target": "u", "payload": None, "next_attempt_at": 50.0},
    ], now=10.0))
    assert len(first) == 3 and len(set(first)) == 3
    again = await store.write(op_enqueue("outgoing", [
        {"target": "t", "message_id": "m1", "event": "sent", "payload": {"n": 9}, "key": key},
        {"target": "t", "payload": {"n": 2}},
    ], now=20.0))
    assert len(again) == 1 and again[0] not in first
    other_kind = await store.write(op_enqueue("bridge", [{"target": "t", "payload": {}, "key": key}], now=20.0))
    assert len(other_kind) == 1  # keys are unique per kind
    assert await store.write(op_enqueue("outgoing", [], now=0.0)) == []
    got = await rows(store, kind="outgoing")
    assert len(got) == 4
    d = got[first[0]]
    assert (d.kind, d.target, d.message_id, d.event, d.payload) == ("outgoing", "t", "m1", "sent", {"n": 1})
    assert (d.status, d.tries, d.attempts, d.next_attempt_at, d.created_at) == (PENDING, 0, 0, 10.0, 10.0)
    assert got[first[2]].payload == {} and got[first[2]].next_attempt_at == 50.0


async def test_claim_takes_due_rows_in_order_within_limits(store: Store) -> None:
    items = [{"target": "a", "payload": {"n": n}, "next_attempt_at": float(n)} for n in (3, 1, 2, 4)]
    items += [{"target": "b", "payload": {"n": 5}, "next_attempt_at": 0.5},
              {"target": "c", "payload": {"n": 6}, "next_attempt_at": 0.0},
              {"target": "a", "payload": {"n": 7}, "next_attempt_at": 99.0}]  # not due
    await store.write(op_enqueue("outgoing", items, now=0.0))
    await store.write(op_enqueue("bridge", [{"target": "a", "payload": {"n": 8}}], now=0.0))  # another kind
    claimed = await store.write(op_claim("outgoing", 10.0, limit=10, lease_s=30, busy=["c"], per_target=2))
    assert [(d.target, d.payload["n"]) for d in claimed] == [("b", 5), ("a", 1), ("a", 2)]
    # leased rows are not claimed again until the lease expires; the rest still are
    again = await store.write(op_claim("outgoing", 20.0, limit=10, lease_s=30))
    assert [d.payload["n"] for d in again] == [6, 3, 4]
    assert await store.write(op_claim("outgoing", 39.9, limit=10, lease_s=30)) == []
    expired = await store.write(op_claim("outgoing", 40.0, limit=2, lease_s=30))
    assert [d.payload["n"] for d in expired] == [5, 1]  # the first leases (until 40) ran out; limit 2


async def test_finish_records_the_verdict_and_releases_the_lease(store: Store) -> None:
    ids = await store.write(op_enqueue("outgoing", [{"target": "t", "payload": {"k": i}} for i in range(3)], now=0.0))
    claimed = {d.payload["k"]: d for d in await store.write(op_claim("outgoing", 1.0, limit=5, lease_s=60))}
    await store.write(op_finish(claimed[0], Verdict(DELIVERED, last_status=200), now=2.0))
    await store.write(op_finish(claimed[1], Verdict(PENDING, next_attempt_at=100.0, tries=1, last_status=503,
                                                    error="the receiver answered 503"), now=2.0))
    # deferred without calling anyone (rate limit): no attempt counted, the last answer kept
    await store.write(op_finish(claimed[2], Verdict(PENDING, attempted=False), now=3.0))
    got = await rows(store)
    done, retry, deferred = got[ids[0]], got[ids[1]], got[ids[2]]
    assert (done.status, done.attempts, done.tries, done.last_status) == (DELIVERED, 1, 0, 200)
    assert (retry.status, retry.attempts, retry.tries, retry.next_attempt_at) == (PENDING, 1, 1, 100.0)
    assert (retry.last_status, retry.last_error) == (503, "the receiver answered 503")
    assert (deferred.status, deferred.attempts, deferred.next_attempt_at) == (PENDING, 0, 3.0)
    # the lease is gone: the deferred row is claimable at once, the retry when due, the delivered one never
    assert [d.id for d in await store.write(op_claim("outgoing", 3.0, limit=5, lease_s=1000))] == [ids[2]]
    assert [d.id for d in await store.write(op_claim("outgoing", 100.0, limit=5, lease_s=60))] == [ids[1]]


async def test_renew_extends_only_held_pending_leases(store: Store) -> None:
    ids = await store.write(op_enqueue("outgoing", [{"target": "t", "payload": {}} for _ in range(3)], now=0.0))
    claimed = await store.write(op_claim("outgoing", 0.0, limit=2, lease_s=10))
    held = [d.id for d in claimed]
    await store.write(op_finish(claimed[1], Verdict(CANCELLED, attempted=False), now=1.0))
    assert await store.write(op_renew(ids, now=5.0, lease_s=10)) == 1  # held[0] only: held[1] is finished, ids[2] unleased
    assert [d.id for d in await store.write(op_claim("outgoing", 12.0, limit=5, lease_s=10))] == [ids[2]]
    assert held[0] not in [d.id for d in await store.write(op_claim("outgoing", 14.9, limit=5, lease_s=10))]
    assert [d.id for d in await store.write(op_claim("outgoing", 15.0, limit=5, lease_s=10))] == [held[0]]


async def test_clean_stop_marker(store: Store) -> None:
    assert await store.write(op_take_clean_stop("outgoing")) is None  # first start: never stopped cleanly
    await store.write(op_mark_clean_stop("outgoing", 123.5))
    await store.write(op_mark_clean_stop("outgoing", 124.5))  # replaces the earlier one
    await store.write(op_mark_clean_stop("bridge", 1.0))
    assert await store.write(op_take_clean_stop("outgoing")) == 124.5
    assert await store.write(op_take_clean_stop("outgoing")) is None  # taken: a crash now is noticed
    assert await store.write(op_take_clean_stop("bridge")) == 1.0


async def test_prune_deletes_old_finished_rows_only(store: Store) -> None:
    ids = await store.write(op_enqueue("outgoing", [{"target": "t", "payload": {"n": n}} for n in range(4)], now=0.0))
    await store.write(op_enqueue("bridge", [{"target": "t", "payload": {}}], now=0.0))
    claimed = {d.payload["n"]: d for d in await store.write(op_claim("outgoing", 0.0, limit=4, lease_s=5))}
    await store.write(op_finish(claimed[0], Verdict(DELIVERED), now=10.0))
    await store.write(op_finish(claimed[1], Verdict(FAILED), now=10.0))
    await store.write(op_finish(claimed[2], Verdict(DELIVERED), now=50.0))  # too recent
    assert await store.write(op_prune("outgoing", before=20.0)) == 2
    assert set(await rows(store, kind="outgoing")) == {ids[2], ids[3]}  # n=3 is still pending
    assert len(await rows(store, kind="bridge")) == 1


async def test_unqueued_messages_listing_and_api_json(store: Store) -> None:
    await store.write(op_insert_messages([
        {"id": f"m{i}", "ts": ts, "room": "#general", "integration_id": None, "doc": {"_id": f"m{i}", "msg": str(i)}}
        for i, ts in enumerate([100.0, 101.0, 102.0, 200.0])]))
    [queued] = await store.write(op_enqueue("outgoing", [
        {"target": "out", "message_id": "m1", "event": "sent", "payload": {"secret": "x"}}], now=150.0))
    await store.write(op_enqueue("bridge", [{"target": "br", "message_id": "m2", "payload": {}}], now=150.0))
    missing = await unqueued_messages(store, "outgoing", since=100.0, until=200.0)
    assert [m["_id"] for m in missing] == ["m0", "m2"]  # m1 is queued, m3 is outside the window
    assert [m["_id"] for m in await unqueued_messages(store, "bridge", 0.0, 1e9)] == ["m0", "m1", "m3"]
    assert [Delivery.from_row(r).id for r in await list_deliveries(store, message_id="m1")] == [queued]
    assert await list_deliveries(store, target="nobody") == []
    assert len(await list_deliveries(store, status=PENDING, limit=1)) == 1
    [row] = await list_deliveries(store, kind="outgoing")
    shown = delivery_json(row)
    assert shown == {"_id": queued, "kind": "outgoing", "target": "out", "message_id": "m1", "event": "sent",
                     "status": PENDING, "tries": 0, "attempts": 0, "next_attempt_at": iso(150.0),
                     "last_status": None, "last_error": None, "created_at": iso(150.0), "updated_at": iso(150.0)}
    assert "payload" not in shown and delivery_json(row, show_target=False)["target"] is None
