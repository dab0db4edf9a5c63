"""Odd but possible input gets a clear 400 or is stored safely, never a 500 (issue #13, point 4)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from hookhub.bodies import MAX_JSON_DEPTH, json_depth_exceeds, loads_untrusted, parse_body

from .conftest import AUTH, integration, messages

Client = Callable[..., TestClient]

ECHO = """
class Script:
    def process_incoming_request(self, request):
        return {"content": {"text": "q=" + str(len(str(request.query)))}}
"""


def test_loads_untrusted_replaces_lone_surrogates_and_keeps_pairs() -> None:
    assert loads_untrusted('{"t": "\\ud800", "\\udfff": ["a\\ud83d"], "ok": "\\ud83d\\ude00"}') == {
        "t": "\ufffd", "\ufffd": ["a\ufffd"], "ok": "\U0001F600"}
    assert loads_untrusted('{"plain": "é"}') == {"plain": "é"}


def test_loads_untrusted_refuses_deep_nesting_without_recursion() -> None:
    assert loads_untrusted("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH) is not None
    for depth in (MAX_JSON_DEPTH + 1, 3000, 200_000):
        with pytest.raises(ValueError, match="nested more than 128 levels"):
            loads_untrusted('{"a":' * depth + "1" + "}" * depth)
    deep: list[object] = []
    for _ in range(5000):
        deep = [deep]
    assert json_depth_exceeds(deep, 4999) and not json_depth_exceeds(deep, 5001)


@pytest.mark.parametrize("body", ['{"text": "\\ud800"}', '{"text": "x", "attachments": [{"text": "\\udc00"}]}'])
def test_lone_surrogate_on_a_no_script_hook_is_stored_safely(make_client: Client, body: str) -> None:
    client = make_client(integration("plain"))
    r = client.post("/hooks/plain/plain-token", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    assert "\ufffd" in json.dumps(messages(client)[0], ensure_ascii=False)
    [entry] = client.get("/api/v1/integrations/plain/history", headers=AUTH).json()["history"]
    assert entry["status"] == 200


def test_lone_surrogate_in_a_payload_form_field(make_client: Client) -> None:
    client = make_client(integration("plain"))
    r = client.post("/hooks/plain/plain-token", content=b'payload=%7B%22text%22%3A%22%5Cud800%22%7D',
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200, r.text
    assert messages(client)[0]["text"] == "\ufffd"


def test_deep_json_is_a_clear_400(make_client: Client) -> None:
    client = make_client(integration("plain"))
    body = '{"text": "x", "a": ' + "[" * 1900 + "]" * 1900 + "}"  # (the test server takes 4 KiB bodies)
    r = client.post("/hooks/plain/plain-token", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "nested more than 128 levels" in r.json()["error"]
    assert parse_body(body.encode(), "application/json").problem is not None


@pytest.mark.parametrize("levels", [40, 980, 5000])
def test_deep_query_string_is_a_clear_400(make_client: Client, levels: int) -> None:
    client = make_client(integration("echo", ECHO))
    r = client.post("/hooks/echo/echo-token?a" + "[x]" * levels + "=1", json={})
    assert r.status_code == 400 and "levels of [brackets]" in r.json()["error"], r.text
    r = client.post("/hooks/echo/echo-token?a" + "[x]" * 32 + "=1", json={})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("body", [
    '{"channel": "#general", "text": "\\ud800"}',
    '{"channel": "#general", "text": "x", "attachments": [{"text": "\\udfff", "fields": []}]}',
])
def test_chat_post_message_with_a_lone_surrogate_is_stored_safely(make_client: Client, body: str) -> None:
    client = make_client(integration("plain"))
    r = client.post("/api/v1/chat.postMessage", content=body, headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    assert "\ufffd" in json.dumps(messages(client)[0], ensure_ascii=False)


@pytest.mark.parametrize("body", [
    '{"channel": "#general", "text": "x", "a": ' + "[" * 3000 + "]" * 3000 + "}",
    '{"channel": "#general", "text": "x", "a": ' + "[" * 200_000 + "]" * 200_000 + "}",
    b'{"channel": "#general", "text": "\xff"}',
])
def test_chat_post_message_deep_or_undecodable_is_a_clear_400(make_client: Client, body: str | bytes) -> None:
    client = make_client(integration("plain"))
    r = client.post("/api/v1/chat.postMessage", content=body, headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"].startswith("invalid JSON body: "), r.text


def test_a_script_returning_a_lone_surrogate_does_not_500(make_client: Client) -> None:
    script = """
class Script:
    def process_incoming_request(self, request):
        return {"content": {"text": "bad " + chr(0xD800)}}
"""
    client = make_client(integration("sur", script))
    r = client.post("/hooks/sur/sur-token", json={})
    assert r.status_code in (200, 400) and r.status_code < 500, r.text
