"""The scheduler on its own: caps, queues, round robin and the quarantine's share of workers.

A small fake supervisor stands in for the processes (the scheduler only uses
its ``size``, ``idle``, ``workers``, ``closed`` and ``retire``); the quarantine
is a real one.  Worker pids are beyond any ``pid_max`` (no such process), except
where a test needs a real process to renice.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from hookhub.records import Limits
from hookhub.sandbox import scheduler as scheduler_module
from hookhub.sandbox.base import ScriptSpec
from hookhub.sandbox.quarantine import HEALTHY, SUSPECT_NICENESS, TIMING_OUT, UNPROVEN, Quarantine, QuarantinePolicy
from hookhub.sandbox.scheduler import FAST_MS, LoadedScript, Saturated, Scheduler
from hookhub.sandbox.supervisor import WorkerProcess
from hookhub.sandbox.wire import spec_json

#: larger than the largest possible pid_max (2**22): setpriority() on it finds no process
NO_SUCH_PID = 2**22 + 1000


class FakeSupervisor:
    """What the scheduler uses of a Supervisor: size, idle, workers, closed, retire."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.idle: list[WorkerProcess] = []
        self.workers: dict[int, WorkerProcess] = {}
        self.closed = False
        self.retired: list[WorkerProcess] = []
        for n in range(size):
            self.add(NO_SUCH_PID + n)

    def add(self, pid: int) -> WorkerProcess:
        worker = WorkerProcess(pid, channel=None)  # type: ignore[arg-type]  # the scheduler never uses it
        self.workers[pid] = worker
        self.idle.append(worker)
        return worker

    def retire(self, worker: WorkerProcess, kill: bool = True) -> None:
        self.retired.append(worker)
        worker.alive = False
        self.workers.pop(worker.pid, None)
        if worker in self.idle:
            self.idle.remove(worker)


def make_spec(integration_id: str = "it", source: str = "class Script: pass\n", **limits: Any) -> ScriptSpec:
    return ScriptSpec(integration_id, "python", source, f"{integration_id}.py", Limits(**limits))


class Setup:
    """A scheduler over a fake supervisor of ``size`` workers and a real quarantine."""

    def __init__(self, size: int, reserved: int = 1, after: int = 3) -> None:
        self.sup = FakeSupervisor(size)
        self.quarantine = Quarantine(QuarantinePolicy(after=after, reserved_workers=reserved))
        self.sched = Scheduler(self.sup, self.quarantine)  # type: ignore[arg-type]

    def load(self, integration_id: str, *, avg_ms: float | None = None, uses_store: bool = False,
             **limits: Any) -> LoadedScript:
        integ = LoadedScript(make_spec(integration_id, **limits), uses_store=uses_store)
        integ.avg_ms = avg_ms
        self.sched.integrations[integration_id] = integ
        return integ

    async def acquire(self, integration_id: str) -> WorkerProcess:
        return await self.sched.acquire(integration_id, self.sched.integrations[integration_id])

    def waiting(self, integration_id: str) -> asyncio.Task[WorkerProcess]:
        return asyncio.ensure_future(self.acquire(integration_id))


async def settle() -> None:
    """Let woken tasks run."""
    for _ in range(5):
        await asyncio.sleep(0)


