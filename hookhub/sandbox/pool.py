"""The worker pool: scripts run in sealed worker processes, never in the server.

* **Processes.** A zygote (:mod:`.zygote`) forks ``workers`` persistent
  workers (:mod:`.worker`); a worker that dies, times out or runs out of
  memory is killed and replaced by a fresh fork (a few ms).
* **Scheduling.** Any idle worker serves any integration.  An integration may use at most
  ``concurrency`` workers, never all unless its calls have proven fast, and queue ``queue``
  calls; beyond that, or after waiting twice its timeout, a call is ``saturated`` (503).
  Waiting calls are served round robin (one whose waits expired first).  Integrations
  without a clean record share all workers but ``reserved_workers``; one whose calls keep
  timing out runs niced and is quarantined (:mod:`.quarantine`).
* **Asyncio.** The server never blocks: channels are asyncio protocols,
  forwarded ``HTTP()`` calls run in a thread (or natively when egress is async).
* **Timeouts.** The worker stops the script itself after ``timeout_ms``
  (SIGALRM); if it does not answer ``GRACE_MS`` later it is SIGKILLed.
* **Store.** The pool keeps each integration's Store, sends it with every
  call and applies the keys the call changed; a killed worker loses nothing
  that was committed.  Calls of a script that mentions ``Store`` are
  serialised so that read-modify-write sequences never lose an update.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..engines.base import ScriptEngine, outline_of

from ..records import STORE_MAX_BYTES, LogRecord
from ..errors import HookhubError
from . import channel
from .base import CallOutcome, ScriptSpec
from .boundary import checked_json_result, encoded_size
from .forward import forward_http
from .limits import scrubbed_env
from .quarantine import Quarantine, QuarantinePolicy, is_timeout, set_niceness
from .runner import ScriptRunner
from .wire import log_record, spec_json
from .zygote import MAX_PACKET, engine_recipe

log = logging.getLogger("hookhub.sandbox")

#: Time a worker gets after ``timeout_ms`` to report its own timeout before it is killed.
GRACE_MS = 500
#: Calls of an integration averaging less than this may use every worker.
FAST_MS = 50.0
#: Time to wait for a forked worker to say ``ready``.
READY_TIMEOUT_S = 30.0


class _Saturated(Exception):
    pass


@dataclass(eq=False)
class _Worker:
    pid: int
    channel: channel.WorkerChannel
    sealed: str | None = None
    alive: bool = True
    calls: int = 0
    suspect: int = 0  # its call's quarantine standing: not HEALTHY counts in ``_suspect_busy``


@dataclass(eq=False)
class _Integration:
    spec: ScriptSpec
    store: dict[str, Any] = field(default_factory=dict)
    inflight: int = 0
    waiters: deque[asyncio.Future[_Worker]] = field(default_factory=deque)
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
        if spec.digest != self.spec.digest:
            self.avg_ms = None  # a new script has to prove itself again
        self.spec = spec
        self.spec_json = spec_json(spec)
        self.uses_store = uses_store

    def note_duration(self, ms: float) -> None:
        self.avg_ms = ms if self.avg_ms is None else 0.7 * self.avg_ms + 0.3 * ms


class WorkerPool:
    """:class:`~hookhub.sandbox.base.Sandbox` backed by sealed worker processes."""

    def __init__(self, engines: Mapping[str, ScriptEngine], *, workers: int = 2,
                 plugins: dict[str, Any] | None = None, quarantine: QuarantinePolicy | None = None) -> None:
        """:param plugins: ``{"block": [...], "plugins_dir": "..."}``: the workers load the same
        extension plugins for ``hookhub_sandbox_globals`` (None: no plugin helpers)."""
        if workers < 1:
            raise ValueError("sandbox.workers must be at least 1")
        self._engines = dict(engines)
        self._plugins = plugins
        self._checker = ScriptRunner(self._engines)
        self._size = workers
        self._integrations: dict[str, _Integration] = {}
        #: (engine, source) pairs known to compile: 10,000 integrations sharing a script check it once
        self._compiles: set[tuple[str, str]] = set()
        self._idle: list[_Worker] = []
        self._workers: dict[int, _Worker] = {}
        self._rr: deque[str] = deque()
        self._ids = itertools.count(1)
        self._zygote: subprocess.Popen[bytes] | None = None
        self._ctl: socket.socket | None = None
        self._ctl_task: asyncio.Task[None] | None = None
        self._fork_lock = asyncio.Lock()
        self._forked: asyncio.Future[int] | None = None
        self._exits: dict[int, str] = {}
        self._exit_events: dict[int, asyncio.Event] = {}
        self._spawning: set[asyncio.Future[Any]] = set()
        self._closed = False
        self._started = False
        #: why workers could not be sealed with seccomp (None when they were)
        self.seccomp_problem: str | None = None
        #: timeout records and quarantines (metrics read ``quarantine.quarantines`` / add ``listeners``)
        self.quarantine, self._suspect_busy = Quarantine(quarantine), 0
        #: workers replaced so far (killed, timed out, exited)
        self.replacements = 0

    # -- lifecycle -----------------------------------------------------

    async def start(self) -> None:
        if self._started:
            return
        self._started = True
        self._closed = False
        await self._start_zygote()
        await asyncio.gather(*(self._spawn_worker() for _ in range(self._size)))

    async def close(self) -> None:
        self._closed = True
        pending = list(self._spawning)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for worker in list(self._workers.values()):
            self._kill(worker)
        for integ in self._integrations.values():
            for fut in integ.waiters:
                if not fut.done():
                    fut.set_exception(_Saturated("the sandbox is shutting down"))
        self._idle.clear()
        await self._stop_zygote()
        self._started = False

    async def _start_zygote(self) -> None:
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self._zygote = subprocess.Popen(
                [sys.executable, "-m", "hookhub.sandbox.zygote", str(child.fileno())],
                pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                env=scrubbed_env(), cwd="/", close_fds=True,
                # its own session: a Ctrl-C meant for the server must not reach the
                # zygote and workers (they follow the server through their channel)
                start_new_session=True)
        finally:
            child.close()
        parent.setblocking(False)
        self._ctl = parent
        loop = asyncio.get_running_loop()
        init = {"op": "init", "engines": {name: engine_recipe(e) for name, e in self._engines.items()},
                "plugins": self._plugins}
        await loop.sock_sendall(parent, _json_bytes(init))
        ready = await asyncio.wait_for(loop.sock_recv(parent, MAX_PACKET), READY_TIMEOUT_S)
        if not ready:
            raise RuntimeError("the sandbox zygote exited during start-up; see the server's stderr")
        self._ctl_task = asyncio.create_task(self._read_ctl(parent))

    async def _stop_zygote(self) -> None:
        if self._ctl_task is not None:
            self._ctl_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._ctl_task
            self._ctl_task = None
        if self._ctl is not None:
            self._ctl.close()
            self._ctl = None
        if self._zygote is not None:
            proc, self._zygote = self._zygote, None
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await asyncio.to_thread(proc.wait)

    async def _read_ctl(self, ctl: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            data = await loop.sock_recv(ctl, MAX_PACKET)
            if not data:
                if not self._closed:
                    log.error("the sandbox zygote died; restarting it")
                    asyncio.get_running_loop().call_soon(self._restart_zygote)
                return
            message = channel.decode(data)
            op = message.get("op")
            if op == "forked" and self._forked is not None and not self._forked.done():
                self._forked.set_result(int(message["pid"]))
            elif op == "exited":
                self._on_exit(int(message["pid"]), str(message.get("reason", "exited")))

    def _restart_zygote(self) -> None:
        # Its workers die with it (PR_SET_PDEATHSIG); busy ones fail their call on EOF.
        for worker in list(self._idle):
            self._kill(worker)

        async def restart() -> None:
            await self._stop_zygote()
            if self._closed:
                return
            await self._start_zygote()
            while len(self._workers) + len(self._spawning) - 1 < self._size and not self._closed:
                await self._spawn_worker()

        self._track(asyncio.ensure_future(restart()))

    def _track(self, task: asyncio.Future[Any]) -> None:
        self._spawning.add(task)
        task.add_done_callback(self._spawning.discard)

    # -- workers -------------------------------------------------------

    async def _fork(self) -> tuple[int, socket.socket]:
        if self._ctl is None:
            raise RuntimeError("the sandbox zygote is not running")
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            async with self._fork_lock:
                loop = asyncio.get_running_loop()
                self._forked = loop.create_future()
                try:
                    socket.send_fds(self._ctl, [_json_bytes({"op": "fork"})], [theirs.fileno()])
                finally:
                    theirs.close()
                pid = await asyncio.wait_for(self._forked, READY_TIMEOUT_S)
        except BaseException:
            ours.close()
            raise
        return pid, ours

    async def _spawn_worker(self) -> None:
        pid, sock = await self._fork()
        self._exit_events[pid] = asyncio.Event()
        chan: channel.WorkerChannel | None = None
        try:
            chan = await channel.connect(sock)
            ready = await asyncio.wait_for(chan.read(), READY_TIMEOUT_S)
        except BaseException as exc:
            if chan is not None:
                chan.close()
            else:
                sock.close()
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            if isinstance(exc, (channel.ChannelError, asyncio.TimeoutError)):
                raise RuntimeError("a sandbox worker failed to start; see the server's stderr") from None
            raise
        worker = _Worker(pid, chan, sealed=ready.get("sealed"))
        if worker.sealed and worker.sealed != self.seccomp_problem:
            self.seccomp_problem = worker.sealed
            log.warning("sandbox workers run without a syscall filter: %s", worker.sealed)
        self._workers[pid] = worker
        if pid in self._exits or self._closed:  # died before we got here, or the pool is closing
            self._retire(worker)
            return
        self._idle.append(worker)
        self._dispatch()

    def _replace_later(self) -> None:
        if self._closed:
            return
        self.replacements += 1

        async def spawn() -> None:
            for attempt in range(5):
                try:
                    await self._spawn_worker()
                    return
                except (TimeoutError, RuntimeError, OSError) as exc:
                    log.error("could not replace a sandbox worker (attempt %d): %s", attempt + 1, exc)
                    await asyncio.sleep(0.2 * (attempt + 1))

        self._track(asyncio.ensure_future(spawn()))

    def _kill(self, worker: _Worker, signal_it: bool = True) -> None:
        if worker.alive and signal_it:
            worker.alive = False
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(worker.pid, signal.SIGKILL)
        worker.alive = False
        worker.channel.close()
        self._workers.pop(worker.pid, None)
        if worker in self._idle:
            self._idle.remove(worker)

    def _retire(self, worker: _Worker, kill: bool = True) -> None:
        """Kill (unless it is ending by itself) and replace a worker."""
        was_known = worker.pid in self._workers
        self._kill(worker, signal_it=kill)
        if was_known:
            self._replace_later()

    def _on_exit(self, pid: int, reason: str) -> None:
        self._exits[pid] = reason
        if len(self._exits) > 1024:
            for old in list(self._exits)[:512]:
                self._exits.pop(old, None)
        event = self._exit_events.pop(pid, None)
        if event is not None:
            event.set()
        worker = self._workers.get(pid)
        if worker is not None and worker in self._idle:
            log.warning("sandbox worker %d %s while idle; replacing it", pid, reason)
            worker.alive = False
            self._retire(worker)

    async def _exit_reason(self, pid: int) -> str:
        event = self._exit_events.get(pid)
        if event is not None and pid not in self._exits:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(event.wait(), 0.5)
        return self._exits.get(pid, "exited")

    def stats(self) -> dict[str, int]:
        """Live and busy workers, calls waiting, replacements so far (metrics, ``/readyz``)."""
        alive = sum(1 for w in self._workers.values() if w.alive)
        queued = 0
        for iid in self._rr:  # only integrations with waiting calls are in the round robin
            integ = self._integrations.get(iid)
            if integ is not None:
                queued += sum(1 for fut in integ.waiters if not fut.done())
        return {"workers": alive, "busy": max(0, alive - len(self._idle)), "queued": queued,
                "replacements": self.replacements, "started": int(self._started)}

    @property
    def pids(self) -> list[int]:
        """Process ids of the live workers (for tests and ``/healthz``-style checks)."""
        return sorted(pid for pid, w in self._workers.items() if w.alive)

    # -- integrations --------------------------------------------------

    async def load(self, spec: ScriptSpec) -> None:
        engine = self._checker.engine(spec)
        checked = (spec.engine, spec.source)
        if checked not in self._compiles:
            # compiling may take a while: off the event loop, once per distinct source
            await asyncio.to_thread(engine.check, spec.source, spec.filename)
            self._compiles.add(checked)
        integ = self._integrations.get(spec.integration_id)
        if integ is None:
            integ = self._integrations[spec.integration_id] = _Integration(spec)
        # workers re-create the instance when the digest changed; the Store is kept
        integ.set_spec(spec, outline_of(engine, spec.source, spec.filename).uses_store)

    def restore_store(self, integration_id: str, data: dict[str, Any]) -> None:
        integ = self._integrations.get(integration_id)
        if integ is not None:
            integ.store = dict(data)

    def store_of(self, integration_id: str) -> dict[str, Any] | None:
        integ = self._integrations.get(integration_id)
        return dict(integ.store) if integ is not None else None

    async def unload(self, integration_id: str) -> None:
        self.quarantine.forget(integration_id)
        integ = self._integrations.pop(integration_id, None)
        if integ is not None:
            for fut in integ.waiters:
                if not fut.done():
                    fut.set_exception(_Saturated(f"integration {integration_id!r} was unloaded"))
        # idle workers drop its Script instance now (a busy one may be waiting for an
        # HTTP() answer on its channel; its stale instance is replaced by digest anyway)
        # (written without awaiting, so no call can slip in between)
        frame = channel.encode({"op": "forget", "integration_id": integration_id})
        for worker in self._idle:
            with contextlib.suppress(channel.ChannelError):
                worker.channel.write(frame)

    def _cap(self, integ: _Integration) -> int:
        """Workers one integration may use at once.

        ``concurrency``, but never every worker unless its calls have proven
        fast (average under ``FAST_MS``): a new or slow integration always
        leaves one worker to the others, a fast busy one may use them all.
        """
        if integ.uses_store:
            return 1
        cap = min(integ.spec.limits.concurrency, self._size)
        if self._size > 1 and (integ.avg_ms is None or integ.avg_ms > FAST_MS):
            cap = min(cap, self._size - 1)
        if not self.quarantine.healthy(integ.spec.integration_id, integ.avg_ms):  # the shared workers only
            return min(max(1, cap), integ.inflight + self.quarantine.shared_workers(self._size) - self._suspect_busy)
        return max(1, cap)

    def _take(self, integ: _Integration) -> _Worker:
        worker = self._idle.pop()
        integ.inflight, integ.starved = integ.inflight + 1, False
        worker.suspect = self.quarantine.standing(integ.spec.integration_id, integ.avg_ms)
        if worker.suspect:
            self._suspect_busy += 1
            set_niceness(worker.pid, worker.suspect)
        return worker

    async def _acquire(self, integration_id: str, integ: _Integration) -> _Worker:
        if integ.inflight < self._cap(integ) and self._idle:
            return self._take(integ)
        limits = integ.spec.limits
        if len(integ.waiters) >= limits.queue:
            raise _Saturated(
                f"integration {integration_id!r} is saturated: {integ.inflight} calls running and "
                f"{len(integ.waiters)} waiting (sandbox concurrency={limits.concurrency}, queue={limits.queue})")
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[_Worker] = loop.create_future()
        integ.waiters.append(fut)
        if integ.starved and integration_id in self._rr:
            self._rr.remove(integration_id)
        if integration_id not in self._rr:
            (self._rr.appendleft if integ.starved else self._rr.append)(integration_id)
        wait_s = 2 * max(limits.timeout_ms, 1000) / 1000.0
        # a timer, not asyncio.wait_for(shield(...)): one future per waiting call instead of three
        timer = loop.call_later(wait_s, self._wait_expired, integration_id, integ, fut, wait_s)
        try:
            return await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                self._release(fut.result(), integ)  # handed a worker just as the call was cancelled
            else:
                self._forget_waiter(integ, fut)
            raise
        finally:
            timer.cancel()

    def _wait_expired(self, integration_id: str, integ: _Integration, fut: asyncio.Future[_Worker],
                      wait_s: float) -> None:
        if not fut.done():  # (a call handed a worker just as its wait ended keeps it)
            integ.starved = True
            self._forget_waiter(integ, fut, _Saturated(
                f"integration {integration_id!r} is saturated: a call waited {wait_s:.1f} s for a worker"))

    @staticmethod
    def _forget_waiter(integ: _Integration, fut: asyncio.Future[_Worker], exc: Exception | None = None) -> None:
        if exc is None:
            fut.cancel()
        elif not fut.done():
            fut.set_exception(exc)
        with contextlib.suppress(ValueError):
            integ.waiters.remove(fut)

    def _release(self, worker: _Worker, integ: _Integration) -> None:
        integ.inflight -= 1
        if worker.suspect:
            standing, worker.suspect, self._suspect_busy = worker.suspect, 0, self._suspect_busy - 1
            if worker.alive and not set_niceness(worker.pid, standing, restore=True):
                self._retire(worker)  # its priority cannot be restored (no privileges): a fresh worker
        if worker.alive and worker.pid in self._workers and not self._closed:
            self._idle.append(worker)
        self._dispatch()

    def _dispatch(self) -> None:
        """Hand idle workers to waiting calls, round robin across integrations."""
        while self._idle and self._rr:
            progressed = False
            for _ in range(len(self._rr)):
                iid = self._rr[0]
                self._rr.rotate(-1)
                integ = self._integrations.get(iid)
                if integ is None:
                    self._rr.remove(iid)
                    continue
                while integ.waiters and integ.waiters[0].done():
                    integ.waiters.popleft()
                if not integ.waiters:
                    self._rr.remove(iid)
                    continue
                if integ.inflight >= self._cap(integ):
                    continue
                integ.waiters.popleft().set_result(self._take(integ))
                progressed = True
                if not self._idle:
                    break
            if not progressed:
                break

    # -- calls ---------------------------------------------------------

    async def call(self, integration_id: str, method: str, kwargs: dict[str, Any]) -> CallOutcome:
        started = time.perf_counter()
        integ = self._integrations.get(integration_id)
        if integ is None:
            return CallOutcome(False, reason=f"integration {integration_id!r} has no script loaded")
        if not self._started:
            await self.start()
        try:
            if self.quarantine.retry_after(integration_id):
                raise _Saturated(self.quarantine.reason(integration_id))
            worker = await self._acquire(integration_id, integ)
        except _Saturated as exc:
            return CallOutcome(False, reason=str(exc), saturated=True, retry_after=self.quarantine.retry_after(
                integration_id), duration_ms=(time.perf_counter() - started) * 1000.0)
        ran = time.perf_counter()
        try:
            outcome = await self._run(worker, integ, method, kwargs)
        finally:
            integ.note_duration((time.perf_counter() - ran) * 1000.0)
            self._release(worker, integ)
        if self.quarantine.record(integration_id, not outcome.ok and is_timeout(outcome.reason)):
            for fut in list(integ.waiters):  # its queued calls are refused now, not run
                self._forget_waiter(integ, fut, _Saturated(self.quarantine.reason(integration_id)))
        outcome.duration_ms = (time.perf_counter() - started) * 1000.0
        return outcome

    async def _run(self, worker: _Worker, integ: _Integration, method: str, kwargs: dict[str, Any]) -> CallOutcome:
        spec = integ.spec
        limits = spec.limits
        call_id = next(self._ids)
        worker.calls += 1
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (limits.timeout_ms + GRACE_MS) / 1000.0
        max_frame = limits.max_output_bytes + 4 * limits.max_log_bytes + (4 << 20)
        message = {"op": "call", "id": call_id, "spec": integ.spec_json, "method": method,
                   "kwargs": kwargs, "store": integ.store}
        try:
            # requests hold finite numbers only (bodies refuse NaN), the Store and spec too
            frame = channel.encode_finite(message)
        except (TypeError, ValueError) as exc:  # the caller's mistake: the worker is fine
            return CallOutcome(False, reason=f"the call's arguments are not JSON data: {exc}")
        chan = worker.channel
        # the deadline fails the wait on the channel with TimeoutError (see WorkerChannel.time_out)
        timer = loop.call_at(deadline, chan.time_out)
        try:
            chan.write(frame)
            if chan.writing_paused:
                await chan.drain()
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
                    chan.write(channel.encode({"op": "http_result", "id": call_id, "value": value}))
                    if chan.writing_paused:
                        await chan.drain()
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
            self._retire(worker)
            raise
        except TimeoutError:
            self._retire(worker)
            return CallOutcome(False, reason=(
                f"the script timed out after {limits.timeout_ms} ms ({limits.origin('timeout_ms')}) and did not stop; "
                "its worker was killed and replaced"))
        except (channel.ChannelError, OSError, ValueError, TypeError, KeyError) as exc:
            pid = worker.pid
            self._retire(worker)
            reason = await self._exit_reason(pid)
            return CallOutcome(False, reason=(
                f"the worker running the script {reason}; it was replaced ({exc})"))
        finally:
            timer.cancel()

    def _outcome(self, worker: _Worker, integ: _Integration, reply: dict[str, Any]) -> CallOutcome:
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
            self._retire(worker, kill=False)  # it exits by itself after this reply
        reason = reply.get("reason")
        if reply.get("ok") is True:
            try:
                value = checked_json_result(reply.get("value"), integ.spec.limits.max_output_bytes)
            except HookhubError as exc:
                return CallOutcome(False, reason=str(exc), logs=logs, store=changed, changes=delta)
            return CallOutcome(True, value=value, logs=logs, store=changed, changes=delta)
        return CallOutcome(False, reason=str(reason) if reason is not None else "the script failed", logs=logs,
                           store=changed, changes=delta)


def _json_bytes(message: dict[str, Any]) -> bytes:
    return channel.encode(message)[4:]
