"""The pool's batches: calls that wait for a busy worker go to it together, each keeping its own outcome.

Real worker processes.  The thresholds of what may be batched are raised in
these tests (``BATCH_MS``) so that a loaded machine's slow calls still
qualify; the behaviour under test does not depend on them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import textwrap
import time
from collections.abc import AsyncIterator

import pytest

from hookhub.records import Limits
from hookhub.sandbox import ScriptSpec, scheduler
from hookhub.sandbox.pool import WorkerPool

from .test_pool import ECHO, http_server, make_pool, req, spec, wait_for_workers  # noqa: F401 (a fixture)

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc")

PICKY = """
class Script:
    def process_incoming_request(self, request):
        console.log('picky', request.content.n)
        if request.content.n % 2:
            raise ValueError('odd ' + str(request.content.n))
        return {'content': {'text': 'even ' + str(request.content.n)}}
"""

#: fast, unless asked to loop (a healthy integration whose call suddenly runs away)
FLAKY = """
class Script:
    def process_incoming_request(self, request):
        while request.content.loop:
            pass
        return {'content': {'text': 'quick ' + str(request.content.n)}}
"""

SPIN = """
import time
class Script:
    def process_incoming_request(self, request):
        end = time.time() + request.content.ms / 1000
        while time.time() < end:
            pass
        return {'content': {'text': 'spun'}}
