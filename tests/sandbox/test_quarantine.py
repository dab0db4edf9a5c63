"""Quarantine of integrations whose calls keep timing out, and the reserved share of workers."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from hookhub.engines.python import PythonEngine
from hookhub.sandbox import make_sandbox
from hookhub.sandbox.pool import WorkerPool
from hookhub.sandbox.quarantine import (TIMING_OUT, UNPROVEN, Quarantine, QuarantinePolicy, is_timeout,
                                        set_niceness)

from .test_pool import ECHO, LOOP, req, spec

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_timeouts_within_the_window_quarantine_with_a_doubling_backoff() -> None:
    clock = Clock()
    q = Quarantine(QuarantinePolicy(after=3, window_s=60, base_s=10, max_s=35), clock=clock)
    seen: list[tuple[str, float, str]] = []
    q.listeners.append(lambda iid, seconds, why: seen.append((iid, seconds, why)))
    assert q.healthy("a", 5.0) and not q.healthy("a", None) and not q.healthy("a", 5000.0)
    assert q.record("a", True) is None and q.record("a", True) is None
    assert not q.healthy("a", 5.0)  # a recent timeout: shares the unreserved workers
    clock.now += 61  # the budget is per window: old timeouts expire
    assert q.healthy("a", 5.0)
    assert q.record("a", True) is None and q.record("a", True) is None and q.retry_after("a") is None
    assert q.record("a", True) == 10
    assert q.retry_after("a") == 10 and "3 calls timed out within 60 s" in q.reason("a")
    assert q.quarantines == 1 and seen == [("a", 10, "3 calls timed out within 60 s")]
    clock.now += 10
    assert q.retry_after("a") is None and not q.healthy("a", 5.0)  # on probation
    assert q.record("a", True) == 20  # one more timeout on probation: twice as long
    clock.now += 20
    assert q.retry_after("a") is None
    assert q.record("a", True) == 35  # capped by max_s
    clock.now += 35
    assert q.retry_after("a") is None
    assert q.record("a", False) is None  # finished in time: the record is cleared
    assert q.healthy("a", 5.0) and q.snapshot() == {}
    assert q.quarantines == 3 and [s for _, s, _ in seen] == [10, 20, 35]
    assert q.shared_workers(2) == 1 and q.shared_workers(1) == 1 and q.shared_workers(8) == 7


def test_a_call_finishing_during_a_quarantine_does_not_end_it_and_after_0_never_quarantines() -> None:
    clock = Clock()
    q = Quarantine(QuarantinePolicy(after=1, base_s=5), clock=clock)
    assert q.record("a", True) == 5
    assert q.record("a", False) is None and q.retry_after("a") == 5
    never = Quarantine(QuarantinePolicy(after=0), clock=clock)
    for _ in range(10):
        assert never.record("b", True) is None
    assert never.retry_after("b") is None


def test_a_failing_listener_does_not_break_the_quarantine() -> None:
    q = Quarantine(QuarantinePolicy(after=1))

    def broken(iid: str, seconds: float, why: str) -> None:
        raise RuntimeError("metrics down")

    q.listeners.append(broken)
    assert q.record("a", True) == 10 and q.quarantines == 1


def test_is_timeout_and_set_niceness() -> None:
    assert is_timeout("the script timed out after 3000 ms (sandbox timeout_ms)")
    assert is_timeout("inline.js: Script.process_incoming_request: timed out after 100 ms (timeout_ms)")
    assert not is_timeout("ZeroDivisionError") and not is_timeout(None)
    assert set_niceness(2**22 + 12345, TIMING_OUT)  # no such process: nothing to do
    assert set_niceness(os.getpid(), UNPROVEN) and os.getpriority(os.PRIO_PROCESS, os.getpid()) == 0


async def test_a_looping_integration_is_quarantined_and_refused_without_a_worker() -> None:
    pool = make_sandbox("process", {"python": PythonEngine()}, workers=2,
                        quarantine=QuarantinePolicy(after=2, window_s=60, base_s=1.5, max_s=10))
    assert isinstance(pool, WorkerPool)
    await pool.start()
    try:
        await pool.load(spec(LOOP, "loop", timeout_ms=200))
        await pool.load(spec(ECHO, "echo"))
        for _ in range(2):
            out = await pool.call("loop", "process_incoming_request", req())
            assert not out.ok and is_timeout(out.reason) and out.retry_after is None
        assert pool.quarantine.quarantines == 1
        began = time.perf_counter()
        out = await pool.call("loop", "process_incoming_request", req())
        assert out.saturated and out.retry_after is not None and 0 < out.retry_after <= 1.5
        assert "quarantined for 2 s: 2 calls timed out within 60 s" in (out.reason or "")
        assert time.perf_counter() - began < 0.05  # refused at once
        assert (await pool.call("echo", "process_incoming_request", req(text="fine"))).ok
        await asyncio.sleep(1.6)
        probe = asyncio.create_task(pool.call("loop", "process_incoming_request", req()))  # probation: it runs
        await asyncio.sleep(0.1)
        [busy] = [w for w in pool.supervisor.workers.values() if w.suspect]
        assert os.getpriority(os.PRIO_PROCESS, busy.pid) == 19  # known to time out: lowest CPU priority
        out = await probe
        assert not out.saturated and is_timeout(out.reason)  # ... and times out again
        assert pool.quarantine.quarantines == 2 and 2.5 < (pool.quarantine.retry_after("loop") or 0) <= 3
        await pool.unload("loop")
        assert pool.quarantine.retry_after("loop") is None
    finally:
        await pool.close()


async def test_integrations_without_a_clean_record_share_the_unreserved_workers() -> None:
    pool = make_sandbox("process", {"python": PythonEngine()}, workers=2, quarantine=QuarantinePolicy(after=0))
    assert isinstance(pool, WorkerPool)
    await pool.start()
    try:
        for name in ("l1", "l2", "l3"):
            await pool.load(spec(LOOP, name, timeout_ms=1500))
        await pool.load(spec(ECHO, "echo"))
        assert (await pool.call("echo", "process_incoming_request", req(text="warm"))).ok  # proven now
        loops = [asyncio.create_task(pool.call(n, "process_incoming_request", req())) for n in ("l1", "l2", "l3")]
        await asyncio.sleep(0.3)
        assert pool.scheduler.suspect_busy == 1  # three new looping integrations hold one worker between them
        [busy] = [w for w in pool.supervisor.workers.values() if w.suspect]
        assert os.getpriority(os.PRIO_PROCESS, busy.pid) == 0  # new, not known to time out: normal priority
        await asyncio.sleep(1.5)  # l1 timed out; l2 runs now, l1 would run niced
        assert pool.scheduler.suspect_busy == 1
        for _ in range(10):
            began = time.perf_counter()
            assert (await pool.call("echo", "process_incoming_request", req(text="x"))).ok
            assert time.perf_counter() - began < 0.5  # the reserved worker was free
        outs = await asyncio.gather(*loops)
        assert all(is_timeout(o.reason) or o.saturated for o in outs)
        assert pool.scheduler.suspect_busy == 0
        assert all(os.getpriority(os.PRIO_PROCESS, pid) == 0 for pid in pool.pids)
    finally:
        await pool.close()
