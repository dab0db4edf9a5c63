"""Cost of the operations surface on the hook path: metrics and the access log, A/B.

    .venv/bin/python bench/ops_overhead.py [--requests 2000] [--rounds 5]

Drives the ASGI application in-process (no sockets, so the difference is not
lost in network noise) with ``POST /hooks/plain/<token>`` (no script, SQLite
store with ``synchronous=OFF`` so fsyncs do not dominate), in three variants
interleaved round by round:

* ``bare``: metrics recording replaced by no-ops, no access log (the floor);
* ``metrics``: ``Metrics.webhook`` and the other per-request series recorded;
* ``metrics+access``: also the access log line, formatted and written (text
  format, the redaction filter installed, to /dev/null) as ``hookhub serve``
  does.

Prints the median CPU µs per request of each and the differences, then the
cost of exactly what is added per request, timed alone (``timeit``): one
``Metrics.webhook`` (counter + histogram), one ``message_posted``, one
store batch report, one access-log line.  With
``PROMETHEUS_MULTIPROC_DIR`` set (to an empty folder) the file-backed values of
the multi-process mode are measured instead.  Never run as a timed test.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hookhub.web.app import make_app  # noqa: E402
from hookhub.config import load_config  # noqa: E402
from hookhub.hub import Hub  # noqa: E402
from hookhub.logs import configure  # noqa: E402
from hookhub.store import Store  # noqa: E402

CONFIG = """\
sandbox: {mode: inprocess}
storage: {url: "sqlite:///%s/bench.db"}
users: [{username: rocket.cat}]
channels: [{name: general}]
integrations:
  - {id: plain, type: incoming, token: plain-token, channel: "#general", username: rocket.cat, script_enabled: false}
"""


async def drive(app: Any, n: int) -> float:
    """Seconds for ``n`` sequential hook requests through the ASGI interface."""
    body = b'{"text": "hello"}'
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": "/hooks/plain/plain-token", "raw_path": b"/hooks/plain/plain-token",
             "query_string": b"", "root_path": "", "headers": [(b"content-type", b"application/json"),
                                                               (b"content-length", str(len(body)).encode())],
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 3000)}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start" and message["status"] != 200:
            raise AssertionError(message)

    started = time.process_time()  # CPU of this process (the store's writer thread included)
    for _ in range(n):
        await app(scope, receive, send)
    return time.process_time() - started


def _noop(*args: Any, **kwargs: Any) -> None:
    return None


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="hookhub-ops-bench-")
    path = Path(folder) / "hookhub.yaml"
    path.write_text(CONFIG % folder, encoding="utf-8")
    config = load_config(path)
    hub = Hub(config, store=Store(config.storage_url(), synchronous="OFF"))
    await hub.start()
    with open("/dev/null", "w") as null:
        configure("info", "text", ["plain-token"], stream=null)
        logging.getLogger("hookhub.access").setLevel(logging.INFO)
        full = make_app(hub, manage_hub=False)
        plain = make_app(hub, manage_hub=False)
        plain.access_log = None
        recorders = {name: getattr(hub.metrics, name) for name in ("webhook", "message_posted", "store_commit")}
        results: dict[str, list[float]] = {"bare": [], "metrics": [], "metrics+access": []}
        await drive(full, 300)  # warm-up
        for _ in range(args.rounds):
            for name in results:
                for attr, fn in recorders.items():
                    setattr(hub.metrics, attr, _noop if name == "bare" else fn)
                hub.store.on_commit = _noop if name == "bare" else recorders["store_commit"]
                app = full if name == "metrics+access" else plain
                results[name].append(await drive(app, args.requests) / args.requests * 1e6)
        access = full.access_log
        assert access is not None
        n = 20000
        micro = {
            "webhook": lambda: recorders["webhook"]("plain", 200, 0.002),
            "message_posted": lambda: recorders["message_posted"]("plain"),
            "store_commit": lambda: recorders["store_commit"](1, 0.0004),
            "access line": lambda: access.line("POST", "/hooks/plain/plain-token", 200, 0.002),
        }
        timings = {}
        for label, fn in micro.items():
            began = time.perf_counter()
            for _ in range(n):
                fn()
            timings[label] = (time.perf_counter() - began) / n * 1e6
    await hub.stop()
    base = statistics.median(results["bare"])
    print(f"{'variant':<16} {'CPU us/request':>14} {'added':>8}")
    for name, values in results.items():
        med = statistics.median(values)
        print(f"{name:<16} {med:>14.1f} {med - base:>+8.1f}")
    print()
    for label, us in timings.items():
        print(f"{label:<16} {us:>8.2f} us")
    print(f"{'sum':<16} {sum(timings.values()):>8.2f} us per request (multi-process files: "
          f"{'yes' if hub.metrics.files else 'no'})")


if __name__ == "__main__":
    asyncio.run(main())
