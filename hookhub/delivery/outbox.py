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
workers of one process never take the same row.  With several nodes on one
PostgreSQL database the claim selects with ``FOR UPDATE SKIP LOCKED``: two
nodes claiming at the same moment take different rows, neither waits for the
other.  A lease lasts ``lease_s`` (``storage.outbox_lease_s``, 30 s by
default) and is renewed every third of it while this node still holds the
delivery (a long call, or one waiting behind others of its target); when a
node dies its leases run out and another node takes the deliveries over.
Every call carries ``Idempotency-Key: <delivery id>``, the same on every
attempt and every node, so a receiver can drop the repeat of a call whose
node died after sending it but before recording it.

The clock is injectable (``clock()`` → seconds) so tests can step through
hours of backoff in milliseconds; :meth:`Outbox.wake` (thread-safe) makes the
worker look again after the clock moved or work was added.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.engine import Connection

from .. import schema
from ..cluster import op_once
from ..store import Store
from .queue import (
    CANCELLED,
    DELIVERED,
    FAILED,
    MAX_INTERNAL_ERRORS,
    PENDING,
    STATUSES,
    Clock,
    Delivery,
    Handler,
    Verdict,
    delivery_json,
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

__all__ = ["Outbox", "CANCELLED", "DELIVERED", "FAILED", "MAX_INTERNAL_ERRORS", "PENDING", "STATUSES", "Clock",
           "Delivery", "Handler", "Verdict", "delivery_json", "list_deliveries", "op_claim", "op_enqueue",
           "op_finish", "op_mark_clean_stop", "op_prune", "op_renew", "op_take_clean_stop", "unqueued_messages",
           "with_idempotency_key"]

log = logging.getLogger("hookhub.outbox")

#: the recovery sweep leaves the messages of the last seconds to the live path that is queueing them
SWEEP_GRACE_S = 5.0


class Outbox:
    """The pending deliveries of one ``kind`` and the task that works them off."""

    def __init__(self, store: Store, kind: str, handler: Handler, *, clock: Clock = time.time,
                 lease_s: float = 30.0, batch: int = 32, poll_s: float = 2.0, concurrency: int = 8,
                 items_for: Callable[[dict[str, Any]], list[dict[str, Any]]] | None = None,
                 recover_window_s: float = 600.0, keep_s: float = 0.0, per_target: int = 8,
                 sweep_s: float = 60.0) -> None:
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
        #: ids of the deliveries this node holds a lease on (renewed until they are finished)
        self._held: set[str] = set()
        self._renewer: asyncio.Task[None] | None = None
        self._recovered = False
        #: on a shared store, a recovery sweep runs once per ``sweep_s`` for the whole cluster
        self.sweep_s = sweep_s
        self._sweep_at = time.monotonic() + sweep_s
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
        # on a shared store the marker may be another node's: every start checks (queueing is idempotent)
        self._recovered = (clean and not self.store.shared) or not recover
        self._started_at = time.time()
        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()
        self._task = self._loop.create_task(self._work(), name=f"hookhub-outbox-{self.kind}")
        self._renewer = self._loop.create_task(self._renew_leases(), name=f"hookhub-outbox-{self.kind}-leases")

    @property
    def running(self) -> bool:
        """Whether the worker task is started (from :meth:`start` until :meth:`stop`)."""
        return self._task is not None

    def stop(self) -> None:
        """Stop the worker and mark the shutdown as clean (the store must still be open)."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if self._renewer is not None:
            self._renewer.cancel()
            self._renewer = None
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
            self._held.add(delivery.id)
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
        try:
            await self.store.write(run)
        finally:
            self._held.discard(delivery.id)
        if self.on_settled is not None:
            self.on_settled(delivery, verdict, self.clock())
        for callback in verdict.after:
            try:
                callback()
            except Exception:  # noqa: BLE001 - the delivery is committed; a failing listener must not undo it
                log.exception("outbox %s: a callback after delivery %s failed", self.kind, delivery.id)

    async def renew(self) -> int:
        """Extend the leases of the deliveries this node holds; returns how many were extended."""
        if not self._held:
            return 0
        renewed: int = await self.store.write(op_renew(list(self._held), self.clock(), self.lease_s))
        return renewed

    async def _renew_leases(self) -> None:
        while True:
            await asyncio.sleep(max(0.2, self.lease_s / 3))
            try:
                await self.renew()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the next turn tries again; at worst a lease runs out
                log.exception("outbox %s: cannot renew leases", self.kind)

    async def recover(self, items_for: Callable[[dict[str, Any]], list[dict[str, Any]]], window_s: float,
                      until: float | None = None) -> int:
        """Queue what recent messages should have queued but did not (a crash between the message's
        commit and its deliveries' commit); returns how many deliveries were added.

        Only messages stored before ``until`` (default: :meth:`start`) are looked at: a message of this run
        whose deliveries are still being queued (``enqueue_soon``) is left to the live path (and queueing
        twice is refused anyway, see :func:`~hookhub.delivery.queue.op_enqueue`)."""
        added = 0
        until = self._started_at if until is None else until
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
            if self.store.shared and self.items_for is not None and time.monotonic() >= self._sweep_at:
                # another node may have died between a message's commit and its deliveries' commit
                self._sweep_at = time.monotonic() + self.sweep_s
                now = time.time()
                if await self.store.write(op_once(f"recover-outbox-{self.kind}", self.sweep_s, now,
                                                  lambda conn: None)):
                    await self.recover(self.items_for, self.recover_window_s, until=now - SWEEP_GRACE_S)
            if self._pruned_at is None or time.monotonic() - self._pruned_at > 3600:
                self._pruned_at = time.monotonic()
                if self.keep_s:  # once an hour for the whole cluster (hookhub.cluster)
                    job = op_prune(self.kind, self.clock() - self.keep_s)
                    await self.store.write(op_once(f"prune-outbox-{self.kind}", 3600, time.time(), job))
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
