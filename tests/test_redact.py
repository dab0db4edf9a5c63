"""Secrets are masked in logs and history: hook tokens, signature headers, secret query parameters."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from hookhub import redact
from hookhub.hookspecs import hookimpl

from .conftest import AUTH, integration

Client = Callable[..., TestClient]


@pytest.mark.parametrize(("path", "masked"), [
    ("/hooks/plain/s3cr3t", "/hooks/plain/••••"),
    ("/hooks/plain/user/s3cr3t", "/hooks/plain/••••"),
    ("/hooks/plain/s3cr3t/", "/hooks/plain/••••"),
    ("/hooks/plain", "/hooks/plain"),
    ("/hooks/plain/", "/hooks/plain/"),
    ("/api/v1/integrations", "/api/v1/integrations"),
])
def test_mask_hook_path(path: str, masked: str) -> None:
    assert redact.mask_hook_path(path) == masked


@pytest.mark.parametrize(("query", "masked"), [
    ("", ""),
    ("x=1&y=%C3%A9", "x=1&y=%C3%A9"),
    ("token=abc&x=1", "token=••••&x=1"),
    ("X-Api-Key=abc", "X-Api-Key=••••"),
    ("private_token=abc&access-token=def&my_secret=1&sig=2&key=3", "private_token=••••&access-token=••••"
                                                                   "&my_secret=••••&sig=••••&key=••••"),
    ("api%5Fkey=abc&flag&a=b=c", "api%5Fkey=••••&flag&a=b=c"),
    ("monkey=banana&tokens", "monkey=banana&tokens"),
])
def test_mask_query_string_keeps_everything_but_secret_values(query: str, masked: str) -> None:
    assert redact.mask_query_string(query) == masked


def test_secret_header_names_adds_the_verify_header() -> None:
    names = redact.secret_header_names(["X-Acme-Signature", None])
    assert "x-acme-signature" in names and "authorization" in names
    assert redact.secret_header_names() is redact.SECRET_HEADERS
    assert redact.mask_headers({"X-Acme-Signature": "v", "A": "b"}, names) == {"X-Acme-Signature": "••••", "A": "b"}


class _Boom:
    @hookimpl
    def hookhub_message_posted(self, hub: Any, message: Any, integration_id: Any) -> None:
        raise RuntimeError("a plugin failed")


def test_unhandled_error_log_masks_the_hook_token(make_client: Client, caplog: pytest.LogCaptureFixture) -> None:
    client = make_client(integration("plain"))
    client.app.hub.pm.register(_Boom())  # type: ignore[attr-defined]
    with caplog.at_level(logging.ERROR, logger="hookhub"):
        r = client.post("/hooks/plain/plain-token", json={"text": "x"})
        r2 = client.post("/hooks/plain/user/plain-token", json={"text": "x"})
    assert r.status_code == r2.status_code == 500 and r.json() == {"success": False, "error": "internal-error"}
    logged = "\n".join(f"{rec.getMessage()} {rec.exc_text or ''}" for rec in caplog.records)
    assert "unhandled error on POST /hooks/plain/••••" in logged
    assert "plain-token" not in logged


def test_history_masks_the_verify_header_and_secret_query_parameters(make_client: Client) -> None:
    secret = "hmac-secret"
    client = make_client(integration(
        "acme", verify=f'{{type: hmac, secret: "{secret}", header: X-Acme-Signature}}'))
    body = b'{"text": "signed"}'
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    r = client.post("/hooks/acme/acme-token?token=qs-secret&api_key=k3y&page=2", content=body,
                    headers={"Content-Type": "application/json", "X-Acme-Signature": signature})
    assert r.status_code == 200, r.text
    history = client.get("/api/v1/integrations/acme/history", headers=AUTH)
    [entry] = history.json()["history"]
    assert entry["request"]["headers"]["x-acme-signature"] == "••••"
    assert entry["request"]["query_string"] == "token=••••&api_key=••••&page=2"
    for leaked in (signature, "qs-secret", "k3y", "acme-token", secret):
        assert leaked not in history.text


def test_history_keeps_a_bounded_copy_of_the_headers(make_client: Client) -> None:
    client = make_client(integration("plain"))
    headers = {"X-Big": "b" * 10_000, **{f"X-H{i}": "v" for i in range(80)}}
    r = client.post("/hooks/plain/plain-token", json={"text": "x"}, headers=headers)
    assert r.status_code == 200
    [entry] = client.get("/api/v1/integrations/plain/history", headers=AUTH).json()["history"]
    stored = entry["request"]["headers"]
    assert len(stored) == 65 and "more header(s) not kept" in stored["…"]
    assert stored["x-big"].startswith("b" * 2048) and stored["x-big"].endswith("(10000 characters, cut)")
    assert sum(len(k) + len(v) for k, v in stored.items()) < 64 * 2200
