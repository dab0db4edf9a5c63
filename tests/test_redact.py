"""Secrets out of printed and logged text: hookhub/redact.py, the banner, the integration log."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from hookhub.cli import _banner
from hookhub.config import load_config
from hookhub.hub import Hub
from hookhub import redact
from hookhub.hookspecs import hookimpl
from hookhub.redact import MASK, is_secret_param, mask_headers, mask_text, mask_url, mask_value
from hookhub.sandbox.inprocess import InProcessSandbox
from hookhub.store import Store

from .conftest import AUTH, integration


@pytest.mark.parametrize(("url", "masked"), [
    ("postgresql://app:s3cret@db.test:5432/hookhub", f"postgresql://app:{MASK}@db.test:5432/hookhub"),
    ("postgresql+psycopg://app:p%40ss@127.0.0.1/h", f"postgresql+psycopg://app:{MASK}@127.0.0.1/h"),
    ("https://ghp_abcdef@api.test/x", f"https://{MASK}@api.test/x"),
    ("https://api.test/send?api_key=abc&room=x", f"https://api.test/send?api_key={MASK}&room=x"),
    ("https://api.test/send?apiKey=abc&private_token=t&X-API-Key=k&page=2",
     f"https://api.test/send?apiKey={MASK}&private_token={MASK}&X-API-Key={MASK}&page=2"),
    ("https://hooks.test/p?token=abc&x=1", f"https://hooks.test/p?token={MASK}&x=1"),
    ("sqlite:////var/lib/hookhub/hookhub.db", "sqlite:////var/lib/hookhub/hookhub.db"),
    ("https://api.test/p?q", "https://api.test/p?q"),
])
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked


def test_mask_url_leaves_non_strings_and_detects_secret_names() -> None:
    assert mask_url(None) is None
    assert all(is_secret_param(n) for n in ("token", "access_token", "apiKey", "api-key", "client_secret",
                                             "password", "sig", "auth_token"))
    assert not any(is_secret_param(n) for n in ("page", "room", "channel", "text"))


def test_mask_text_masks_every_url_in_a_message() -> None:
    text = ("connection to postgresql://u:pw@db/x failed; retried "
            "'https://api.test/a?token=t1' and https://ok.test/b")
    assert mask_text(text) == (f"connection to postgresql://u:{MASK}@db/x failed; retried "
                               f"'https://api.test/a?token={MASK}' and https://ok.test/b")
    assert mask_text("no url here") == "no url here"


def test_mask_headers_and_values() -> None:
    assert mask_headers({"Authorization": "Basic x", "X-Api-Key": "k", "Accept": "json"}) == {
        "Authorization": MASK, "X-Api-Key": MASK, "Accept": "json"}
    assert mask_value({"a": ["say tok1", {"b": "tok1tok1"}], "n": 3}, ["tok1", ""]) == {
        "a": [f"say {MASK}", {"b": MASK * 2}], "n": 3}


def test_banner_masks_the_store_password(tmp_path: Path, write_config: Callable[..., Path],
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config(integration("plain"))
    path.write_text(path.read_text().replace("sqlite:///data/hookhub.db",
                                             "postgresql://hookhub:hunter2@127.0.0.1:5432/hookhub"))
    config = load_config(path)
    hub = Hub(config, sandbox=InProcessSandbox({}), store=Store(f"sqlite:///{tmp_path / 'h.db'}"))
    _banner(config, hub)
    err = capsys.readouterr().err
    assert "hunter2" not in err
    assert f"store:        postgresql://hookhub:{MASK}@127.0.0.1:5432/hookhub" in err


def test_integration_log_masks_tokens_in_urls(make_client: Callable[..., TestClient]) -> None:
    client = make_client(integration("talk", script="""
        class Script:
            def process_incoming_request(self, request):
                console.log("calling https://api.test/v1?token=" + request.content.secret)
                return None
    """))
    assert client.post("/hooks/talk/talk-token", json={"secret": "abc123"}).status_code == 200
    logs = client.get("/api/v1/integrations/talk/logs", headers=AUTH).json()["logs"]
    assert [e["message"] for e in logs] == [f"calling https://api.test/v1?token={MASK}"]


# -- hook paths, history (issue #13) ------------------------------------------

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
