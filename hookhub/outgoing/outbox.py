"""A durable outbox: deliveries waiting in the database, worked off by a task.

Outgoing integrations and bridges both put their work here (``kind``
``"outgoing"`` / ``"bridge"``).  A row is *pending* until its handler says it
was delivered, failed for good or was cancelled; a failed attempt that should
be retried stays pending with a later ``next_attempt_at``.  Nothing lives only
in memory: a restart in the middle of a backoff finds the row and delivers it
when it is due (at-least-once: a crash during an attempt repeats it once the
lease ``locked_until`` has expired).

A clean shutdown leaves a marker (``outbox_state``); a start without one
means the previous run crashed, possibly between a message's commit and the
queueing of its deliveries, so messages of the last ``recover_window_s``
seconds without deliveries are matched again.  Finished deliveries are
deleted after ``keep_s``.

Claiming is one write transaction through the store's single writer, so two
workers of one process never take the same row; with several nodes on one
PostgreSQL database the lease keeps them apart as well.

The clock is injectable (``clock()`` → seconds) so tests can step through
hours of backoff in milliseconds; :meth:`Outbox.wake` (thread-safe) makes the
worker look again after the clock moved or work was added.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, delete, func, insert, or_, select, update
from sqlalchemy.engine import Connection

from .. import schema
from ..store import Store, iso, new_id

log = logging.getLogger("hookhub.outbox")

Clock = Callable[[], float]

PENDING, DELIVERED, FAILED, CANCELLED = "pending", "delivered", "failed", "cancelled"
STATUSES = (PENDING, DELIVERED, FAILED, CANCELLED)
#: a delivery whose handler keeps crashing is given up after this many attempts
MAX_INTERNAL_ERRORS = 10


@dataclass
class Delivery:
    """One row of the outbox."""

    id: str
    kind: str
    target: str
    message_id: str | None
    event: str | None
    payload: dict[str, Any]
    status: str
    tries: int
    attempts: int
    next_attempt_at: float
    created_at: float
    last_status: int | None = None
    last_error: str | None = None

    @classmethod
    def from_row(cls, row: Any) -> Delivery:
        m = row._mapping
        return cls(id=m["id"], kind=m["kind"], target=m["target"], message_id=m["message_id"], event=m["event"],
                   payload=m["payload"] or {}, status=m["status"], tries=m["tries"], attempts=m["attempts"],
                   next_attempt_at=m["next_attempt_at"], created_at=m["created_at"],
                   last_status=m["last_status"], last_error=m["last_error"])


@dataclass
class Verdict:
    """What a handler decided about one claimed delivery."""

    status: str
    #: when to try again (status ``pending`` only)
    next_attempt_at: float | None = None
    #: the new ``tries`` value (None: unchanged)
    tries: int | None = None
    #: False when the handler deferred without calling anyone (rate limit)
    attempted: bool = True
    last_status: int | None = None
    error: str | None = None
    #: more writes committed in the same transaction as the delivery's new state (history, replies)
    ops: list[Callable[[Connection], Any]] = field(default_factory=list)
    #: called once that transaction is committed (e.g. announcing posted replies)
    after: list[Callable[[], None]] = field(default_factory=list)


Handler = Callable[[Delivery], Awaitable[Verdict]]


def delivery_json(row: Any, *, show_target: bool = True) -> dict[str, Any]:
    """A delivery as the API shows it (no payload: it may carry message text only, but never secrets)."""
    m = row._mapping
    return {
        "_id": m["id"], "kind": m["kind"], "target": m["target"] if show_target else None,
        "message_id": m["message_id"], "event": m["event"], "status": m["status"],
        "tries": m["tries"], "attempts": m["attempts"],
        "next_attempt_at": iso(m["next_attempt_at"]) if m["status"] == PENDING else None,
        "last_status": m["last_status"], "last_error": m["last_error"],
        "created_at": iso(m["created_at"]), "updated_at": iso(m["updated_at"]),
    }


def op_enqueue(kind: str, items: Iterable[dict[str, Any]], now: float) -> Callable[[Connection], list[str]]:
    rows = [{"id": new_id(), "kind": kind, "target": item["target"], "message_id": item.get("message_id"),
             "event": item.get("event"), "payload": item.get("payload") or {}, "status": PENDING,
             "tries": 0, "attempts": 0, "next_attempt_at": item.get("next_attempt_at", now),
             "locked_until": None, "created_at": now, "updated_at": now} for item in items]

    def run(conn: Connection) -> list[str]:
        if rows:
            conn.execute(insert(schema.deliveries), rows)
        return [r["id"] for r in rows]
    return run


def op_claim(kind: str, now: float, limit: int, lease_s: float, *, busy: Iterable[str] = (),
             per_target: int = 8) -> Callable[[Connection], list[Delivery]]:
    """Lease due deliveries: at most ``limit``, at most ``per_target`` per target, none of a ``busy`` target."""
    t = schema.deliveries
    skip = list(busy)

    def run(conn: Connection) -> list[Delivery]:
        q = select(t).where(t.c.kind == kind, t.c.status == PENDING, t.c.next_attempt_at <= now,
                            or_(t.c.locked_until.is_(None), t.c.locked_until <= now))
        if skip:
            q = q.where(t.c.target.not_in(skip))
        q = q.order_by(t.c.next_attempt_at, t.c.created_at).limit(limit)
        claimed: list[Delivery] = []
        taken: dict[str, int] = {}
        for delivery in [Delivery.from_row(r) for r in conn.execute(q)]:
            if taken.get(delivery.target, 0) >= per_target:
                continue  # stays claimable: one slow target must not hold many leases at once
            # Conditional per row: on a database where another node may have claimed the row since the
            # SELECT (PostgreSQL, READ COMMITTED), only the node whose UPDATE matched keeps it.
            result = conn.execute(update(t).where(
                t.c.id == delivery.id, t.c.status == PENDING,
                or_(t.c.locked_until.is_(None), t.c.locked_until <= now)).values(locked_until=now + lease_s))
            if result.rowcount == 1:
                claimed.append(delivery)
                taken[delivery.target] = taken.get(delivery.target, 0) + 1
        return claimed
    return run


def op_finish(delivery: Delivery, verdict: Verdict, now: float) -> Callable[[Connection], None]:
    t = schema.deliveries
    values: dict[str, Any] = {
        "status": verdict.status, "locked_until": None, "updated_at": now,
        "attempts": delivery.attempts + (1 if verdict.attempted else 0),
        "tries": delivery.tries if verdict.tries is None else verdict.tries,
    }
    if verdict.attempted or verdict.last_status is not None or verdict.error is not None:
        values["last_status"] = verdict.last_status
        values["last_error"] = verdict.error
    if verdict.status == PENDING:
        values["next_attempt_at"] = verdict.next_attempt_at if verdict.next_attempt_at is not None else now

    def run(conn: Connection) -> None:
        conn.execute(update(t).where(t.c.id == delivery.id).values(**values))
    return run


class Outbox:
    """The pending deliveries of one ``kind`` and the task that works them off."""

    def __init__(self, store: Store, kind: str, handler: Handler, *, clock: Clock = time.time,
                 lease_s: float = 300.0, batch: int = 32, poll_s: float = 2.0, concurrency: int = 8,
                 items_for: Callable[[dict[str, Any]], list[dict[str, Any]]] | None = None,
                 recover_window_s: float = 600.0, keep_s: float = 0.0, per_target: int = 8) -> None:
        self.store = store
        self.kind = kind
        self.handler = handler
        self.clock = clock
        self.lease_s = lease_s
        self.batch = batch
        self.poll_s = poll_s
        self._concurrency = concurrency
        self._event: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._spawned: set[asyncio.Task[Any]] = set()
        #: targets being worked on now, and their tasks
        self._busy: set[str] = set()
        self._groups: set[asyncio.Task[None]] = set()
        #: at most this many deliveries of one target are leased at a time
        self.per_target = per_target
        #: how a message becomes deliveries (for start-up recovery); None: no recovery
        self.items_for = items_for
        self.recover_window_s = recover_window_s
        #: finished deliveries are deleted after this many seconds (0: kept)
        self.keep_s = keep_s
        self._pruned_at: float | None = None
        self._recovered = False
        #: wall-clock time of :meth:`start`: messages stored later are queued by the live path, not recovery
        self._started_at = time.time()
        #: called with (delivery, verdict, now) once each attempt is committed (metrics)
        self.on_settled: Callable[[Delivery, Verdict, float], None] | None = None

    # -- lifecycle -------------------------------------------------------------

    def start(self, *, recover: bool = True) -> None:
        """Start the worker task on the running loop.

        Reads (and removes) the clean-shutdown marker: without one the previous
        run crashed, and recent messages are checked for deliveries that were
        never queued (see :meth:`recover`).  ``recover=False`` skips that (an
        outbox started by a configuration reload, not a process start).
        """
        clean = self.store.write_now(op_take_clean_stop(self.kind)) is not None
        self._recovered = clean or not recover
        self._started_at = time.time()
        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()
        self._task = self._loop.create_task(self._work(), name=f"hookhub-outbox-{self.kind}")

    @property
    def running(self) -> bool:
        return self._task is not None

    def stop(self) -> None:
        """Stop the worker and mark the shutdown as clean (the store must still be open)."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        for group in list(self._groups):
            group.cancel()
        unqueued = [task for task in self._spawned if not task.done()]
        for task in unqueued:
            task.cancel()
        if unqueued:  # deliveries of committed messages were still being queued: recover them next start
            log.warning("outbox %s: stopped while queueing deliveries; they are recovered at the next start",
                        self.kind)
            return
        try:
            self.store.write_now(op_mark_clean_stop(self.kind, time.time()))
        except Exception:  # noqa: BLE001 - a failed marker only means a recovery scan next time
            log.exception("outbox %s: cannot record the clean shutdown", self.kind)

    def wake(self) -> None:
        """Look for due work now (callable from any thread)."""
        if self._loop is None or self._event is None or self._loop.is_closed():
            return
        event = self._event
        try:
            self._loop.call_soon_threadsafe(event.set)
        except RuntimeError:  # the loop is closing
            pass

    # -- work ------------------------------------------------------------------

    async def enqueue(self, items: Iterable[dict[str, Any]]) -> list[str]:
        """Add deliveries (``target``, ``message_id``, ``event``, ``payload``); commit, then wake the worker."""
        ids: list[str] = await self.store.write(op_enqueue(self.kind, list(items), self.clock()))
        if ids:
            self.wake()
        return ids

    def enqueue_soon(self, items: Iterable[dict[str, Any]]) -> None:
        """Enqueue from synchronous code running on the loop (a pluggy hook); never blocks."""
        task = asyncio.get_running_loop().create_task(self.enqueue(list(items)))
        self._spawned.add(task)
        task.add_done_callback(self._spawn_done)

    def _spawn_done(self, task: asyncio.Task[Any]) -> None:
        self._spawned.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("outbox %s: could not queue deliveries", self.kind, exc_info=task.exception())

    async def _claim(self) -> dict[str, list[Delivery]]:
        """Lease due deliveries of targets that are not being worked on, grouped by target (in order)."""
        claimed: list[Delivery] = await self.store.write(op_claim(
            self.kind, self.clock(), self.batch, self.lease_s, busy=set(self._busy), per_target=self.per_target))
        groups: dict[str, list[Delivery]] = {}
        for delivery in claimed:
            groups.setdefault(delivery.target, []).append(delivery)
        self._busy.update(groups)
        return groups

    async def _run_group(self, target: str, items: list[Delivery]) -> None:
        try:
            for delivery in items:  # one target at a time, in order
                await self._handle(delivery)
        finally:
            self._busy.discard(target)
            self.wake()

    async def run_due(self) -> int:
        """Claim and handle the deliveries due now, waiting for them; returns how many were handled."""
        groups = await self._claim()
        await asyncio.gather(*(self._run_group(target, items) for target, items in groups.items()))
        return sum(len(items) for items in groups.values())

    async def _start_due(self) -> int:
        """Claim due deliveries and start working on each target in its own task; returns how many."""
        if len(self._busy) >= self._concurrency:
            return 0
        groups = await self._claim()
        for target, items in groups.items():
            task = asyncio.get_running_loop().create_task(self._run_group(target, items))
            self._groups.add(task)
            task.add_done_callback(self._groups.discard)
        return sum(len(items) for items in groups.values())

    async def _handle(self, delivery: Delivery) -> None:
        try:
            verdict = await self.handler(delivery)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a bug in a handler must not stop the queue
            log.exception("outbox %s: delivery %s to %s failed unexpectedly", self.kind, delivery.id, delivery.target)
            error = f"internal error: {type(exc).__name__}: {exc}"
            if delivery.attempts + 1 >= MAX_INTERNAL_ERRORS:
                verdict = Verdict(FAILED, error=error)
            else:
                verdict = Verdict(PENDING, next_attempt_at=self.clock() + 60, tries=delivery.tries + 1, error=error)
        finish = op_finish(delivery, verdict, self.clock())

        def run(conn: Connection) -> None:
            for op in verdict.ops:
                op(conn)
            finish(conn)
        await self.store.write(run)
        if self.on_settled is not None:
            self.on_settled(delivery, verdict, self.clock())
        for callback in verdict.after:
            try:
                callback()
            except Exception:  # noqa: BLE001 - the delivery is committed; a failing listener must not undo it
                log.exception("outbox %s: a callback after delivery %s failed", self.kind, delivery.id)

    async def recover(self, items_for: Callable[[dict[str, Any]], list[dict[str, Any]]], window_s: float) -> int:
        """Queue what recent messages should have queued but did not (a crash between the message's
        commit and its deliveries' commit); returns how many deliveries were added.

        Only messages stored before :meth:`start` are looked at: a message of this run whose deliveries
        are still being queued (``enqueue_soon``) would otherwise be queued twice."""
        added = 0
        until = self._started_at
        for message in await unqueued_messages(self.store, self.kind, until - window_s, until):
            items = items_for(message)
            if items:
                added += len(await self.enqueue(items))
        if added:
            log.warning("outbox %s: queued %d deliveries for messages stored before a restart", self.kind, added)
        return added

    async def prune(self, max_age_s: float) -> int:
        """Forget finished deliveries older than ``max_age_s`` (0: keep them)."""
        if not max_age_s:
            return 0
        removed: int = await self.store.write(op_prune(self.kind, self.clock() - max_age_s))
        return removed

    async def next_due(self) -> float | None:
        """When the earliest pending delivery is due (by this outbox's clock), or None."""
        t = schema.deliveries
        ready = case((t.c.locked_until > t.c.next_attempt_at, t.c.locked_until), else_=t.c.next_attempt_at)
        q = select(func.min(ready)).where(and_(t.c.kind == self.kind, t.c.status == PENDING))
        if self._busy:  # their rows are picked up when their task ends (it wakes the worker)
            q = q.where(t.c.target.not_in(list(self._busy)))
        value = await self.store.read(lambda c: c.execute(q).scalar())
        return float(value) if value is not None else None

    async def _housekeeping(self) -> None:
        """Once at start: recovery; then hourly: pruning."""
        try:
            if not self._recovered:
                self._recovered = True
                if self.items_for is not None:
                    await self.recover(self.items_for, self.recover_window_s)
            if self._pruned_at is None or time.monotonic() - self._pruned_at > 3600:
                self._pruned_at = time.monotonic()
                await self.prune(self.keep_s)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - housekeeping must not stop deliveries
            log.exception("outbox %s: housekeeping failed", self.kind)

    async def _work(self) -> None:
        assert self._event is not None
        while True:
            await self._housekeeping()
            self._event.clear()
            handled = 0
            try:
                handled = await self._start_due()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - e.g. the database is briefly unavailable
                log.exception("outbox %s: cannot read pending deliveries", self.kind)
            if handled:
                continue
            wait = self.poll_s
            if len(self._busy) < self._concurrency:  # else: a finishing target task wakes us
                with contextlib.suppress(Exception):
                    due = await self.next_due()
                    if due is not None:
                        wait = min(self.poll_s, max(0.0, due - self.clock()))
            wait = max(wait, 0.01)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._event.wait(), wait)


