"""Signature verification and de-duplication (issue: bundled integrations, part B)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from hookhub import verifiers
from hookhub.errors import VerificationFailed

from .conftest import AUTH, integration, messages

Client = Callable[..., TestClient]
BODY = json.dumps({"text": "signed"}).encode()
SECRET = "It's a Secret to Everybody"


def gh_sig(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_github_known_vector() -> None:
    # GitHub's documented example: secret "It's a Secret to Everybody", payload "Hello, World!"
    sig = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    verifiers.github({"secret": SECRET}, {"x-hub-signature-256": sig}, b"Hello, World!", 0)
    with pytest.raises(VerificationFailed, match="does not match"):
        verifiers.github({"secret": SECRET}, {"x-hub-signature-256": sig}, b"Hello, World?", 0)


@pytest.mark.parametrize(("headers", "reason"), [
    ({}, "missing X-Hub-Signature-256 header"),
    ({"x-hub-signature-256": "sha1=abcd"}, "does not start with 'sha256='"),
    ({"x-hub-signature-256": "sha256=zz"}, "is not valid hex"),
    ({"x-hub-signature-256": gh_sig(BODY, "other secret")}, "does not match the body"),
])
def test_github_failures(headers: dict[str, str], reason: str) -> None:
    with pytest.raises(VerificationFailed, match=reason):
        verifiers.github({"secret": SECRET}, headers, BODY, 0)


def test_gitlab_token() -> None:
    verifiers.gitlab({"secret": "tok"}, {"x-gitlab-token": "tok"}, b"", 0)
    for headers in ({}, {"x-gitlab-token": "nope"}):
        with pytest.raises(VerificationFailed):
            verifiers.gitlab({"secret": "tok"}, headers, b"", 0)


@pytest.mark.parametrize(("algorithm", "encoding", "prefix"), [
    ("sha1", "hex", ""), ("sha256", "base64", ""), ("sha512", "hex", "v0="),
])
def test_generic_hmac(algorithm: str, encoding: str, prefix: str) -> None:
    digest = hmac.new(b"k", BODY, getattr(hashlib, algorithm)).digest()
    value = prefix + (digest.hex() if encoding == "hex" else base64.b64encode(digest).decode())
    options = {"secret": "k", "header": "X-Sig", "algorithm": algorithm, "encoding": encoding, "prefix": prefix}
    verifiers.hmac_check(options, {"x-sig": value}, BODY, 0)
    with pytest.raises(VerificationFailed):
        verifiers.hmac_check(options, {"x-sig": value}, BODY + b" ", 0)


def sw_headers(body: bytes, key: bytes, ts: int, msg_id: str = "msg_1") -> dict[str, str]:
    sig = base64.b64encode(hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()).decode()
    return {"webhook-id": msg_id, "webhook-timestamp": str(ts), "webhook-signature": f"v1,bogus v1,{sig}"}


def test_standard_webhooks_valid_stale_and_wrong() -> None:
    key = b"0123456789abcdef0123456789abcdef"
    secret = "whsec_" + base64.b64encode(key).decode()
    now = 1_700_000_000
    verifiers.standard_webhooks({"secret": secret}, sw_headers(BODY, key, now), BODY, now + 10)
    with pytest.raises(VerificationFailed, match="more than 300 s away"):
        verifiers.standard_webhooks({"secret": secret}, sw_headers(BODY, key, now), BODY, now + 301)
    with pytest.raises(VerificationFailed, match="no webhook-signature matches"):
        verifiers.standard_webhooks({"secret": secret}, sw_headers(BODY, b"x" * 32, now), BODY, now)
    with pytest.raises(VerificationFailed, match="missing webhook-id"):
        verifiers.standard_webhooks({"secret": secret}, {}, BODY, now)


GITHUB = integration("gh", verify=f'{{type: github, secret: "{SECRET}"}}', dedupe="{window_s: 60}")


def test_http_valid_signature_posts(make_client: Client) -> None:
    client = make_client(GITHUB)
    r = client.post("/hooks/gh/gh-token", content=BODY, headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": gh_sig(BODY), "X-GitHub-Delivery": "d1"})
    assert (r.status_code, r.json()) == (200, {"success": True})
    assert messages(client)[0]["text"] == "signed"


@pytest.mark.parametrize("headers", [{}, {"X-Hub-Signature-256": gh_sig(BODY, "wrong")}])
def test_http_wrong_or_missing_signature_is_401_and_recorded_without_secret(make_client: Client,
                                                                            headers: dict[str, str]) -> None:
    client = make_client(GITHUB)
    r = client.post("/hooks/gh/gh-token", content=BODY, headers={"Content-Type": "application/json", **headers})
    assert r.status_code == 401
    assert r.json()["success"] is False and r.json()["error"].startswith("signature verification failed: ")
    assert messages(client) == []
    history = client.get("/api/v1/integrations/gh/history", headers=AUTH)
    assert history.json()["history"][0]["status"] == 401
    assert SECRET not in history.text and "gh-token" not in history.text
    if headers:
        assert headers["X-Hub-Signature-256"] not in history.text


def test_http_replayed_delivery_is_answered_but_not_posted_twice(make_client: Client) -> None:
    client = make_client(GITHUB)
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": gh_sig(BODY), "X-GitHub-Delivery": "same"}
    first = client.post("/hooks/gh/gh-token", content=BODY, headers=headers)
    again = client.post("/hooks/gh/gh-token", content=BODY, headers=headers)
    assert first.json() == {"success": True}
    assert (again.status_code, again.json()) == (200, {"success": True, "duplicate": True})
    assert len(messages(client)) == 1
    other = client.post("/hooks/gh/gh-token", content=BODY, headers={**headers, "X-GitHub-Delivery": "new"})
    assert other.json() == {"success": True} and len(messages(client)) == 2


def test_a_failed_delivery_may_be_retried(make_client: Client) -> None:
    client = make_client(GITHUB)
    bad = json.dumps({"no": "text"}).encode()
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": gh_sig(bad), "X-GitHub-Delivery": "r"}
    assert client.post("/hooks/gh/gh-token", content=bad, headers=headers).status_code == 400
    assert client.post("/hooks/gh/gh-token", content=bad, headers=headers).json().get("duplicate") is None


def test_standard_webhooks_over_http_stale_timestamp(make_client: Client) -> None:
    key = b"k" * 24
    secret = "whsec_" + base64.b64encode(key).decode()
    client = make_client(integration("sw", verify=f"{{type: standard-webhooks, secret: {secret}}}",
                                     dedupe="{}"))
    now = int(time.time())
    ok = client.post("/hooks/sw/sw-token", content=BODY,
                     headers={"Content-Type": "application/json", **sw_headers(BODY, key, now, "m1")})
    assert ok.status_code == 200
    stale = client.post("/hooks/sw/sw-token", content=BODY,
                        headers={"Content-Type": "application/json", **sw_headers(BODY, key, now - 3600, "m2")})
    assert stale.status_code == 401 and "away from now" in stale.json()["error"]
    replay = client.post("/hooks/sw/sw-token", content=BODY,
                         headers={"Content-Type": "application/json", **sw_headers(BODY, key, now, "m1")})
    assert replay.json() == {"success": True, "duplicate": True}


def test_unknown_verifier_type_refuses_to_start(write_config) -> None:  # type: ignore[no-untyped-def]
    from hookhub.config import load_config
    from hookhub.errors import ConfigError
    from hookhub.hub import Hub
    config = load_config(write_config(integration("x", verify="{type: sha-magic, secret: s}")))
    with pytest.raises(ConfigError, match="unknown verifier type 'sha-magic'"):
        Hub(config)
