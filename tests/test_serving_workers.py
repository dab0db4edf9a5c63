"""``hookhub serve --workers N``: N real server processes sharing one port and one SQLite store."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from hookhub import serving

from .test_e2e import free_port

pytestmark = pytest.mark.slow

CONFIG = """\
storage:
  url: sqlite:///data/hookhub.db
sandbox:
  workers: 1
admin:
  token: workers-admin-token
users:
  - username: rocket.cat
channels:
  - name: general
integrations:
  - id: limited
    type: incoming
    token: limited-token
    channel: "#general"
    username: rocket.cat
    script_enabled: false
    rate_limit: {calls: 7, per_seconds: 3600}
  - id: gh
    type: incoming
    token: gh-token
    channel: "#general"
    username: rocket.cat
    script_enabled: false
    dedupe: {header: X-Delivery}
"""


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def test_workers_share_the_port_and_the_store(tmp_path: Path) -> None:
    config = tmp_path / "hookhub.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    port = free_port()
    hookhub = Path(sys.executable).with_name("hookhub")
    proc = subprocess.Popen([str(hookhub), "serve", "--config", str(config), "--port", str(port), "--workers", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200 and len(_children(proc.pid)) >= 2:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.communicate()[0].decode(errors="replace")
            time.sleep(0.2)
        workers = _children(proc.pid)
        assert len(workers) >= 2, workers  # two server processes under the supervisor

        async def burst() -> tuple[list[int], list[int]]:
            # a new connection per request, so that both processes accept some
            async def post(path: str, headers: dict[str, str] | None = None) -> int:
                async with httpx.AsyncClient(timeout=30) as client:
                    r = await client.post(f"{url}{path}", json={"text": "hi"}, headers=headers or {})
                    return r.status_code
            limited = await asyncio.gather(*(post("/hooks/limited/limited-token") for _ in range(20)))
            dup = await asyncio.gather(*(post("/hooks/gh/gh-token", {"X-Delivery": f"d{i % 5}"}) for i in range(20)))
            return list(limited), list(dup)

        limited, dup = asyncio.run(burst())
        assert sorted(limited) == [200] * 7 + [429] * 13  # the limit holds across the processes
        assert dup == [200] * 20
        with sqlite3.connect(tmp_path / "data" / "hookhub.db") as db:
            per_integration = dict(db.execute("SELECT integration_id, count(*) FROM messages GROUP BY 1"))
            hits = [row[0] for row in db.execute("SELECT hits FROM rate_counters")]
        assert hits == [20]  # counted in the shared store, not in each process's memory
        assert per_integration == {"limited": 7, "gh": 5}  # one message per delivery id
        # /metrics merges every process (one PROMETHEUS_MULTIPROC_DIR per run, made before they start)
        scraped = {}
        for _ in range(6):  # whichever process answers the scrape sees the whole run
            body = httpx.get(f"{url}/metrics", headers={"Authorization": "Bearer workers-admin-token"}).text
            total = sum(float(line.rsplit(" ", 1)[1]) for line in body.splitlines()
                        if line.startswith("hookhub_webhooks_total{"))
            scraped[total] = scraped.get(total, 0) + 1
        assert list(scraped) == [40.0], scraped
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    text = out.decode(errors="replace")
    assert "processes:    2 (--workers)" in text and "Traceback" not in text, text


def test_the_run_directory_is_made_before_the_workers_and_hooks_see_it(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Path] = []
    monkeypatch.setattr(serving, "RUN_DIR_HOOKS", [seen.append])
    monkeypatch.delenv(serving.ENV_RUN_DIR, raising=False)
    path = serving.prepare_run_dir()
    try:
        assert seen == [path] and path.is_dir() and os.environ[serving.ENV_RUN_DIR] == str(path)
    finally:
        path.rmdir()
        monkeypatch.delenv(serving.ENV_RUN_DIR)


GUARDED = """\
server:
  header_timeout_s: 2
  body_timeout_s: 2
  max_connections: 64
storage:
  url: sqlite:///data/hookhub.db
sandbox:
  workers: 1
users:
  - username: rocket.cat
channels:
  - name: general
integrations:
  - id: plain
    type: incoming
    token: plain-token
    channel: "#general"
    username: rocket.cat
    script_enabled: false
"""


def test_every_worker_process_has_the_deadlines_and_the_connection_cap(tmp_path: Path) -> None:
    """Each of the N processes runs the guarded protocol: 408 on slow headers, the cap sheds idle ones."""
    import select
    import socket

    config = tmp_path / "hookhub.yaml"
    config.write_text(GUARDED, encoding="utf-8")
    port = free_port()
    hookhub = Path(sys.executable).with_name("hookhub")
    proc = subprocess.Popen([str(hookhub), "serve", "--config", str(config), "--port", str(port), "--workers", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    sockets: list[socket.socket] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200 and len(_children(proc.pid)) >= 2:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.communicate()[0].decode(errors="replace")
            time.sleep(0.2)
        # slow headers: every connection gets 408 within the header deadline, whichever process took it
        slow = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(6)]
        started = time.monotonic()
        for sock in slow:
            sock.sendall(b"POST /hooks/plain/plain-token HTTP/1.1\r\nHost: x\r\nX-Slow: a")
        for sock in slow:
            sock.settimeout(8)
            answer = b""
            try:
                while chunk := sock.recv(65536):
                    answer += chunk
            except (ConnectionResetError, socket.timeout):
                pass
            assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
            assert b"server.header_timeout_s" in answer
            sock.close()
        assert time.monotonic() - started < 6
        # the cap: 200 idle connections, 64 per process at most; the oldest are closed to make room
        sockets = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(200)]
        time.sleep(0.5)
        r = httpx.post(f"{url}/hooks/plain/plain-token", json={"text": "still answered"}, timeout=10)
        assert r.status_code == 200 and r.json() == {"success": True}
        readable, _, _ = select.select(sockets, [], [], 0.2)
        closed = sum(1 for sock in readable if sock.recv(1) == b"")
        assert closed >= 200 - 2 * 64 - 2, closed
    finally:
        for sock in sockets:
            sock.close()
        os.killpg(proc.pid, signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    text = out.decode(errors="replace")
    assert "connection cap reached (server.max_connections=64)" in text and "Traceback" not in text, text
