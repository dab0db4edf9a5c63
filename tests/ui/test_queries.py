"""The UI's store queries on a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hookhub.records import LogRecord
from hookhub.delivery.outbox import op_enqueue
from hookhub.store import Store, op_insert_history, op_insert_logs, op_insert_messages
from hookhub.ui import queries

NOW = 1_800_000_000.0


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'h.db'}")
    s.open()
    yield s
    s.close()


def entry(id: str, integration_id: str, ts: float, status: int, **extra: object) -> dict[str, object]:
    return {"id": id, "integration_id": integration_id, "ts": ts, "kind": "incoming", "step": None, "request": {},
            "result": None, "status": status, "response": {}, "message_ids": [], "error": None,
            "duration_ms": 1.0, **extra}


async def test_stats_count_the_last_hour_and_its_errors(store: Store) -> None:
    for row in (entry("a", "x", NOW - 7200, 500), entry("b", "x", NOW - 60, 200), entry("c", "x", NOW - 30, 400),
                entry("d", "x", NOW - 10, 200), entry("e", "y", NOW - 5000, 200)):
        await store.write(op_insert_history(row))
    stats = await queries.integration_stats(store, now=NOW)
    assert (stats["x"].count, stats["x"].errors) == (3, 1)
    assert stats["x"].error_rate == pytest.approx(1 / 3)
    assert stats["x"].last_ts is not None and stats["x"].last_ts.endswith("Z")
    assert (stats["y"].count, stats["y"].error_rate) == (0, None) and stats["y"].last_ts is not None
    assert "z" not in stats


async def test_logs_by_level_and_by_request(store: Store) -> None:
    await store.write(op_insert_logs("x", "r1", [LogRecord("log", NOW, "one"), LogRecord("error", NOW, "bad")]))
    await store.write(op_insert_logs("x", "r2", [LogRecord("warn", NOW, "hmm")]))
    await store.write(op_insert_logs("y", "r3", [LogRecord("error", NOW, "other")]))
    assert [r["message"] for r in await queries.logs(store, "x")] == ["hmm", "bad", "one"]
    assert [r["message"] for r in await queries.logs(store, "x", level="error")] == ["bad"]
    assert [r["message"] for r in await queries.logs(store, "x", request_id="r1")] == ["bad", "one"]


async def test_history_since_leaves_out_what_was_seen(store: Store) -> None:
    for row in (entry("a", "x", NOW, 200), entry("b", "x", NOW + 1, 200), entry("c", "x", NOW + 1, 200)):
        await store.write(op_insert_history(row))
    rows, last = await queries.history_since(store, "x", NOW + 0.5)
    assert [r["_id"] for r in rows] == ["b", "c"] and last == NOW + 1
    rows, last = await queries.history_since(store, "x", NOW + 1, {"b"})
    assert [r["_id"] for r in rows] == ["c"]
    assert await queries.latest_ts(store, "x") == NOW + 1 and await queries.latest_ts(store, "nope") == 0.0


async def test_messages_by_id_keep_the_order_asked(store: Store) -> None:
    await store.write(op_insert_messages([{"id": i, "ts": NOW, "room": "#g", "integration_id": None,
                                           "doc": {"_id": i, "text": i}} for i in ("m1", "m2")]))
    assert [m["text"] for m in await queries.messages_by_id(store, ["m2", "gone", "m1"])] == ["m2", "m1"]
    assert await queries.messages_by_id(store, []) == []


async def test_retry_now_makes_pending_and_failed_deliveries_due(store: Store) -> None:
    (pending, failed, done, leased) = await store.write(op_enqueue("outgoing", [
        {"target": "o", "next_attempt_at": NOW + 3600} for _ in range(4)], NOW))

    def set_row(id: str, **values: object) -> None:
        from sqlalchemy import update

        from hookhub import schema
        store.write_now(lambda c: c.execute(update(schema.deliveries).where(schema.deliveries.c.id == id)
                                            .values(**values)))

    set_row(failed, status="failed")
    set_row(done, status="delivered")
    set_row(leased, locked_until=NOW + 60)
    assert await store.write(queries.op_retry_now(pending, NOW + 1))
    assert await store.write(queries.op_retry_now(failed, NOW + 1))
    assert not await store.write(queries.op_retry_now(done, NOW + 1))
    assert not await store.write(queries.op_retry_now(leased, NOW + 1))  # being attempted now
    assert not await store.write(queries.op_retry_now("nope", NOW + 1))
    for id in (pending, failed):
        row = await queries.delivery(store, id)
        assert row is not None and (row.status, row.next_attempt_at) == ("pending", NOW + 1)
