"""Slow, idle and oversized clients against a real ``hookhub serve`` on 127.0.0.1 (issue #13, points 1 and 3).

Each test talks raw HTTP over sockets to a server configured with short
deadlines (1 s) and a small connection cap, so that every case ends within
a few seconds; one slow test holds 1,500 idle connections against the
default configuration.
"""

from __future__ import annotations

import json
import resource
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hookhub import serving

from .test_e2e import Server

CONFIG = """\
server:
{server}
storage:
  url: sqlite:///{folder}/hookhub.db
sandbox:
  workers: 1
admin:
  token: serve-admin
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

SHORT = """\
  header_timeout_s: 1
  body_timeout_s: 1
  keep_alive_s: 1
  max_connections: 64
  max_header_bytes: 4096
  max_header_field_bytes: 1024
"""


def _serve(tmp_path: Path, server_yaml: str) -> Iterator[Server]:
    config = tmp_path / "hookhub.yaml"
    config.write_text(CONFIG.format(server=server_yaml, folder=tmp_path), encoding="utf-8")
    srv = Server(config)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def short(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the tests that leave it as they found it."""
    yield from _serve(tmp_path_factory.mktemp("short"), SHORT)


def _connect(srv: Server) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    return sock


def _read_all(sock: socket.socket, limit_s: float = 10) -> bytes:
    """Everything the server sends until it closes the connection (or ``limit_s`` passes)."""
    sock.settimeout(limit_s)
    chunks = []
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    except (ConnectionResetError, socket.timeout):
        pass
    return b"".join(chunks)


def _status_and_json(raw: bytes) -> tuple[int, dict[str, object]]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body)


def _hook_ok(srv: Server) -> None:
    r = httpx.post(f"{srv.url}/hooks/plain/plain-token", json={"text": "still answered"}, timeout=10)
    assert r.status_code == 200 and r.json() == {"success": True}


def test_an_idle_connection_is_closed_after_the_header_deadline(short: Server) -> None:
    sock = _connect(short)
    started = time.monotonic()
    assert _read_all(sock) == b""  # nothing was sent: closed without an answer
    assert 0.8 < time.monotonic() - started < 4
    sock.close()


def test_one_sweep_keeps_the_deadlines_of_many_connections_and_spares_a_busy_one(short: Server) -> None:
    # the deadlines are checked by one periodic sweep over the open connections, not a timer each
    idle = [_connect(short) for _ in range(20)]
    slow = _connect(short)
    slow.sendall(b"POST /hooks/plain/plain-token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 12\r\n\r\n{\"text\":")
    started = time.monotonic()
    busy = _connect(short)
    for _ in range(8):  # a client that keeps sending requests is never cut off by a stale deadline
        busy.sendall(b"POST /hooks/plain/plain-token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 12\r\n\r\n{\"text\":\"b\"}")
        busy.settimeout(10)
        answer = b""
        while not answer.endswith(b"}"):
            chunk = busy.recv(65536)
            assert chunk, f"the busy connection was closed after {time.monotonic() - started:.2f} s"
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 200")
        time.sleep(0.25)  # 2 s in all: past the 1 s deadlines of the others
    for sock in idle:
        assert _read_all(sock, limit_s=5) == b""  # closed, no answer: nothing was sent
        sock.close()
    status, body = _status_and_json(_read_all(slow, limit_s=5))
    assert status == 408 and "server.body_timeout_s" in str(body["error"])
    assert time.monotonic() - started < 4
    slow.close()
    busy.close()


def test_headers_sent_one_byte_at_a_time_get_408(short: Server) -> None:
    sock = _connect(short)
    started = time.monotonic()
    request = b"POST /hooks/plain/plain-token HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100
    try:
        for byte in request:
            sock.send(bytes([byte]))
            time.sleep(0.05)
            if time.monotonic() - started > 5:
                break
    except (BrokenPipeError, ConnectionResetError):
        pass
    status, body = _status_and_json(_read_all(sock))
    assert status == 408 and "server.header_timeout_s" in str(body["error"]) and body["success"] is False
    assert time.monotonic() - started < 4
    sock.close()
    _hook_ok(short)


def test_a_body_that_never_completes_gets_408(short: Server) -> None:
    sock = _connect(short)
    started = time.monotonic()
    sock.sendall(b"POST /hooks/plain/plain-token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 100\r\n\r\n{\"text\":")
    status, body = _status_and_json(_read_all(sock))
    assert status == 408 and "server.body_timeout_s" in str(body["error"])
    assert time.monotonic() - started < 4
    sock.close()
    _hook_ok(short)


def test_a_keep_alive_connection_is_closed_when_idle_and_reused_while_not(short: Server) -> None:
    sock = _connect(short)
    request = (b"POST /hooks/plain/plain-token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"Content-Length: 13\r\n\r\n{\"text\":\"k\"}\n")
    for _ in range(2):
        sock.sendall(request)
        sock.settimeout(10)
        answer = b""
        while not answer.endswith(b"}"):
            answer += sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b'{"success":true}')
    started = time.monotonic()
    assert _read_all(sock) == b""
    assert time.monotonic() - started < 4
    sock.close()


