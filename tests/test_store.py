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
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Connection

from hookhub import database, schema
from hookhub.records import LogRecord
from hookhub.store import (
    Store,
    combine,
    new_id,
    op_insert_history,
    op_insert_logs,
    op_insert_messages,
    op_prune_history,
    run_merged,
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


def test_merged_inserts_are_flushed_before_an_operation_that_reads(store: Store) -> None:
    seen: list[int] = []

    def count_history(conn: Connection) -> int:
        n = len(conn.execute(select(schema.history.c.id)).all())
        seen.append(n)
        return n

    ops = [op_insert_history(_history(1.0)), op_insert_history(_history(2.0, error="e")),  # other key set
           count_history,
           combine(op_insert_history(_history(3.0)), op_insert_history(_history(4.0)),
                   op_prune_history("x", max_entries=2, max_age_s=0, now=5.0)),
           count_history]
    with store.engine.begin() as conn:
        results = run_merged(conn, ops)
    assert seen == [2, 2]  # the prune (which reads) saw all four rows and kept the newest two
    assert results[0] is None and results[2] == 2 and results[3] == [None, None, None]
    assert len(results) == len(ops) and results[1] is None and results[4] == 2


def test_a_merged_batch_stores_what_separate_transactions_store(store: Store) -> None:
    rows = [_message(ts=float(i)) for i in range(5)]
    with store.engine.begin() as conn:
        run_merged(conn, [op_insert_messages(rows[:2]), op_insert_messages([]), op_insert_messages(rows[2:])])
    with store.engine.connect() as conn:
        stored = conn.execute(select(schema.messages.c.id, schema.messages.c.doc).order_by(schema.messages.c.ts)).all()
    assert [(r.id, r.doc) for r in stored] == [(m["id"], m["doc"]) for m in rows]



@pytest.mark.parametrize("count", [1, 2, 3, 31, 32, 33, 63, 100])
def test_merged_inserts_of_any_count_keep_every_row_in_order(store: Store, count: int) -> None:
    """On SQLite the rows go in multi-row INSERTs of 32, 16, ... 1 rows: every count is stored whole, in order."""
    rows = [_message(ts=float(i)) for i in range(count)]
    rows[count // 2]["integration_id"] = None  # a NULL in the middle of a chunk
    with store.engine.begin() as conn:
        run_merged(conn, [op_insert_messages([row]) for row in rows])
    with store.engine.connect() as conn:
        stored = conn.execute(select(schema.messages).order_by(schema.messages.c.ts)).all()
    assert [(r.id, r.ts, r.room, r.integration_id, r.doc) for r in stored] == [
        (m["id"], m["ts"], m["room"], m["integration_id"], m["doc"]) for m in rows]


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

def test_merged_inserts_store_the_same_bytes_as_sqlalchemy_inserts(store: Store) -> None:
    """On SQLite merged inserts go straight through the driver: the stored values (JSON text, NULLs,
    numbers, non-ASCII text) are the ones SQLAlchemy's own insert writes."""
    def rows(tag: str) -> list[dict[str, Any]]:
        return [_history(1.5, id=f"{tag}{i}", result=None, response={"success": True, "é": "ü"},
                         message_ids=[], error=None, duration_ms=2.25, step=None) for i in range(3)]

    with store.engine.begin() as conn:
        run_merged(conn, [op_insert_history(row) for row in rows("merged-")])
        for row in rows("alone-"):
            op_insert_history(row)(conn)  # called on its own: SQLAlchemy's insert
    columns = [c.name for c in schema.history.columns if c.name != "id"]
    query = text(f"SELECT id, {', '.join(columns)} FROM history ORDER BY id")
    with store.engine.connect() as conn:
        stored = {row[0]: tuple(row[1:]) for row in conn.execute(query)}
    for i in range(3):
        assert stored[f"merged-{i}"] == stored[f"alone-{i}"]


def test_merged_json_columns_are_stored_as_text_on_sqlite(tmp_path: Path) -> None:
    """The driver path binds JSON as UTF-8 bytes cast to TEXT: SQLite's own type of each value is
    the one SQLAlchemy's insert gives (text, or NULL), for non-ASCII text and for the standard
    library's fallback (an integer beyond 64 bits) alike."""
    st = Store(f"sqlite:///{tmp_path / 'text.db'}")
    st.open()
    try:
        def rows(tag: str) -> list[dict[str, Any]]:
            return [_history(1.0, id=f"{tag}{i}", request={"url": "/hooks/x/\u2022\u2022\u2022", "body": "\U0001f525"},
                             result={"big": 2 ** 70}, response=None, message_ids=["a"], error=None)
                    for i in range(2)]
        with st.engine.begin() as conn:
            run_merged(conn, [op_insert_history(row) for row in rows("merged-")])
            for row in rows("alone-"):
                op_insert_history(row)(conn)
        json_columns = ("request", "result", "response", "message_ids")
        kinds = ", ".join(f"typeof({c}), {c}" for c in json_columns)
        with sqlite3.connect(tmp_path / "text.db") as raw:
            stored = {row[0]: row[1:] for row in raw.execute(f"SELECT id, {kinds} FROM history")}
        assert stored["merged-0"] == stored["alone-0"] == stored["merged-1"]
        assert stored["merged-0"][0::2] == ("text", "text", "text", "text")
        assert stored["merged-0"][3] == '{"big":1180591620717411303424}'
        assert "\u2022" in stored["merged-0"][1] and "\U0001f525" in stored["merged-0"][1]
        with sqlite3.connect(tmp_path / "text.db") as raw:  # None bound through the identity adapter: NULL
            assert raw.execute("SELECT DISTINCT typeof(error), typeof(step) FROM history").fetchall() == [("null", "null")]
    finally:
        st.close()


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


def test_the_driver_path_is_taken_only_where_it_stores_what_sqlalchemy_would() -> None:
    from hookhub.store import _raw_insert

    plan = _raw_insert(schema.messages, ("id", "ts", "room", "integration_id", "doc"))
    assert plan is not None and plan[1] == (False, False, False, False, True)  # doc is JSON text
    assert plan[0] == 'INSERT INTO "messages" ("id", "ts", "room", "integration_id", "doc") VALUES '
    assert _raw_insert(schema.deliveries, ("id", "kind")) is None, "left-out columns with defaults: SQLAlchemy"
    assert _raw_insert(schema.channels, ("id", "name", "private", "members")) is None, "a Boolean: SQLAlchemy"
    assert _raw_insert(schema.messages, ("id", "nope")) is None, "an unknown column: SQLAlchemy's error"



# -- the commit delay (storage.commit_delay_ms) -----------------------------------


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
        assert batches[-1] == 2 and _count(st, "messages") == 2
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
        assert batches == [1, 1]
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
        assert batches[-1] == 1 and st.coming == 0
    finally:
        st.close()
