"""What enters and leaves the pipeline (hookhub.pipeline.inbound): Inbound, and a request as history keeps it."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from hookhub.config import load_config
from hookhub.pipeline.inbound import Inbound, history_request, replayed, secret_headers
from hookhub.records import HISTORY_MAX_HEADER_CHARS, HISTORY_MAX_HEADERS
from hookhub.redact import MASK
from hookhub.registry import Registry

from ..conftest import integration


def test_lower_headers_copies_unless_already_lower() -> None:
    mixed = Inbound("gh", "t", headers={"Content-Type": "application/json", "X-GitHub-Event": "push"})
    assert mixed.lower_headers() == {"content-type": "application/json", "x-github-event": "push"}
    lowered = mixed.lowered()
    assert lowered is not mixed and lowered.headers_lower and lowered.body == mixed.body
    assert lowered.lowered() is lowered
    assert lowered.lower_headers() is lowered.headers  # no copy on the fast path


def test_history_drops_the_token_and_masks_secrets() -> None:
    inbound = Inbound("gh", "s3cr3t-token", path="/hooks/gh/s3cr3t-token", query_string="api_key=k3y&x=1",
                      headers={"Authorization": "Bearer abc", "X-Hub-Signature-256": "sha256=00", "X-Ok": "yes"},
                      body=b'{"a": 1}')
    row = history_request(inbound)
    text = repr(row)
    assert "s3cr3t-token" not in text and "k3y" not in text and "Bearer abc" not in text
    assert row["path"] == f"/hooks/gh/{MASK}"
    assert row["headers"]["authorization"] == MASK and row["headers"]["x-ok"] == "yes"
    assert row["body"] == '{"a": 1}' and row["method"] == "POST"


def test_history_keeps_the_parsed_text_and_replaces_bad_bytes() -> None:
    assert history_request(Inbound("a", "t", body=b"caf\xe9"))["body"] == "caf\ufffd"
    assert history_request(Inbound("a", "t", body=b"x=1"), parsed_raw="x=1&y=2")["body"] == "x=1&y=2"


def test_history_bounds_the_headers() -> None:
    many = {f"X-H{i}": "v" for i in range(HISTORY_MAX_HEADERS + 5)}
    many["X-H0"] = "v" * (HISTORY_MAX_HEADER_CHARS + 10)
    headers = history_request(Inbound("a", "t", headers=many))["headers"]
    assert len(headers) == HISTORY_MAX_HEADERS + 1
    assert headers["…"] == "5 more header(s) not kept"
    assert headers["x-h0"].endswith(f"({HISTORY_MAX_HEADER_CHARS + 10} characters, cut)")


def test_an_integrations_own_signature_header_is_secret(write_config: Callable[..., Path]) -> None:
    config = load_config(write_config(
        integration("plain"),
        integration("custom", verify="{type: hmac, secret: s, header: X-My-Signature}")))
    registry = Registry(config, {})
    custom = secret_headers(registry.integrations["custom"])
    assert "x-my-signature" in custom and "authorization" in custom
    assert "x-my-signature" not in secret_headers(registry.integrations["plain"])
    row = history_request(Inbound("custom", "t", headers={"X-My-Signature": "deadbeef"}), secret_headers=custom)
    assert row["headers"]["x-my-signature"] == MASK


def test_a_replayed_request_carries_the_token_again(write_config: Callable[..., Path]) -> None:
    registry = Registry(load_config(write_config(integration("s"))), {})
    stored = history_request(Inbound("s", "s-token", query_string="a=1", headers={"X-Event": "push"},
                                     body=b'{"n": 1}'))
    inbound = replayed(registry.integrations["s"], stored)
    assert (inbound.token, inbound.path, inbound.query_string) == ("s-token", "/hooks/s/s-token", "a=1")
    assert inbound.body == b'{"n": 1}' and inbound.headers == {"x-event": "push"}
    assert replayed(registry.integrations["s"], {}).method == "POST"