def _answers(sock: socket.socket, n: int) -> list[bytes]:
    sock.settimeout(10)
    data = b""
    while data.count(b"HTTP/1.1 ") < n or not data.endswith(b"}"):
        chunk = sock.recv(65536)
        assert chunk, data
        data += chunk
    return [b"HTTP/1.1 " + part for part in data.split(b"HTTP/1.1 ")[1:]]


def test_large_bodies_and_pipelined_requests_are_not_mistaken_for_headers(short: Server) -> None:
    sock = _connect(short)
    body = json.dumps({"text": "big", "pad": "p" * 200_000}).encode()
    big = (b"POST /hooks/plain/plain-token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           b"Content-Length: %d\r\n\r\n" % len(body)) + body
    for _ in range(3):  # the whole request in few reads, several times on one connection
        sock.sendall(big)
        [answer] = _answers(sock, 1)
        assert answer.startswith(b"HTTP/1.1 200"), answer[:300]
    small = (b"POST /hooks/plain/plain-token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             b"Content-Length: 12\r\n\r\n{\"text\":\"p\"}")
    sock.sendall(small * 3)  # pipelined
    answers = _answers(sock, 3)
    assert [a[:12] for a in answers] == [b"HTTP/1.1 200"] * 3, answers
    sock.close()


def test_an_oversized_header_block_is_refused_while_it_streams(short: Server) -> None:
    sock = _connect(short)
    sock.sendall(b"POST /hooks/plain/plain-token HTTP/1.1\r\nHost: x\r\n")
    sent = 0
    try:
        for _ in range(60 * 16):  # up to 60 MB, 64 KiB at a time, as headers of 1000 bytes
            sock.sendall(b"".join(b"X-Fill-%d: %s\r\n" % (i, b"f" * 980) for i in range(64)))
            sent += 64 * 1000
    except (BrokenPipeError, ConnectionResetError):
        pass
    raw = _read_all(sock)
    sock.close()
    assert sent < 8 * 1024 * 1024  # the server stopped reading long before 60 MB
    status, body = _status_and_json(raw)
    assert status == 431 and body == {"success": False,
                                      "error": "request header block larger than 4096 bytes (server.max_header_bytes)"}
    _hook_ok(short)


def test_one_header_over_the_field_limit_gets_431_naming_it(short: Server) -> None:
    r = httpx.post(f"{short.url}/hooks/plain/plain-token", json={"text": "x"},
                   headers={"X-Too-Big": "b" * 2000}, timeout=10)
    assert r.status_code == 431 and r.headers["content-type"] == "application/json"
    assert "'x-too-big' is 2009 bytes, more than 1024 (server.max_header_field_bytes)" in r.json()["error"]
    history = httpx.get(f"{short.url}/api/v1/integrations/plain/history",
                        headers={"Authorization": "Bearer serve-admin"}, timeout=10).json()["history"]
    assert not any("x-too-big" in entry["request"]["headers"] for entry in history)  # never reached the app


def test_the_connection_cap_sheds_the_oldest_idle_connections(tmp_path: Path) -> None:
    for srv in _serve(tmp_path, SHORT):
        _cap_sheds(srv)


def _cap_sheds(short: Server) -> None:
    idle = [_connect(short) for _ in range(100)]
    time.sleep(0.3)
    _hook_ok(short)
    closed = 0
    for sock in idle[:30]:
        sock.settimeout(0.5)
        try:
            closed += sock.recv(1) == b""
        except socket.timeout:
            pass
    assert closed >= 30 - 1  # the oldest were closed to make room
    for sock in idle:
        sock.close()
    short.stop()
    assert b"connection cap reached (server.max_connections=64)" in short.output


@pytest.mark.slow
def test_1500_idle_connections_do_not_stop_webhooks_with_the_default_config(tmp_path: Path) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2000:
        pytest.skip(f"the open-file hard limit ({hard}) is too low to open 1,500 connections here")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
    try:
        for srv in _serve(tmp_path, "  port: 0"):
            idle = [_connect(srv) for _ in range(1500)]
            started = time.monotonic()
            for _ in range(5):
                _hook_ok(srv)
            elapsed = time.monotonic() - started
            for sock in idle:
                sock.close()
            assert elapsed < 10
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_raise_nofile_limit_and_connection_cap() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(256, hard), hard))
        now = serving.raise_nofile_limit()
        assert now == resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        assert now == hard or hard == resource.RLIM_INFINITY or now > 256
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert serving.connection_cap(4096, 1024) == 1024 - serving.FD_RESERVE
    assert serving.connection_cap(4096, 1 << 20) == 4096
    assert serving.connection_cap(4096, 100) == 16
