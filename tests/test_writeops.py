"""Write operations: merged inserts (the driver path on SQLite), on SQLite and a real PostgreSQL server."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from hookhub import schema
from hookhub.store import Store
from hookhub.writeops import combine, op_insert_history, op_insert_messages, op_prune_history, run_merged

from .test_store import _count, _history, _message, store  # noqa: F401 - the store fixture


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


def test_the_driver_path_is_taken_only_where_it_stores_what_sqlalchemy_would() -> None:
    from hookhub.writeops import _raw_insert

    plan = _raw_insert(schema.messages, ("id", "ts", "room", "integration_id", "doc"))
    assert plan is not None and plan[1] == (False, False, False, False, True)  # doc is JSON text
    assert plan[0] == 'INSERT INTO "messages" ("id", "ts", "room", "integration_id", "doc") VALUES '
    assert _raw_insert(schema.deliveries, ("id", "kind")) is None, "left-out columns with defaults: SQLAlchemy"
    assert _raw_insert(schema.channels, ("id", "name", "private", "members")) is None, "a Boolean: SQLAlchemy"
    assert _raw_insert(schema.messages, ("id", "nope")) is None, "an unknown column: SQLAlchemy's error"



# -- the commit delay (storage.commit_delay_ms) -----------------------------------
