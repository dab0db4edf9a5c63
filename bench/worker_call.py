"""One sandbox call inside a worker, in this process: CPU µs (or instructions) per call.

``make bench`` and ``bench/hotpath.py`` see a worker's cost only as its CPU
time, in another process, where neither cProfile nor valgrind can follow it
(the zygote misses the pool's start-up deadline under valgrind).  This takes
the real call message of a scenario and runs what a worker runs for it, in
process: the frame read back by orjson, ``Worker.handle`` (the Store
snapshot, the per-call limits and clock, freezing the request, the script,
its result through the boundary) and the reply encoded:

    .venv/bin/python bench/worker_call.py                          # python and github
    .venv/bin/python bench/worker_call.py --scenarios github --calls 2000 --profile
    .venv/bin/python bench/icount.py --sizes 100,300 -- \\
        .venv/bin/python bench/worker_call.py --scenarios python --calls {n} --rounds 1

The message is recorded first by a child process (``--record``) that starts
the scenario's deployment with a real pool and captures the first call it
sends; that child is not traced by ``bench/icount.py`` (no ``--children``),
so the counted instructions are the calls' alone (plus start-up, which the
two sizes cancel).  The worker is not sealed here (no seccomp, no rlimits
but the per-call ones): the figures are the code's, not the kernel's.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if sys.path and Path(sys.path[0]).resolve() == HERE:
    sys.path[0] = str(HERE.parent)  # bench/profile.py would shadow the standard library's profile

import argparse  # noqa: E402
import asyncio  # noqa: E402
import cProfile  # noqa: E402
import pickle  # noqa: E402
import pstats  # noqa: E402
import queue  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

from bench import deployment  # noqa: E402
from bench.scenarios import all_scenarios  # noqa: E402


async def _capture(key: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The first call message the pool sends for scenario ``key``'s webhook, and the pool's engines."""
    from bench.hotpath import _drive, _lifespan
    from hookhub.config import load_config
    from hookhub.hub import Hub
    from hookhub.sandbox import channel, pool
    from hookhub.web.app import make_app

    captured: list[dict[str, Any]] = []
    real = pool.call_message

    def spy(message: dict[str, Any], kwargs: dict[str, Any]) -> dict[str, Any]:
        out = real(message, kwargs)
        if not captured:  # as the worker reads it: written and read back as the pool's frames are
            frame = channel.encode_finite(out)
            (word,) = channel._HEADER.unpack(frame[:channel._HEADER.size])
            captured.append(channel.decode(frame[channel._HEADER.size:], fast=bool(word & channel._FAST)))
        return out

    pool.call_message = spy  # type: ignore[assignment]
    scenario = all_scenarios()[key]
    with tempfile.TemporaryDirectory(prefix="hookhub-worker-call-") as scratch:
        config_path, hooks = deployment.write(Path(scratch), key, {key: scenario.integration}, port=1,
                                              sandbox=scenario.sandbox)
        hub = Hub(load_config(config_path))
        app = make_app(hub)
        task, inbox, _outbox = await _lifespan(app)
        body = scenario.body.read_bytes()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                   (b"host", b"127.0.0.1")]
        headers += [(k.lower().encode(), v.encode()) for k, v in scenario.headers.items()]
        statuses = await _drive(app, hooks[key].path, body, headers, 1, 1)
        engines = dict(hub.sandbox.supervisor._engines)  # type: ignore[attr-defined]
        await inbox.put({"type": "lifespan.shutdown"})
        await task
    if statuses != [200] or not captured:
        raise SystemExit(f"{key}: the webhook was answered {statuses}, no call was captured")
    return captured[0], engines


def _recorded(key: str, scratch: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    path = scratch / f"{key}.pickle"
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--record", key, str(path)],
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise SystemExit(f"recording {key}'s call failed:\n{done.stdout}{done.stderr[-3000:]}")
    with path.open("rb") as f:
        return pickle.load(f)  # type: ignore[no-any-return]  # our own child's file


def _no_threads() -> None:
    """As in a sealed worker, where no thread can start: QuickJS runs on the calling thread."""
    from hookhub.engines import javascript, js_thread

    class Inline(js_thread.JsThread):
        def __init__(self, name: str) -> None:
            self._jobs = queue.SimpleQueue()
            self._thread = None

    javascript.JsThread = Inline  # type: ignore[misc]


def run(key: str, calls: int, rounds: int, profile: bool, scratch: Path) -> dict[str, Any]:
    import orjson

    from hookhub.sandbox import channel
    from hookhub.sandbox.oslimits import MemoryMeter
    from hookhub.sandbox.worker import Worker

    _no_threads()
    message, engines = _recorded(key, scratch)
    frame = orjson.dumps(message)
    mine, _theirs = socket.socketpair()
    worker = Worker(mine, engines, MemoryMeter(), None)

    def one() -> None:
        reply = worker.handle(orjson.loads(frame))
        if not reply["ok"]:
            raise SystemExit(f"{key}: the call failed: {reply['reason']}")
        channel.encode_finite(reply)

    for _ in range(min(50, calls)):
        one()
    profiler = cProfile.Profile() if profile else None
    per_call = []
    for _ in range(rounds):
        began = time.process_time()
        if profiler is not None:
            profiler.enable()
        for _ in range(calls):
            one()
        if profiler is not None:
            profiler.disable()
        per_call.append((time.process_time() - began) / calls * 1e6)
    if profiler is not None:
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    return {"us": statistics.median(per_call), "rounds": [round(x, 1) for x in per_call], "frame": len(frame)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", default="python,github", help="comma-separated: python, js, github")
    parser.add_argument("--calls", type=int, default=2000, help="calls per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="cProfile's top functions (to stderr)")
    parser.add_argument("--record", nargs=2, metavar=("SCENARIO", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.record:
        key, path = args.record
        with open(path, "wb") as f:
            pickle.dump(asyncio.run(_capture(key)), f)
        return 0
    print(f"| scenario | CPU µs per call in the worker (median of {args.rounds}) | rounds | call frame bytes |")
    print("|---|---:|---|---:|")
    with tempfile.TemporaryDirectory(prefix="hookhub-worker-call-") as scratch:
        for key in args.scenarios.split(","):
            result = run(key, args.calls, args.rounds, args.profile, Path(scratch))
            print(f"| {key} | {result['us']:.1f} | {result['rounds']} | {result['frame']:,} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
