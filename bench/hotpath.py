"""The hook path in one process, without HTTP: CPU µs per webhook of hookhub's own code.

``make bench`` measures hookhub behind uvicorn against bare Starlette; this
measures what is hookhub's alone, so that a change to the pipeline can be
judged in seconds and with little noise:

    .venv/bin/python bench/hotpath.py                       # noscript and python, 3 rounds
    .venv/bin/python bench/hotpath.py --scenarios noscript --requests 20000
    .venv/bin/python bench/hotpath.py --profile noscript    # cProfile top functions
    .venv/bin/python bench/hotpath.py --scenarios noscript --cut store   # everything but the commit

Each scenario's deployment is generated as ``make bench`` generates it (same
YAML, a real SQLite file, real sandbox workers).  The application is started
through its ASGI lifespan, then ``--concurrency`` tasks call it with the
scenario's body until ``--requests`` webhooks are answered (all must be 200).
Logging is configured as ``hookhub serve`` configures it (the access log goes
to a file in the scratch directory).
Reported: CPU µs per webhook of the server process (event loop and store
thread), of the store's writer thread alone, and of the sandbox workers, the
median of ``--rounds`` rounds.

``--cut`` leaves stages out, from the outside in, for the per-stage breakdown
(the differences between cuts): ``answer`` (the application answers at once:
the driver and the event loop), ``pipeline`` (the hook endpoint, its access-log
line and metrics run; the pipeline answers 200 at once), ``store`` (everything
but the commit: nothing reaches the writer thread).  Measurement only: a cut
run stores nothing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if sys.path and Path(sys.path[0]).resolve() == HERE:
    sys.path[0] = str(HERE.parent)  # bench/profile.py would shadow the standard library's profile

import argparse  # noqa: E402
import asyncio  # noqa: E402
import cProfile  # noqa: E402
import logging  # noqa: E402
import pstats  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

from bench import deployment  # noqa: E402
from bench.scenarios import all_scenarios  # noqa: E402
from bench.servers import process_tree, _cpu_ticks  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
WRITER = "hookhub-store-writer"


def _children_cpu_s() -> float:
    return sum(_cpu_ticks(pid) for pid in process_tree(os.getpid())[1:]) / TICK


def _thread_cpu_s(name: str) -> float:
    """CPU time of the thread called ``name`` (the store's writer), from /proc."""
    import threading
    for thread in threading.enumerate():
        if thread.name == name and thread.native_id is not None:
            with open(f"/proc/self/task/{thread.native_id}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / TICK
    return 0.0


async def _drive(app: Any, path: str, body: bytes, headers: list[tuple[bytes, bytes]], requests: int,
                 concurrency: int) -> list[int]:
    statuses: list[int] = []
    left = requests

    async def one() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            sent = False

            async def receive() -> dict[str, Any]:
                nonlocal sent
                if sent:
                    await asyncio.sleep(3600)
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}

            async def send(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    statuses.append(message["status"])

            scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                     "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
                     "query_string": b"", "headers": headers, "client": ("127.0.0.1", 1),
                     "server": ("127.0.0.1", 80)}
            await app(scope, receive, send)

    await asyncio.gather(*(one() for _ in range(concurrency)))
    return statuses


async def _lifespan(app: Any) -> tuple[asyncio.Task[None], asyncio.Queue[dict[str, Any]], asyncio.Queue[dict[str, Any]]]:
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    task = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}}, inbox.get, outbox.put))
    await inbox.put({"type": "lifespan.startup"})
    started = await outbox.get()
    if started["type"] != "lifespan.startup.complete":
        raise SystemExit(f"start-up failed: {started}")
    return task, inbox, outbox


async def _answer_at_once(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """``--cut answer``: read the body, answer 200 (the driver and the event loop alone)."""
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b'{"success":true}'})


async def _no_pipeline(hub: Any, inbound: Any) -> Any:
    """``--cut pipeline``: the hook endpoint runs, the pipeline answers 200 at once."""
    from hookhub.pipeline.inbound import Outcome

    return Outcome(200, {"success": True})


async def _no_commit(op: Any) -> None:
    """``--cut store``: the pipeline runs, its commit is skipped (nothing reaches the writer thread)."""
    return None


#: what ``--cut`` leaves out, from the outside in; the differences between cuts are the stages' costs
CUTS = ("answer", "pipeline", "store")


