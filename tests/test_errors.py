"""The one exception tree (hookhub.errors): statuses, envelopes, headers and messages."""

from __future__ import annotations

import inspect

import pytest

from hookhub import errors
from hookhub.errors import (ConfigError, HookhubError, MessageError, PayloadTooLarge, Problem, RateLimited,
                            RequestError, ScriptCompileError, ScriptQuarantined, ScriptReturnedError,
                            ScriptRunError, ScriptUnavailable, StoreUnavailable, VerificationFailed)


def test_every_error_class_is_in_the_one_tree() -> None:
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass)
               if issubclass(c, Exception) and c.__module__ == "hookhub.errors"]
    assert len(classes) >= 15
    assert all(issubclass(c, HookhubError) for c in classes), [c for c in classes if not issubclass(c, HookhubError)]


@pytest.mark.parametrize(("error", "status", "body"), [
    (HookhubError(), 500, {"success": False, "error": "internal-error"}),
    (RequestError("bad thing"), 400, {"success": False, "error": "bad thing"}),
    (RequestError("gone", status=410), 410, {"success": False, "error": "gone"}),
    (VerificationFailed("X-Hub-Signature-256 does not match"), 401,
     {"success": False, "error": "X-Hub-Signature-256 does not match"}),
    (PayloadTooLarge(4096), 413,
     {"success": False, "error": "request body larger than 4096 bytes (server.max_body_bytes)"}),
    (ScriptReturnedError({"error": "nope", "code": 7}), 400, {"error": "nope", "code": 7, "success": False}),
    (ScriptUnavailable("busy"), 503,
     {"success": False, "error": "integration busy: too many calls in flight or queued; retry later"}),
])
def test_status_and_envelope(error: HookhubError, status: int, body: dict[str, object]) -> None:
    assert error.status == status
    assert error.body() == body


def test_headers_travel_with_the_error() -> None:
    assert RateLimited(10, 0, 1700000000).headers == {"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "0",
                                                      "X-RateLimit-Reset": "1700000000"}
    assert ScriptQuarantined(2.2).headers == {"Retry-After": "3"}
    assert ScriptQuarantined(0.01).headers == {"Retry-After": "1"}
    assert StoreUnavailable("disk full", retry_after=5).headers == {"Retry-After": "5"}
    assert RequestError("x").headers == {}
    # class-level defaults are never shared between instances
    a, b = RequestError("a"), RequestError("b")
    a.headers["X"] = "1"
    assert b.headers == {}


def test_messages_say_what_and_how() -> None:
    assert str(StoreUnavailable("disk full")) == "the store cannot commit: disk full; nothing was stored, retry later"
    compile_error = ScriptCompileError("hook.py", 3, "invalid syntax")
    assert "hook.py" in str(compile_error) and "3" in str(compile_error) and "invalid syntax" in str(compile_error)
    assert compile_error.status == 400 and compile_error.body()["error"] == "error-evaluating-script"
    assert ScriptRunError("boom").body()["error"] == "error-running-script" and "boom" in str(ScriptRunError("boom"))
    refused = MessageError("invalid-channel", field="channel", fix="declare it")
    assert (refused.field, refused.fix, refused.body()) == ("channel", "declare it",
                                                            {"success": False, "error": "invalid-channel"})


def test_config_error_lists_every_problem_with_its_place() -> None:
    problems = [Problem("a.yaml", 3, "integrations[0].id", "required key is missing"),
                Problem("a.yaml", None, "", "cannot read the file")]
    error = ConfigError(problems)
    assert error.problems == problems
    assert str(error) == "a.yaml:3 integrations[0].id: required key is missing\na.yaml: cannot read the file"
