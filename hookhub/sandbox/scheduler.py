"""Which call runs on which worker: per-integration caps, queues, round robin and quarantine.

Any idle worker serves any integration.  An integration may use at most
``concurrency`` workers, never all of them unless its calls have proven fast
(:data:`FAST_MS`), and queue ``queue`` calls; beyond that, or after waiting
twice its timeout, a call is :class:`Saturated` (503).  Waiting calls are
served round robin across integrations, one whose waits expired going first.
Integrations without a clean record share all workers but
``reserved_workers``; one whose calls keep timing out runs niced and is
quarantined (:mod:`.quarantine`).  Scripts that use ``Store`` run one call at a
time.  The workers themselves come from the :class:`~.supervisor.Supervisor`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .base import ScriptSpec
from .quarantine import Quarantine, set_niceness
from .supervisor import Supervisor, WorkerProcess
from .wire import spec_json

#: Calls of an integration averaging less than this may use every worker.
FAST_MS = 50.0

#: Batches: calls of integrations with a clean record averaging at most BATCH_MS, not using
#: Store, that wait while every worker is busy go to the next free worker together, at most
#: BATCH_MAX of them and about BATCH_BUDGET_MS of expected work (see :meth:`Scheduler.dispatch`).
BATCH_MAX = 8
BATCH_MS = 2.0
BATCH_BUDGET_MS = 6.0

#: What :meth:`Scheduler.acquire` returns to a call that joined another call's batch.
JOINED: Any = object()


class Saturated(Exception):
    """No worker for this call now (its message says why); the caller answers 503."""


@dataclass(eq=False)
class LoadedScript:
    """An integration's script as the pool holds it: spec, Store, and the scheduler's counters."""

    spec: ScriptSpec
    store: dict[str, Any] = field(default_factory=dict)
    inflight: int = 0
    waiters: deque[asyncio.Future[WorkerProcess]] = field(default_factory=deque)
    #: scripts that use ``Store`` run one call at a time, so that a read-modify-write
    #: of the Store is atomic (as in Rocket.Chat, where scripts never run concurrently)
    uses_store: bool = False
    #: moving average of its calls' durations (None until one finished)
    avg_ms: float | None = None
    #: its waiting calls expired before it was served: it goes first when it waits again
    starved: bool = False
    #: the spec as sent with every call (built once, not per call)
    spec_json: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.spec_json = spec_json(self.spec)

    def set_spec(self, spec: ScriptSpec, uses_store: bool) -> None:
        """Use ``spec`` (and its JSON for calls) and record whether the script uses
        ``Store``; a changed digest resets :attr:`avg_ms`: a new script proves itself again."""
        if spec.digest != self.spec.digest:
            self.avg_ms = None  # a new script has to prove itself again
        self.spec = spec
        self.spec_json = spec_json(spec)
        self.uses_store = uses_store

    def note_duration(self, ms: float) -> None:
        """Fold a call's duration (ms) into :attr:`avg_ms`, a moving average giving the new call a weight of 0.3."""
        self.avg_ms = ms if self.avg_ms is None else 0.7 * self.avg_ms + 0.3 * ms


