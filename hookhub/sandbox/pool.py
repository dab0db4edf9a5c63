"""The worker pool: scripts run in sealed worker processes, never in the server.

:class:`WorkerPool` is the :class:`~hookhub.sandbox.base.Sandbox` of
``sandbox.mode: process``.  It is three parts:

* **Processes** (:mod:`.supervisor`): a zygote forks ``workers`` persistent
  workers; one that dies, times out or runs out of memory is killed and
  replaced by a fresh fork (a few ms).
* **Scheduling** (:mod:`.scheduler`): per-integration caps and queues, round
  robin, quarantine; a call that finds no worker in time is ``saturated`` (503).
* **Calls** (here): the request goes to the worker with the integration's
  Store; ``HTTP()`` requests the script makes are performed by the server
  (:mod:`.forward`) while the worker's clock is paused; the worker stops the
  script itself after ``timeout_ms`` (SIGALRM) and is SIGKILLed if it does not
  answer ``GRACE_MS`` later.  The pool keeps each integration's Store and
  applies the keys the call changed; a killed worker loses nothing that was
  committed.

The server never blocks: channels are asyncio protocols, forwarded ``HTTP()``
calls run in a thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Mapping
from typing import Any

from ..engines.base import ScriptEngine, outline_of
from ..errors import HookhubError
from ..records import STORE_MAX_BYTES, Limits, LogRecord
from . import channel
from .base import CallOutcome, ScriptSpec
from ..engines.boundary import checked_json_result, encoded_size
from .forward import forward_http
from .host import ScriptHost
from .quarantine import Quarantine, QuarantinePolicy, is_timeout
from .scheduler import JOINED, LoadedScript, Saturated, Scheduler
from .supervisor import Supervisor, WorkerProcess
from .wire import call_message, log_record

log = logging.getLogger("hookhub.sandbox")

#: Time a worker gets after ``timeout_ms`` to report its own timeout before it is killed.
GRACE_MS = 500

#: A worker running a batch hands back the calls it has not started this long after the batch
#: arrived (or as soon as a call makes an ``HTTP()`` request): one slow call delays the others
#: by at most this much, never by its timeout.
SLICE_MS = 10


def _stuck(limits: Limits) -> str:
    """Why a call whose worker had to be killed after its timeout failed."""
    return (f"the script timed out after {limits.timeout_ms} ms ({limits.origin('timeout_ms')}) and did not stop; "
            "its worker was killed and replaced")


class _Call:
    """One call as it waits for a worker and, when it joins a batch, for its outcome."""

    __slots__ = ("integration_id", "integ", "method", "kwargs", "outcome")

    def __init__(self, integration_id: str, integ: LoadedScript, method: str, kwargs: dict[str, Any]) -> None:
        self.integration_id = integration_id
        self.integ = integ
        self.method = method
        self.kwargs = kwargs
        self.outcome: asyncio.Future[CallOutcome] = asyncio.get_running_loop().create_future()

    def resolve(self, outcome: CallOutcome) -> None:
        """Hand the call its outcome, unless its caller went away."""
        if not self.outcome.done():  # (its caller may have gone away)
            self.outcome.set_result(outcome)


class WorkerPool:
    """:class:`~hookhub.sandbox.base.Sandbox` backed by sealed worker processes."""

    def __init__(self, engines: Mapping[str, ScriptEngine], *, workers: int = 2,
                 plugins: dict[str, Any] | None = None, quarantine: QuarantinePolicy | None = None) -> None:
        """:param plugins: ``{"block": [...], "plugins_dir": "..."}``: the workers load the same
        extension plugins for ``hookhub_sandbox_globals`` (None: no plugin helpers)."""
        if workers < 1:
            raise ValueError("sandbox.workers must be at least 1")
        self._checker = ScriptHost(dict(engines))
        #: (engine, source) pairs known to compile: 10,000 integrations sharing a script check it once
        self._compiles: set[tuple[str, str]] = set()
        self._ids = itertools.count(1)
        self._started = False
        #: batches being run (tasks of their own: no caller's cancellation stops one)
        self._batches: set[asyncio.Task[None]] = set()
        #: calls sent in batches so far, and those of them handed back unstarted
        self.batched = 0
        self.handed_back = 0
        #: timeout records and quarantines (metrics read ``quarantine.quarantines`` / add ``listeners``)
        self.quarantine = Quarantine(quarantine)
        self.supervisor = Supervisor(engines, workers, plugins=plugins, on_idle=lambda: self.scheduler.dispatch())
        self.scheduler = Scheduler(self.supervisor, self.quarantine)

    @property
    def seccomp_problem(self) -> str | None:
        """Why workers could not be sealed with seccomp (None when they were)."""
        return self.supervisor.seccomp_problem

    @property
    def replacements(self) -> int:
        """Workers replaced so far (killed, timed out, exited)."""
        return self.supervisor.replacements

    @property
    def pids(self) -> list[int]:
        """Process ids of the live workers (for tests and ``/healthz``-style checks)."""
        return self.supervisor.pids

    # -- lifecycle -----------------------------------------------------

    async def start(self) -> None:
        """Start the zygote and fork the workers; no-op when started (:meth:`call` starts the pool too)."""
        if self._started:
            return
        self._started = True
        await self.supervisor.start()

    async def close(self) -> None:
        """Kill the workers and the zygote and refuse the calls still
        waiting for a worker; loaded scripts and their ``Store`` are kept."""
        await self.supervisor.close()
        for integ in self.scheduler.integrations.values():
            self.scheduler.refuse_waiting(integ, "the sandbox is shutting down")
        self._started = False

    def stats(self) -> dict[str, int]:
        """Live and busy workers, calls waiting, replacements, calls batched and handed back so far (metrics, ``/readyz``)."""
        alive = self.supervisor.alive()
        return {"workers": alive, "busy": max(0, alive - len(self.supervisor.idle)),
                "queued": self.scheduler.queued(), "replacements": self.replacements,
                "batched": self.batched, "handed_back": self.handed_back, "started": int(self._started)}

    # -- integrations --------------------------------------------------

    async def load(self, spec: ScriptSpec) -> None:
        """Check off the loop that ``spec``'s script compiles (once per engine and source), then register it;
        workers re-create the instance when the digest changed, ``Store`` kept.  Raises ``ScriptCompileError``."""
        engine = self._checker.engine(spec)
        checked = (spec.engine, spec.source)
        if checked not in self._compiles:
            # compiling may take a while: off the event loop, once per distinct source
            await asyncio.to_thread(engine.check, spec.source, spec.filename)
            self._compiles.add(checked)
        loaded = self.scheduler.integrations
        integ = loaded.get(spec.integration_id)
        if integ is None:
            integ = loaded[spec.integration_id] = LoadedScript(spec)
        # workers re-create the instance when the digest changed; the Store is kept
        integ.set_spec(spec, outline_of(engine, spec.source, spec.filename).uses_store)

    def restore_store(self, integration_id: str, data: dict[str, Any]) -> None:
        """Set the ``Store`` the pool keeps for a loaded integration to a copy of ``data`` (no-op when not loaded)."""
        integ = self.scheduler.integrations.get(integration_id)
        if integ is not None:
            integ.store = dict(data)

    def store_of(self, integration_id: str) -> dict[str, Any] | None:
        """A copy of the ``Store`` the pool keeps for a loaded integration (None when it is not loaded)."""
        integ = self.scheduler.integrations.get(integration_id)
        return dict(integ.store) if integ is not None else None

    async def unload(self, integration_id: str) -> None:
        """Forget an integration: its quarantine record, its spec and ``Store``;
        its waiting calls are refused and idle workers told to drop its instance."""
        self.quarantine.forget(integration_id)
        integ = self.scheduler.integrations.pop(integration_id, None)
        if integ is not None:
            self.scheduler.refuse_waiting(integ, f"integration {integration_id!r} was unloaded")
        # idle workers drop its Script instance now (a busy one may be waiting for an
        # HTTP() answer on its channel; its stale instance is replaced by digest anyway)
        # (written without awaiting, so no call can slip in between)
        frame = channel.encode({"op": "forget", "integration_id": integration_id})
        for worker in self.supervisor.idle:
            with contextlib.suppress(channel.ChannelError):
                worker.channel.write(frame)

    # -- calls ---------------------------------------------------------

    async def call(self, integration_id: str, method: str, kwargs: dict[str, Any]) -> CallOutcome:
        """Run the call on a worker the scheduler grants (quarantined, or no worker in time: saturated with
        ``retry_after``); a timeout counts towards quarantine, which then refuses the integration's waiting calls."""
        started = time.perf_counter()
        integ = self.scheduler.integrations.get(integration_id)
        if integ is None:
            return CallOutcome(False, reason=f"integration {integration_id!r} has no script loaded")
        if not self._started:
            await self.start()
        try:
            if self.quarantine.retry_after(integration_id):
                raise Saturated(self.quarantine.reason(integration_id))
            call = _Call(integration_id, integ, method, kwargs)
            worker = await self.scheduler.acquire(integration_id, integ, call)
        except Saturated as exc:
            return CallOutcome(False, reason=str(exc), saturated=True, retry_after=self.quarantine.retry_after(
                integration_id), duration_ms=(time.perf_counter() - started) * 1000.0)
        outcome = await call.outcome if worker is JOINED else await self._serve(worker, call)
        if self.quarantine.record(integration_id, not outcome.ok and is_timeout(outcome.reason)):
            # its queued calls are refused now, not run
            self.scheduler.refuse_waiting(integ, self.quarantine.reason(integration_id))
        outcome.duration_ms = (time.perf_counter() - started) * 1000.0
        return outcome

    async def _serve(self, worker: WorkerProcess, call: _Call) -> CallOutcome:
        """Run ``call`` on ``worker``, alone or with the calls the scheduler added to its batch."""
        batch, worker.batch = worker.batch, None
        if batch:
            task = asyncio.get_running_loop().create_task(self._run_batch(worker, [call, *batch]))
            self._batches.add(task)
            task.add_done_callback(self._batches.discard)
            return await call.outcome
        integ = call.integ
        ran = time.perf_counter()
        try:
            return await self._run(worker, integ, call.method, call.kwargs)
        finally:
            integ.note_duration((time.perf_counter() - ran) * 1000.0)
            self.scheduler.release(worker, integ)

    def _again(self, call: _Call, *, alone: bool = False) -> None:
        """A call a worker handed back without starting it: it waits for a worker again, at the head
        of the queue (``alone``: it neither joins a batch nor takes others into one)."""
        async def again() -> None:
            try:
                worker = await self.scheduler.acquire(call.integration_id, call.integ, None if alone else call,
                                                      first=True)
            except Saturated as exc:
                call.resolve(CallOutcome(False, reason=str(exc), saturated=True,
                                         retry_after=self.quarantine.retry_after(call.integration_id)))
                return
            if worker is not JOINED:  # (joined: the batch it joined resolves it)
                call.resolve(await self._serve(worker, call))

        task = asyncio.get_running_loop().create_task(again())
        self._batches.add(task)
        task.add_done_callback(self._batches.discard)

    async def _run_batch(self, worker: WorkerProcess, calls: list[_Call]) -> None:
        """Send ``calls`` to ``worker`` in one frame and resolve each from the ``results`` frames it answers.

        Each call keeps its own limits, errors and Store changes.  The calls the
        worker hands back (its slice passed, or a call makes an ``HTTP()``
        request) wait for another worker; the worker is killed when it answers
        nothing within the slice plus the longest timeout (plus the grace), and
        the calls still unanswered then fail with the reason.
        """
        loop = asyncio.get_running_loop()
        pending: dict[int, _Call] = {}
        items = []
        for call in calls:
            call_id = next(self._ids)
            pending[call_id] = call
            items.append(call_message({"id": call_id, "spec": call.integ.spec_json, "method": call.method,
                                       "store": call.integ.store}, call.kwargs))
        leader = calls[0].integ
        try:
            frame = channel.encode_finite({"op": "batch", "id": next(self._ids), "slice_ms": SLICE_MS, "calls": items})
        except (TypeError, ValueError):  # one call's arguments are not JSON: each goes on its own and says so
            self.scheduler.release(worker, leader)
            for call in calls:
                self._again(call, alone=True)
            return
        worker.calls += len(calls)
        self.batched += len(calls)
        limits = [call.integ.spec.limits for call in calls]
        patience = (SLICE_MS + max(lim.timeout_ms for lim in limits) + GRACE_MS) / 1000.0
        max_frame = sum(lim.max_output_bytes + 4 * lim.max_log_bytes for lim in limits) + (4 << 20)
        chan = worker.channel
        timer = loop.call_at(loop.time() + patience, chan.time_out)
        try:
            await chan.send(frame)
            while pending:
                reply = await chan.read(max_frame)
                op = reply.get("op")
                if op == "results":
                    self._resolve(worker, pending, reply)
                elif op == "http" and reply.get("id") in pending:
                    timer.cancel()  # the worker's clock is paused while the server performs HTTP()
                    value = await forward_http(pending[reply["id"]].integ.spec, reply)
                    await chan.send(channel.encode({"op": "http_result", "id": reply["id"], "value": value}))
                elif op == "fatal":
                    log.error("sandbox worker %d failed internally:\n%s", worker.pid, str(reply.get("error"))[-4000:])
                    raise channel.ChannelError("the worker failed internally (see the server log)")
                else:
                    raise channel.ChannelError(f"unexpected message {op!r}")
                timer.cancel()
                timer = loop.call_at(loop.time() + patience, chan.time_out)
        except TimeoutError:
            self.supervisor.retire(worker)
            self._fail(pending, lambda lim: (
                _stuck(lim) if len(pending) == 1 else
                f"the worker running this call in a batch of {len(calls)} did not answer within "
                f"{patience:.1f} s (a call of the batch did not stop after its timeout); "
                "it was killed and replaced"))
        except (channel.ChannelError, OSError, ValueError, TypeError, KeyError) as exc:
            lost = await self._lost(worker, exc)
            self._fail(pending, lambda lim: lost)
        except asyncio.CancelledError:  # the pool is closing
            self.supervisor.retire(worker)
            self._fail(pending, lambda lim: "the sandbox is shutting down")
            raise
        finally:
            timer.cancel()
            self.scheduler.release(worker, leader)

    def _resolve(self, worker: WorkerProcess, pending: dict[int, _Call], reply: dict[str, Any]) -> None:
        """Apply one ``results`` frame: answered calls get their outcome, handed-back ones wait again."""
        results, returned = reply.get("results"), reply.get("returned")
        if not isinstance(results, list) or not isinstance(returned, list):
            raise channel.ChannelError("invalid results message")
        for result in results:
            call_id = result.get("id") if isinstance(result, dict) else None
            call = pending.pop(call_id, None) if type(call_id) is int else None
            if call is None:
                raise channel.ChannelError("a result for no call of the batch")
            ms = result.get("ms")
            if type(ms) is float or type(ms) is int:
                call.integ.note_duration(float(ms))
            call.resolve(self._outcome(worker, call.integ, result))
        for call_id in returned:
            call = pending.pop(call_id, None) if type(call_id) is int else None
            if call is None:
                raise channel.ChannelError("a handed-back id of no call of the batch")
            self.handed_back += 1
            self._again(call)

    async def _lost(self, worker: WorkerProcess, exc: Exception) -> str:
        """Retire a worker whose channel failed with ``exc``; the reason its calls fail (how it ended)."""
        pid = worker.pid
        self.supervisor.retire(worker)
        return f"the worker running the script {await self.supervisor.exit_reason(pid)}; it was replaced ({exc})"

    @staticmethod
    def _fail(pending: dict[int, _Call], reason: Any) -> None:
        """Fail the calls still unanswered (``reason(limits)`` says why); their slow average keeps them out of batches."""
        for call in pending.values():
            limits = call.integ.spec.limits
            call.integ.note_duration(float(limits.timeout_ms))
            call.resolve(CallOutcome(False, reason=reason(limits)))
        pending.clear()

    async def _run(self, worker: WorkerProcess, integ: LoadedScript, method: str, kwargs: dict[str, Any]) -> CallOutcome:
        spec = integ.spec
        limits = spec.limits
        call_id = next(self._ids)
        worker.calls += 1
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (limits.timeout_ms + GRACE_MS) / 1000.0
        max_frame = limits.max_output_bytes + 4 * limits.max_log_bytes + (4 << 20)
        message = call_message({"op": "call", "id": call_id, "spec": integ.spec_json, "method": method,
                                "store": integ.store}, kwargs)
        try:
            # requests hold finite numbers only (bodies refuse NaN), the Store and spec too
            frame = channel.encode_finite(message)
        except (TypeError, ValueError) as exc:  # the caller's mistake: the worker is fine
            return CallOutcome(False, reason=f"the call's arguments are not JSON data: {exc}")
        chan = worker.channel
        # the deadline fails the wait on the channel with TimeoutError (see WorkerChannel.time_out)
        timer = loop.call_at(deadline, chan.time_out)
        try:
            await chan.send(frame)
            while True:
                reply = await chan.read(max_frame)
                op = reply.get("op")
                if op == "http" and reply.get("id") == call_id:
                    # the worker's clock is paused while the server performs HTTP()
                    timer.cancel()
                    began = loop.time()
                    value = await forward_http(spec, reply)
                    deadline += loop.time() - began
                    timer = loop.call_at(deadline, chan.time_out)
                    await chan.send(channel.encode({"op": "http_result", "id": call_id, "value": value}))
                    continue
                if op == "result" and reply.get("id") == call_id:
                    return self._outcome(worker, integ, reply)
                if op == "fatal":
                    log.error("sandbox worker %d failed internally:\n%s", worker.pid,
                              str(reply.get("error"))[-4000:])
                    raise channel.ChannelError("the worker failed internally (see the server log)")
                raise channel.ChannelError(f"unexpected message {op!r}")
        except asyncio.CancelledError:
            # The caller went away mid-call: the worker is still busy with it and would hand its late
            # reply to the next call, so it is not reused but replaced.
            self.supervisor.retire(worker)
            raise
        except TimeoutError:
            self.supervisor.retire(worker)
            return CallOutcome(False, reason=_stuck(limits))
        except (channel.ChannelError, OSError, ValueError, TypeError, KeyError) as exc:
            return CallOutcome(False, reason=await self._lost(worker, exc))
        finally:
            timer.cancel()

    def _outcome(self, worker: WorkerProcess, integ: LoadedScript, reply: dict[str, Any]) -> CallOutcome:
        logs = [log_record(r) for r in reply.get("logs") or [] if isinstance(r, dict)]
        store = reply.get("store")
        changed: dict[str, Any] | None = None
        delta: dict[str, Any] | None = None
        if isinstance(store, dict) and store:
            merged = {**integ.store, **store}
            if encoded_size(merged) > STORE_MAX_BYTES:
                logs.append(LogRecord("error", time.time(), f"Store changes dropped: the Store would exceed "
                                                            f"{STORE_MAX_BYTES} bytes of JSON"))
            else:
                integ.store = changed = merged
                delta = store
        if reply.get("recycle"):
            self.supervisor.retire(worker, kill=False)  # it exits by itself after this reply
        reason = reply.get("reason")
        if reply.get("ok") is True:
            try:
                value = checked_json_result(reply.get("value"), integ.spec.limits.max_output_bytes)
            except HookhubError as exc:
                return CallOutcome(False, reason=str(exc), logs=logs, store=changed, changes=delta)
            return CallOutcome(True, value=value, logs=logs, store=changed, changes=delta)
        return CallOutcome(False, reason=str(reason) if reason is not None else "the script failed", logs=logs,
                           store=changed, changes=delta)