def op_take_clean_stop(kind: str) -> Callable[[Connection], float | None]:
    """Remove and return the clean-shutdown marker of ``kind`` (None: the last run did not stop cleanly)."""
    t = schema.outbox_state

    def run(conn: Connection) -> float | None:
        value = conn.execute(select(t.c.clean_stop_at).where(t.c.kind == kind)).scalar()
        conn.execute(delete(t).where(t.c.kind == kind))
        return float(value) if value is not None else None
    return run


def op_mark_clean_stop(kind: str, now: float) -> Callable[[Connection], None]:
    t = schema.outbox_state

    def run(conn: Connection) -> None:
        conn.execute(delete(t).where(t.c.kind == kind))
        conn.execute(insert(t).values(kind=kind, clean_stop_at=now))
    return run


def op_prune(kind: str, before: float) -> Callable[[Connection], int]:
    """Delete finished deliveries last updated before ``before``."""
    t = schema.deliveries

    def run(conn: Connection) -> int:
        result = conn.execute(delete(t).where(t.c.kind == kind, t.c.status != PENDING, t.c.updated_at < before))
        return int(result.rowcount or 0)
    return run


async def unqueued_messages(store: Store, kind: str, since: float, until: float) -> list[dict[str, Any]]:
    """Messages stored in [``since``, ``until``) that have no delivery of ``kind`` (oldest first)."""
    m, d = schema.messages, schema.deliveries
    queued = select(d.c.message_id).where(d.c.kind == kind, d.c.message_id.is_not(None))
    q = (select(m.c.doc).where(m.c.ts >= since, m.c.ts < until, m.c.id.not_in(queued))
         .order_by(m.c.ts, m.c.id))
    return await store.read(lambda c: [row.doc for row in c.execute(q)])


async def list_deliveries(store: Store, *, message_id: str | None = None, kind: str | None = None,
                          target: str | None = None, status: str | None = None,
                          limit: int = 100) -> list[Any]:
    """Rows of the outbox, newest first, filtered."""
    t = schema.deliveries
    q = select(t)
    if message_id is not None:
        q = q.where(t.c.message_id == message_id)
    if kind is not None:
        q = q.where(t.c.kind == kind)
    if target is not None:
        q = q.where(t.c.target == target)
    if status is not None:
        q = q.where(t.c.status == status)
    q = q.order_by(t.c.created_at.desc(), t.c.id).limit(limit)
    return await store.read(lambda c: list(c.execute(q)))