async def cancel_all(*tasks: asyncio.Task[Any]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


# -- LoadedScript ---------------------------------------------------------------


def test_loaded_script_starts_with_fresh_counters_and_the_spec_json() -> None:
    spec = make_spec("a", timeout_ms=1234)
    one, two = LoadedScript(spec), LoadedScript(spec)
    assert one.spec_json == spec_json(spec) and one.spec_json["limits"]["timeout_ms"] == 1234
    assert (one.inflight, one.avg_ms, one.starved, one.uses_store) == (0, None, False, False)
    one.store["k"] = 1
    assert two.store == {} and one.waiters is not two.waiters  # nothing shared between instances


def test_note_duration_is_a_moving_average_weighting_the_new_call_0_3() -> None:
    integ = LoadedScript(make_spec())
    integ.note_duration(100.0)
    assert integ.avg_ms == 100.0  # the first call sets it
    integ.note_duration(200.0)
    assert integ.avg_ms == pytest.approx(130.0)
    integ.note_duration(0.0)
    assert integ.avg_ms == pytest.approx(91.0)


def test_set_spec_keeps_the_average_for_the_same_script_and_resets_it_for_a_changed_one() -> None:
    integ = LoadedScript(make_spec("a"))
    integ.note_duration(20.0)
    integ.set_spec(make_spec("a"), uses_store=True)  # an equal spec: the same digest
    assert integ.avg_ms == 20.0 and integ.uses_store is True
    changed = make_spec("a", source="class Script:\n    x = 1\n")
    integ.set_spec(changed, uses_store=False)
    assert integ.avg_ms is None and integ.uses_store is False
    assert integ.spec is changed and integ.spec_json == spec_json(changed)
    integ.note_duration(5.0)
    integ.set_spec(make_spec("a", source=changed.source, timeout_ms=999), uses_store=False)
    assert integ.avg_ms is None, "new limits change the digest too"
    assert integ.spec_json["limits"]["timeout_ms"] == 999


# -- cap --------------------------------------------------------------------------


def test_cap_leaves_one_worker_to_the_others_unless_calls_proved_fast() -> None:
    s = Setup(4, reserved=0)  # no reserved share: only the FAST_MS rule applies
    assert s.sched.cap(s.load("new", concurrency=8)) == 3
    assert s.sched.cap(s.load("slow", avg_ms=FAST_MS + 10, concurrency=8)) == 3
    assert s.sched.cap(s.load("fast", avg_ms=FAST_MS - 40, concurrency=8)) == 4
    assert s.sched.cap(s.load("fast2", avg_ms=10.0, concurrency=2)) == 2  # never above concurrency
    assert s.sched.cap(s.load("zero", avg_ms=10.0, concurrency=0)) == 1  # never below one
    assert s.sched.cap(s.load("store", avg_ms=10.0, uses_store=True, concurrency=8)) == 1
    one = Setup(1, reserved=0)
    assert one.sched.cap(one.load("new", concurrency=8)) == 1  # a single worker is shared, not withheld


def test_integrations_without_a_clean_record_share_the_unreserved_workers() -> None:
    s = Setup(3, reserved=1)
    new = s.load("new", concurrency=8)
    healthy = s.load("healthy", avg_ms=10.0, concurrency=8)
    slow_but_clean = s.load("slower", avg_ms=500.0, concurrency=8)  # under SLOW_MS: clean, over FAST_MS
    assert s.sched.cap(new) == 2 and s.sched.cap(healthy) == 3 and s.sched.cap(slow_but_clean) == 2
    s.sched.suspect_busy = 1  # another integration without a clean record holds a shared worker
    assert s.sched.cap(new) == 1
    s.sched.suspect_busy = 2  # ... both shared workers
    assert s.sched.cap(new) == 0
    new.inflight = 1  # its own calls count among the suspect ones
    assert s.sched.cap(new) == 1
    assert s.sched.cap(healthy) == 3 and s.sched.cap(slow_but_clean) == 2  # clean: not limited by the share
    s.quarantine.record("healthy", True)  # one recent timeout: no clean record any more
    assert s.sched.cap(healthy) == 0


async def test_store_using_integrations_without_a_clean_record_leave_the_reserved_worker_free() -> None:
    s = Setup(2, reserved=1)
    s.load("s1", uses_store=True)
    s.load("s2", uses_store=True)
    first = await s.acquire("s1")
    assert first.suspect == UNPROVEN and s.sched.suspect_busy == 1
    second = s.waiting("s2")
    await settle()
    try:
        assert not second.done(), "the last worker is reserved for integrations with a clean record"
        assert len(s.sup.idle) == 1
    finally:
        await cancel_all(second)


# -- acquire ----------------------------------------------------------------------


async def test_acquire_takes_an_idle_worker_and_marks_suspect_ones() -> None:
    s = Setup(3)
    healthy = s.load("healthy", avg_ms=10.0)
    healthy.starved = True
    last = s.sup.idle[-1]
    worker = await s.acquire("healthy")
    assert worker is last and worker not in s.sup.idle and len(s.sup.idle) == 2
    assert healthy.inflight == 1 and healthy.starved is False
    assert worker.suspect == HEALTHY and s.sched.suspect_busy == 0
    new = s.load("new")
    other = await s.acquire("new")
    assert other.suspect == UNPROVEN and s.sched.suspect_busy == 1 and new.inflight == 1
    s.sched.release(other, new)
    s.sched.release(worker, healthy)
    assert s.sched.suspect_busy == 0 and other.suspect == 0
    assert (healthy.inflight, new.inflight) == (0, 0) and len(s.sup.idle) == 3


async def test_a_call_beyond_the_cap_waits_and_gets_the_worker_released() -> None:
    s = Setup(3)
    integ = s.load("it", avg_ms=10.0, concurrency=1)
    held = await s.acquire("it")
    waiting = s.waiting("it")
    await settle()
    assert not waiting.done() and len(s.sup.idle) == 2, "idle workers are not used beyond the cap"
    assert len(integ.waiters) == 1 and s.sched.queued() == 1
    s.sched.release(held, integ)
    assert await asyncio.wait_for(waiting, 1) is held
    assert integ.inflight == 1 and not integ.waiters and s.sched.queued() == 0


async def test_a_full_queue_is_saturated_at_once() -> None:
    s = Setup(1)
    s.load("it", avg_ms=10.0, concurrency=1, queue=1)
    await s.acquire("it")
    waiting = s.waiting("it")
    await settle()
    began = time.perf_counter()
    with pytest.raises(Saturated, match=r"integration 'it' is saturated: 1 calls running and 1 waiting "
                                        r"\(sandbox concurrency=1, queue=1\)"):
        await asyncio.wait_for(s.acquire("it"), 1)  # refused, not queued
    assert time.perf_counter() - began < 0.1
    assert s.sched.queued() == 1
    s.load("none", avg_ms=10.0, queue=0)
    with pytest.raises(Saturated, match="0 waiting"):
        await asyncio.wait_for(s.acquire("none"), 1)  # queue 0: no waiting at all
    await cancel_all(waiting)


async def test_a_starved_integration_goes_first_when_it_waits_again() -> None:
    s = Setup(1)
    holder = s.load("holder", avg_ms=10.0)
    starving = s.load("starving", avg_ms=10.0, timeout_ms=100)  # waits 2 * max(timeout_ms, 1000) ms
    s.load("other", avg_ms=10.0)
    held = await s.acquire("holder")
    began = time.monotonic()
    with pytest.raises(Saturated, match="a call waited 2.0 s for a worker"):
        await asyncio.wait_for(s.acquire("starving"), 5)
    assert 1.9 < time.monotonic() - began < 3.5
    assert starving.starved and not starving.waiters and s.sched.queued() == 0
    other = s.waiting("other")
    await settle()
    again = s.waiting("starving")  # queued after "other", served before it
    await settle()
    s.sched.release(held, holder)
    assert await asyncio.wait_for(again, 1) is held
    assert not other.done() and starving.starved is False
    s.sched.release(held, starving)
    assert await asyncio.wait_for(other, 1) is held


async def test_waiting_calls_are_served_round_robin_across_integrations() -> None:
    s = Setup(1)
    for name in ("x", "a", "b", "c"):
        s.load(name, avg_ms=10.0, concurrency=4)
    order: list[str] = []

    async def call(name: str) -> WorkerProcess:
        worker = await s.acquire(name)
        order.append(name)
        return worker

    worker = await s.acquire("x")
    tasks = []
    for name in ("a", "a", "b", "c"):  # arrival order
        tasks.append(asyncio.ensure_future(call(name)))
        await settle()
    assert s.sched.queued() == 4
    previous = "x"
    for _ in range(4):
        s.sched.release(worker, s.sched.integrations[previous])
        await settle()
        previous = order[-1]
    assert order == ["a", "b", "c", "a"]
    assert all(t.done() and t.result() is worker for t in tasks)


async def test_dispatch_skips_an_integration_at_its_cap_and_serves_the_next() -> None:
    s = Setup(2)
    capped = s.load("capped", avg_ms=10.0, concurrency=1)
    other = s.load("other", avg_ms=10.0, concurrency=1)
    await s.acquire("capped")
    held = await s.acquire("other")
    waits_capped, waits_other = s.waiting("capped"), s.waiting("other")
    await settle()
    s.sched.release(held, other)
    assert await asyncio.wait_for(waits_other, 1) is held
    assert not waits_capped.done() and len(capped.waiters) == 1 and s.sched.queued() == 1
    await cancel_all(waits_capped)


async def test_a_cancelled_waiting_call_leaves_the_queue_and_the_worker_stays_idle() -> None:
    s = Setup(1)
    integ = s.load("it", avg_ms=10.0)
    held = await s.acquire("it")
    waiting = s.waiting("it")
    await settle()
    await cancel_all(waiting)
    assert waiting.cancelled() and not integ.waiters and s.sched.queued() == 0
    s.sched.release(held, integ)
    assert s.sup.idle == [held] and integ.inflight == 0


async def test_a_call_cancelled_just_after_being_handed_a_worker_gives_it_back() -> None:
    s = Setup(1)
    integ = s.load("it", avg_ms=10.0)
    held = await s.acquire("it")
    waiting = s.waiting("it")
    await settle()
    s.sched.release(held, integ)  # hands the worker to the waiting call ...
    assert s.sup.idle == [] and integ.inflight == 1
    waiting.cancel()  # ... which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert s.sup.idle == [held] and integ.inflight == 0 and not integ.waiters


async def test_refuse_waiting_fails_every_waiting_call_with_the_reason() -> None:
    s = Setup(1)
    integ = s.load("it", avg_ms=10.0)
    held = await s.acquire("it")
    waiting = [s.waiting("it") for _ in range(3)]
    await settle()
    assert s.sched.queued() == 3
    s.sched.refuse_waiting(integ, "integration 'it' was unloaded")
    for task in waiting:
        with pytest.raises(Saturated, match="^integration 'it' was unloaded$"):
            await asyncio.wait_for(task, 1)
    assert not integ.waiters and s.sched.queued() == 0
    s.sched.release(held, integ)
    assert s.sup.idle == [held]


async def test_an_unloaded_integration_is_skipped_by_dispatch_and_queued() -> None:
    s = Setup(1)
    holder = s.load("holder", avg_ms=10.0)
    s.load("gone", avg_ms=10.0)
    held = await s.acquire("holder")
    orphan = s.waiting("gone")
    await settle()
    assert s.sched.queued() == 1
    del s.sched.integrations["gone"]
    assert s.sched.queued() == 0
    s.sched.release(held, holder)
    await settle()
    assert not orphan.done() and s.sup.idle == [held]
    await cancel_all(orphan)


# -- release ------------------------------------------------------------------------


async def test_release_returns_only_live_known_workers_of_an_open_supervisor() -> None:
    s = Setup(3)
    integ = s.load("it", avg_ms=10.0, concurrency=3)
    dead, unknown, closing = [await s.acquire("it") for _ in range(3)]
    dead.alive = False
    s.sched.release(dead, integ)
    del s.sup.workers[unknown.pid]  # retired while busy
    s.sched.release(unknown, integ)
    assert s.sup.idle == [] and integ.inflight == 1
    s.sup.closed = True
    s.sched.release(closing, integ)
    assert s.sup.idle == [] and integ.inflight == 0


@pytest.fixture
def child() -> Iterator[int]:
    """A real process (sleeping) to stand in for a worker whose priority is changed."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        yield proc.pid
    finally:
        proc.kill()
        proc.wait()


async def test_a_call_known_to_time_out_runs_niced_and_the_priority_is_restored(child: int) -> None:
    s = Setup(2, after=5)
    s.sup.idle.clear()
    s.sup.workers.clear()
    worker = s.sup.add(child)
    integ = s.load("loop", avg_ms=10.0)
    s.quarantine.record("loop", True)  # a recent timeout
    assert await s.acquire("loop") is worker
    assert worker.suspect == TIMING_OUT and s.sched.suspect_busy == 1
    assert os.getpriority(os.PRIO_PROCESS, child) == SUSPECT_NICENESS
    s.sched.release(worker, integ)
    assert worker.suspect == 0 and s.sched.suspect_busy == 0
    if os.geteuid() == 0:  # restoring a priority needs CAP_SYS_NICE
        assert os.getpriority(os.PRIO_PROCESS, child) == 0 and s.sup.idle == [worker]
    else:
        assert s.sup.retired == [worker] and s.sup.idle == []


async def test_an_unproven_call_is_counted_as_suspect_but_not_niced(child: int) -> None:
    s = Setup(2)
    s.sup.idle.clear()
    worker = s.sup.add(child)
    integ = s.load("new")
    assert await s.acquire("new") is worker
    assert worker.suspect == UNPROVEN and s.sched.suspect_busy == 1
    assert os.getpriority(os.PRIO_PROCESS, child) == 0
    s.sched.release(worker, integ)
    assert s.sched.suspect_busy == 0 and worker in s.sup.idle and not s.sup.retired


async def test_a_worker_whose_priority_cannot_be_restored_is_retired(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, int, bool]] = []

    def refuse_restore(pid: int, standing: int, *, restore: bool = False) -> bool:
        calls.append((pid, standing, restore))
        return not restore  # no CAP_SYS_NICE

    monkeypatch.setattr(scheduler_module, "set_niceness", refuse_restore)
    s = Setup(2, after=5)
    integ = s.load("loop", avg_ms=10.0)
    s.quarantine.record("loop", True)
    worker = await s.acquire("loop")
    s.sched.release(worker, integ)
    assert calls == [(worker.pid, TIMING_OUT, False), (worker.pid, TIMING_OUT, True)]
    assert s.sup.retired == [worker] and worker not in s.sup.idle
    assert s.sched.suspect_busy == 0 and worker.suspect == 0 and integ.inflight == 0


async def test_release_hands_the_worker_on_to_a_waiting_call_of_another_integration() -> None:
    s = Setup(1)
    first = s.load("first", avg_ms=10.0)
    s.load("second", avg_ms=10.0)
    held = await s.acquire("first")
    waiting = s.waiting("second")
    await settle()
    s.sched.release(held, first)
    assert await asyncio.wait_for(waiting, 1) is held
    assert first.inflight == 0 and s.sched.integrations["second"].inflight == 1 and s.sup.idle == []


async def test_dispatch_hands_a_worker_that_joins_the_idle_ones_to_a_waiting_call() -> None:
    s = Setup(1)
    s.load("holder", avg_ms=10.0)
    integ = s.load("it", avg_ms=10.0)
    s.sched.dispatch()  # nobody waits: nothing happens
    assert len(s.sup.idle) == 1 and integ.inflight == 0
    await s.acquire("holder")
    waiting = s.waiting("it")
    await settle()
    s.sched.dispatch()  # nothing idle
    await settle()
    assert not waiting.done() and s.sched.queued() == 1
    fresh = s.sup.add(NO_SUCH_PID + 50)  # a replacement joins the idle ones (the supervisor's on_idle)
    s.sched.dispatch()
    assert await asyncio.wait_for(waiting, 1) is fresh
    assert s.sup.idle == [] and integ.inflight == 1 and s.sched.queued() == 0
