"""hookhub.sandbox.forward: a worker's HTTP() request performed by the server, under the egress policy."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from hookhub.records import Limits
from hookhub.sandbox.base import ScriptSpec
from hookhub.sandbox.forward import forward_http

from ..httpd import QuietHandler, base_url, serving


class _Handler(QuietHandler):
    def _answer(self) -> None:
        if self.path == "/slow":
            time.sleep(1.0)
        self.send_body(201, json.dumps({"method": self.command, "path": self.path,
                                        "body": self.request_body().decode()}).encode())

    do_GET = do_POST = _answer


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serving(_Handler) as httpd:
        yield base_url(httpd)


def spec(allow: tuple[str, ...] = ("127.0.0.1",), private: bool = True, **limits: Any) -> ScriptSpec:
    return ScriptSpec("web", "python", "", "web.py", Limits(**limits), allow_hosts=allow, allow_private=private)


def forward(spec: ScriptSpec, request: dict[str, Any]) -> dict[str, Any]:
    return asyncio.run(forward_http(spec, request))


def test_a_request_is_performed_and_answered_as_json(server: str) -> None:
    reply = forward(spec(), {"method": "POST", "url": f"{server}/items", "options": {"data": {"a": 1}}})
    result = reply["result"]
    assert result["statusCode"] == 201
    assert result["data"]["method"] == "POST" and json.loads(result["data"]["body"]) == {"a": 1}
    json.dumps(reply)  # all of it crosses back to the worker as JSON


def test_without_allowed_hosts_nothing_is_sent(server: str) -> None:
    reply = forward(spec(allow=()), {"method": "GET", "url": f"{server}/x", "options": None})
    assert reply == {"error": "HTTP is not allowed for this integration (http.allow_hosts is empty)"}


def test_a_host_outside_the_list_is_refused(server: str) -> None:
    reply = forward(spec(allow=("api.github.com",)), {"method": "GET", "url": f"{server}/x"})
    assert "not in this integration's http.allow_hosts" in reply["error"]


def test_loopback_is_refused_unless_private_addresses_are_allowed(server: str) -> None:
    reply = forward(spec(private=False), {"method": "GET", "url": f"{server}/x"})
    assert "error" in reply and "result" not in reply


@pytest.mark.parametrize("request_", [
    {"method": 1, "url": "http://127.0.0.1/"},
    {"method": "GET", "url": None},
    {"method": "GET", "url": "http://127.0.0.1/", "options": "headers"},
    {},
])
def test_malformed_requests_from_a_worker_are_answered_not_raised(request_: dict[str, Any]) -> None:
    assert forward(spec(), request_) == {"error": "HTTP(method, url, options): invalid arguments"}


def test_the_integrations_http_timeout_applies(server: str) -> None:
    started = time.monotonic()
    reply = forward(spec(http_timeout_ms=200), {"method": "GET", "url": f"{server}/slow"})
    assert "error" in reply and "result" not in reply
    assert time.monotonic() - started < 0.9


def test_the_event_loop_keeps_running_during_a_request(server: str) -> None:
    async def both() -> int:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.create_task(tick())
        await forward_http(spec(), {"method": "GET", "url": f"{server}/slow"})
        ticker.cancel()
        return ticks

    assert asyncio.run(both()) >= 20
