"""Per-call cost of the sandbox, against calling the script in-process.

    .venv/bin/python bench/sandbox_overhead.py [--calls 500] [--workers 2]

Rows (each a median and p99 over ``--calls`` sequential calls, after warm-up):

* ``direct``: ``Script.process_incoming_request`` called in this process, result
  checked at the boundary - the floor, no isolation at all;
* ``inprocess``: :class:`~hookhub.sandbox.inprocess.InProcessSandbox` (a thread
  per call and a trace-function deadline);
* ``pool``: :class:`~hookhub.sandbox.pool.WorkerPool`, the chosen design:
  persistent sealed workers keeping the Script instance;
* ``fork/call``: the alternative, a fork per call from a warm parent that already
  holds the Script instance (the child calls it, sends the JSON result over a
  pipe and exits) - the cheapest form of fork-per-call;
* ``fork/call+new``: the same, but the child also creates ``Script()``, which
  is what fork-per-call needs when no state may carry between calls;
* ``sealed fork/call``: fork-per-call done for real: a fresh worker forked
  from the zygote and sealed (rlimits, seccomp) for every call, which then
  creates ``Script()`` and answers.

Also, for ``pool``: the CPU time per call of the server process and of the
workers when 16 calls run at once (``--concurrency``), the figure that the
server-side work of a call (framing, event loop, wake-ups) moves; run it under
``taskset -c 0`` to share one core as ``bench/run.py`` does.

Payloads: a small webhook (~40 bytes) and a 70 KB GitHub push
(``bench/payloads/github__push__70k.json``).  Also printed: the time to
replace a worker (fork from the zygote until ``ready``) versus starting a fresh
interpreter with the same imports.  Never run as a timed test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hookhub.engines.base import ScriptEnv
from hookhub.engines.python import PythonEngine
from hookhub.sandbox import ScriptSpec
from hookhub.records import Limits
from hookhub.engines.boundary import to_json_result
from hookhub.sandbox.inprocess import InProcessSandbox
from hookhub.sandbox.pool import WorkerPool

SMALL_SCRIPT = """
class Script:
    def process_incoming_request(self, request):
        return {'content': {'text': 'hello ' + str(request.content.text)}}