"""


@pytest.fixture(autouse=True)
def generous_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scheduler, "BATCH_MS", 50.0)
    monkeypatch.setattr(scheduler, "BATCH_BUDGET_MS", 500.0)


@pytest.fixture
async def one() -> AsyncIterator[WorkerPool]:
    p = await make_pool(workers=1)
    yield p
    await p.close()


@pytest.fixture
async def two() -> AsyncIterator[WorkerPool]:
    p = await make_pool(workers=2)
    yield p
    await p.close()


async def warm(pool: WorkerPool, integration_id: str, **content: object) -> None:
    """Calls until the integration has a fast average (may join batches)."""
    for _ in range(40):
        assert (await pool.call(integration_id, "process_incoming_request", req(**content))).ok
        if pool.scheduler.batchable(pool.scheduler.integrations[integration_id]):
            return
    raise AssertionError(f"{integration_id} never became batchable: {pool.scheduler.integrations[integration_id]}")


async def test_waiting_calls_go_in_batches_and_each_gets_its_own_answer_and_logs(one: WorkerPool) -> None:
    await one.load(spec(ECHO, "echo"))
    await one.load(spec(PICKY, "picky"))
    await warm(one, "echo", text="warm")
    await warm(one, "picky", n=0)
    pid = one.pids[0]
    calls = [one.call("echo", "process_incoming_request", req(text=f"t{i}")) for i in range(12)]
    calls += [one.call("picky", "process_incoming_request", req(n=i)) for i in range(12)]
    outs = await asyncio.gather(*calls)
    assert one.batched > 0, "with one worker and 24 calls at once, some waited and went together"
    for i, out in enumerate(outs[:12]):
        assert out.ok and out.value == {"content": {"text": f"t{i}"}} and out.logs == []
    for i, out in enumerate(outs[12:]):
        assert [r.message for r in out.logs] == [f"picky {i}"], "a call's logs are its own"
        if i % 2:
            assert not out.ok and f"ValueError: odd {i}" in (out.reason or "")
        else:
            assert out.ok and out.value == {"content": {"text": f"even {i}"}}
    assert one.pids == [pid] and one.replacements == 0, "errors in a batch are answers, not crashes"
    assert one.stats()["batched"] == one.batched and one.stats()["queued"] == 0


async def test_the_store_of_a_batched_integration_is_not_shared_with_calls_that_use_it(one: WorkerPool) -> None:
    from .test_pool import COUNTER
    await one.load(spec(COUNTER, "counter"))
    await one.load(spec(ECHO, "echo"))
    await warm(one, "echo", text="warm")
    for _ in range(5):
        assert (await one.call("counter", "process_incoming_request", req(n=0))).ok
    assert not one.scheduler.batchable(one.scheduler.integrations["counter"]), "Store users run one at a time"
    outs = await asyncio.gather(*(one.call("counter", "process_incoming_request", req(n=1)) for _ in range(10)),
                                *(one.call("echo", "process_incoming_request", req(text="x")) for _ in range(10)))
    assert sorted(int(o.value["content"]["text"]) for o in outs[:10]) == list(range(1, 11)), "no update lost"
    assert one.store_of("counter") == {"total": 10}


async def test_calls_batched_behind_a_runaway_call_are_handed_to_another_worker(two: WorkerPool) -> None:
    await two.load(spec(FLAKY, "flaky", timeout_ms=1500))
    await two.load(spec(ECHO, "echo"))
    await two.load(spec(SPIN, "spin"))
    for name, content in (("flaky", {"n": 0}), ("echo", {"text": "warm"}), ("spin", {"ms": 0})):
        await warm(two, name, **content)
    # both workers busy for 0.3 s; meanwhile a runaway call and its neighbours queue up behind them
    started = time.monotonic()
    busy = [asyncio.create_task(two.call("spin", "process_incoming_request", req(ms=300))) for _ in range(2)]
    await asyncio.sleep(0.05)
    runaway = asyncio.create_task(two.call("flaky", "process_incoming_request", req(loop=True)))
    await asyncio.sleep(0.01)
    done_at: dict[int, float] = {}

    async def neighbour(i: int) -> None:
        out = await two.call("echo" if i % 2 else "flaky", "process_incoming_request",
                             req(text=f"n{i}") if i % 2 else req(n=i))
        assert out.ok, out.reason
        done_at[i] = time.monotonic() - started

    await asyncio.gather(*(neighbour(i) for i in range(6)))
    lost = await runaway
    ended = time.monotonic() - started
    assert all(b.ok for b in await asyncio.gather(*busy))
    assert two.handed_back >= 1, "the neighbours were batched behind the runaway call and handed back"
    assert not lost.ok and lost.reason == "the script timed out after 1500 ms (sandbox.timeout_ms)"
    assert ended > 1.7
    # not a timing assertion on speed: the neighbours are answered when the busy calls end (0.3 s),
    # not when the runaway call times out (1.8 s)
    assert max(done_at.values()) < ended - 0.8, (done_at, ended)


async def test_a_worker_killed_during_a_batch_fails_the_unanswered_calls_and_is_replaced(two: WorkerPool) -> None:
    await two.load(spec(SPIN, "spin"))
    await two.load(spec(ECHO, "echo"))
    await warm(two, "spin", ms=0)
    await warm(two, "echo", text="warm")
    busy = [asyncio.create_task(two.call("spin", "process_incoming_request", req(ms=200))) for _ in range(2)]
    await asyncio.sleep(0.05)
    # queued behind the busy workers: the first spins long enough to be killed in the middle of its batch
    victims = [asyncio.create_task(two.call("spin", "process_incoming_request", req(ms=1000)))]
    await asyncio.sleep(0.01)
    victims += [asyncio.create_task(two.call("echo", "process_incoming_request", req(text="v"))) for _ in range(3)]
    await asyncio.gather(*busy)
    for _ in range(100):
        running = [w for w in two.supervisor.workers.values() if w not in two.supervisor.idle]
        if running and two.batched:
            break
        await asyncio.sleep(0.01)
    assert two.batched, "the victims went in a batch"
    killed = {worker.pid for worker in running}
    for pid in killed:
        os.kill(pid, signal.SIGKILL)
    outs = await asyncio.gather(*victims)
    for out in outs:
        assert out.ok or "the worker running the script" in (out.reason or ""), out.reason
    assert not outs[0].ok, "the spinning call's worker was killed"
    await wait_for_workers(two, 2, exclude=killed)
    assert (await two.call("echo", "process_incoming_request", req(text="after"))).value == {
        "content": {"text": "after"}}


async def test_a_batched_call_making_an_http_request_is_served_and_hands_back_its_neighbours(
        two: WorkerPool, http_server: str) -> None:
    web = ScriptSpec("web", "python", textwrap.dedent(f"""
        class Script:
            def process_incoming_request(self, request):
                url = '{http_server}'.replace('/ping', request.content.path)
                return {{'content': {{'text': str(HTTP('GET', url, {{}})['result']['statusCode'])}}}}
    """), "web.py", Limits(timeout_ms=1000), allow_hosts=("127.0.0.1",), allow_private=True)
    await two.load(web)
    await two.load(dataclasses.replace(web, integration_id="slowweb", filename="slowweb.py"))
    await two.load(spec(SPIN, "spin"))
    await warm(two, "web", path="/ping")
    await warm(two, "slowweb", path="/ping")
    await warm(two, "spin", ms=0)
    busy = [asyncio.create_task(two.call("spin", "process_incoming_request", req(ms=200))) for _ in range(2)]
    await asyncio.sleep(0.05)
    slow = asyncio.create_task(two.call("slowweb", "process_incoming_request", req(path="/slow")))
    await asyncio.sleep(0.01)
    quick = [asyncio.create_task(two.call("web", "process_incoming_request", req(path="/ping"))) for _ in range(3)]
    assert all(b.ok for b in await asyncio.gather(*busy))
    outs = await asyncio.gather(slow, *quick)
    assert [o.value for o in outs] == [{"content": {"text": "200"}}] * 4, [o.reason for o in outs]
    assert two.batched >= 4 and two.handed_back >= 3, "the slow HTTP() call handed its neighbours back"
    assert outs[0].duration_ms > 500 > max(o.duration_ms for o in outs[1:]) - 200, \
        "time in HTTP() is not counted against timeout_ms (1 s), and the neighbours did not wait for it"
