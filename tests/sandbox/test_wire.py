"""hookhub.sandbox.wire: the spec as sent to workers, and log records as read back (never trusted)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from hookhub.records import Limits
from hookhub.sandbox import channel
from hookhub.sandbox.base import ScriptSpec
from hookhub.sandbox.wire import SAME_BODY, call_kwargs, call_message, log_record, spec_json


def test_a_spec_as_json_round_trips() -> None:
    spec = ScriptSpec("gh", "python", "class Script: pass\n", "gh.py", Limits(timeout_ms=1500),
                      allow_hosts=("api.github.com",), allow_private=True)
    data = json.loads(json.dumps(spec_json(spec)))
    again = ScriptSpec(data["integration_id"], data["engine"], data["source"], data["filename"],
                       Limits(**data["limits"]), tuple(data["allow_hosts"]), data["allow_private"])
    assert again == spec and again.digest == spec.digest


def test_a_well_formed_record() -> None:
    record = log_record({"level": "warn", "ts": 1700000000.5, "message": "careful"})
    assert (record.level, record.ts, record.message) == ("warn", 1700000000.5, "careful")


@pytest.mark.parametrize("level", ["shout", None, 3, ["log"]])
def test_an_unknown_level_becomes_log(level: object) -> None:
    assert log_record({"level": level, "ts": 1.0, "message": "m"}).level == "log"


@pytest.mark.parametrize("ts", [None, "yesterday", True, [1]])
def test_a_bad_timestamp_becomes_now(ts: object) -> None:
    before = time.time()
    assert before <= log_record({"level": "log", "ts": ts, "message": "m"}).ts <= time.time()


def test_an_integer_timestamp_is_a_float() -> None:
    record = log_record({"ts": 12})
    assert record.ts == 12.0 and isinstance(record.ts, float)


def test_a_message_that_is_not_text_is_shown_as_text() -> None:
    assert log_record({"message": {"a": 1}}).message == "{'a': 1}"
    assert log_record({}).message == "None"


def test_a_json_body_goes_once_and_comes_back_as_one_object() -> None:
    content = {"text": "x", "n": [1, {"k": None}]}
    request = {"content": content, "content_raw": "{}", "body": content, "headers": {}}
    message = call_message({"op": "call", "id": 1}, {"request": request})
    assert message[SAME_BODY] is True and message["kwargs"]["request"]["body"] is None
    assert request["body"] is content  # the caller's request is left as it was
    frame = channel.encode_finite(message)
    decoded = channel.decode(frame[4:], fast=True)
    kwargs = call_kwargs(decoded)
    assert kwargs["request"]["body"] is kwargs["request"]["content"]
    assert list(kwargs["request"]) == list(request)  # the key order scripts see is kept
    assert kwargs["request"]["body"] == content and len(frame) < len(channel.encode_finite(
        {"op": "call", "id": 1, "kwargs": {"request": request}}))


@pytest.mark.parametrize("request_", [
    {"content": {"text": "x"}, "body": {"payload": '{"text": "x"}'}},  # a form's payload field
    {"content": {}, "body": {}},  # equal, not the same object
    {"content": "s", "body": "s"},  # not a container
    {"content": {"a": 1}},  # no body
])
def test_other_requests_go_as_they_are(request_: dict[str, Any]) -> None:
    message = call_message({"id": 1}, {"request": request_})
    assert SAME_BODY not in message and message["kwargs"]["request"] is request_
    assert call_kwargs(message) == {"request": request_}


def test_a_worker_never_invents_a_body() -> None:
    assert call_kwargs({SAME_BODY: True, "kwargs": {"request": {"body": 1, "content": 2}}}) == {
        "request": {"body": 1, "content": 2}}
    assert call_kwargs({SAME_BODY: "yes", "kwargs": {"request": {"content": 2, "body": None}}}) == {
        "request": {"content": 2, "body": None}}
    assert call_kwargs({SAME_BODY: True, "kwargs": {"request": {"content": 2}}}) == {"request": {"content": 2}}
    assert call_kwargs({}) == {}
