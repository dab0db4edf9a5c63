"""Signature presets of the bundled services: each scheme as its service documents it.

The signatures are computed here with the algorithm of each service's documentation (the services publish
no fixed test vectors with their secrets), then checked for the right answer, a changed body, a wrong
secret, a stale timestamp and missing headers; one end-to-end test goes through the HTTP app.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from hookhub import service_verifiers as sv
from hookhub.plugins import make_plugin_manager, verifiers
from hookhub.errors import VerificationFailed

from .conftest import integration, messages

BODY = json.dumps({"text": "signed", "webhookTimestamp": 1_700_000_000_000}).encode()
NOW = 1_700_000_000.0
SECRET = "whsec_test_secret"


def hex_hmac(key: str, data: bytes, algorithm: Any = hashlib.sha256) -> str:
    return hmac.new(key.encode(), data, algorithm).hexdigest()


def b64_hmac(key: str, data: bytes, algorithm: Any = hashlib.sha256) -> str:
    return base64.b64encode(hmac.new(key.encode(), data, algorithm).digest()).decode()


def stripe_header(body: bytes, stamp: int, secret: str = SECRET, extra: str = "") -> str:
    # https://docs.stripe.com/webhooks#verify-manually: signed_payload = "{t}.{body}", HMAC-SHA256, hex
    return f"t={stamp},v1={hex_hmac(secret, f'{stamp}.'.encode() + body)}{extra}"


def test_presets_are_registered_by_default() -> None:
    found = verifiers(make_plugin_manager())
    assert set(sv.PRESETS) <= set(found)
    assert {"github", "hmac"} <= set(found)


def test_stripe_valid_rolled_stale_and_wrong() -> None:
    options = {"secret": SECRET}
    sv.stripe(options, {"stripe-signature": stripe_header(BODY, int(NOW))}, BODY, NOW + 5)
    # while a secret is rolled Stripe sends one v1 per secret; a v0 (test-mode legacy) value is ignored
    rolled = f"t={int(NOW)},v1={'0' * 64},v0=abc,v1={hex_hmac(SECRET, f'{int(NOW)}.'.encode() + BODY)}"
    sv.stripe(options, {"stripe-signature": rolled}, BODY, NOW)
    with pytest.raises(VerificationFailed, match="more than 300 s away"):
        sv.stripe(options, {"stripe-signature": stripe_header(BODY, int(NOW))}, BODY, NOW + 301)
    with pytest.raises(VerificationFailed, match="no Stripe-Signature v1 signature matches"):
        sv.stripe(options, {"stripe-signature": stripe_header(BODY + b" ", int(NOW))}, BODY, NOW)
    with pytest.raises(VerificationFailed, match="no Stripe-Signature v1 signature matches"):
        sv.stripe(options, {"stripe-signature": stripe_header(BODY, int(NOW), "other")}, BODY, NOW)
    with pytest.raises(VerificationFailed, match="no t=<timestamp>"):
        sv.stripe(options, {"stripe-signature": "v1=abcd"}, BODY, NOW)
    with pytest.raises(VerificationFailed, match="no v1= signature"):
        sv.stripe(options, {"stripe-signature": f"t={int(NOW)}"}, BODY, NOW)
    with pytest.raises(VerificationFailed, match="missing Stripe-Signature header"):
        sv.stripe(options, {}, BODY, NOW)


def test_linear_signature_and_webhook_timestamp() -> None:
    # https://linear.app/developers/webhooks#securing-webhooks: hex HMAC-SHA256 of the raw body
    options = {"secret": "lin_wh_secret"}
    headers = {"linear-signature": hex_hmac("lin_wh_secret", BODY)}
    sv.linear(options, headers, BODY, NOW + 30)
    with pytest.raises(VerificationFailed, match="webhookTimestamp is more than 60 s away"):
        sv.linear({**options, "tolerance_s": 60}, headers, BODY, NOW + 61)
    with pytest.raises(VerificationFailed, match="Linear-Signature does not match"):
        sv.linear(options, headers, BODY.replace(b"signed", b"forged"), NOW)
    body = json.dumps({"text": "no stamp"}).encode()
    with pytest.raises(VerificationFailed, match="no webhookTimestamp"):
        sv.linear(options, {"linear-signature": hex_hmac("lin_wh_secret", body)}, body, NOW)


@pytest.mark.parametrize(("verifier", "header", "value"), [
    (sv.vercel, "x-vercel-signature", lambda body: hex_hmac(SECRET, body, hashlib.sha1)),
    (sv.sonarqube, "x-sonar-webhook-hmac-sha256", lambda body: hex_hmac(SECRET, body)),
    (sv.discourse, "x-discourse-event-signature", lambda body: "sha256=" + hex_hmac(SECRET, body)),
])
def test_body_hmac_presets(verifier: Any, header: str, value: Callable[[bytes], str]) -> None:
    verifier({"secret": SECRET}, {header: value(BODY)}, BODY, NOW)
    with pytest.raises(VerificationFailed, match="does not match the body"):
        verifier({"secret": SECRET}, {header: value(BODY + b"\n")}, BODY, NOW)
    with pytest.raises(VerificationFailed, match="missing"):
        verifier({"secret": SECRET}, {}, BODY, NOW)


def test_zendesk_timestamp_and_body() -> None:
    # https://developer.zendesk.com/documentation/webhooks/verifying/: base64 HMAC-SHA256 of timestamp + body
    stamp = "2023-11-14T22:13:20Z"  # NOW
    headers = {"x-zendesk-webhook-signature": b64_hmac(SECRET, stamp.encode() + BODY),
               "x-zendesk-webhook-signature-timestamp": stamp}
    sv.zendesk({"secret": SECRET}, headers, BODY, NOW + 10)
    with pytest.raises(VerificationFailed, match="more than 300 s away"):
        sv.zendesk({"secret": SECRET}, headers, BODY, NOW + 400)
    with pytest.raises(VerificationFailed, match="does not match the body"):
        sv.zendesk({"secret": SECRET}, {**headers, "x-zendesk-webhook-signature-timestamp": "2023-11-14T22:13:21Z"},
                   BODY, NOW)
    with pytest.raises(VerificationFailed, match="not valid base64"):
        sv.zendesk({"secret": SECRET}, {**headers, "x-zendesk-webhook-signature": "%%%"}, BODY, NOW)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def netlify_jws(body: bytes, secret: str, claims: dict[str, Any] | None = None, alg: str = "HS256") -> str:
    # https://docs.netlify.com/site-deploys/deploy-notifications/#payload-signature: a JWS (HS256) whose
    # claims are {"iss": "netlify", "sha256": hex SHA-256 of the body}
    head = b64url(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    payload = b64url(json.dumps(claims or {"iss": "netlify", "sha256": hashlib.sha256(body).hexdigest()}).encode())
    signature = b64url(hmac.new(secret.encode(), f"{head}.{payload}".encode(), hashlib.sha256).digest())
    return f"{head}.{payload}.{signature}"


def test_netlify_jws() -> None:
    sv.netlify({"secret": SECRET}, {"x-webhook-signature": netlify_jws(BODY, SECRET)}, BODY, NOW)
    cases = [
        (netlify_jws(BODY, "wrong"), "not signed with this secret"),
        (netlify_jws(BODY + b" ", SECRET), "sha256 claim does not match the body"),
        (netlify_jws(BODY, SECRET, {"iss": "other", "sha256": hashlib.sha256(BODY).hexdigest()}), "not issued by"),
        (netlify_jws(BODY, SECRET, alg="none"), "must be signed with HS256"),
        ("a.b", "not a JWS"),
    ]
    for token, reason in cases:
        with pytest.raises(VerificationFailed, match=reason):
            sv.netlify({"secret": SECRET}, {"x-webhook-signature": token}, BODY, NOW)


def test_trello_body_plus_callback_url() -> None:
    # https://developer.atlassian.com/cloud/trello/guides/rest-api/webhooks/#webhook-signatures:
    # base64 HMAC-SHA1 of body + callbackURL, keyed with the application secret
    url = "https://chat.example.com/hooks/trello/tok"
    options = {"secret": SECRET, "callback_url": url}
    headers = {"x-trello-webhook": b64_hmac(SECRET, BODY + url.encode(), hashlib.sha1)}
    sv.trello(options, headers, BODY, NOW)
    with pytest.raises(VerificationFailed, match="does not match the body and callback_url"):
        sv.trello({**options, "callback_url": url + "/"}, headers, BODY, NOW)
    with pytest.raises(VerificationFailed, match="callback_url .* is not configured"):
        sv.trello({"secret": SECRET}, headers, BODY, NOW)


def test_shared_token() -> None:
    sv.shared_token({"secret": "s3cret", "header": "X-Api-Key"}, {"x-api-key": "s3cret"}, BODY, NOW)
    sv.shared_token({"secret": "s3cret", "prefix": "Bearer "}, {"authorization": "Bearer s3cret"}, BODY, NOW)
    with pytest.raises(VerificationFailed, match="Authorization does not match the shared token"):
        sv.shared_token({"secret": "s3cret"}, {"authorization": "Bearer s3cret"}, BODY, NOW)
    with pytest.raises(VerificationFailed, match="missing X-Api-Key header"):
        sv.shared_token({"secret": "s3cret", "header": "X-Api-Key"}, {}, BODY, NOW)


STRIPE = integration("pay", verify=f"{{type: stripe, secret: {SECRET}}}")


def test_stripe_preset_over_http(make_client: Callable[..., TestClient]) -> None:
    client = make_client(STRIPE)
    now = int(time.time())
    good = client.post("/hooks/pay/pay-token", content=BODY, headers={
        "Content-Type": "application/json", "Stripe-Signature": stripe_header(BODY, now)})
    assert (good.status_code, good.json()) == (200, {"success": True})
    bad = client.post("/hooks/pay/pay-token", content=BODY, headers={
        "Content-Type": "application/json", "Stripe-Signature": stripe_header(BODY, now - 3600)})
    assert bad.status_code == 401
    assert bad.json()["error"].startswith("signature verification failed: Stripe-Signature timestamp")
    assert [m["text"] for m in messages(client)] == ["signed"]
