"""The worker pool: real worker processes, real limits, real kills."""

from __future__ import annotations

import asyncio
import ctypes.util
import inspect
import os
import signal
import statistics
import textwrap
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from hookhub.engines.python import PythonEngine
from hookhub.errors import ScriptCompileError
from hookhub.plugins import engines, make_plugin_manager
from hookhub.sandbox import ScriptSpec, make_sandbox
from hookhub.records import Limits
from hookhub.sandbox.pool import WorkerPool

from ..httpd import QuietHandler, base_url, serving

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc")

COUNTER = """
class Script:
    def process_incoming_request(self, request):
        total = (Store.get('total') or 0) + request.content.n
        Store.set('total', total)
        return {'content': {'text': str(total)}}
"""

LOOP = """
class Script:
    def process_incoming_request(self, request):
        while True:
            pass
"""

ECHO = """
class Script:
    def process_incoming_request(self, request):
        return {'content': {'text': request.content.text}}
"""


def spec(source: str, integration_id: str = "it", **limits: int) -> ScriptSpec:
    return ScriptSpec(integration_id, "python", textwrap.dedent(source), f"{integration_id}.py", Limits(**limits))


def req(**content: object) -> dict[str, object]:
    return {"request": {"content": content}}


async def make_pool(workers: int = 2) -> WorkerPool:
    pool = make_sandbox("process", {"python": PythonEngine()}, workers=workers)
    assert isinstance(pool, WorkerPool)
    await pool.start()
    return pool


@pytest.fixture
async def pool() -> AsyncIterator[WorkerPool]:
    p = await make_pool()
    yield p
    await p.close()


async def wait_for_workers(pool: WorkerPool, n: int, exclude: set[int] = frozenset()) -> list[int]:  # type: ignore[assignment]
    for _ in range(200):
        pids = [p for p in pool.pids if p not in exclude]
        if len(pids) >= n:
            return pids
        await asyncio.sleep(0.02)
    raise AssertionError(f"only {pool.pids} workers alive")


def proc(pid: int, name: str) -> str:
    with open(f"/proc/{pid}/{name}", "rb") as f:
        return f.read().decode("utf-8", "replace")


async def test_scripts_run_in_separate_worker_processes(pool: WorkerPool) -> None:
    await pool.load(spec(ECHO))
    out = await pool.call("it", "process_incoming_request", req(text="hi"))
    assert out.ok and out.value == {"content": {"text": "hi"}}
    assert len(pool.pids) == 2 and os.getpid() not in pool.pids
    for pid in pool.pids:
        assert "hookhub.sandbox.zygote" in proc(pid, "cmdline").replace("\0", " ")


async def test_load_compiles_in_the_server_and_reports_errors(pool: WorkerPool) -> None:
    with pytest.raises(ScriptCompileError, match="import of \"os\" is not allowed"):
        await pool.load(spec("import os\nclass Script:\n    pass\n"))
    out = await pool.call("missing", "process_incoming_request", req())
    assert not out.ok and "has no script loaded" in (out.reason or "")


async def test_workers_are_sealed(pool: WorkerPool) -> None:
    for pid in pool.pids:
        status = proc(pid, "status")
        if ctypes.util.find_library("seccomp") is not None:
            assert pool.seccomp_problem is None
            assert "Seccomp:\t2" in status, "seccomp filter active"
            assert "NoNewPrivs:\t1" in status
        keys = {item.split("=", 1)[0] for item in proc(pid, "environ").split("\0") if item}
        assert keys <= {"PATH", "LANG", "LC_ALL", "TZ", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "MALLOC_ARENA_MAX"}
        assert os.readlink(f"/proc/{pid}/fd/0") == "/dev/null"
        assert os.readlink(f"/proc/{pid}/fd/1") == "/dev/null"
        assert len(os.listdir(f"/proc/{pid}/fd")) <= 6
        limits = proc(pid, "limits")
        assert any(line.startswith("Max core file size") and line.split()[4] == "0" for line in limits.splitlines())
        assert any(line.startswith("Max file size") and line.split()[3] == "0" for line in limits.splitlines())