class Scheduler:
    """Hands the supervisor's idle workers to calls, fairly."""

    def __init__(self, supervisor: Supervisor, quarantine: Quarantine) -> None:
        self.supervisor = supervisor
        self.quarantine = quarantine
        #: loaded scripts by integration id
        self.integrations: dict[str, LoadedScript] = {}
        #: integrations with waiting calls, in serving order
        self._rr: deque[str] = deque()
        #: busy workers running a call of an integration not in good standing
        self.suspect_busy = 0
        #: what waiting calls carry for a batch (``acquire``'s ``call``), by their future
        self._calls: dict[asyncio.Future[WorkerProcess], Any] = {}

    def cap(self, integ: LoadedScript) -> int:
        """Workers one integration may use at once.

        ``concurrency``, but never every worker unless its calls have proven
        fast (average under ``FAST_MS``): a new or slow integration always
        leaves one worker to the others, a fast busy one may use them all.
        A script that uses Store gets one at a time; an integration without a
        clean record is further held to the shared (not reserved) workers.
        """
        size = self.supervisor.size
        cap = min(integ.spec.limits.concurrency, size)
        if integ.uses_store:  # one writer at a time: Store changes merge in call order
            cap = 1
        elif size > 1 and (integ.avg_ms is None or integ.avg_ms > FAST_MS):
            cap = min(cap, size - 1)
        if not self.quarantine.healthy(integ.spec.integration_id, integ.avg_ms):  # the shared workers only
            return min(max(1, cap), integ.inflight + self.quarantine.shared_workers(size) - self.suspect_busy)
        return max(1, cap)

    def _take(self, integ: LoadedScript) -> WorkerProcess:
        worker = self.supervisor.idle.pop()
        integ.inflight, integ.starved = integ.inflight + 1, False
        worker.suspect = self.quarantine.standing(integ.spec.integration_id, integ.avg_ms)
        if worker.suspect:
            self.suspect_busy += 1
            set_niceness(worker.pid, worker.suspect)
        return worker

    def batchable(self, integ: LoadedScript) -> bool:
        """Calls of ``integ`` may share a worker's batch: a clean record, at most BATCH_MS on average, no Store."""
        return (not integ.uses_store and integ.avg_ms is not None and integ.avg_ms <= BATCH_MS
                and self.quarantine.healthy(integ.spec.integration_id, integ.avg_ms))

    async def acquire(self, integration_id: str, integ: LoadedScript, call: Any = None,
                      *, first: bool = False) -> WorkerProcess:
        """A worker for one call of ``integ`` (waiting in its queue); :class:`Saturated` when there is none.

        A call that waits with ``call`` (the pool's description of it) may be
        taken into the batch of another call that gets a worker: it is then
        answered :data:`JOINED`, and the worker's :attr:`~.supervisor.WorkerProcess.batch`
        of that other call lists it.  ``first``: wait at the head of the queue
        (a call handed back by a worker has waited already).
        """
        if integ.inflight < self.cap(integ) and self.supervisor.idle:
            return self._take(integ)
        limits = integ.spec.limits
        if len(integ.waiters) >= limits.queue and not first:
            raise Saturated(
                f"integration {integration_id!r} is saturated: {integ.inflight} calls running and "
                f"{len(integ.waiters)} waiting (sandbox concurrency={limits.concurrency}, queue={limits.queue})")
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[WorkerProcess] = loop.create_future()
        (integ.waiters.appendleft if first else integ.waiters.append)(fut)
        if call is not None:
            self._calls[fut] = call
        ahead = integ.starved or first
        if ahead and integration_id in self._rr:
            self._rr.remove(integration_id)
        if integration_id not in self._rr:
            (self._rr.appendleft if ahead else self._rr.append)(integration_id)
        wait_s = 2 * max(limits.timeout_ms, 1000) / 1000.0
        # a timer, not asyncio.wait_for(shield(...)): one future per waiting call instead of three
        timer = loop.call_later(wait_s, self._wait_expired, integration_id, integ, fut, wait_s)
        try:
            return await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                if fut.result() is not JOINED:  # (a joined call runs anyway; its answer is dropped)
                    self.release(fut.result(), integ)  # handed a worker just as the call was cancelled
            else:
                self._forget_waiter(integ, fut)
            raise
        finally:
            timer.cancel()
            self._calls.pop(fut, None)

    def _wait_expired(self, integration_id: str, integ: LoadedScript, fut: asyncio.Future[WorkerProcess],
                      wait_s: float) -> None:
        if not fut.done():  # (a call handed a worker just as its wait ended keeps it)
            integ.starved = True
            self._forget_waiter(integ, fut, Saturated(
                f"integration {integration_id!r} is saturated: a call waited {wait_s:.1f} s for a worker"))

    @staticmethod
    def _forget_waiter(integ: LoadedScript, fut: asyncio.Future[WorkerProcess], exc: Exception | None = None) -> None:
        if exc is None:
            fut.cancel()
        elif not fut.done():
            fut.set_exception(exc)
        with contextlib.suppress(ValueError):
            integ.waiters.remove(fut)

    def refuse_waiting(self, integ: LoadedScript, reason: str) -> None:
        """Fail every call ``integ`` has waiting (it was quarantined, unloaded, or the pool closes)."""
        for fut in list(integ.waiters):
            self._forget_waiter(integ, fut, Saturated(reason))

    def release(self, worker: WorkerProcess, integ: LoadedScript) -> None:
        """``worker`` finished a call of ``integ``: back to the idle ones (or replaced) and on to the next."""
        integ.inflight -= 1
        supervisor = self.supervisor
        if worker.suspect:
            standing, worker.suspect, self.suspect_busy = worker.suspect, 0, self.suspect_busy - 1
            if worker.alive and not set_niceness(worker.pid, standing, restore=True):
                supervisor.retire(worker)  # its priority cannot be restored (no privileges): a fresh worker
        if worker.alive and worker.pid in supervisor.workers and not supervisor.closed:
            supervisor.idle.append(worker)
        self.dispatch()

    def dispatch(self) -> None:
        """Hand idle workers to waiting calls, round robin across integrations."""
        idle = self.supervisor.idle
        while idle and self._rr:
            progressed = False
            for _ in range(len(self._rr)):
                iid = self._rr[0]
                self._rr.rotate(-1)
                integ = self.integrations.get(iid)
                if integ is None:
                    self._rr.remove(iid)
                    continue
                while integ.waiters and integ.waiters[0].done():
                    integ.waiters.popleft()
                if not integ.waiters:
                    self._rr.remove(iid)
                    continue
                if integ.inflight >= self.cap(integ):
                    continue
                fut = integ.waiters.popleft()
                worker = self._take(integ)
                call = self._calls.pop(fut, None)
                if call is not None and self._rr and self.batchable(integ):
                    worker.batch = self._joiners(BATCH_BUDGET_MS - (integ.avg_ms or 0.0))
                fut.set_result(worker)
                progressed = True
                if not idle:
                    break
            if not progressed:
                break

    def _joiners(self, budget_ms: float) -> list[Any]:
        """Waiting calls of batchable integrations, round robin, for the batch of a call just given a worker;
        each one's wait ends with :data:`JOINED`.  At most BATCH_MAX - 1 calls and about ``budget_ms`` of work."""
        taken: list[Any] = []
        while len(taken) < BATCH_MAX - 1 and budget_ms > 0:
            before = len(taken)
            for _ in range(len(self._rr)):
                iid = self._rr[0]
                self._rr.rotate(-1)
                integ = self.integrations.get(iid)
                if integ is None or not self.batchable(integ):
                    continue
                waiters = integ.waiters
                while waiters and waiters[0].done():
                    waiters.popleft()
                if not waiters or waiters[0] not in self._calls:
                    continue  # (a call that cannot join keeps its turn)
                fut = waiters.popleft()
                taken.append(self._calls.pop(fut))
                fut.set_result(JOINED)
                budget_ms -= integ.avg_ms or BATCH_MS
                if len(taken) >= BATCH_MAX - 1 or budget_ms <= 0:
                    break
            if len(taken) == before:
                break
        return taken

    def queued(self) -> int:
        """Calls waiting for a worker now."""
        total = 0
        for iid in self._rr:  # only integrations with waiting calls are in the round robin
            integ = self.integrations.get(iid)
            if integ is not None:
                total += sum(1 for fut in integ.waiters if not fut.done())
        return total
