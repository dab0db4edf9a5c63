"""One error renderer (hookhub/web/responses.py): status, envelope and headers of every HookhubError."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hookhub.errors import (HookhubError, NotFound, PayloadTooLarge, RateLimited, ScriptQuarantined,
                            StoreUnavailable, Unauthorized)
from hookhub.web.responses import error_response, send_error


@pytest.mark.parametrize(("exc", "status", "headers"), [
    (NotFound("integration 'x' not found"), 404, {}),
    (Unauthorized(), 401, {}),
    (PayloadTooLarge(10), 413, {}),
    (ScriptQuarantined(2.2), 503, {"retry-after": "3"}),
    (StoreUnavailable("disk full", retry_after=7), 503, {"retry-after": "7"}),
    (RateLimited(5, 0, 60), 429, {"x-ratelimit-limit": "5", "x-ratelimit-remaining": "0",
                                  "x-ratelimit-reset": "60"}),
])
async def test_an_error_is_rendered_with_its_status_envelope_and_headers(
        exc: HookhubError, status: int, headers: dict[str, str]) -> None:
    response = error_response(exc)
    assert response.status_code == status
    body = json.loads(response.body)
    assert body["success"] is False and body == exc.body()
    assert response.headers["cache-control"] == "no-store"
    for name, value in headers.items():
        assert response.headers[name] == value

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await send_error(send, exc)  # the hook endpoint's copy gives the same bytes and headers
    assert sent[0]["status"] == status
    assert sorted(sent[0]["headers"]) == sorted(response.raw_headers)
    assert sent[1]["body"] == response.body


def test_every_error_has_its_own_headers_dict() -> None:
    a, b = HookhubError("a"), HookhubError("b")
    a.headers["X-Test"] = "1"
    assert b.headers == {} and HookhubError().headers == {}


def test_extra_headers_are_added_not_replacing_the_errors_own() -> None:
    response = error_response(ScriptQuarantined(1), {"Connection": "close"})
    assert response.headers["retry-after"] == "1" and response.headers["connection"] == "close"
