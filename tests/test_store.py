"""The store's group commit: merged inserts, isolation of a bad write, durability before the answer."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import Connection

from hookhub import schema
from hookhub.engines.base import LogRecord
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
def store(tmp_path: Path) -> Any:
    st = Store(f"sqlite:///{tmp_path / 'h.db'}")
    st.open()
    yield st
    st.close()


def _count(path: Path, table: str) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


async def test_concurrent_writes_are_committed_when_each_await_returns(store: Store, tmp_path: Path) -> None:
    async def one(i: int) -> None:
        await store.write(combine(op_insert_messages([_message(ts=i)]),
                                  op_insert_logs("x", None, [LogRecord("info", i, f"log {i}")]),
                                  op_insert_history(_history(i))))
        # another connection (no shared cache) sees it: committed, not only queued
        with sqlite3.connect(tmp_path / "h.db") as db:
            assert db.execute("SELECT count(*) FROM logs WHERE message = ?", (f"log {i}",)).fetchone()[0] == 1

    await asyncio.gather(*(one(i) for i in range(60)))
    assert [_count(tmp_path / "h.db", t) for t in ("messages", "logs", "history")] == [60, 60, 60]


async def test_a_bad_write_does_not_sink_its_neighbours(store: Store, tmp_path: Path) -> None:
    dup = _message()
    await store.write(op_insert_messages([dup]))

    async def bad() -> None:
        await store.write(combine(op_insert_logs("x", None, [LogRecord("info", 1, "lost")]),
                                  op_insert_messages([dup])))  # primary key taken

    results = await asyncio.gather(bad(), *(store.write(op_insert_messages([_message()])) for _ in range(20)),
                                   return_exceptions=True)
    assert isinstance(results[0], Exception)
    assert all(r is None for r in results[1:])
    assert _count(tmp_path / "h.db", "messages") == 21
    assert _count(tmp_path / "h.db", "logs") == 0  # the failed write's transaction was rolled back whole


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