async def test_no_secret_reaches_the_zygote(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOKHUB_TEST_SECRET", "s3cr3t")
    p = await make_pool(1)
    try:
        assert p.supervisor.zygote is not None
        assert "s3cr3t" not in proc(p.supervisor.zygote.pid, "environ")
    finally:
        await p.close()


async def test_store_is_kept_by_the_server_across_workers_and_kills() -> None:
    pool = await make_pool(3)  # cap per integration: 2 workers
    try:
        await pool.load(spec(COUNTER))
        outs = await asyncio.gather(*(pool.call("it", "process_incoming_request", req(n=1)) for _ in range(6)))
        assert all(o.ok for o in outs)
        before = set(pool.pids)
        for pid in before:
            os.kill(pid, signal.SIGKILL)
        await wait_for_workers(pool, 3, exclude=before)
        out = await pool.call("it", "process_incoming_request", req(n=10))
        assert out.value == {"content": {"text": "16"}}
    finally:
        await pool.close()


async def test_timeout_stops_the_script_and_keeps_the_worker(pool: WorkerPool) -> None:
    await pool.load(spec(LOOP, timeout_ms=300))
    before = pool.pids
    started = time.monotonic()
    out = await pool.call("it", "process_incoming_request", req())
    assert 0.25 < time.monotonic() - started < 1.5
    assert not out.ok and out.reason == "the script timed out after 300 ms (sandbox.timeout_ms)"
    assert pool.pids == before


async def test_a_script_stuck_in_c_code_is_killed_and_replaced(pool: WorkerPool) -> None:
    await pool.load(spec("""
        import decimal
        class Script:
            def process_incoming_request(self, request):
                ctx = decimal.Context(prec=2000000, Emax=decimal.MAX_EMAX)
                return str(ctx.sqrt(decimal.Decimal(2)))[:5]
    """, timeout_ms=300))
    before = set(pool.pids)
    started = time.monotonic()
    out = await pool.call("it", "process_incoming_request", req())
    assert time.monotonic() - started < 2
    assert not out.ok and "did not stop; its worker was killed and replaced" in (out.reason or "")
    await wait_for_workers(pool, 2)
    assert len(before - set(pool.pids)) == 1
    await pool.load(spec(ECHO, "echo"))
    assert (await pool.call("echo", "process_incoming_request", req(text="ok"))).ok


async def test_a_worker_killed_during_a_call_is_reported_and_replaced(pool: WorkerPool) -> None:
    await pool.load(spec(LOOP, timeout_ms=5000))
    before = set(pool.pids)
    task = asyncio.create_task(pool.call("it", "process_incoming_request", req()))
    await asyncio.sleep(0.3)
    for pid in before:
        os.kill(pid, signal.SIGKILL)
    out = await task
    assert not out.ok
    assert out.reason is not None and "killed by SIGKILL" in out.reason and "replaced" in out.reason
    await wait_for_workers(pool, 2, exclude=before)
    await pool.load(spec(ECHO, "echo"))
    assert (await pool.call("echo", "process_incoming_request", req(text="still here"))).ok


async def test_a_call_cancelled_midway_does_not_leak_its_reply_to_the_next_call(pool: WorkerPool) -> None:
    """A caller that goes away (cancelled task) leaves a busy worker behind: it is replaced, not reused."""
    await pool.load(spec("""
import time

class Script:
    def process_incoming_request(self, request):
        started = time.time()
        while time.time() - started < 0.5:
            pass
        return {'content': {'text': 'late'}}
""", "slow", timeout_ms=5000))
    await pool.load(spec(ECHO, "echo"))
    before = set(pool.pids)
    task = asyncio.create_task(pool.call("slow", "process_incoming_request", req()))
    await asyncio.sleep(0.15)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for n in range(6):  # every worker in turn, while the cancelled call would still be answering
        out = await pool.call("echo", "process_incoming_request", req(text=f"call {n}"))
        assert out.ok and out.value == {"content": {"text": f"call {n}"}}, out
    await asyncio.sleep(0.6)
    for n in range(4):
        out = await pool.call("echo", "process_incoming_request", req(text=f"after {n}"))
        assert out.ok and out.value == {"content": {"text": f"after {n}"}}, out
    assert len(before - set(pool.pids)) == 1  # the busy worker was replaced


async def test_a_segfaulting_worker_is_replaced(pool: WorkerPool) -> None:
    await pool.load(spec(LOOP, timeout_ms=5000))
    before = set(pool.pids)
    task = asyncio.create_task(pool.call("it", "process_incoming_request", req()))
    await asyncio.sleep(0.3)
    for pid in before:
        os.kill(pid, signal.SIGSEGV)
    out = await task
    assert not out.ok and "SIGSEGV" in (out.reason or "")
    await wait_for_workers(pool, 2, exclude=before)


async def test_memory_bomb_fails_the_call_and_recycles_the_worker(pool: WorkerPool) -> None:
    await pool.load(spec("""
        class Script:
            def process_incoming_request(self, request):
                blob = 'x' * (512 * 1024 * 1024)
                return len(blob)
    """, memory_mb=64))
    out = await pool.call("it", "process_incoming_request", req())
    assert not out.ok and out.reason == "the script ran out of memory (sandbox.memory_mb=64)"
    await wait_for_workers(pool, 2)
    await pool.load(spec(ECHO, "echo"))
    assert (await pool.call("echo", "process_incoming_request", req(text="ok"))).ok


async def test_a_runaway_integration_does_not_starve_the_others(pool: WorkerPool) -> None:
    await pool.load(spec(LOOP, "runaway", timeout_ms=2000))
    await pool.load(spec(ECHO, "neighbour"))

    async def latency() -> float:
        started = time.perf_counter()
        out = await pool.call("neighbour", "process_incoming_request", req(text="x"))
        assert out.ok
        return time.perf_counter() - started

    for _ in range(5):
        await latency()  # warm the instance in both workers
    normal = statistics.median([await latency() for _ in range(20)])
    runaway = [asyncio.create_task(pool.call("runaway", "process_incoming_request", req())) for _ in range(3)]
    await asyncio.sleep(0.2)
    during = [await latency() for _ in range(20)]
    # a small multiple of normal, and never waiting for the runaway's 2 s timeout
    assert statistics.median(during) < max(10 * normal, 0.05), (normal, during)
    assert max(during) < 0.5, (normal, during)
    outs = await asyncio.gather(*runaway)
    assert all(not o.ok for o in outs)


async def test_saturation_answers_instead_of_queueing_forever() -> None:
    pool = await make_pool(3)
    try:
        await pool.load(spec("""
            import time
            class Script:
                def process_incoming_request(self, request):
                    end = time.monotonic() + 0.3
                    while time.monotonic() < end:
                        pass
                    return 1
        """, concurrency=1, queue=1))
        outs = await asyncio.gather(*(pool.call("it", "process_incoming_request", req()) for _ in range(3)))
        assert sorted(o.ok for o in outs) == [False, True, True]
        rejected = next(o for o in outs if not o.ok)
        assert rejected.saturated and "saturated" in (rejected.reason or "")
    finally:
        await pool.close()


async def test_a_call_waiting_too_long_for_a_worker_is_saturated() -> None:
    pool = await make_pool(1)
    try:
        await pool.load(spec(LOOP, "slow", timeout_ms=5000))
        await pool.load(spec(ECHO, "quick", timeout_ms=1000))
        slow = asyncio.create_task(pool.call("slow", "process_incoming_request", req()))
        await asyncio.sleep(0.1)
        began = time.monotonic()
        out = await pool.call("quick", "process_incoming_request", req(text="hi"))
        assert out.saturated and "waited 2.0 s for a worker" in (out.reason or "")
        assert 1.9 < time.monotonic() - began < 4.5
        assert not pool.scheduler.integrations["quick"].waiters

        waiting = asyncio.create_task(pool.call("quick", "process_incoming_request", req(text="hi")))
        await asyncio.sleep(0.05)
        assert len(pool.scheduler.integrations["quick"].waiters) == 1
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert not pool.scheduler.integrations["quick"].waiters, "a cancelled call leaves the queue"
    finally:
        await pool.close()
    assert not (await slow).ok


async def test_calls_do_not_block_the_event_loop(pool: WorkerPool) -> None:
    await pool.load(spec(LOOP, timeout_ms=500))
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    await pool.call("it", "process_incoming_request", req())
    task.cancel()
    assert ticks >= 20


async def test_zygote_death_is_survived(pool: WorkerPool) -> None:
    await pool.load(spec(ECHO))
    assert pool.supervisor.zygote is not None
    before = set(pool.pids)
    os.kill(pool.supervisor.zygote.pid, signal.SIGKILL)
    await wait_for_workers(pool, 2, exclude=before)  # its workers died with it and were replaced
    out = await pool.call("it", "process_incoming_request", req(text="x"))
    assert out.ok, out.reason


async def test_reload_changes_the_script_in_every_worker(pool: WorkerPool) -> None:
    await pool.load(spec(ECHO))
    await asyncio.gather(*(pool.call("it", "process_incoming_request", req(text="a")) for _ in range(4)))
    await pool.load(spec(ECHO.replace("request.content.text", "'v2'")))
    outs = await asyncio.gather(*(pool.call("it", "process_incoming_request", req(text="a")) for _ in range(4)))
    assert [o.value for o in outs] == [{"content": {"text": "v2"}}] * 4


class _Handler(QuietHandler):
    def do_GET(self) -> None:
        if self.path == "/slow":
            time.sleep(0.5)
        self.send_body(200, b'{"pong": true}')


@pytest.fixture
def http_server() -> Iterator[str]:
    with serving(_Handler) as httpd:
        yield f"{base_url(httpd)}/ping"


async def test_script_http_is_forwarded_to_the_server(pool: WorkerPool, http_server: str) -> None:
    source = textwrap.dedent(f"""
        class Script:
            def process_incoming_request(self, request):
                answer = HTTP('GET', '{http_server}', {{}})
                return {{'content': {{'text': str(answer['result']['statusCode']) + ' ' + str(answer['result']['data'])}}}}
    """)
    await pool.load(ScriptSpec("web", "python", source, "web.py", Limits(timeout_ms=200),
                               allow_hosts=("127.0.0.1",), allow_private=True))
    out = await pool.call("web", "process_incoming_request", req())
    assert out.ok, out.reason
    assert out.value == {"content": {"text": "200 {'pong': True}"}}

    slow = source.replace("/ping", "/slow")
    await pool.load(ScriptSpec("slow", "python", slow, "slow.py", Limits(timeout_ms=200),
                               allow_hosts=("127.0.0.1",), allow_private=True))
    out = await pool.call("slow", "process_incoming_request", req())
    assert out.ok, "time spent in HTTP() does not count against timeout_ms"

    await pool.load(ScriptSpec("private", "python", source, "private.py", allow_hosts=("127.0.0.1",)))
    out = await pool.call("private", "process_incoming_request", req())
    assert not out.ok and "KeyError" in (out.reason or "")  # refused: an {"error": ...} answer

    await pool.load(ScriptSpec("none", "python", source, "none.py"))
    out = await pool.call("none", "process_incoming_request", req())
    assert not out.ok and "NameError: name 'HTTP' is not defined" in (out.reason or "")


async def test_javascript_runs_in_the_same_workers() -> None:
    pool = WorkerPool(engines(make_plugin_manager()), workers=2)
    await pool.start()
    try:
        await pool.load(ScriptSpec("js", "javascript", textwrap.dedent("""
            class Script {
              process_incoming_request({ request }) {
                const n = (Store.get('n') || 0) + 1;
                Store.set('n', n);
                return { content: { text: request.content.text + ' ' + n } };
              }
            }
        """), "js.js"))
        for expected in ("a 1", "a 2"):
            out = await pool.call("js", "process_incoming_request", req(text="a"))
            assert out.ok and out.value == {"content": {"text": expected}}, out.reason
        await pool.load(ScriptSpec("jsloop", "javascript",
                                   "class Script { process_incoming_request() { for (;;) {} } }", "loop.js",
                                   Limits(timeout_ms=200)))
        out = await pool.call("jsloop", "process_incoming_request", req())
        assert not out.ok
        assert (await pool.call("js", "process_incoming_request", req(text="b"))).value == {"content": {"text": "b 3"}}
    finally:
        await pool.close()


async def test_a_worker_that_keeps_growing_is_recycled(pool: WorkerPool) -> None:
    await pool.load(spec("""
        class Script:
            def __init__(self):
                self.keep = []
            def process_incoming_request(self, request):
                self.keep.append('x' * (100 * 1024 * 1024))
                return len(self.keep)
    """, memory_mb=200))
    before = set(pool.pids)
    values = [(await pool.call("it", "process_incoming_request", req())).value for _ in range(4)]
    assert all(isinstance(v, int) for v in values)
    await wait_for_workers(pool, 2)
    assert set(pool.pids) != before, "a worker holding 256 MB more than at start is replaced"
    assert values[-1] < 4, "the replacement starts with a fresh Script instance"


async def test_a_proven_fast_integration_may_use_every_worker(pool: WorkerPool) -> None:
    await pool.load(spec("""
        import time
        class Script:
            def process_incoming_request(self, request):
                end = time.monotonic() + (request.content.spin or 0)
                while time.monotonic() < end:
                    pass
                return 1
    """))

    async def most_in_flight() -> int:
        calls = asyncio.gather(*(pool.call("it", "process_incoming_request", req(spin=0.3)) for _ in range(2)))
        seen = 0
        while not calls.done():
            seen = max(seen, pool.scheduler.integrations["it"].inflight)
            await asyncio.sleep(0.01)
        assert all(o.ok for o in await calls)
        return seen

    assert await most_in_flight() == 1, "an unproven integration is held to workers - 1"
    for _ in range(10):
        assert (await pool.call("it", "process_incoming_request", req(spin=0))).ok
    assert await most_in_flight() == 2, "a fast integration runs on both workers"


async def test_a_worker_failing_internally_says_why_and_exits(pool: WorkerPool) -> None:
    from hookhub.sandbox import channel

    worker = pool.supervisor.idle[-1]
    worker.channel.write(channel.encode({"op": "call", "id": 1}))  # no spec: a bug, not a script error
    reply = await asyncio.wait_for(worker.channel.read(), 5)
    assert reply["op"] == "fatal" and "KeyError: 'spec'" in reply["error"]
    assert "Traceback" in reply["error"] and "worker.py" in reply["error"]
    with pytest.raises(channel.ChannelError):
        await asyncio.wait_for(worker.channel.read(), 5)


async def test_arguments_that_are_not_json_fail_the_call_not_the_worker(pool: WorkerPool) -> None:
    await pool.load(spec(ECHO))
    before = pool.pids
    out = await pool.call("it", "process_incoming_request", {"request": {"content": {"text": {1, 2}}}})
    assert not out.ok and "not JSON data" in (out.reason or "")
    assert pool.pids == before
    assert (await pool.call("it", "process_incoming_request", req(text="ok"))).ok


async def test_unload_drops_the_instance_in_the_workers(pool: WorkerPool) -> None:
    source = """
        class Script:
            def __init__(self):
                self.calls = 0
            def process_incoming_request(self, request):
                self.calls += 1
                return self.calls
    """
    await pool.load(spec(source))
    assert [(await pool.call("it", "process_incoming_request", req())).value for _ in range(2)] == [1, 2]
    await pool.unload("it")
    await pool.load(spec(source))
    assert (await pool.call("it", "process_incoming_request", req())).value == 1


async def test_a_source_that_fails_to_compile_fails_every_load(pool: WorkerPool) -> None:
    bad = "import os\nclass Script:\n    pass\n"
    for integration_id in ("one", "two"):
        with pytest.raises(ScriptCompileError):
            await pool.load(spec(bad, integration_id))
    await pool.load(spec(ECHO, "three"))
    await pool.load(spec(ECHO, "four"))  # the same source: checked once, loaded twice
    for integration_id in ("three", "four"):
        assert (await pool.call(integration_id, "process_incoming_request", req(text="ok"))).value == \
            {"content": {"text": "ok"}}


async def test_workers_use_batch_scheduling(pool: WorkerPool) -> None:
    # a worker woken by a call does not preempt the server at once (fewer switches on a shared core)
    assert pool.pids
    for pid in pool.pids:
        assert os.sched_getscheduler(pid) == os.SCHED_BATCH


async def test_large_arguments_and_results_cross_the_channel(pool: WorkerPool) -> None:
    await pool.load(spec("""
        class Script:
            def process_incoming_request(self, request):
                return {'content': {'text': request.content.text[:300000], 'n': len(request.content.text)}}
    """))
    text = "é☃x" * 1_000_000  # several MB: more than the socket and the transport hold at once
    out = await pool.call("it", "process_incoming_request", req(text=text))
    assert out.ok, out.reason
    assert out.value == {"content": {"text": text[:300000], "n": len(text)}}


@pytest.mark.parametrize("test", [
    test_timeout_stops_the_script_and_keeps_the_worker,
    test_a_script_stuck_in_c_code_is_killed_and_replaced,
    test_a_worker_killed_during_a_call_is_reported_and_replaced,
    test_a_worker_failing_internally_says_why_and_exits,
    test_large_arguments_and_results_cross_the_channel,
    test_script_http_is_forwarded_to_the_server,
], ids=lambda test: test.__name__.removeprefix("test_"))
def test_on_uvloop(test: Any, http_server: str) -> None:
    """The server runs on uvloop (uvicorn's default when installed): its transports differ."""
    uvloop = pytest.importorskip("uvloop")

    async def main() -> None:
        pool = await make_pool()
        try:
            await (test(pool, http_server) if "http_server" in inspect.signature(test).parameters else test(pool))
        finally:
            await pool.close()

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main())


async def test_results_come_back_exactly(pool: WorkerPool) -> None:
    await pool.load(spec("""
        class Script:
            def process_incoming_request(self, request):
                Store.set('k', {'big': 2 ** 70, 'f': 0.1})
                return {'content': {'text': 'é☃\\u2028\\x00', 'n': [1, -2.5, None, True, 2 ** 64, -(2 ** 63) - 1]}}
    """))
    out = await pool.call("it", "process_incoming_request", req())
    assert out.ok, out.reason
    assert out.value == {"content": {"text": "é☃\u2028\x00", "n": [1, -2.5, None, True, 2**64, -(2**63) - 1]}}
    assert out.store == {"k": {"big": 2**70, "f": 0.1}}
    assert type(out.value["content"]["n"][4]) is int
