"""What hookhub's guarded HTTP protocol costs per request over uvicorn's own.

``hookhub serve`` runs uvicorn's httptools protocol with read deadlines,
header limits and a connection cap added (``hookhub/serving.py``).  This
serves the bare Starlette endpoint of ``bench/bare_app.py`` with each protocol
in turn, in one uvloop event loop with ``--concurrency`` keep-alive clients
posting the ``noscript`` body, and prints the process's CPU µs per request
(clients and server together: the difference is the guard's), the median of
``--rounds`` alternating rounds:

    taskset -c 0 .venv/bin/python bench/http_guard.py
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if sys.path and Path(sys.path[0]).resolve() == HERE:
    sys.path[0] = str(HERE.parent)

import argparse  # noqa: E402
import asyncio  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

import uvicorn  # noqa: E402
import uvloop  # noqa: E402
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol  # noqa: E402
from uvicorn.server import ServerState  # noqa: E402

from bench.bare_app import app  # noqa: E402
from bench.scenarios import all_scenarios  # noqa: E402


def _request() -> bytes:
    scenario = all_scenarios()["noscript"]
    body = scenario.body.read_bytes()
    head = (b"POST /hooks/bench/token HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: bench\r\n"
            b"Accept: */*\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body))
    return head + body


async def _round(protocol: Any, request: bytes, requests: int, concurrency: int) -> float:
    loop = asyncio.get_running_loop()
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    config.load()
    state = ServerState()
    server = await loop.create_server(
        lambda: protocol(config=config, server_state=state, app_state={}, _loop=loop), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    left = requests

    async def client() -> None:
        nonlocal left
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while left > 0:
            left -= 1
            writer.write(request)
            await reader.readuntil(b'{"success":true}')
        writer.close()

    cpu0 = time.process_time()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    cpu = time.process_time() - cpu0
    server.close()
    await server.wait_closed()
    return cpu / requests * 1e6


async def measure(requests: int, concurrency: int, rounds: int,
                  only: str | None = None) -> dict[str, list[float]]:
    """CPU µs per request of each protocol (or of ``only``), one list of rounds each (alternating)."""
    from hookhub.config import ServerConfig
    from hookhub.serving import guarded_protocol

    protocols = {"uvicorn": HttpToolsProtocol, "hookhub": guarded_protocol(ServerConfig(), 4096)}
    if only is not None:
        protocols = {only: protocols[only]}
    request = _request()
    out: dict[str, list[float]] = {key: [] for key in protocols}
    for _ in range(rounds):
        for key, protocol in protocols.items():
            out[key].append(await _round(protocol, request, requests, concurrency))
    return out


def main(argv: list[str] | None = None) -> int:
    """Print one table row per protocol and the difference."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--only", choices=("uvicorn", "hookhub"),
                        help="one protocol alone (for an instruction count under valgrind, see bench/README.md)")
    args = parser.parse_args(argv)
    rows = uvloop.run(measure(args.requests, args.concurrency, args.rounds, args.only))
    if args.only:
        print(f"{args.only}: {statistics.median(rows[args.only]):.1f} µs per request")
        return 0
    medians = {key: statistics.median(values) for key, values in rows.items()}
    print(f"{args.requests:,} requests × {args.rounds} rounds, c{args.concurrency}, "
          "CPU µs per request (clients + server)\n")
    print("| protocol | median | rounds |")
    print("|---|---:|---|")
    for key, values in rows.items():
        print(f"| {key} | {medians[key]:.1f} | {', '.join(f'{v:.1f}' for v in sorted(values))} |")
    print(f"\nthe guard: {medians['hookhub'] - medians['uvicorn']:+.1f} µs per request")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
