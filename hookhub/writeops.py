"""Write operations for :meth:`hookhub.store.Store.write`: composable (several run in one
transaction), with the row inserts of a whole batch merged (:func:`run_merged`) and, on SQLite,
sent straight through the driver as multi-row ``INSERT`` statements (:func:`_insert_rows`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import JSON, Float, Integer, String, Table, Text, delete, insert, select
from sqlalchemy.engine import Connection

from . import jsontext, schema
from .records import LogRecord
from .redact import mask_text

#: what :meth:`~hookhub.store.Store.write` runs: a function of the transaction's connection
WriteOp = Callable[[Connection], Any]


class InsertRows:
    """A write operation inserting rows into one table.

    Called on its own it runs one ``executemany``; the writer thread merges the
    ``InsertRows`` of a whole batch into one ``executemany`` per table (and key
    set), which is most of what a group commit costs.
    """

    __slots__ = ("table", "rows")

    def __init__(self, table: Table, rows: list[dict[str, Any]]) -> None:
        self.table = table
        self.rows = rows

    def __call__(self, conn: Connection) -> None:
        if self.rows:
            conn.execute(_insert(self.table), self.rows)


class Combined:
    """Several operations in one transaction (see :func:`combine`)."""

    __slots__ = ("ops",)

    def __init__(self, ops: tuple[WriteOp, ...]) -> None:
        self.ops = ops

    def __call__(self, conn: Connection) -> list[Any]:
        return [op(conn) for op in self.ops]


_INSERTS: dict[Table, Any] = {}


def _insert(table: Table) -> Any:
    stmt = _INSERTS.get(table)
    if stmt is None:
        stmt = _INSERTS[table] = insert(table)
    return stmt


#: per (table, columns): the INSERT for the DBAPI up to ``VALUES`` and which of its values are JSON, or
#: None when a column's type needs SQLAlchemy's bind processing (the SQLite fast path of :func:`run_merged`)
_RAW_INSERTS: dict[tuple[Table, tuple[str, ...]], tuple[str, tuple[bool, ...]] | None] = {}

#: rows per multi-row INSERT: a batch's rows go in chunks of these sizes (a few statement texts per
#: table for SQLite's statement cache; 32 rows x 13 columns stay far below its limit on variables)
_CHUNKS = (32, 16, 8, 4, 2, 1)
_CHUNK_SQL: dict[tuple[str, int], str] = {}


def _raw_insert(table: Table, keys: tuple[str, ...]) -> tuple[str, tuple[bool, ...]] | None:
    found = _RAW_INSERTS.get((table, keys), False)
    if found is not False:
        return found  # type: ignore[return-value]
    plan: tuple[str, tuple[bool, ...]] | None = None
    columns = [table.c.get(key) for key in keys]
    # columns left out must not have a Python-side default (SQLAlchemy would fill it in)
    defaults_apply = any(c.default is not None for c in table.columns if c.name not in keys)
    if keys and not defaults_apply and all(c is not None and type(c.type) in _PLAIN_TYPES for c in columns):
        names = ", ".join(f'"{key}"' for key in keys)
        plan = (f'INSERT INTO "{table.name}" ({names}) VALUES ',
                tuple(type(c.type) is JSON for c in columns))  # type: ignore[union-attr]
    _RAW_INSERTS[(table, keys)] = plan
    return plan


def _chunk_sql(head: str, is_json: tuple[bool, ...], rows: int) -> str:
    """``head`` followed by ``rows`` groups of placeholders, one per column: one statement for that
    many rows.  A JSON column's value is bound as UTF-8 bytes and stored as ``CAST(? AS TEXT)``: the
    text SQLite stores is the one a ``str`` would give, without decoding the JSON writer's bytes into a
    ``str`` here and the driver encoding it back (most of the text of a history row)."""
    sql = _CHUNK_SQL.get((head, rows))
    if sql is None:
        one = "(" + ", ".join("CAST(? AS TEXT)" if json else "?" for json in is_json) + ")"
        sql = _CHUNK_SQL[(head, rows)] = head + ", ".join([one] * rows)
    return sql


def _identity_adapters() -> None:
    """Identity adapters for ``bytes`` and ``None`` in the ``sqlite3`` module (unless some are set).

    The module "adapts" every parameter whose type is not exactly int, float, str or bytearray: for
    ``None`` and ``bytes`` (the JSON columns of :func:`_insert_rows`) that is two failed attribute
    look-ups (``__adapt__``, ``__conform__``), each building an ``AttributeError`` and its message,
    ~10% of the writer thread's instructions.  With an adapter registered it is one dict look-up and
    one C call returning the value itself: what is bound, and stored, is unchanged.
    """
    same: tuple[tuple[type, Any], ...] = ((bytes, bytes), (type(None), {}.get))
    for kind, adapter in same:
        if (kind, sqlite3.PrepareProtocol) not in sqlite3.adapters:
            sqlite3.register_adapter(kind, adapter)


_identity_adapters()

#: column types whose values SQLite's driver takes as they are (JSON: serialised as SQLAlchemy would)
_PLAIN_TYPES = (String, Text, Float, Integer, JSON)


def _insert_rows(conn: Connection, table: Table, keys: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    """The rows inserted: straight through the driver on SQLite (SQLAlchemy's statement and parameter
    processing cost more than the insert itself), through SQLAlchemy elsewhere; the same rows either way.

    On SQLite the rows go as multi-row ``INSERT ... VALUES (...), (...)`` statements of up to 32 rows:
    one statement step per chunk instead of one per row (each step lets go of the GIL and takes it
    back, behind the event loop), and SQLite opens the table and its indexes once per chunk.
    """
    plan = _raw_insert(table, keys) if conn.dialect.name == "sqlite" else None
    if plan is None:
        conn.execute(_insert(table), rows)
        return
    head, is_json = plan
    dumps = jsontext.dumps_utf8
    params = [dumps(row[key]) if json else row[key] for row in rows for key, json in zip(keys, is_json)]
    driver = conn.connection.driver_connection
    assert driver is not None
    width, done = len(keys), 0
    for size in _CHUNKS:
        while len(rows) - done >= size:
            driver.execute(_chunk_sql(head, is_json, size), params[done * width:(done + size) * width])
            done += size


def run_merged(conn: Connection, ops: list[WriteOp]) -> list[Any]:
    """Run ``ops`` in order in one transaction, merging their row inserts.

    Inserts are deferred and flushed, one ``executemany`` per table and key set,
    before any other operation runs (it may read those rows) and at the end, so
    the outcome is the same as running the operations one after the other.
    """
    pending: dict[tuple[Table, tuple[str, ...]], list[dict[str, Any]]] = {}

    def flush() -> None:
        for (table, keys), rows in pending.items():
            _insert_rows(conn, table, keys, rows)
        pending.clear()

    def apply(op: WriteOp) -> Any:
        if type(op) is InsertRows:
            for row in op.rows:
                pending.setdefault((op.table, tuple(row)), []).append(row)
            return None
        if type(op) is Combined:
            return [apply(inner) for inner in op.ops]
        if pending:
            flush()
        return op(conn)

    results = [apply(op) for op in ops]
    if pending:
        flush()
    return results


def op_insert_messages(rows: Iterable[dict[str, Any]]) -> WriteOp:
    """Insert message rows (merged with the batch's other inserts into one ``executemany`` per table)."""
    return InsertRows(schema.messages, list(rows))


def op_insert_logs(integration_id: str, request_id: str | None, records: Iterable[LogRecord]) -> WriteOp:
    """Integration log rows; URLs in the messages are masked (``redact.mask_text``)."""
    return InsertRows(schema.logs, [{"integration_id": integration_id, "ts": r.ts, "level": r.level,
                                     "message": mask_text(r.message), "request_id": request_id}
                                    for r in records])


def op_insert_history(row: dict[str, Any]) -> WriteOp:
    """Insert one history row (merged with the batch's other inserts into one ``executemany`` per table)."""
    return InsertRows(schema.history, [row])


def op_sync_directory(users: list[dict[str, Any]], channels: list[dict[str, Any]]) -> WriteOp:
    """Make the users and channels tables mirror the YAML file."""
    def run(conn: Connection) -> None:
        conn.execute(delete(schema.users))
        if users:
            conn.execute(insert(schema.users), users)
        conn.execute(delete(schema.channels))
        if channels:
            conn.execute(insert(schema.channels), channels)
    return run


def op_prune_history(integration_id: str, *, max_entries: int, max_age_s: float, now: float) -> WriteOp:
    """History retention for one integration: delete its entries older than ``max_age_s``, then all
    but its ``max_entries`` newest (entries sharing the cutoff's timestamp go too); 0 disables either."""
    t = schema.history

    def run(conn: Connection) -> None:
        if max_age_s:
            conn.execute(delete(t).where(t.c.integration_id == integration_id, t.c.ts < now - max_age_s))
        if max_entries:
            cutoff = conn.execute(
                select(t.c.ts).where(t.c.integration_id == integration_id)
                .order_by(t.c.ts.desc()).offset(max_entries).limit(1)).scalar()
            if cutoff is not None:
                conn.execute(delete(t).where(t.c.integration_id == integration_id, t.c.ts <= cutoff))
    return run


def combine(*ops: WriteOp) -> WriteOp:
    """Several operations in one transaction."""
    return Combined(ops)
