"""The hook endpoint (hookhub/web/hooks.py): the one way a webhook comes in, served straight through ASGI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from hookhub.web import hooks as hooks_module
from hookhub.web.app import HookhubApp, make_app
from hookhub.web.responses import json_response, send_json
from hookhub.config import load_config
from hookhub.hub import Hub

from ..conftest import AUTH, integration, messages

Client = Callable[..., TestClient]


@pytest.mark.parametrize(("body", "status", "headers"), [
    ({"success": True}, 200, None),
    ({"success": False, "error": "é ☃ \u2028"}, 400, None),
    ({"success": True, "n": 1.5, "big": 2**70, "list": [None, True]}, 200, {"X-RateLimit-Limit": "5"}),
    ({"success": False, "error": "too large"}, 413, {"Connection": "close"}),
])
async def test_send_json_matches_starlettes_json_response(body: dict[str, Any], status: int,
                                                          headers: dict[str, str] | None) -> None:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await send_json(send, body, status, headers)
    reference = json_response(body, status, headers)
    assert sent[0]["status"] == reference.status_code
    assert sorted(sent[0]["headers"]) == sorted(reference.raw_headers)
    assert sent[1]["body"] == reference.body


def test_make_app_serves_hooks_directly_and_the_rest_through_starlette(make_client: Client) -> None:
    client = make_client(integration("plain"))
    assert isinstance(client.app, HookhubApp)
    r = client.request("PUT", "/hooks/plain/plain-token", json={"text": "x"})
    assert r.status_code == 405 and r.json() == {"success": False, "error": "method PUT not allowed"}
    assert r.headers["allow"] == "GET, POST"
    r = client.post("/hooks/plain//plain-token", json={"text": "x"})
    assert r.status_code == 404 and r.json() == {"success": False, "error": "not found"}
    assert messages(client) == []
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"success": True}


def test_a_trailing_slash_answers_the_hook_and_other_hook_paths_are_a_json_404(make_client: Client) -> None:
    client = make_client(integration("plain"))
    r = client.post("/hooks/plain/plain-token/", json={"text": "x"}, follow_redirects=False)
    assert r.status_code == 200 and r.json() == {"success": True}
    assert [m["text"] for m in messages(client)] == ["x"]
    for path in ("/hooks/plain/", "/hooks/plain", "/hooks/plain/plain-token//", "/hooks/a/b/c/d"):
        r = client.post(path, json={"text": "y"}, follow_redirects=False)
        assert r.status_code == 404 and r.json() == {"success": False, "error": "not found"}, path
        assert r.headers["content-type"] == "application/json"
    assert len(messages(client)) == 1


def test_head_on_a_hook_runs_nothing_and_stores_nothing(make_client: Client) -> None:
    script = """
class Script:
    def process_incoming_request(self, request):
        return {"content": {"text": "ran"}}
"""
    client = make_client(integration("echo", script))
    r = client.head("/hooks/echo/echo-token")
    assert r.status_code == 405 and r.headers["allow"] == "GET, POST" and r.content == b""
    assert messages(client) == []
    r = client.get("/api/v1/integrations/echo/history", headers=AUTH)
    assert r.json()["history"] == []


def test_repeated_header_first_value_and_raw_query_reach_the_script(make_client: Client) -> None:
    script = """
import json
class Script:
    def process_incoming_request(self, request):
        return {"content": {"text": json.dumps([request.headers["x-dup"], request.url.search, request.url_raw])}}
