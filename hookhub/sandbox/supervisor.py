"""The worker processes: a zygote, the workers it forks, and their replacement when they die.

A :class:`Supervisor` owns processes and nothing else: it starts the zygote
(:mod:`.zygote`, a clean interpreter with the engines warmed up), asks it to
fork ``size`` sealed workers (:mod:`.worker`), keeps the idle ones in
:attr:`Supervisor.idle`, and replaces a worker that is killed, times out or
exits by a fresh fork (a few ms).  A zygote that dies is restarted with its
workers.  Which call runs on which worker is the scheduler's business
(:mod:`.scheduler`); it is told through ``on_idle`` when a worker is ready.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..engines.base import ScriptEngine
from . import channel
from .oslimits import scrubbed_env
from .zygote import MAX_PACKET, engine_recipe

log = logging.getLogger("hookhub.sandbox")

#: Time to wait for a forked worker to say ``ready``.
READY_TIMEOUT_S = 30.0


@dataclass(eq=False)
class WorkerProcess:
    """One forked worker process and its channel."""

    pid: int
    channel: channel.WorkerChannel
    #: why it runs without a syscall filter (None: sealed with seccomp)
    sealed: str | None = None
    alive: bool = True
    calls: int = 0
    #: the quarantine standing of the call it runs (not HEALTHY: counted by the scheduler, niced)
    suspect: int = 0
    #: waiting calls the scheduler added to the batch of the call it was just given (None: none)
    batch: list[Any] | None = None


class Supervisor:
    """Keeps ``size`` worker processes alive, forked from one zygote."""

    def __init__(self, engines: Mapping[str, ScriptEngine], size: int, *,
                 plugins: dict[str, Any] | None, on_idle: Callable[[], None]) -> None:
        """:param plugins: what the workers load for ``hookhub_sandbox_globals`` (see ``WorkerPool``).
        :param on_idle: called when a new worker joins :attr:`idle` (the scheduler hands it a call)."""
        self.size = size
        self._engines = dict(engines)
        self._plugins = plugins
        self._on_idle = on_idle
        #: ready workers, not running a call (the scheduler pops and returns them)
        self.idle: list[WorkerProcess] = []
        #: every worker by pid, busy or idle
        self.workers: dict[int, WorkerProcess] = {}
        self.zygote: subprocess.Popen[bytes] | None = None
        self._ctl: socket.socket | None = None
        self._ctl_task: asyncio.Task[None] | None = None
        self._fork_lock = asyncio.Lock()
        self._forked: asyncio.Future[int] | None = None
        self._exits: dict[int, str] = {}
        self._exit_events: dict[int, asyncio.Event] = {}
        self._spawning: set[asyncio.Future[Any]] = set()
        self.closed = False
        #: why workers could not be sealed with seccomp (None when they were)
        self.seccomp_problem: str | None = None
        #: workers replaced so far (killed, timed out, exited)
        self.replacements = 0

    # -- lifecycle -----------------------------------------------------

    async def start(self) -> None:
        """Start the zygote and fork every worker."""
        self.closed = False
        await self._start_zygote()
        await asyncio.gather(*(self.spawn_worker() for _ in range(self.size)))

    async def close(self) -> None:
        """Kill every worker and the zygote (no replacement)."""
        self.closed = True
        pending = list(self._spawning)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for worker in list(self.workers.values()):
            self.kill(worker)
        self.idle.clear()
        await self._stop_zygote()

    async def _start_zygote(self) -> None:
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.zygote = subprocess.Popen(
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
        if self.zygote is not None:
            proc, self.zygote = self.zygote, None
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await asyncio.to_thread(proc.wait)

    async def _read_ctl(self, ctl: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            data = await loop.sock_recv(ctl, MAX_PACKET)
            if not data:
                if not self.closed:
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
        for worker in list(self.idle):
            self.kill(worker)

        async def restart() -> None:
            await self._stop_zygote()
            if self.closed:
                return
            await self._start_zygote()
            while len(self.workers) + len(self._spawning) - 1 < self.size and not self.closed:
                await self.spawn_worker()

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

    async def spawn_worker(self) -> None:
        """Fork one worker, wait for its ``ready`` and make it idle."""
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
        worker = WorkerProcess(pid, chan, sealed=ready.get("sealed"))
        if worker.sealed and worker.sealed != self.seccomp_problem:
            self.seccomp_problem = worker.sealed
            log.warning("sandbox workers run without a syscall filter: %s", worker.sealed)
        self.workers[pid] = worker
        if pid in self._exits or self.closed:  # died before we got here, or the pool is closing
            self.retire(worker)
            return
        self.idle.append(worker)
        self._on_idle()

    def replace_later(self) -> None:
        """Fork a replacement in the background (retried a few times)."""
        if self.closed:
            return
        self.replacements += 1

        async def spawn() -> None:
            for attempt in range(5):
                try:
                    await self.spawn_worker()
                    return
                except (TimeoutError, RuntimeError, OSError) as exc:
                    log.error("could not replace a sandbox worker (attempt %d): %s", attempt + 1, exc)
                    await asyncio.sleep(0.2 * (attempt + 1))

        self._track(asyncio.ensure_future(spawn()))

    def kill(self, worker: WorkerProcess, signal_it: bool = True) -> None:
        """Forget ``worker`` (SIGKILLed unless ``signal_it`` is false: it is ending by itself)."""
        if worker.alive and signal_it:
            worker.alive = False
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(worker.pid, signal.SIGKILL)
        worker.alive = False
        worker.channel.close()
        self.workers.pop(worker.pid, None)
        if worker in self.idle:
            self.idle.remove(worker)

    def retire(self, worker: WorkerProcess, kill: bool = True) -> None:
        """Kill (unless it is ending by itself) and replace a worker."""
        was_known = worker.pid in self.workers
        self.kill(worker, signal_it=kill)
        if was_known:
            self.replace_later()

    def _on_exit(self, pid: int, reason: str) -> None:
        self._exits[pid] = reason
        if len(self._exits) > 1024:
            for old in list(self._exits)[:512]:
                self._exits.pop(old, None)
        event = self._exit_events.pop(pid, None)
        if event is not None:
            event.set()
        worker = self.workers.get(pid)
        if worker is not None and worker in self.idle:
            log.warning("sandbox worker %d %s while idle; replacing it", pid, reason)
            worker.alive = False
            self.retire(worker)

    async def exit_reason(self, pid: int) -> str:
        """How worker ``pid`` ended, as the zygote reported it ("was killed by SIGKILL", ...)."""
        event = self._exit_events.get(pid)
        if event is not None and pid not in self._exits:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(event.wait(), 0.5)
        return self._exits.get(pid, "exited")

    def alive(self) -> int:
        """Workers alive now."""
        return sum(1 for w in self.workers.values() if w.alive)

    @property
    def pids(self) -> list[int]:
        """Process ids of the live workers."""
        return sorted(pid for pid, w in self.workers.items() if w.alive)


def _json_bytes(message: dict[str, Any]) -> bytes:
    return channel.encode(message)[4:]
