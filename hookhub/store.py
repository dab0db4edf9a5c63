"""Persistence: messages, integration logs, request history, script state.

SQLAlchemy Core over a synchronous driver (``sqlite3`` by default; a
PostgreSQL URL works with ``psycopg``).  All writes go through one writer
thread that *group-commits*: writes queued while a transaction is being
committed are committed together in the next one, and each caller's
``await store.write(...)`` returns only after its transaction is durable.
That keeps "committed before 200" without paying one fsync per request, and
while webhooks are still on their way (:meth:`Store.expecting`) a batch waits
for them up to ``storage.commit_delay_ms``.  The write operations themselves
are in :mod:`hookhub.writeops`.
Reads run in a thread pool on their own connections (WAL lets them proceed
while the writer commits).
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, delete, event, func, insert, select
from sqlalchemy.engine import Connection, Engine

from . import database, jsontext, schema
from .ids import iso as iso, new_id as new_id  # re-exported: older imports of them from here
from .errors import StoreUnavailable
from .storehealth import RETRY_AFTER_S, commit_failure
from .writeops import (  # re-exported: the write operations were defined here before
    Combined as Combined,
    InsertRows as InsertRows,
    WriteOp as WriteOp,
    combine as combine,
    op_insert_history as op_insert_history,
    op_insert_logs as op_insert_logs,
    op_insert_messages as op_insert_messages,
    op_prune_history as op_prune_history,
    op_sync_directory as op_sync_directory,
    run_merged as run_merged,
)

T = TypeVar("T")

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
        if expected is not None and expected.waiting and expected.store is self:
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
        """The request is no longer on its way (it wrote, or it is done); idempotent."""
        if self.waiting:
            self.waiting = False
            self.store.coming -= 1

    def __exit__(self, *exc: object) -> None:
        if self.waiting:  # ended without writing: a batch waiting for it must not wait on
            self.settle()
            self.store._queue.put(_NUDGE)
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
