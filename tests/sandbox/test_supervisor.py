"""The supervisor on its own: a real zygote, real forked workers, their death and replacement."""

from __future__ import annotations

import asyncio
import ctypes.util
import os
import signal
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from hookhub.engines.python import PythonEngine
from hookhub.records import Limits
from hookhub.sandbox import channel
from hookhub.sandbox.base import ScriptSpec
from hookhub.sandbox.supervisor import Supervisor, WorkerProcess
from hookhub.sandbox.wire import spec_json

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc")

ECHO = "class Script:\n    def process_incoming_request(self, request):\n        return {'echo': request.content.text}\n"


class Counter:
    """An ``on_idle`` callback counting its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1


def make_supervisor(size: int = 2, on_idle: Callable[[], None] | None = None) -> Supervisor:
    return Supervisor({"python": PythonEngine()}, size, plugins=None, on_idle=on_idle or (lambda: None))


@pytest.fixture
def on_idle() -> Counter:
    return Counter()


@pytest.fixture
async def sup(on_idle: Counter) -> AsyncIterator[Supervisor]:
    """A started supervisor of two workers (closed after the test)."""
    s = make_supervisor(2, on_idle)
    await asyncio.wait_for(s.start(), 30)
    yield s
    await asyncio.wait_for(s.close(), 10)


async def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


def state(pid: int) -> str | None:
    """The process state letter from /proc (None: no such process)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0].decode()
    except (FileNotFoundError, ProcessLookupError):
        return None


def gone(pid: int) -> bool:
    return state(pid) in (None, "Z", "X")


def parent_of(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="utf-8") as f:
        return int(next(line for line in f if line.startswith("PPid:")).split()[1])


async def echo(worker: WorkerProcess, text: str) -> dict[str, object]:
    """Run one call on ``worker`` over its channel (what the pool does, without the pool)."""
    spec = ScriptSpec("it", "python", ECHO, "it.py", Limits())
    worker.channel.write(channel.encode({"op": "call", "id": 7, "spec": spec_json(spec),
                                         "method": "process_incoming_request",
                                         "kwargs": {"request": {"content": {"text": text}}}, "store": {}}))
    return await asyncio.wait_for(worker.channel.read(), 5)


async def test_start_forks_size_workers_of_the_zygote_all_idle(sup: Supervisor, on_idle: Counter) -> None:
    assert sup.zygote is not None and sup.zygote.poll() is None
    assert len(sup.idle) == 2 and set(sup.workers) == {w.pid for w in sup.idle}
    assert sup.pids == sorted(sup.workers) and sup.alive() == 2 and os.getpid() not in sup.pids
    for worker in sup.idle:
        assert parent_of(worker.pid) == sup.zygote.pid
        assert worker.alive and worker.calls == 0 and worker.suspect == 0
    assert on_idle.calls == 2  # told once per ready worker
    assert sup.replacements == 0 and not sup.closed


async def test_a_worker_answers_calls_on_its_channel(sup: Supervisor) -> None:
    worker = sup.idle[0]
    reply = await echo(worker, "hello")
    assert reply["op"] == "result" and reply["id"] == 7 and reply["ok"] is True
    assert reply["value"] == {"echo": "hello"} and reply["recycle"] is False
    assert (await echo(worker, "again"))["value"] == {"echo": "again"}  # persistent: serves call after call


async def test_workers_report_how_they_are_sealed(sup: Supervisor) -> None:
    assert {w.sealed for w in sup.idle} == {sup.seccomp_problem}
    if ctypes.util.find_library("seccomp") is not None:
        assert sup.seccomp_problem is None
    else:
        assert isinstance(sup.seccomp_problem, str) and sup.seccomp_problem


async def test_spawn_worker_adds_one_idle_worker_and_calls_on_idle(sup: Supervisor, on_idle: Counter) -> None:
    before = set(sup.pids)
    await asyncio.wait_for(sup.spawn_worker(), 10)
    [new] = set(sup.pids) - before
    assert sup.idle[-1].pid == new and sup.workers[new] is sup.idle[-1]
    assert on_idle.calls == 3 and sup.alive() == 3 and sup.replacements == 0


async def test_kill_sigkills_and_forgets_a_worker_without_replacing_it(sup: Supervisor) -> None:
    worker = sup.idle[0]
    pid = worker.pid
    sup.kill(worker)
    assert not worker.alive and pid not in sup.workers and worker not in sup.idle
    assert await asyncio.wait_for(sup.exit_reason(pid), 5) == "killed by SIGKILL (timeout, out of memory or killed)"
    await asyncio.sleep(0.3)
    assert sup.alive() == 1 and len(sup.idle) == 1 and sup.replacements == 0
    sup.kill(worker)  # killing it again is harmless
    assert sup.alive() == 1 and len(sup.idle) == 1


async def test_kill_without_signal_lets_the_worker_end_by_itself(sup: Supervisor) -> None:
    worker = sup.idle[0]
    sup.kill(worker, signal_it=False)  # its channel is closed: the worker sees EOF and exits
    assert not worker.alive and worker.pid not in sup.workers
    assert await asyncio.wait_for(sup.exit_reason(worker.pid), 5) == "exited with status 0"


async def test_retire_kills_a_worker_and_forks_a_replacement(sup: Supervisor) -> None:
    old = sup.idle[0]
    sup.retire(old)
    assert sup.replacements == 1 and old.pid not in sup.workers
    await wait_until(lambda: len(sup.idle) == 2)
    assert old.pid not in sup.pids and sup.alive() == 2
    assert "killed by SIGKILL" in await asyncio.wait_for(sup.exit_reason(old.pid), 5)
    assert (await echo(sup.idle[-1], "fresh"))["value"] == {"echo": "fresh"}