"""


def _payloads() -> dict[str, tuple[str, dict[str, Any]]]:
    big = json.loads((ROOT / "bench" / "payloads" / "github__push__70k.json").read_text("utf-8"))
    github = (ROOT / "bench" / "scripts" / "github_push.py").read_text("utf-8")
    return {
        "small": (SMALL_SCRIPT, {"request": {"content": {"text": "hi"}, "headers": {}}}),
        "70 KB": (github, {"request": {"content": big, "headers": {"x-github-event": "push"}}}),
    }


def _stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1e6, ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e6


async def _measure(fn: Callable[[], Awaitable[Any]], calls: int) -> tuple[float, float]:
    for _ in range(max(10, calls // 10)):
        await fn()
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        await fn()
        samples.append(time.perf_counter() - started)
    return _stats(samples)


def _fork_call(make: Callable[[], Any], instance: Any, kwargs: dict[str, Any]) -> Any:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read)
        try:
            script = make() if instance is None else instance
            value = to_json_result(script.call("process_incoming_request", kwargs), 1 << 24)
            data = json.dumps(value).encode()
            os.write(write, len(data).to_bytes(4, "big") + data)
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        size = int.from_bytes(pipe.read(4), "big")
        value = json.loads(pipe.read(size))
    os.waitpid(pid, 0)
    return value


def _workers_cpu_s(pool: WorkerPool) -> float:
    total = 0
    for pid in pool.pids:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


async def _cpu_per_call(call: Callable[[], Awaitable[Any]], pool: WorkerPool, calls: int,
                        concurrency: int) -> tuple[float, float, float]:
    """Server and workers CPU µs per call, and calls per second, with ``concurrency`` calls at once."""
    each = max(1, calls // concurrency)

    async def loop() -> None:
        for _ in range(each):
            await call()

    await asyncio.gather(*(loop() for _ in range(concurrency)))  # warm-up
    rounds = []
    for _ in range(3):
        workers, cpu, wall = _workers_cpu_s(pool), time.process_time(), time.perf_counter()
        await asyncio.gather(*(loop() for _ in range(concurrency)))
        n = each * concurrency
        rounds.append(((time.process_time() - cpu) / n * 1e6, (_workers_cpu_s(pool) - workers) / n * 1e6,
                       n / (time.perf_counter() - wall)))
    server, workers_us, rate = (statistics.median(r[i] for r in rounds) for i in range(3))
    return server, workers_us, rate


async def run(calls: int, workers: int, concurrency: int = 16) -> list[dict[str, Any]]:
    engine = PythonEngine()
    rows: list[dict[str, Any]] = []
    inprocess = InProcessSandbox({"python": engine})
    pool = WorkerPool({"python": engine}, workers=workers)
    single = WorkerPool({"python": engine}, workers=1)
    await inprocess.start()
    await pool.start()
    await single.start()
    try:
        for label, (source, kwargs) in _payloads().items():
            n = calls if label == "small" else max(50, calls // 3)
            spec = ScriptSpec(f"bench-{label}", "python", source, "bench.py", Limits(timeout_ms=10000))
            await inprocess.load(spec)
            await pool.load(spec)
            await single.load(spec)

            def make(source: str = source) -> Any:
                return engine.instantiate(source, "bench.py", ScriptEnv("bench"))

            instance = make()

            async def direct(instance: Any = instance, kwargs: dict[str, Any] = kwargs) -> Any:
                return to_json_result(instance.call("process_incoming_request", kwargs), 1 << 24)

            async def via(sandbox: Any, spec: ScriptSpec = spec, kwargs: dict[str, Any] = kwargs) -> Any:
                out = await sandbox.call(spec.integration_id, "process_incoming_request", kwargs)
                assert out.ok, out.reason
                return out.value

            async def fork(keep: bool, make: Any = make, instance: Any = instance,
                           kwargs: dict[str, Any] = kwargs) -> Any:
                return _fork_call(make, instance if keep else None, kwargs)

            async def sealed_fork(spec: ScriptSpec = spec, kwargs: dict[str, Any] = kwargs) -> Any:
                for worker in list(single._idle):
                    single._kill(worker)  # no replacement: the next line forks the one for this call
                await single._spawn_worker()
                return await via(single, spec, kwargs)

            measured = {
                "direct": await _measure(direct, n),
                "inprocess": await _measure(lambda: via(inprocess), n),
                "pool": await _measure(lambda: via(pool), n),
                "fork/call": await _measure(lambda: fork(True), n),
                "fork/call+new": await _measure(lambda: fork(False), n),
                "sealed fork/call": await _measure(sealed_fork, max(20, n // 5)),
            }
            server, workers_us, rate = await _cpu_per_call(lambda: via(pool), pool, 2 * n, concurrency)
            rows.append({"payload": label, "mode": f"pool, {concurrency} at once: CPU per call",
                         "median_us": server + workers_us, "p99_us": None, "overhead_us": None,
                         "note": f"server {server:.0f} µs + workers {workers_us:.0f} µs; {rate:,.0f} calls/s"})
            base = measured["direct"][0]
            for name, (median, p99) in measured.items():
                rows.append({"payload": label, "mode": name, "median_us": median, "p99_us": p99,
                             "overhead_us": median - base})
        rows.append(await _replacement(pool))
    finally:
        await single.close()
        await pool.close()
        await inprocess.close()
    return rows


async def _replacement(pool: WorkerPool) -> dict[str, Any]:
    samples = []
    for _ in range(20):
        started = time.perf_counter()
        await pool.supervisor.spawn_worker()  # the path taken after a worker is killed
        samples.append(time.perf_counter() - started)
    fresh = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import hookhub.sandbox.zygote, hookhub.engines.python; "
                        "from hookhub.engines.python.modules import warm_up; warm_up()"], check=True, cwd=ROOT)
        fresh.append(time.perf_counter() - started)
    return {"payload": "-", "mode": "replace a worker", "median_us": statistics.median(samples) * 1e6,
            "p99_us": max(samples) * 1e6, "overhead_us": None,
            "note": f"fresh interpreter with the same imports: {statistics.median(fresh) * 1e3:.0f} ms"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16, help="calls at once for the CPU per call")
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio",
                        help="event loop (the server runs on uvloop when it is installed)")
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args()
    factory: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop
    if args.loop == "uvloop":
        import uvloop
        factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        rows = runner.run(run(args.calls, args.workers, args.concurrency))
    print(f"sandbox per-call cost ({args.calls} calls small, {max(50, args.calls // 3)} calls 70 KB; "
          f"{args.workers} workers; {args.loop}; µs)\n")
    print("| payload | mode | median µs | p99 µs | overhead vs direct µs |")
    print("|---|---|---:|---:|---:|")
    for r in rows:
        overhead = "" if r["overhead_us"] is None else f"{r['overhead_us']:.0f}"
        p99 = "" if r["p99_us"] is None else f"{r['p99_us']:.0f}"
        print(f"| {r['payload']} | {r['mode']} | {r['median_us']:.0f} | {p99} | {overhead} |"
              + (f" {r['note']}" if r.get("note") else ""))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2), "utf-8")


if __name__ == "__main__":
    main()