async def run_scenario(key: str, requests: int, concurrency: int, rounds: int, profile: bool,
                       sort: str = "tottime", cut: str | None = None,
                       commit_delay_ms: float | None = None) -> dict[str, Any]:
    from hookhub.config import load_config
    from hookhub.hub import Hub
    from hookhub.logs import config_secrets, configure
    from hookhub.web.app import make_app

    scenario = all_scenarios()[key]
    with tempfile.TemporaryDirectory(prefix="hookhub-hotpath-") as scratch:
        config_path, hooks = deployment.write(Path(scratch), key, {key: scenario.integration}, port=1,
                                              sandbox=scenario.sandbox,
                                              storage={} if commit_delay_ms is None else
                                              {"commit_delay_ms": commit_delay_ms})
        config = load_config(config_path)
        log_file = open(Path(scratch) / "server.log", "a", encoding="utf-8")  # as `hookhub serve` logs
        handler = configure("info", config.server.log_format, config_secrets(config), stream=log_file)
        hub = Hub(config)
        app = make_app(hub)
        task, inbox, outbox = await _lifespan(app)
        commits = [0, 0]  # transactions, writes in them
        reported = hub.store.on_commit

        def counted(writes: int, seconds: float) -> None:
            commits[0] += 1
            commits[1] += writes
            if reported is not None:
                reported(writes, seconds)
        hub.store.on_commit = counted
        body = scenario.body.read_bytes()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                   (b"host", b"127.0.0.1"), (b"user-agent", b"hotpath")]
        headers += [(k.lower().encode(), v.encode()) for k, v in scenario.headers.items()]
        path = hooks[key].path
        from hookhub.web import hooks as hook_endpoint

        real_receive = hook_endpoint.receive
        driven: Any = app
        if cut == "answer":
            driven = _answer_at_once
        elif cut == "pipeline":
            hook_endpoint.receive = _no_pipeline  # type: ignore[assignment]
        elif cut == "store":
            hub.store.write = _no_commit  # type: ignore[method-assign]  # start-up's writes are done
        try:
            await _drive(driven, path, body, headers, min(500, requests), concurrency)  # warm-up
            pool_stats = getattr(hub.sandbox, "stats", lambda: {})
            batched0 = pool_stats().get("batched", 0)
            server, workers, store = [], [], []
            commits[:] = [0, 0]
            profiler = cProfile.Profile() if profile else None
            for _ in range(rounds):
                cpu0, kids0, store0 = time.process_time(), _children_cpu_s(), _thread_cpu_s(WRITER)
                if profiler is not None:
                    profiler.enable()
                statuses = await _drive(driven, path, body, headers, requests, concurrency)
                if profiler is not None:
                    profiler.disable()
                cpu1, kids1, store1 = time.process_time(), _children_cpu_s(), _thread_cpu_s(WRITER)
                bad = [s for s in statuses if s != 200]
                if bad:
                    raise SystemExit(f"{key}: {len(bad)} answers were not 200 (first: {bad[0]})")
                server.append((cpu1 - cpu0) / requests * 1e6)
                workers.append((kids1 - kids0) / requests * 1e6)
                store.append((store1 - store0) / requests * 1e6)
            batched = (pool_stats().get("batched", 0) - batched0) / (requests * rounds)
            if profiler is not None:
                pstats.Stats(profiler).sort_stats(sort).print_stats(35)
        finally:
            hook_endpoint.receive = real_receive  # type: ignore[assignment]
            await inbox.put({"type": "lifespan.shutdown"})
            await outbox.get()
            await task
            logging.getLogger().removeHandler(handler)
            log_file.close()
    return {"scenario": key, "server_us": statistics.median(server), "workers_us": statistics.median(workers),
            "store_us": statistics.median(store), "batched": batched,
            "per_commit": commits[1] / max(1, commits[0]),
            "rounds": [round(s, 1) for s in server]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", default="noscript,python")
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions (slows it down)")
    parser.add_argument("--sort", default="tottime", help="cProfile's order with --profile (tottime, cumulative)")
    parser.add_argument("--cut", choices=CUTS, help="leave a stage out, for the per-stage breakdown: answer (the "
                        "application answers at once), pipeline (the hook endpoint runs, the pipeline does "
                        "not), store (everything but the commit)")
    parser.add_argument("--commit-delay-ms", type=float,
                        help="storage.commit_delay_ms of the generated YAML (default: hookhub's)")
    args = parser.parse_args(argv)
    print(f"| scenario | server process CPU µs/webhook (median of {args.rounds}) | rounds | "
          "of which the store's writer thread | sandbox workers µs | calls sent in batches | writes per commit |")
    print("|---|---:|---|---:|---:|---:|---:|")
    for key in args.scenarios.split(","):
        result = asyncio.run(run_scenario(key, args.requests, args.concurrency, args.rounds, args.profile,
                                                args.sort, args.cut, args.commit_delay_ms))
        print(f"| {key} | {result['server_us']:.1f} | {result['rounds']} | {result['store_us']:.1f} | "
              f"{result['workers_us']:.1f} | {result['batched']:.0%} | {result['per_commit']:.1f} |",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