async def test_retiring_a_worker_already_forgotten_forks_nothing(sup: Supervisor) -> None:
    worker = sup.idle[0]
    sup.kill(worker)
    sup.retire(worker)
    await asyncio.sleep(0.3)
    assert sup.replacements == 0 and sup.alive() == 1


async def test_retire_without_kill_replaces_a_worker_that_exits_by_itself(sup: Supervisor) -> None:
    worker = sup.idle[0]
    sup.retire(worker, kill=False)  # e.g. it asked to be recycled
    assert sup.replacements == 1
    await wait_until(lambda: len(sup.idle) == 2 and worker.pid not in sup.pids)
    assert await asyncio.wait_for(sup.exit_reason(worker.pid), 5) == "exited with status 0"


async def test_an_idle_worker_that_dies_is_replaced(sup: Supervisor, on_idle: Counter) -> None:
    victim = sup.idle[0]
    os.kill(victim.pid, signal.SIGSEGV)
    await wait_until(lambda: sup.replacements == 1 and len(sup.idle) == 2)
    assert not victim.alive and victim.pid not in sup.workers and victim.pid not in sup.pids
    assert await sup.exit_reason(victim.pid) == "killed by SIGSEGV (crash)"
    assert on_idle.calls == 3  # the replacement joined the idle ones


async def test_a_busy_worker_that_dies_is_left_to_whoever_runs_its_call(sup: Supervisor) -> None:
    busy = sup.idle.pop()  # what the scheduler does for a call
    os.kill(busy.pid, signal.SIGKILL)
    assert await asyncio.wait_for(sup.exit_reason(busy.pid), 5) == "killed by SIGKILL (timeout, out of memory or killed)"
    await asyncio.sleep(0.2)
    assert sup.replacements == 0 and busy.pid in sup.workers, "not replaced behind the back of its call"
    with pytest.raises(channel.ChannelError):
        await asyncio.wait_for(busy.channel.read(), 5)  # the call sees the channel close ...
    sup.retire(busy)  # ... and retires it
    await wait_until(lambda: len(sup.idle) == 2)
    assert busy.pid not in sup.workers and sup.replacements == 1


async def test_exit_reason_of_an_unknown_or_running_worker_is_exited(sup: Supervisor) -> None:
    began = time.monotonic()
    assert await sup.exit_reason(2**22 + 1000) == "exited"
    assert time.monotonic() - began < 0.1  # not a worker: no waiting
    running = sup.idle[0]
    began = time.monotonic()
    assert await sup.exit_reason(running.pid) == "exited"
    assert 0.4 < time.monotonic() - began < 2  # waits half a second for the zygote's report
    assert not gone(running.pid)


async def test_a_zygote_that_dies_is_restarted_with_fresh_workers(sup: Supervisor) -> None:
    assert sup.zygote is not None
    old_zygote, old_workers = sup.zygote.pid, set(sup.pids)
    os.kill(old_zygote, signal.SIGKILL)
    await wait_until(lambda: sup.zygote is not None and sup.zygote.pid != old_zygote and len(sup.idle) == 2, 15)
    assert not set(sup.pids) & old_workers and sup.alive() == 2
    for worker in sup.idle:
        assert parent_of(worker.pid) == sup.zygote.pid
    await wait_until(lambda: all(gone(pid) for pid in old_workers))  # they died with their zygote
    assert (await echo(sup.idle[0], "after"))["value"] == {"echo": "after"}


async def test_close_kills_every_worker_and_the_zygote_and_forks_no_more() -> None:
    s = make_supervisor(2)
    await asyncio.wait_for(s.start(), 30)
    assert s.zygote is not None
    zygote, pids = s.zygote, s.pids
    s.replace_later()  # a replacement under way is cancelled
    assert s.replacements == 1
    await asyncio.wait_for(s.close(), 10)
    assert s.closed and s.zygote is None and s.idle == [] and s.workers == {} and s.alive() == 0
    assert zygote.returncode is not None
    await wait_until(lambda: all(gone(pid) for pid in pids))
    s.replace_later()  # closed: nothing
    await asyncio.sleep(0.2)
    assert s.replacements == 1 and s.workers == {}


async def test_a_closed_supervisor_starts_again() -> None:
    s = make_supervisor(1)
    try:
        await asyncio.wait_for(s.start(), 30)
        first = s.pids
        await asyncio.wait_for(s.close(), 10)
        await asyncio.wait_for(s.start(), 30)
        assert not s.closed and s.alive() == 1 and s.pids != first
        assert (await echo(s.idle[0], "again"))["value"] == {"echo": "again"}
    finally:
        await asyncio.wait_for(s.close(), 10)


async def test_spawn_worker_without_a_zygote_fails() -> None:
    s = make_supervisor(1)
    with pytest.raises(RuntimeError, match="the sandbox zygote is not running"):
        await s.spawn_worker()
    assert s.workers == {} and s.idle == []


class _Unbuildable:
    """An engine the zygote cannot re-create (its module does not exist there)."""

    def __reduce__(self) -> str | tuple[Any, ...]:
        raise TypeError("not picklable")


_Unbuildable.__module__ = "hookhub_no_such_module"


async def test_a_zygote_that_exits_during_start_up_fails_start() -> None:
    s = Supervisor({"broken": _Unbuildable()}, 1, plugins=None, on_idle=lambda: None)  # type: ignore[dict-item]
    try:
        with pytest.raises(RuntimeError, match="the sandbox zygote exited during start-up"):
            await asyncio.wait_for(s.start(), 30)
        assert s.workers == {}
    finally:
        await asyncio.wait_for(s.close(), 10)
    assert s.zygote is None
