"""HTTP contract: routes, status codes and bodies (CONTRACT §1, §2, §3, §5, §6)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from ..conftest import AUTH, integration, messages

ECHO = """
import json
class Script:
    def process_incoming_request(self, request):
        return {"content": {"text": json.dumps({
            "url": request.url, "url_raw": request.url_raw, "url_params": request.url_params,
            "content": request.content, "content_raw": request.content_raw, "headers": request.headers,
            "body": request.body, "user": request.user})}}
"""

RETURN = """
import json
class Script:
    def process_incoming_request(self, request):
        return json.loads(request.content_raw)
"""

Client = Callable[..., TestClient]
NOT_FOUND = {"success": False, "error": "Invalid integration id or token provided."}


def echoed(client: TestClient) -> dict[str, Any]:
    return json.loads(messages(client)[0]["text"])  # type: ignore[no-any-return]


# -- §1 routes ---------------------------------------------------------------


def test_post_without_script_posts_the_body(make_client: Client) -> None:
    client = make_client(integration("plain"))
    r = client.post("/hooks/plain/plain-token", json={"text": "hello"})
    assert r.status_code == 200 and r.json() == {"success": True}
    [msg] = messages(client)
    assert msg["text"] == "hello" and msg["bot"] == {"i": "plain"} and msg["u"]["username"] == "rocket.cat"


def test_legacy_route_with_user_id(make_client: Client) -> None:
    client = make_client(integration("echo", ECHO))
    r = client.post("/hooks/echo/someuser/echo-token", json={"text": "x"})
    assert r.status_code == 200, r.text
    assert echoed(client)["url_params"] == {"integrationId": "echo", "token": "echo-token", "userId": "someuser"}


def test_get_runs_the_script_with_empty_content(make_client: Client) -> None:
    client = make_client(integration("echo", ECHO))
    r = client.get("/hooks/echo/echo-token?a=1")
    assert r.status_code == 200, r.text
    seen = echoed(client)
    assert seen["content"] == {} and seen["content_raw"] == "" and seen["url"]["query"] == {"a": "1"}


@pytest.mark.parametrize("path", ["/hooks/nope/plain-token", "/hooks/plain/wrong", "/hooks/plain/x/wrong",
                                  "/hooks/plain/plain-token-extra"])
def test_unknown_id_or_wrong_token_is_404_with_the_same_body(make_client: Client, path: str) -> None:
    client = make_client(integration("plain"))
    r = client.post(path, json={"text": "x"})
    assert r.status_code == 404 and r.json() == NOT_FOUND


def test_token_is_url_decoded(make_client: Client) -> None:
    client = make_client(integration("plain", token="a b+c"))
    assert client.post("/hooks/plain/a%20b+c", json={"text": "x"}).status_code == 200


def test_outgoing_integration_has_no_hook_url(make_client: Client) -> None:
    out = "  - id: out\n    type: outgoing\n    event: sendMessage\n    token: out-token\n    urls: [\"http://127.0.0.1:9/x\"]\n"
    client = make_client(out)
    assert client.post("/hooks/out/out-token", json={"text": "x"}).json() == NOT_FOUND


def test_disabled_integration_is_503(make_client: Client) -> None:
    client = make_client(integration("plain", enabled=False))
    r = client.post("/hooks/plain/plain-token", json={"text": "x"})
    assert r.status_code == 503 and r.json() == {"success": False, "error": "Service Unavailable"}


def test_disabled_with_wrong_token_is_still_404(make_client: Client) -> None:
    client = make_client(integration("plain", enabled=False))
    assert client.post("/hooks/plain/bad", json={"text": "x"}).status_code == 404


def test_body_over_the_limit_by_content_length_is_413(make_client: Client) -> None:
    client = make_client(integration("plain"))
    r = client.post("/hooks/plain/plain-token", content=b"x" * 5000, headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.json() == {"success": False, "error": "request body larger than 4096 bytes (server.max_body_bytes)"}
    assert messages(client) == []


def test_body_over_the_limit_while_streaming_is_413(make_client: Client) -> None:
    client = make_client(integration("plain"))

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(10):
            yield b"x" * 1000

    r = client.post("/hooks/plain/plain-token", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["success"] is False


@pytest.mark.parametrize(("method", "path", "body"), [
    ("POST", "/hooks/plain/plain-token", {"text": "x"}),
    ("POST", "/hooks/plain/bad", {"text": "x"}),
    ("POST", "/hooks/plain/plain-token", {"nothing": 1}),
    ("GET", "/api/v1/integrations", None),
    ("GET", "/healthz", None),
    ("GET", "/nowhere", None),
])
def test_every_json_response_has_type_and_no_store(make_client: Client, method: str, path: str,
                                                   body: Any) -> None:
    client = make_client(integration("plain"))
    r = client.request(method, path, json=body)
    assert r.headers["content-type"] == "application/json"
    assert r.headers["cache-control"] == "no-store"
    assert r.json()["success"] in (True, False)


def test_unknown_route_and_method_use_the_envelope(make_client: Client) -> None:
    client = make_client(integration("plain"))
    assert client.get("/nowhere").json() == {"success": False, "error": "not found"}
    r = client.put("/hooks/plain/plain-token")
    assert r.status_code == 405 and r.json() == {"success": False, "error": "method PUT not allowed"}


def test_rate_limit_is_off_unless_configured(make_client: Client) -> None:
    client = make_client(integration("plain"))
    for _ in range(12):
        r = client.post("/hooks/plain/plain-token", json={"text": "x"})
        assert r.status_code == 200 and "x-ratelimit-limit" not in r.headers


def test_rate_limit_answers_429_with_headers(make_client: Client) -> None:
    client = make_client(integration("plain", rate_limit="{calls: 2, per_seconds: 60}"))
    ok = [client.post("/hooks/plain/plain-token", json={"text": "x"}) for _ in range(2)]
    assert [r.status_code for r in ok] == [200, 200]
    assert ok[1].headers["x-ratelimit-limit"] == "2" and ok[1].headers["x-ratelimit-remaining"] == "0"
    r = client.post("/hooks/plain/plain-token", json={"text": "x"})
    assert r.status_code == 429 and r.json() == {"success": False, "error": "rate limit exceeded"}
    assert r.headers["x-ratelimit-limit"] == "2" and r.headers["x-ratelimit-remaining"] == "0"
    assert int(r.headers["x-ratelimit-reset"]) > 0
    assert len(messages(client)) == 2


# -- §2 bodies ---------------------------------------------------------------


def test_payload_form_field(make_client: Client) -> None:
    client = make_client(integration("plain"))
    r = client.post("/hooks/plain/plain-token", data={"payload": json.dumps({"text": "slack style"})})
    assert r.status_code == 200
    assert messages(client)[0]["text"] == "slack style"


def test_raw_text_reaches_the_script(make_client: Client) -> None:
    client = make_client(integration("echo", ECHO))
    r = client.post("/hooks/echo/echo-token", content=b"<xml>hi</xml>", headers={"Content-Type": "text/xml"})
    assert r.status_code == 200
    seen = echoed(client)
    assert seen["content"] == {} and seen["content_raw"] == "<xml>hi</xml>"


def test_invalid_json_without_script_is_400(make_client: Client) -> None:
    client = make_client(integration("plain"))
    r = client.post("/hooks/plain/plain-token", content=b"hello", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.json() == {"success": False, "error": "invalid JSON body: Expecting value: line 1 column 1"}


def test_json_array_without_script_is_400(make_client: Client) -> None:
    client = make_client(integration("plain"))
    r = client.post("/hooks/plain/plain-token", json=[1, 2])
    assert r.status_code == 400 and r.json()["error"] == "the JSON body must be an object, got an array"


def test_invalid_json_with_script_still_runs_the_script(make_client: Client) -> None:
    client = make_client(integration("echo", ECHO))
    r = client.post("/hooks/echo/echo-token", content=b"{broken", headers={"Content-Type": "application/json"})
    assert r.status_code == 200
    assert echoed(client)["content_raw"] == "{broken"


def test_invalid_utf8_never_crashes(make_client: Client) -> None:
    client = make_client(integration("echo", ECHO), integration("plain"))
    r = client.post("/hooks/echo/echo-token", content=b'{"text": "caf\xe9"}',
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 200
    assert echoed(client)["content"] == {"text": "caf\ufffd"}
    r = client.post("/hooks/plain/plain-token", content=b"\xff\xfe\x00garbage",
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["success"] is False


# -- §3 the request object ------------------------------------------------------


def test_request_object_fields(make_client: Client) -> None:
    client = make_client(integration("echo", ECHO))
    client.post("/hooks/echo/echo-token?a=1&a=2&b[c]=3", json={"text": "x"}, headers={"X-Custom": "Yes"})
    seen = echoed(client)
    assert seen["url"] == {"hash": "", "search": "?a=1&a=2&b[c]=3", "query": {"a": ["1", "2"], "b": {"c": "3"}},
                           "pathname": "/hooks/echo/echo-token", "path": "/hooks/echo/echo-token?a=1&a=2&b[c]=3"}
    assert seen["url_raw"] == seen["url"]["path"]
    assert seen["url_params"] == {"integrationId": "echo", "token": "echo-token"}
    assert seen["content"] == seen["body"] == {"text": "x"}
    assert seen["headers"]["x-custom"] == "Yes" and seen["headers"]["content-type"] == "application/json"
    assert seen["user"] == {"_id": "rocket.cat", "name": "Rocket Cat", "username": "rocket.cat"}


def test_request_object_is_read_only_and_attribute_style(make_client: Client) -> None:
    script = """
    class Script:
        def process_incoming_request(self, request):
            try:
                request.content["text"] = "changed"
                changed = "yes"
            except Exception:
                changed = "no"
            return {"content": {"text": changed + " " + str(request.content.missing) + " " + request["content"]["text"]}}
    """
    client = make_client(integration("ro", script))
    client.post("/hooks/ro/ro-token", json={"text": "orig"})
    assert messages(client)[0]["text"] == "no None orig"


# -- §4/§5 scripts and return values ----------------------------------------------

@pytest.mark.parametrize(("returned", "status", "body"), [
    (None, 200, {"success": True}),
    (False, 200, {"success": True}),
    (0, 200, {"success": True}),
    ("", 200, {"success": True}),
    ({"error": "bad thing"}, 400, {"success": False, "error": "bad thing"}),
    ({"error": {"code": 7, "why": "no"}}, 400, {"code": 7, "why": "no", "success": False}),
    ({}, 400, {"success": False, "error": "error-running-script"}),
    ({"content": "x"}, 400, {"success": False, "error": "error-running-script"}),
    ([1, 2], 400, {"success": False, "error": "error-running-script"}),
    ({"content": {"text": "hi"}}, 200, {"success": True}),
    ({"content": {"text": "hi"}, "response": {"extra": 1}}, 200, {"extra": 1, "success": True}),
    ({"content": {"text": "hi"}, "response": {"success": False}}, 200, {"success": True}),
])
def test_return_value_table(make_client: Client, returned: Any, status: int, body: dict[str, Any]) -> None:
    client = make_client(integration("ret", RETURN))
    r = client.post("/hooks/ret/ret-token", content=json.dumps(returned).encode(),
                    headers={"Content-Type": "text/plain"})
    assert (r.status_code, r.json()) == (status, body)
    posted = messages(client)
    assert len(posted) == (1 if status == 200 and isinstance(returned, dict) and "content" in returned else 0)


def test_script_that_raises_is_400_and_the_traceback_goes_to_the_log(make_client: Client) -> None:
    script = """
    class Script:
        def process_incoming_request(self, request):
            secret_value = 1 / 0
    """
    client = make_client(integration("boom", script))
    r = client.post("/hooks/boom/boom-token", json={"text": "x"})
    assert (r.status_code, r.json()) == (400, {"success": False, "error": "error-running-script"})
    assert "ZeroDivisionError" not in r.text and "Traceback" not in r.text
    logs = client.get("/api/v1/integrations/boom/logs", headers=AUTH).json()["logs"]
    assert logs[0]["level"] == "error" and "ZeroDivisionError" in logs[0]["message"]
    assert logs[0]["request_id"]


def test_compile_error_is_400_error_evaluating_script(make_client: Client) -> None:
    client = make_client(integration("bad", "class Script:\n    def process_incoming_request(self, request)\n"),
                         integration("plain"))
    r = client.post("/hooks/bad/bad-token", json={"text": "x"})
    assert (r.status_code, r.json()) == (400, {"success": False, "error": "error-evaluating-script"})
    # the server still serves the others
    assert client.post("/hooks/plain/plain-token", json={"text": "x"}).status_code == 200
    listed = {i["id"]: i for i in client.get("/api/v1/integrations", headers=AUTH).json()["integrations"]}
    assert "line 2" in listed["bad"]["compile_error"] or ":2" in listed["bad"]["compile_error"]


def test_no_script_class_is_error_evaluating_script(make_client: Client) -> None:
    client = make_client(integration("noclass", "x = 1\n"))
    r = client.post("/hooks/noclass/noclass-token", json={"text": "x"})
    assert (r.status_code, r.json()) == (400, {"success": False, "error": "error-evaluating-script"})


def test_console_store_and_self_state_across_calls(make_client: Client) -> None:
    script = """
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
    """
    client = make_client(integration("state", script))
    for _ in range(3):
        assert client.post("/hooks/state/state-token", json={}).status_code == 200
    assert [m["text"] for m in messages(client)] == ["3/3", "2/2", "1/1"]
    logs = client.get("/api/v1/integrations/state/logs", headers=AUTH).json()["logs"]
    assert logs[0] == {"level": "warn", "ts": logs[0]["ts"], "message": "careful", "request_id": logs[0]["request_id"]}
    assert logs[1]["level"] == "log" and logs[1]["message"] == 'call 3 {"total": 3}'


def test_none_values_in_content_are_dropped(make_client: Client) -> None:
    script = """
    class Script:
        def process_incoming_request(self, request):
            return {"content": {"text": "t", "alias": None, "attachments": [{"title": "a", "text": None}]}}
    """
    client = make_client(integration("nones", script, alias="Integration Alias"))
    assert client.post("/hooks/nones/nones-token", json={}).status_code == 200
    msg = messages(client)[0]
    assert msg["alias"] == "Integration Alias" and msg["attachments"] == [{"title": "a"}]


def test_saturated_integration_is_503_while_a_neighbour_still_answers(make_client: Client) -> None:
    import threading
    import time
    loop = """
    class Script:
        def process_incoming_request(self, request):
            while True:
                pass
    """
    client = make_client(integration("busy", loop, concurrency=1, queue=0, timeout_ms=1500),
                         integration("plain"), mode="process")
    first: list[Any] = []
    worker = threading.Thread(target=lambda: first.append(client.post("/hooks/busy/busy-token", json={})))
    worker.start()
    time.sleep(0.5)
    r = client.post("/hooks/busy/busy-token", json={})
    assert r.status_code == 503
    assert r.json() == {"success": False, "error": "integration busy: too many calls in flight or queued; retry later"}
    assert client.post("/hooks/plain/plain-token", json={"text": "still here"}).status_code == 200
    worker.join()
    assert (first[0].status_code, first[0].json()) == (400, {"success": False, "error": "error-running-script"})
    logs = client.get("/api/v1/integrations/busy/logs", headers=AUTH).json()["logs"]
    assert any("1500 ms" in entry["message"] for entry in logs), logs


@pytest.mark.parametrize("mode", ["process", "inprocess"])
def test_store_survives_a_restart(make_client: Client, mode: str) -> None:
    script = """
    class Script:
        def process_incoming_request(self, request):
            seen = Store.set("seen", (Store.get("seen") or 0) + 1)
            return {"content": {"text": f"seen {seen}"}}
    """
    first = make_client(integration("count", script), mode=mode)
    for _ in range(2):
        assert first.post("/hooks/count/count-token", json={}).status_code == 200
    first.__exit__(None, None, None)
    again = make_client(integration("count", script), mode=mode)  # same folder, same SQLite file
    assert again.post("/hooks/count/count-token", json={}).status_code == 200
    assert messages(again)[0]["text"] == "seen 3"


def test_random_garbage_never_gets_a_500(make_client: Client) -> None:
    import random
    rng = random.Random(1234)
    client = make_client(integration("echo", ECHO), integration("plain"))
    media = ["application/json", "application/x-www-form-urlencoded", "text/plain", "", "multipart/form-data",
             "application/json; charset=latin-1", "application/vnd.x+json", "\x00weird"]
    samples = [b"", b"{", b"[]", b'{"text": 1e999}', b'{"text": NaN}', b"payload=%7B", b"payload=[1]",
               b"a=1&a=2&b", b'{"channel": ["#general", 5]}', b'{"attachments": [{"fields": [null]}]}',
               b'{"text": "' + b"\xf0\x28\x8c\x28" + b'"}', b'"just a string"', b"null", b"1" * 3000]
    for _ in range(150):
        body = rng.choice(samples) if rng.random() < 0.6 else bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 300)))
        hook = rng.choice(["/hooks/echo/echo-token", "/hooks/plain/plain-token"])
        query = rng.choice(["", "?a=1", "?a[b][c]=%ff", "?" + "x" * 500, "?%zz=1&&=&"])
        headers = {"Content-Type": rng.choice(media)} if rng.random() < 0.9 else {}
        r = client.post(hook + query, content=body, headers=headers)
        assert r.status_code in (200, 400, 413), (r.status_code, r.text, body, headers)
        assert r.headers["content-type"] == "application/json"
        assert "Traceback" not in r.text
        assert isinstance(r.json()["success"], bool)
