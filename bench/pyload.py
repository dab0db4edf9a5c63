"""A small HTTP/1.1 load generator, the fallback when ``wrk`` cannot be installed.

Keeps ``-c`` keep-alive connections busy for ``-d`` seconds, each POSTing the body
file and waiting for the answer, and prints the same ``WRK_RESULT {...}`` line as
``post.lua``.  It is slower than wrk: it saturates at a few thousand requests per
second, which understates fast servers.

    python bench/pyload.py -c 16 -d 5 --body payload.json -H 'X-A: b' http://127.0.0.1:8000/path
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any
from urllib.parse import urlsplit


def _request_bytes(url: str, body: bytes, headers: list[str]) -> tuple[str, int, bytes]:
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    lines = [f"POST {path} HTTP/1.1", f"Host: {parts.netloc}", "Content-Type: application/json",
             f"Content-Length: {len(body)}", *headers]
    return parts.hostname or "127.0.0.1", parts.port or 80, ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split()[1])
    length = None
    chunked = False
    for line in header_lines:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    body = b""
    if length is not None:
        body = await reader.readexactly(length)
    elif chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            body += (await reader.readexactly(size + 2))[:-2]
            if size == 0:
                break
    return status, body


async def _connection(host: str, port: int, request: bytes, stop_at: float, latencies: list[float],
                      errors: dict[str, int], statuses: dict[str, int], first_error: list[str]) -> None:
    reader = writer = None
    while time.perf_counter() < stop_at:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            began = time.perf_counter()
            writer.write(request)
            status, body = await _read_response(reader)  # type: ignore[arg-type]
            latencies.append(time.perf_counter() - began)
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            if not 200 <= status <= 299:
                errors["status"] += 1
                if not first_error:
                    first_error.append(f"{status} {body[:300].decode('utf-8', 'replace')}")
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            errors["read"] += 1
            if writer is not None:
                writer.close()
            reader = writer = None
            await asyncio.sleep(0.01)
    if writer is not None:
        writer.close()


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    with open(args.body, "rb") as fh:
        body = fh.read()
    host, port, request = _request_bytes(args.url, body, args.header)
    latencies: list[float] = []
    errors = {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0}
    statuses: dict[str, int] = {}
    first_error: list[str] = []
    began = time.perf_counter()
    stop_at = began + args.duration
    await asyncio.gather(*(_connection(host, port, request, stop_at, latencies, errors, statuses, first_error)
                           for _ in range(args.connections)))
    elapsed = time.perf_counter() - began
    latencies.sort()

    def pct(p: float) -> int:
        if not latencies:
            return 0
        return int(latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))] * 1e6)

    return {"requests": len(latencies), "duration_us": int(elapsed * 1e6), "bytes": 0, "errors": errors,
            "statuses": statuses, "first_error": first_error[0] if first_error else "",
            "latency_us": {"p50": pct(50), "p90": pct(90), "p99": pct(99), "max": pct(100),
                           "mean": (sum(latencies) / len(latencies) * 1e6) if latencies else 0.0}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-c", "--connections", type=int, default=1)
    parser.add_argument("-d", "--duration", type=float, default=5.0, help="seconds")
    parser.add_argument("--body", required=True, help="file to POST as application/json")
    parser.add_argument("-H", "--header", action="append", default=[], help="extra 'Name: value' header")
    parser.add_argument("url")
    args = parser.parse_args()
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(_run(args))
    else:
        result = uvloop.run(_run(args))
    print("WRK_RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
