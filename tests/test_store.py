"""The store's group commit: merged inserts, isolation of a bad write, durability before the answer.

The store tests run on SQLite and on a real PostgreSQL server (``store_url``, tests/pg.py).
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from hookhub import database, schema
from hookhub.records import LogRecord
from hookhub.store import (
    Store,
    combine,
    new_id,
    op_insert_history,
    op_insert_logs,
    op_insert_messages,
)

from .test_e2e import ROOT, Server


def _message(room: str = "#general", ts: float = 1.0) -> dict[str, Any]:
    mid = new_id()
    return {"id": mid, "ts": ts, "room": room, "integration_id": "x", "doc": {"_id": mid, "text": "hi"}}


def _history(ts: float, **extra: Any) -> dict[str, Any]:
    return {"id": new_id(), "integration_id": "x", "ts": ts, "kind": "incoming", "status": 200,
            "request": {"body": "{}"}, **extra}


@pytest.fixture
def store(store_url: str) -> Any:
    st = Store(store_url)
    st.open()
    yield st
    st.close()


def _count(store: Store, table: str, where: str = "", **params: Any) -> int:
    """Counted on a connection of its own (a new engine: what another process would see)."""
    engine = create_engine(database.engine_url(store.url))
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table} {where}"), params).scalar_one())
    finally:
        engine.dispose()


async def test_concurrent_writes_are_committed_when_each_await_returns(store: Store) -> None:
    async def one(i: int) -> None:
        await store.write(combine(op_insert_messages([_message(ts=i)]),
                                  op_insert_logs("x", None, [LogRecord("info", i, f"log {i}")]),
                                  op_insert_history(_history(i))))
        # another connection (no shared cache) sees it: committed, not only queued
        assert await asyncio.to_thread(_count, store, "logs", "WHERE message = :m", m=f"log {i}") == 1

    await asyncio.gather(*(one(i) for i in range(60)))
    assert [_count(store, t) for t in ("messages", "logs", "history")] == [60, 60, 60]


async def test_a_bad_write_does_not_sink_its_neighbours(store: Store) -> None:
    dup = _message()
    await store.write(op_insert_messages([dup]))

    async def bad() -> None:
        await store.write(combine(op_insert_logs("x", None, [LogRecord("info", 1, "lost")]),
                                  op_insert_messages([dup])))  # primary key taken

    results = await asyncio.gather(bad(), *(store.write(op_insert_messages([_message()])) for _ in range(20)),
                                   return_exceptions=True)
    assert isinstance(results[0], Exception)
    assert all(r is None for r in results[1:])
    assert _count(store, "messages") == 21
    assert _count(store, "logs") == 0  # the failed write's transaction was rolled back whole


def test_a_bad_row_inside_a_multi_row_insert_sinks_only_its_own_write(store: Store) -> None:
    """A taken primary key in the middle of a chunk: the batch is retried one write at a time and only
    that write fails (the group commit's isolation holds for multi-row statements too)."""
    taken = _message()
    store.write_now(op_insert_messages([taken]))
    writes = [op_insert_messages([_message()]) for _ in range(20)]
    writes[7] = op_insert_messages([dict(taken)])

    async def run() -> list[Any]:
        return await asyncio.gather(*(store.write(op) for op in writes), return_exceptions=True)

    results = asyncio.run(run())
    assert [i for i, r in enumerate(results) if isinstance(r, Exception)] == [7]
    assert _count(store, "messages") == 20

def test_a_webhook_answered_200_survives_kill_9(tmp_path: Path) -> None:
    """SIGKILL right after the answers: every request answered 200 is in the database."""
    config = tmp_path / "hookhub.yaml"
    text = (ROOT / "config" / "hookhub.yaml").read_text(encoding="utf-8")
    config.write_text(text.replace("script_file: ../plugins/", f"script_file: {ROOT}/plugins/"), encoding="utf-8")
    server = Server(config)
    server.start()
    assert server.proc is not None
    hook = f"{server.url}/hooks/example/example-dev-token"

    async def burst() -> list[int]:
        async with httpx.AsyncClient(timeout=30) as client:
            answers = await asyncio.gather(*(client.post(hook, json={"text": f"crash {i}"}) for i in range(40)))
        return [r.status_code for r in answers]

    try:
        statuses = asyncio.run(burst())
        server.proc.send_signal(signal.SIGKILL)  # no shutdown, no checkpoint
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
        server.proc.communicate(timeout=10)
        server.proc = None
    assert statuses == [200] * 40
    with sqlite3.connect(tmp_path / "data" / "hookhub.db") as db:
        texts = {row[0] for row in db.execute("SELECT json_extract(doc, '$.text') FROM messages")}
    assert {f"crash {i}" for i in range(40)} <= texts


_MIGRATE = """
import sys, time
from hookhub.store import Store
start = float(sys.argv[2])
while time.time() < start:
    pass
store = Store(sys.argv[1])
print(store.migrate())
store.close()
"""


def test_nodes_starting_at_once_both_migrate(store_url: str) -> None:
    """Four processes migrate an empty database at the same instant: all succeed, the schema is made once."""
    import subprocess
    import sys
    import time

    at = time.time() + 1.5
    procs = [subprocess.Popen([sys.executable, "-c", _MIGRATE, store_url, str(at)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    results = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [err[-2000:] for _, err in results]
    assert [out.strip() for out, _ in results] == [str(len(schema.MIGRATIONS))] * 4
    st = Store(store_url)
    try:
        assert st.migrate() == len(schema.MIGRATIONS)  # idempotent
        assert _count(st, "schema_version") == 1
    finally:
        st.close()


def test_postgresql_urls_use_psycopg_3(pg_url: str) -> None:
    plain = pg_url.replace("postgresql+psycopg://", "postgresql://")
    st = Store(plain)
    try:
        assert st.engine.dialect.driver == "psycopg" and st.backend == "postgresql" and st.shared
        st.open()
        assert _count(st, "messages") == 0
    finally:
        st.close()


async def _reported(batches: list[int], count: int) -> list[int]:
    """``batches`` once the writer has reported ``count`` commits (it reports after settling the futures)."""
    for _ in range(1000):
        if len(batches) >= count:
            break
        await asyncio.sleep(0.01)
    return batches


def _delayed_store(url: str, delay_ms: float) -> tuple[Store, list[int]]:
    st = Store(url, commit_delay_ms=delay_ms)
    batches: list[int] = []
    st.on_commit = lambda writes, _seconds: batches.append(writes)
    st.open()
    return st, batches


async def test_a_batch_waits_for_the_write_of_a_request_on_its_way(store_url: str) -> None:
    """A request inside ``expecting()`` that has not written yet: the batch waits for it (up to the
    delay, an hour here) and both writes commit in one transaction."""
    st, batches = _delayed_store(store_url, 3_600_000)
    try:
        later = asyncio.Event()

        async def slow_request() -> None:
            with st.expecting():
                await later.wait()  # e.g. its script still running
                await st.write(op_insert_messages([_message()]))

        task = asyncio.create_task(slow_request())
        await asyncio.sleep(0)
        first = asyncio.create_task(st.write(op_insert_messages([_message()])))
        await asyncio.sleep(0.2)
        assert not first.done(), "the first write waits while another request is on its way"
        later.set()
        await asyncio.wait_for(asyncio.gather(first, task), 30)
        assert await _reported(batches, 1) == [2] and _count(st, "messages") == 2
        assert st.coming == 0
    finally:
        st.close()


async def test_nothing_waits_when_no_request_is_on_its_way(store_url: str) -> None:
    """No request inside ``expecting()`` (or all of them written): a write commits at once, whatever the delay."""
    st, batches = _delayed_store(store_url, 3_600_000)
    try:
        await asyncio.wait_for(st.write(op_insert_messages([_message()])), 30)
        with st.expecting():
            await asyncio.wait_for(st.write(op_insert_messages([_message()])), 30)  # its own write: not waited for
        assert await _reported(batches, 2) == [1, 1]
    finally:
        st.close()


async def test_a_request_ending_without_writing_ends_the_wait(store_url: str) -> None:
    """A request the batch waits for fails before it writes: the batch commits then, not after the delay."""
    st, batches = _delayed_store(store_url, 3_600_000)
    try:
        fail = asyncio.Event()

        async def failing_request() -> None:
            with st.expecting():
                await fail.wait()
                raise RuntimeError("the script crashed")

        task = asyncio.create_task(failing_request())
        await asyncio.sleep(0)
        first = asyncio.create_task(st.write(op_insert_messages([_message()])))
        await asyncio.sleep(0.2)
        assert not first.done()
        fail.set()
        await asyncio.wait_for(first, 30)
        with pytest.raises(RuntimeError):
            await task
        assert await _reported(batches, 1) == [1] and st.coming == 0
    finally:
        st.close()


async def test_a_write_to_another_store_does_not_end_the_wait(tmp_path: Path) -> None:
    """Only a write to the store a request is expected by settles it (two hubs in one process)."""
    one, _ = _delayed_store(f"sqlite:///{tmp_path / 'one.db'}", 0)
    other, _ = _delayed_store(f"sqlite:///{tmp_path / 'other.db'}", 0)
    try:
        with one.expecting():
            await other.write(op_insert_messages([_message()]))
            assert one.coming == 1 and other.coming == 0
            await one.write(op_insert_messages([_message()]))
            assert one.coming == 0
    finally:
        one.close()
        other.close()
