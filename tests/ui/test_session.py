"""Session cookies: signed, expiring, bound to the admin token; CSRF tokens compared in constant time."""

from __future__ import annotations

import time

import pytest
from starlette.requests import Request

from hookhub.ui import session as session_module
from hookhub.ui.session import COOKIE, Sessions


def request_with(cookie: str | None) -> Request:
    headers = [(b"cookie", f"{COOKIE}={cookie}".encode())] if cookie is not None else []
    return Request({"type": "http", "method": "GET", "path": "/ui/", "headers": headers, "query_string": b""})


def test_a_new_session_loads_back_and_never_holds_the_token() -> None:
    sessions = Sessions("the-admin-token")
    made, cookie = sessions.new()
    assert "the-admin-token" not in cookie
    assert sessions.load(request_with(cookie)) == made
    assert sessions.csrf_ok(made, made.csrf)
    assert not sessions.csrf_ok(made, made.csrf[:-1] + "x") and not sessions.csrf_ok(made, None)


def test_tampered_foreign_and_missing_cookies_are_no_session() -> None:
    sessions = Sessions("the-admin-token")
    _made, cookie = sessions.new()
    payload, _, signature = cookie.rpartition(".")
    assert sessions.load(request_with(payload + "." + signature[::-1])) is None
    assert sessions.load(request_with("garbage")) is None
    assert sessions.load(request_with(None)) is None
    # another admin token (a rotated one) ends every session
    assert Sessions("another-token").load(request_with(cookie)) is None
    assert Sessions(None).load(request_with(cookie)) is None


def test_sessions_expire(monkeypatch: pytest.MonkeyPatch) -> None:
    sessions = Sessions("the-admin-token")
    _made, cookie = sessions.new()
    real = time.time
    monkeypatch.setattr(session_module, "MAX_AGE_S", 10)
    monkeypatch.setattr(time, "time", lambda: real() + 11)
    assert sessions.load(request_with(cookie)) is None


def test_token_comparison() -> None:
    sessions = Sessions("the-admin-token")
    assert sessions.token_matches("the-admin-token")
    assert not sessions.token_matches("the-admin-toke") and not sessions.token_matches("")
    assert not Sessions(None).token_matches("") and not Sessions(None).enabled
