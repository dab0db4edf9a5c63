"""The script contract (CONTRACT §3–§5) pinned for both engines, so they cannot drift apart.

Each behaviour has a Python script and the Rocket.Chat JavaScript equivalent;
every test runs both, in the worker pool, and expects the same answers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from .conftest import AUTH, integration, messages

Client = Callable[..., TestClient]

SCRIPTS: dict[str, dict[str, str]] = {
    "echo": {
        "python": """
import json
class Script:
    def process_incoming_request(self, request):
        return {"content": {"text": json.dumps({
            "url": request.url, "url_raw": request.url_raw, "url_params": request.url_params,
            "content": request.content, "content_raw": request.content_raw, "headers": request.headers,
            "body": request.body, "user": request.user}, sort_keys=True)}}
""",
        "javascript": """
class Script {
  process_incoming_request({ request }) {
    const { url, url_raw, url_params, content, content_raw, headers, body, user } = request;
    const sorted = (v) => Array.isArray(v) ? v.map(sorted) : (v && typeof v === 'object')
      ? Object.keys(v).sort().reduce((o, k) => { o[k] = sorted(v[k]); return o; }, {}) : v;
    return { content: { text: JSON.stringify(sorted({ url, url_raw, url_params, content, content_raw,
                                                      headers, body, user })) } };
  }
}
""",
    },
    "keys": {
        "python": """
class Script:
    def process_incoming_request(self, request):
        return {"content": {"text": " ".join(request.keys())}}
""",
        "javascript": """
class Script {
  process_incoming_request({ request }) {
    return { content: { text: Object.keys(request).join(' ') } };
  }
}
""",
    },
    "return": {
        "python": """
import json
class Script:
    def process_incoming_request(self, request):
        return json.loads(request.content_raw)
""",
        "javascript": """
class Script {
  process_incoming_request({ request }) {
    return JSON.parse(request.content_raw);
  }
}
""",
    },
    "raise": {
        "python": """
class Script:
    def process_incoming_request(self, request):
        raise ValueError("bad payload: " + request.content.text)
""",
        "javascript": """
class Script {
  process_incoming_request({ request }) {
    throw new Error('bad payload: ' + request.content.text);
  }
}
""",
    },
    "state": {
        "python": """
class Script:
    def __init__(self):
        self.count = 0
    def process_incoming_request(self, request):
        self.count += 1
        total = (Store.get("total") or 0) + 1
        Store.set("total", total)
        console.log("call", self.count, {"total": total})
        console.warn("careful")
        return {"content": {"text": f"{self.count}/{total}"}}
""",
        "javascript": """
class Script {
  constructor() { this.count = 0; }
  process_incoming_request({ request }) {
    this.count += 1;
    const total = (Store.get('total') || 0) + 1;
    Store.set('total', total);
    console.log('call', this.count, { total });
    console.warn('careful');
    return { content: { text: `${this.count}/${total}` } };
  }
}
""",
    },
    "override": {
        "python": """
class Script:
    def process_incoming_request(self, request):
        return {"content": {"text": "moved", "channel": request.content.to, "alias": None}}
""",
        "javascript": """
