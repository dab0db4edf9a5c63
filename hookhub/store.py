"""Persistence: messages, integration logs, request history, script state.

SQLAlchemy Core over a synchronous driver (``sqlite3`` by default; a
PostgreSQL URL works with ``psycopg``).  All writes go through one writer
thread that *group-commits*: writes queued while a transaction is being
committed are committed together in the next one, and each caller's
``await store.write(...)`` returns only after its transaction is durable.
That keeps "committed before 200" without paying one fsync per request.
Reads run in a thread pool on their own connections (WAL lets them proceed
while the writer commits).
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import JSON, Float, Integer, String, Table, Text, create_engine, delete, event, func, insert, select
from sqlalchemy.engine import Connection, Engine

from . import database, jsontext, schema
from .ids import iso as iso, new_id as new_id  # re-exported: older imports of them from here
from .records import LogRecord
from .errors import StoreUnavailable
from .storehealth import RETRY_AFTER_S, commit_failure
from .redact import mask_text

T = TypeVar("T")
WriteOp = Callable[[Connection], Any]

class Store:
    """The database behind hookhub."""

    def __init__(self, url: str, *, synchronous: str = "FULL", max_batch: int = 512,
                 shared: bool | None = None, commit_delay_ms: float = 0.0) -> None:
        self.url = url
        #: "sqlite" or "postgresql"
        self.backend = database.backend(url)
        #: other processes may write the same database (PostgreSQL, or ``serve --workers N`` on SQLite):
        #: state that would otherwise live in this process's memory (rate-limit counters, the Store of
        #: scripts) is read from and merged into the database
        self.shared = shared if shared is not None else (
            self.backend != "sqlite" or int(os.environ.get("HOOKHUB_WORKERS", "1") or 1) > 1)
        self._synchronous = synchronous
        self._max_batch = max_batch
        self.engine: Engine = self._make_engine(url)
        self._queue: queue.SimpleQueue[tuple[WriteOp, asyncio.Future[Any]] | None] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        #: why the last write could not commit (None once one commits again); see ``write``
        self.commit_problem: str | None = None
        #: reads running in threads right now: close() waits for them before disposing of the pool
        self._reads = 0
        self._reads_done = threading.Condition()
        #: called from the writer thread after each batch with (writes, seconds) (metrics)
        self.on_commit: Callable[[int, float], None] | None = None
        #: how long a batch may wait for the writes of requests still on their way (``storage.commit_delay_ms``)
        self.commit_delay_s = commit_delay_ms / 1000.0
        #: requests inside :meth:`expecting` that have not written yet (the event loop changes it,
        #: the writer thread reads it)
        self.coming = 0

    def _make_engine(self, url: str) -> Engine:
        if url.startswith("sqlite"):
            path = url.split(":///", 1)[1] if ":///" in url else ""
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                                   json_serializer=jsontext.dumps)
            sync = self._synchronous

            @event.listens_for(engine, "connect")
            def _pragmas(dbapi_conn: Any, _record: Any) -> None:
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute(f"PRAGMA synchronous={sync}")
                cur.execute("PRAGMA busy_timeout=30000")
                cur.close()

            return engine
        return create_engine(database.engine_url(url), pool_pre_ping=True, json_serializer=jsontext.dumps,
                             pool_size=8, max_overflow=8)

    # -- lifecycle -----------------------------------------------------------

    def open(self) -> None:
        """Apply pending migrations and start the writer thread (idempotent)."""
        self.migrate()
        if self._writer is None:
            self._writer = threading.Thread(target=self._write_loop, name="hookhub-store-writer", daemon=True)
            self._writer.start()

    def close(self) -> None:
        """Stop the writer once the writes queued before are committed (waiting up to
        30 s), wait up to 10 s for running reads, then dispose of the connection pool."""
        if self._writer is not None:
            self._queue.put(None)
            self._writer.join(timeout=30)
            self._writer = None
        with self._reads_done:  # a read abandoned by a cancelled task still holds a connection
            self._reads_done.wait_for(lambda: self._reads == 0, timeout=10)
        self.engine.dispose()

    def migrate(self) -> int:
        """Bring the schema up to date; returns the version.

        Safe when several nodes start at once: the steps run under the migration lock
        (:func:`hookhub.database.migration_lock`), so the second node waits and then
        finds nothing left to do.
        """
        with database.migration_lock(self.engine, self.url):
            return self._migrate()

    def _migrate(self) -> int:
        with self.engine.begin() as conn:
            schema.schema_version.create(conn, checkfirst=True)
            current = conn.execute(select(func.max(schema.schema_version.c.version))).scalar() or 0
        for version, step in enumerate(schema.MIGRATIONS, start=1):
            if version <= current:
                continue
            with self.engine.begin() as conn:
                step(conn)
                conn.execute(delete(schema.schema_version))
                conn.execute(insert(schema.schema_version).values(version=version))
            current = version
        return current

    # -- writing -------------------------------------------------------------

    async def write(self, op: WriteOp) -> Any:
        """Run ``op(conn)`` in a transaction; return once it is committed.

        Raises :class:`~hookhub.errors.StoreUnavailable` (503) when the store cannot
        commit (disk full, read-only, unreachable; see :mod:`hookhub.storehealth`) and
        remembers why in :attr:`commit_problem` until a write commits again.
        """
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Any] = loop.create_future()
        expected = _EXPECTED.get()
        if expected is not None and expected.waiting:
            expected.settle()
        self._queue.put((op, fut))
        try:
            result = await fut
        except Exception as exc:
            reason = commit_failure(exc)
            if reason is None:
                raise
            self.commit_problem = reason
            raise StoreUnavailable(reason, RETRY_AFTER_S) from exc
        self.commit_problem = None
        return result

    def expecting(self) -> Expecting:
        """``with store.expecting():`` around a request that will write once it is done (the incoming
        path): while it has not written, a batch being gathered may wait for it, up to
        ``commit_delay_s``, so that one commit (one fsync) serves more requests.  Its first
        :meth:`write` (or the end of the block) ends the wait for it."""
        return Expecting(self)

    def write_now(self, op: WriteOp) -> Any:
        """Synchronous write (CLI, start-up)."""
        with self.engine.begin() as conn:
            return op(conn)

    def _write_loop(self) -> None:
        conn: Connection | None = None
        stop = False
        while not stop:
            item = self._queue.get()
            if item is None:
                break
            if item is _NUDGE:
                continue
            batch = [item]
            deadline = 0.0
            while len(batch) < self._max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    # the commit delay: wait (a little) only while requests that will write are on their way
                    if self.coming <= 0 or self.commit_delay_s <= 0:
                        break
                    now = time.monotonic()
                    if not deadline:
                        deadline = now + self.commit_delay_s
                    if now >= deadline:
                        break
                    try:
                        nxt = self._queue.get(timeout=deadline - now)
                    except queue.Empty:
                        break
                if nxt is None:
                    stop = True
                    break
                if nxt is _NUDGE:  # a request the batch waited for ended without writing: look again
                    continue
                batch.append(nxt)
            if conn is None or conn.closed or conn.invalidated:
                # one connection for the writer's life: no pool check-out per batch
                conn = self.engine.connect()
            began = time.perf_counter()
            self._commit_batch(conn, batch)
            if self.on_commit is not None:
                self.on_commit(len(batch), time.perf_counter() - began)
        if conn is not None:
            conn.close()

    def _commit_batch(self, conn: Connection, batch: list[tuple[WriteOp, asyncio.Future[Any]]]) -> None:
        try:
            with conn.begin():
                results = run_merged(conn, [op for op, _ in batch])
        except Exception:
            # One bad write must not sink its neighbours: retry them one by one.
            settled: list[tuple[asyncio.Future[Any], Any, BaseException | None]] = []
            for op, fut in batch:
                try:
                    with conn.begin():
                        result = op(conn)
                except Exception as exc:  # noqa: BLE001 - handed to the awaiting caller
                    settled.append((fut, None, exc))
                else:
                    settled.append((fut, result, None))
            _resolve_all(settled)
            return
        _resolve_all([(fut, result, None) for (_, fut), result in zip(batch, results)])

    # -- reading -------------------------------------------------------------

    async def read(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn`` on a connection of its own in a thread and return its result (it does not wait for the writer)."""
        def run() -> T:
            with self._reads_done:
                self._reads += 1
            try:
                with self.engine.connect() as conn:
                    return fn(conn)
            finally:
                with self._reads_done:
                    self._reads -= 1
                    self._reads_done.notify_all()
        return await asyncio.to_thread(run)

    def read_now(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn`` on a connection of its own in the calling thread, blocking (start-up, synchronous tools)."""
        with self.engine.connect() as conn:
            return fn(conn)

    async def messages(self, room: str, limit: int = 50) -> list[dict[str, Any]]:
        """The ``limit`` newest message documents of ``room`` (``#channel`` or ``@username``), newest first."""
        t = schema.messages
        q = select(t.c.doc).where(t.c.room == room).order_by(t.c.ts.desc(), t.c.id.desc()).limit(limit)
        return await self.read(lambda c: [row.doc for row in c.execute(q)])

    async def logs(self, integration_id: str, limit: int = 100) -> list[dict[str, Any]]:
        """The ``limit`` newest integration log records of ``integration_id`` as the API shows them, newest first."""
        t = schema.logs
        q = select(t).where(t.c.integration_id == integration_id).order_by(t.c.id.desc()).limit(limit)
        return await self.read(lambda c: [
            {"level": r.level, "ts": iso(r.ts), "message": r.message, "request_id": r.request_id}
            for r in c.execute(q)])

    async def history(self, integration_id: str, limit: int = 50) -> list[dict[str, Any]]:
        """The ``limit`` newest history entries of ``integration_id`` (:func:`history_json`), newest first."""
        t = schema.history
        q = select(t).where(t.c.integration_id == integration_id).order_by(t.c.ts.desc(), t.c.id.desc()).limit(limit)
        return await self.read(lambda c: [history_json(r._mapping) for r in c.execute(q)])

    async def history_entry(self, integration_id: str, hid: str) -> dict[str, Any] | None:
        """History entry ``hid`` of ``integration_id`` (:func:`history_json`), or None when there is none."""
        t = schema.history
        q = select(t).where(t.c.integration_id == integration_id, t.c.id == hid)
        rows = await self.read(lambda c: [history_json(r._mapping) for r in c.execute(q)])
        return rows[0] if rows else None

    async def script_states(self) -> dict[str, dict[str, Any]]:
        """Every integration's saved ``Store``."""
        t = schema.script_store
        return await self.read(lambda c: {r.integration_id: r.data for r in c.execute(select(t))})


class Expecting:
    """A request that will write (:meth:`Store.expecting`); ends when it writes or when the block ends."""

    __slots__ = ("store", "waiting", "_token")

    def __init__(self, store: Store) -> None:
        self.store = store
        self.waiting = False
        self._token: contextvars.Token[Expecting | None] | None = None

    def __enter__(self) -> Expecting:
        self.waiting = True
        self.store.coming += 1
        self._token = _EXPECTED.set(self)
        return self

    def settle(self) -> None:
        if self.waiting:
            self.waiting = False
            self.store.coming -= 1

    def __exit__(self, *exc: object) -> None:
        if self.waiting:  # ended without writing: a batch waiting for it must not wait on
            self.settle()
            self.store._queue.put(_NUDGE)  # type: ignore[arg-type]
        if self._token is not None:
            _EXPECTED.reset(self._token)
            self._token = None


#: put in the writer's queue when an expected request ends without writing (the writer looks again)
_NUDGE: Any = object()

#: the request of the running task that is expected to write (tasks it starts see it too: settled once)
_EXPECTED: contextvars.ContextVar[Expecting | None] = contextvars.ContextVar("hookhub_store_expected", default=None)


def _resolve_all(settled: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
    """Settle the futures of a committed batch: one wake-up of each event loop, not one per write."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], Any, BaseException | None]]] = {}
    for entry in settled:
        by_loop.setdefault(entry[0].get_loop(), []).append(entry)
    for loop, entries in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle, entries)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            pass


def _settle(entries: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
    for fut, result, exc in entries:
        if fut.done():
            continue
        if exc is not None:
            fut.set_exception(exc)
        else:
            fut.set_result(result)


def history_json(row: Any) -> dict[str, Any]:
    """A ``history`` row as the API shows it: ``_id``, ``ts`` in ISO 8601, ``message_ids`` a list (never null)."""
    return {
        "_id": row["id"],
        "ts": iso(row["ts"]),
        "integration_id": row["integration_id"],
        "kind": row["kind"],
        "step": row["step"],
        "request": row["request"],
        "result": row["result"],
        "status": row["status"],
        "response": row["response"],
        "message_ids": row["message_ids"] or [],
        "error": row["error"],
        "duration_ms": row["duration_ms"],
    }


# -- write operations (composable: several run in one transaction) -----------


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
