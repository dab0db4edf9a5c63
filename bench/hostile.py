"""Hostile clients against a real ``hookhub serve`` with the default configuration (docs/robustness.md).

Measures, on 127.0.0.1 only, bounded in count and time:

* a 60 MB header: how many bytes the server took before its 431, and its RSS;
* 1,500 idle connections: whether webhooks are still answered, and how fast;
* 1,500 connections sending their headers one byte a second: when they are
  closed, and webhooks meanwhile;
* how long an idle connection and a slow body stay open.

Usage: ``.venv/bin/python bench/hostile.py`` (about a minute).  Prints JSON.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

CONFIG = """\
storage:
  url: sqlite:///{folder}/hookhub.db
admin:
  token: bench-admin
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _webhook_ms(url: str) -> float:
    began = time.perf_counter()
    r = httpx.post(f"{url}/hooks/plain/plain-token", json={"text": "x"}, timeout=30)
    assert r.status_code == 200, r.text
    return round((time.perf_counter() - began) * 1000, 1)


def _closed_after(sock: socket.socket, limit: float) -> float | None:
    began = time.monotonic()
    sock.settimeout(limit)
    try:
        while sock.recv(65536):
            pass
    except (socket.timeout, ConnectionResetError):
        return None
    return round(time.monotonic() - began, 2)


def main() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    folder = Path(tempfile.mkdtemp(prefix="hookhub-hostile-"))
    (folder / "hookhub.yaml").write_text(CONFIG.format(folder=folder), encoding="utf-8")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    hookhub = Path(sys.executable).with_name("hookhub")
    log = open(folder / "server.log", "w+b")  # a file, not a pipe: nobody drains a pipe while this runs
    proc = subprocess.Popen([str(hookhub), "serve", "--config", str(folder / "hookhub.yaml"), "--port", str(port)],
                            stdout=log, stderr=log)
    out: dict[str, object] = {}
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        out["webhook_ms_quiet"] = _webhook_ms(url)
        out["rss_mb_start"] = _rss_mb(proc.pid)

        # a 60 MB header
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(b"POST /hooks/plain/plain-token HTTP/1.1\r\nHost: x\r\nX-Big: ")
        sent = 0
        try:
            while sent < 60 * 1024 * 1024:
                sock.sendall(b"a" * 65536)
                sent += 65536
        except OSError:
            pass
        answer = b""
        sock.settimeout(5)
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except OSError:
            pass
        sock.close()
        out["big_header_bytes_sent_before_refusal"] = sent
        out["big_header_answer"] = answer.split(b"\r\n", 1)[0].decode()
        out["rss_mb_after_big_header"] = _rss_mb(proc.pid)

        # 1,500 idle connections
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(1500)]
        out["webhook_ms_with_1500_idle"] = [_webhook_ms(url) for _ in range(5)]
        began = time.monotonic()
        closed = [_closed_after(s, 20) for s in idle[:5]]
        out["idle_closed_after_s"] = closed
        out["idle_wait_s"] = round(time.monotonic() - began, 1)
        for s in idle:
            s.close()

        # 1,500 slowloris connections: a header byte every second
        slow = [socket.create_connection(("127.0.0.1", port)) for _ in range(1500)]
        for s in slow:
            s.sendall(b"POST /hooks/plain/plain-token HTTP/1.1\r\n")
        began = time.monotonic()
        webhook_ms = []
        alive = len(slow)
        while time.monotonic() - began < 15 and alive:
            alive = 0
            for s in slow:
                try:
                    s.send(b"X")
                    alive += 1
                except OSError:
                    pass
            webhook_ms.append(_webhook_ms(url))
            time.sleep(1)
        out["slowloris_all_closed_after_s"] = round(time.monotonic() - began, 1) if not alive else None
        out["webhook_ms_during_slowloris_max"] = max(webhook_ms)
        for s in slow:
            s.close()

        # a slow body
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(b"POST /hooks/plain/plain-token HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        out["slow_body_closed_after_s"] = _closed_after(sock, 60)
        sock.close()
        out["rss_mb_end"] = _rss_mb(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        log.seek(0)
        out["cap_logged"] = b"connection cap reached" in log.read()
        log.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    os.environ.pop("HOOKHUB_ADMIN_TOKEN", None)
    main()
