"""Secrets out of printed and logged text: hookhub/redact.py, the banner, the integration log."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from hookhub.cli import _banner
from hookhub.config import load_config
from hookhub.hub import Hub
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