"""
    client = make_client(integration("echo", script))
    r = client.post("/hooks/echo/echo-token?a=%C3%A9&b", json={}, headers=[("X-Dup", "one"), ("X-Dup", "two")])
    assert r.status_code == 200, r.text
    assert json.loads(messages(client)[0]["text"]) == ["one", "?a=%C3%A9&b", "/hooks/echo/echo-token?a=%C3%A9&b"]


@pytest.fixture
def raw_app(write_config: Callable[..., Path]) -> Any:
    hub = Hub(load_config(write_config(integration("plain"))))
    app = make_app(hub)
    with TestClient(app):  # runs the lifespan: the hub is started
        yield app


def _scope(path: str, method: str = "POST", headers: list[tuple[bytes, bytes]] | None = None,
           root_path: str = "") -> dict[str, Any]:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
            "path": path, "raw_path": path.encode(), "root_path": root_path, "query_string": b"",
            "headers": headers or [(b"content-type", b"application/json")], "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 80), "state": {}}


async def _call(app: HookhubApp, scope: dict[str, Any], incoming: list[dict[str, Any]]) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


async def test_streamed_body_over_the_limit_is_413_and_closes(raw_app: HookhubApp) -> None:
    chunks = [{"type": "http.request", "body": b"x" * 1000, "more_body": True} for _ in range(10)]
    sent = await _call(raw_app, _scope("/hooks/plain/plain-token"), chunks)
    assert sent[0]["status"] == 413 and (b"connection", b"close") in sent[0]["headers"]
    assert json.loads(sent[1]["body"])["success"] is False
    assert len(chunks) < 6  # refused while streaming, not after reading everything


async def test_a_body_in_chunks_is_joined(raw_app: HookhubApp) -> None:
    body = json.dumps({"text": "chunked"}).encode()
    chunks = [{"type": "http.request", "body": body[:5], "more_body": True},
              {"type": "http.request", "body": body[5:], "more_body": False}]
    sent = await _call(raw_app, _scope("/hooks/plain/plain-token"), chunks)
    assert sent[0]["status"] == 200 and json.loads(sent[1]["body"]) == {"success": True}
    stored = await raw_app.hub.store.messages("#general")
    assert [m["text"] for m in stored] == ["chunked"]


async def test_client_gone_before_the_body_gets_no_answer_and_posts_nothing(raw_app: HookhubApp) -> None:
    sent = await _call(raw_app, _scope("/hooks/plain/plain-token"), [{"type": "http.disconnect"}])
    assert sent == []
    assert await raw_app.hub.store.messages("#general") == []


async def test_an_unexpected_error_is_a_500_envelope_without_traceback(raw_app: HookhubApp,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(hub: Hub, inbound: Any) -> Any:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(hooks_module, "receive", broken)
    sent = await _call(raw_app, _scope("/hooks/plain/plain-token"),
                       [{"type": "http.request", "body": b"{}", "more_body": False}])
    assert sent[0]["status"] == 500
    assert json.loads(sent[1]["body"]) == {"success": False, "error": "internal-error"}


async def test_mounted_under_a_root_path_the_same_endpoint_answers(raw_app: HookhubApp) -> None:
    body = json.dumps({"text": "mounted"}).encode()
    sent = await _call(raw_app, _scope("/chat/hooks/plain/plain-token", root_path="/chat"),
                       [{"type": "http.request", "body": body, "more_body": False}])
    assert sent[0]["status"] == 200 and json.loads(sent[1]["body"]) == {"success": True}
    sent = await _call(raw_app, _scope("/chat/hooks/plain/plain-token", method="HEAD", root_path="/chat"), [])
    assert sent[0]["status"] == 405
    stored = await raw_app.hub.store.messages("#general")
    assert [m["text"] for m in stored] == ["mounted"]
    history = await raw_app.hub.store.history("plain", 10)
    assert history[0]["request"]["path"] == "/hooks/plain/••••"


@pytest.mark.parametrize(("path", "expected"), [
    ("/hooks/a/b", ("/hooks/a/b", ["a", "b"])),
    ("/hooks/a/u/b", ("/hooks/a/u/b", ["a", "u", "b"])),
    ("/hooks/a/b/", ("/hooks/a/b", ["a", "b"])),
    ("/hooks/a/", ("/hooks/a/", None)),
    ("/hooks/a//b", ("/hooks/a//b", None)),
    ("/hooks/a/b/c/d", ("/hooks/a/b/c/d", None)),
])
def test_hook_parts(path: str, expected: tuple[str, list[str] | None]) -> None:
    assert hooks_module.hook_parts(path) == expected