class Script {
  process_incoming_request({ request }) {
    return { content: { text: 'moved', channel: request.content.to, alias: undefined } };
  }
}
""",
    },
    "syntax": {
        "python": "class Script:\n    def process_incoming_request(self, request)\n        return None\n",
        "javascript": "class Script {\n  process_incoming_request({ request ) {\n    return null;\n  }\n}\n",
    },
    "noclass": {
        "python": "x = 1\n",
        "javascript": "const x = 1;\n",
    },
}

ENGINES = ["python", "javascript"]


def hook(name: str, engine: str, **fields: Any) -> str:
    return integration(name, SCRIPTS[name][engine], script_engine=engine, **fields)


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_request_object_is_the_same_in_both_engines(make_client: Client) -> None:
    seen = {}
    for engine in ENGINES:
        client = make_client(hook("echo", engine), mode="process")
        r = client.post("/hooks/echo/echo-token?a=1&a=2&b[c]=3", json={"text": "x", "n": [1, {"k": None}]},
                        headers={"X-Custom": "Yes"})
        assert r.status_code == 200, r.text
        seen[engine] = json.loads(messages(client)[0]["text"])
    assert seen["python"] == seen["javascript"]
    assert seen["python"]["url"]["query"] == {"a": ["1", "2"], "b": {"c": "3"}}
    assert seen["python"]["headers"]["x-custom"] == "Yes"


def test_request_body_and_content_cross_the_sandbox_boundary_whole(make_client: Client) -> None:
    # a JSON body is sent to the worker once (request.body is request.content); a form's payload
    # field is not: request.body keeps the form, request.content the JSON in it
    payload = {"text": "x", "n": [1, {"k": None, "deep": [[["é"]]]}]}
    for engine in ENGINES:
        client = make_client(hook("echo", engine), mode="process")
        assert client.post("/hooks/echo/echo-token", json=payload).status_code == 200
        seen = json.loads(messages(client)[0]["text"])
        assert seen["content"] == seen["body"] == payload, engine
        form = "payload=" + json.dumps({"text": "from a form"})
        r = client.post("/hooks/echo/echo-token", content=form,
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status_code == 200, r.text
        seen = json.loads(messages(client)[0]["text"])
        assert seen["content"] == {"text": "from a form"}, engine
        assert seen["body"] == {"payload": json.dumps({"text": "from a form"})}, engine
        keys = make_client(hook("keys", engine), mode="process")
        assert keys.post("/hooks/keys/keys-token", json=payload).status_code == 200
        assert messages(keys)[0]["text"] == "url url_raw url_params content content_raw headers body user", engine


@pytest.mark.parametrize(("returned", "status", "body"), [
    (None, 200, {"success": True}),
    (False, 200, {"success": True}),
    (0, 200, {"success": True}),
    ("", 200, {"success": True}),
    ({"error": "bad thing"}, 400, {"success": False, "error": "bad thing"}),
    ({"error": {"code": 7}}, 400, {"code": 7, "success": False}),
    ({}, 400, {"success": False, "error": "error-running-script"}),
    ({"content": "x"}, 400, {"success": False, "error": "error-running-script"}),
    ([1], 400, {"success": False, "error": "error-running-script"}),
    ({"content": {"text": "hi"}}, 200, {"success": True}),
    ({"content": {"text": "hi"}, "response": {"extra": 1}}, 200, {"extra": 1, "success": True}),
    ({"content": {"text": "hi"}, "response": {"success": False}}, 200, {"success": True}),
])
def test_return_values(make_client: Client, engine: str, returned: Any, status: int, body: dict[str, Any]) -> None:
    client = make_client(hook("return", engine), mode="process")
    r = client.post("/hooks/return/return-token", content=json.dumps(returned).encode(),
                    headers={"Content-Type": "text/plain"})
    assert (r.status_code, r.json()) == (status, body)


def test_exceptions_go_to_the_log_not_the_caller(make_client: Client, engine: str) -> None:
    client = make_client(hook("raise", engine), mode="process")
    r = client.post("/hooks/raise/raise-token", json={"text": "secret-ish"})
    assert (r.status_code, r.json()) == (400, {"success": False, "error": "error-running-script"})
    [entry] = client.get("/api/v1/integrations/raise/logs", headers=AUTH).json()["logs"]
    assert entry["level"] == "error" and "bad payload: secret-ish" in entry["message"]
    assert ":3" in entry["message"] or "line 3" in entry["message"]  # where it was raised


def test_state_store_and_console(make_client: Client, engine: str) -> None:
    client = make_client(hook("state", engine, concurrency=1), mode="process")
    for _ in range(3):
        assert client.post("/hooks/state/state-token", json={}).status_code == 200
    texts = [m["text"] for m in messages(client)]
    assert texts[-1] == "1/1" and texts[0].endswith("/3")
    logs = client.get("/api/v1/integrations/state/logs", headers=AUTH).json()["logs"]
    assert [(e["level"], e["message"]) for e in logs[:2]] == [("warn", "careful"), ("log", 'call ' + texts[0].split("/")[0] + ' {"total": 3}')]


def test_channel_override_and_undefined_values(make_client: Client, engine: str) -> None:
    client = make_client(hook("override", engine, alias="Default"), mode="process")
    r = client.post("/hooks/override/override-token", json={"to": "#notifications"})
    assert (r.status_code, r.json()["error"]) == (400, "overriding destination channel is disabled for this integration")
    client = make_client(hook("override", engine, alias="Default", override_destination_channel=True), mode="process")
    assert client.post("/hooks/override/override-token", json={"to": "#notifications"}).status_code == 200
    [msg] = messages(client, "notifications")
    assert msg["text"] == "moved" and msg["alias"] == "Default"


@pytest.mark.parametrize("name", ["syntax", "noclass"])
def test_scripts_that_do_not_compile(make_client: Client, engine: str, name: str) -> None:
    client = make_client(hook(name, engine), mode="process")
    r = client.post(f"/hooks/{name}/{name}-token", json={"text": "x"})
    assert (r.status_code, r.json()) == (400, {"success": False, "error": "error-evaluating-script"})
    listed = {i["id"]: i for i in client.get("/api/v1/integrations", headers=AUTH).json()["integrations"]}
    assert listed[name]["compile_error"]
    if name == "syntax":
        assert ":2" in listed[name]["compile_error"]


def test_form_encoded_payload(make_client: Client, engine: str) -> None:
    client = make_client(hook("echo", engine), mode="process")
    r = client.post("/hooks/echo/echo-token", data={"payload": json.dumps({"text": "slack"})})
    assert r.status_code == 200
    assert json.loads(messages(client)[0]["text"])["content"] == {"text": "slack"}


def test_get_runs_with_empty_content(make_client: Client, engine: str) -> None:
    client = make_client(hook("echo", engine), mode="process")
    assert client.get("/hooks/echo/echo-token").status_code == 200
    seen = json.loads(messages(client)[0]["text"])
    assert seen["content"] == {} and seen["content_raw"] == ""
