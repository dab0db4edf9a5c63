"""The egress policy and the HTTP call, against a real server on 127.0.0.1."""

from __future__ import annotations

import base64
import time

import pytest

from hookhub.delivery.http import retry_after, send
from hookhub.delivery.retry import delay_ms, retryable

from ..outgoing.receiver import Receiver


async def test_private_addresses_refused_unless_allowed(receiver: Receiver) -> None:
    reply = await send("POST", receiver.url(), allow_hosts=["127.0.0.1"], data={"a": 1})
    assert reply.refused and reply.status_code is None and "loopback" in (reply.error or "")
    assert receiver.requests == []
    for url in ("http://10.1.2.3/", "http://169.254.169.254/latest/meta-data", "http://[::1]/"):
        reply = await send("GET", url, allow_hosts=["*"])
        assert reply.refused, url
    reply = await send("GET", "ftp://example.com/", allow_hosts=["*"])
    assert reply.refused and "scheme" in (reply.error or "")


async def test_send_json_basic_auth_and_answer(receiver: Receiver) -> None:
    receiver.answer(201, {"ok": True}, {"X-Reply": "1"})
    reply = await send("POST", f"http://u:p%40ss@127.0.0.1:{receiver.port}/x", allow_hosts=["127.0.0.1"],
                       allow_private=True, data={"a": 1}, params={"q": "v"})
    got = receiver.requests[0]
    assert got.path == "/x?q=v" and got.json == {"a": 1}
    assert got.headers["authorization"] == "Basic " + base64.b64encode(b"u:p@ss").decode()
    assert got.headers["host"] == f"127.0.0.1:{receiver.port}"
    assert reply.status_code == 201 and reply.content == {"ok": True} and reply.headers["x-reply"] == "1"
    assert reply.to_script()["status_code"] == 201


async def test_timeout_is_an_error_not_an_exception() -> None:
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)  # accepts the connection, never answers
    try:
        started = time.monotonic()
        reply = await send("POST", f"http://127.0.0.1:{server.getsockname()[1]}/", allow_hosts=["127.0.0.1"],
                           allow_private=True, data={}, timeout_s=0.3)
        assert reply.status_code is None and "timed out" in (reply.error or "")
        assert time.monotonic() - started < 3
    finally:
        server.close()


def test_retry_after_forms() -> None:
    assert retry_after({"retry-after": "12"}, 0) == 12
    assert retry_after({}, 0) is None
    assert retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 1445412470.0) == 10.0
    assert retry_after({"retry-after": "soon"}, 0) is None


def test_delays_and_retryable() -> None:
    assert [delay_ms("powers-of-ten", t) for t in range(4)] == [100, 1000, 10000, 100000]
    assert [delay_ms("powers-of-two", t) for t in range(3)] == [2000, 4000, 8000]
    assert [delay_ms("increments-of-two", t) for t in range(3)] == [2000, 4000, 6000]
    with pytest.raises(ValueError, match="powers-of-ten"):
        delay_ms("fibonacci", 0)
    assert retryable(None) and retryable(500) and retryable(429) and retryable(408)
    assert not retryable(400) and not retryable(404) and not retryable(410)
    assert retryable(400, client_errors=True) and retryable(404, client_errors=True)
    assert not retryable(200, client_errors=True) and not retryable(302, client_errors=True)
