"""fetch() in the JavaScript engine: async Rocket.Chat 6/7 scripts against a real HTTP server on 127.0.0.1,
under the integration's egress policy, timeout and limits (the same as HTTP())."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from hookhub.egress import MAX_RESPONSE_BYTES, perform
from hookhub.engines.base import ScriptEnv
from hookhub.errors import ScriptRunError

from ..conftest import messages
from ..httpd import QuietHandler, base_url, serving
from .test_javascript import SCRIPTS, _js, incoming, inline, load


class _Api(QuietHandler):
    def _answer(self) -> None:
        url = urlsplit(self.path)
        body = self.request_body().decode() or None
        if url.path == "/users/missing":
            self.send_body(404, b"no such user", "text/plain")
        elif url.path == "/slow":
            time.sleep(3)
            self.send_body(200, b"{}")
        elif url.path == "/big":
            self.send_body(200, b"x" * (MAX_RESPONSE_BYTES + 10), "text/plain")
        elif url.path == "/moved":
            self.send_body(302, b"", headers={"Location": "/users/redirected"})
        else:
            echo = {"path": url.path, "query": parse_qs(url.query), "method": self.command,
                    "auth": self.headers.get("Authorization"), "contentType": self.headers.get("Content-Type"),
                    "body": body}
            self.send_body(200, json.dumps(echo).encode(), headers={"X-RateLimit-Remaining": "4999"})

    do_GET = do_POST = do_PUT = _answer


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    with serving(_Api) as httpd:
        yield base_url(httpd)


def _env(allow_private: bool = True, name: str = "fetch") -> ScriptEnv:
    return ScriptEnv(name, http=lambda method, url, options: perform(
        method, url, options, allow_hosts=["127.0.0.1"], allow_private=allow_private, timeout_s=5))


def test_async_script_with_fetch(api: str) -> None:
    content = incoming(load("modern_fetch.js", _env()), {"api": api, "user": "ann lee"})["content"]
    assert content["text"] == "user ann lee (GET /users/ann%20lee)"
    assert content["echoed"]["query"] == {"expand": ["teams"]} and content["echoed"]["auth"] == "token abc"
    assert content["limit"] == "4999"
    assert content["audit"] == {"status": 200, "ok": True, "body": '{"seen":"ann lee"}', "type": "application/json"}


def test_http_error_statuses_resolve_with_ok_false(api: str) -> None:
    content = incoming(load("modern_fetch.js", _env()), {"api": api, "user": "missing"})["content"]
    assert content["text"] == "404 Not Found: no such user"


def test_refused_requests_reject_with_a_type_error(api: str) -> None:
    env = _env(allow_private=False)
    content = incoming(load("modern_fetch.js", env), {"api": api, "user": "ann"})["content"]
    assert content["text"].startswith("lookup failed: fetch failed: egress refused: host '127.0.0.1' resolves to "
                                      "127.0.0.1 (loopback)")
    assert env.console.take()[0].level == "error"
    disabled = incoming(load("modern_fetch.js", ScriptEnv("off")), {"api": api, "user": "ann"})["content"]
    assert disabled["text"] == "lookup failed: fetch failed: HTTP is disabled for this integration (http.allow_hosts)"


def test_response_and_headers_objects(api: str) -> None:
    script = inline("""class Script {
      async process_incoming_request({ request }) {
        const base = request.content.api;
        const res = await fetch(base + '/echo', { method: 'PUT', body: 'raw', headers: { 'X-A': '1' } });
        const copy = res.clone();
        const text = await res.text();
        let again;
        try { await res.json(); } catch (e) { again = e.name + ': ' + e.message; }
        const h = new Headers({ 'X-One': 'a' });
        h.append('x-one', 'b');
        const big = await fetch(base + '/big').catch((e) => e.message);
        const moved = await fetch(base + '/moved');
        const manual = await fetch(base + '/moved', { redirect: 'manual' });
        return { content: { text: 'ok', method: JSON.parse(text).method, copy: (await copy.json()).body,
          used: [res.bodyUsed, copy.bodyUsed], again, joined: h.get('X-ONE'), has: h.has('x-two'),
          names: [...h.keys()], type: res.headers.get('content-type'), tag: String(res), status: res.statusText,
          big, moved: (await moved.json()).path, manual: [manual.status, manual.ok, manual.headers.get('location')],
          made: new Response('{"a":1}', { status: 201 }).ok } };
      }
    }""", _env())
    content = incoming(script, {"api": api})["content"]
    assert content == {
        "text": "ok", "method": "PUT", "copy": "raw", "used": [True, True],
        "again": "TypeError: Body is unusable: Body has already been read", "joined": "a, b", "has": False,
        "names": ["x-one"], "type": "application/json", "tag": "[object Response]", "status": "OK",
        "big": f"fetch failed: egress refused: response larger than {MAX_RESPONSE_BYTES} bytes",
        "moved": "/users/redirected", "manual": [302, False, "/users/redirected"], "made": True,
    }


def test_fetch_is_bounded_by_the_integrations_timeout(api: str) -> None:
    script = inline("""class Script { async process_incoming_request({ request }) {
      await fetch(request.content.api + '/slow');
      return { content: { text: 'late' } };
    } }""", _env(), timeout_ms=300)
    assert not script.interruptible  # it calls into Python: bounded by a wall-clock wait
    started = time.monotonic()
    with pytest.raises(ScriptRunError, match="timed out after 300 ms"):
        incoming(script, {"api": api})
    assert time.monotonic() - started < 2.5
    # the option of node-fetch bounds one request
    quick = inline("""class Script { async process_incoming_request({ request }) {
      const r = await fetch(request.content.api + '/slow', { timeout: 200 }).catch((e) => e.message);
      return { content: { text: r } };
    } }""", _env())
    assert incoming(quick, {"api": api})["content"]["text"] == "fetch failed: timed out after 200 ms"


def test_fetch_through_the_worker_pool_and_the_server(make_client: Any, api: str) -> None:
    """In production the call is forwarded from the worker to the server, which applies the egress policy."""
    script = (SCRIPTS / "modern_fetch.js").read_text("utf-8")
    client = make_client(
        _js("modern", script, http='{allow_hosts: ["127.0.0.1"], allow_private: true}'),
        _js("closed", script, http='{allow_hosts: ["127.0.0.1"]}'),
        mode="process")
    r = client.post("/hooks/modern/modern-token", json={"api": api, "user": "ann"})
    assert (r.status_code, r.json()) == (200, {"success": True})
    assert messages(client)[0]["text"] == "user ann (GET /users/ann)"
    closed = client.post("/hooks/closed/closed-token", json={"api": api, "user": "ann"})
    assert closed.status_code == 200
    assert messages(client)[0]["text"].startswith("lookup failed: fetch failed: egress refused")
