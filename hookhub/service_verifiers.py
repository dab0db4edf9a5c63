"""Signature presets of the bundled services (a default plugin beside :mod:`hookhub.verifiers`).

Each preset is the ``verify.type`` named in a bundled integration's README::

    verify: {type: stripe, secret: {$env: STRIPE_WEBHOOK_SECRET}}

and checks the scheme the service documents, over the raw body bytes, in
constant time.  Services that sign nothing but can send a fixed header
(Opsgenie, Harbor, New Relic, Azure DevOps...) use ``shared-token``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .hookspecs import hookimpl
from .errors import VerificationFailed
from .verifiers import Verifier, hmac_check


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name.lower())
    if not value:
        raise VerificationFailed(f"missing {name} header")
    return value.strip()


def _secret(options: Mapping[str, Any]) -> bytes:
    return str(options["secret"]).encode("utf-8")


def _check_age(name: str, stamp: float, now: float, options: Mapping[str, Any]) -> None:
    tolerance = int(options.get("tolerance_s") or 300)
    if abs(now - stamp) > tolerance:
        raise VerificationFailed(f"{name} is more than {tolerance} s away from now (a replayed request?)")


def _b64decode(value: str, name: str, *, urlsafe: bool = False) -> bytes:
    try:
        if urlsafe:
            return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        return base64.b64decode(value, validate=True)
    except (ValueError, binascii.Error):
        raise VerificationFailed(f"{name} is not valid base64") from None


def stripe(options: Mapping[str, Any], headers: Mapping[str, str], body: bytes, now: float) -> None:
    """Stripe: ``Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "{t}.{body}">[,v1=...]``.

    Several ``v1`` values are accepted (Stripe sends two while a secret is
    rolled); the timestamp must be within ``tolerance_s`` (default 300) of now.
    """
    value = _header(headers, "Stripe-Signature")
    stamp = ""
    candidates: list[str] = []
    for part in value.split(","):
        key, _, item = part.strip().partition("=")
        if key == "t":
            stamp = item
        elif key == "v1":
            candidates.append(item)
    if not stamp.isdigit():
        raise VerificationFailed("Stripe-Signature has no t=<timestamp>")
    if not candidates:
        raise VerificationFailed("Stripe-Signature has no v1= signature")
    _check_age("Stripe-Signature timestamp", int(stamp), now, options)
    expected = hmac.new(_secret(options), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise VerificationFailed("no Stripe-Signature v1 signature matches the body")


def linear(options: Mapping[str, Any], headers: Mapping[str, str], body: bytes, now: float) -> None:
    """Linear: ``Linear-Signature: <hex HMAC-SHA256 of the body>``, and the body's ``webhookTimestamp``
    (milliseconds) within ``tolerance_s`` of now, as Linear recommends against replays."""
    hmac_check({"secret": options["secret"], "header": "Linear-Signature", "algorithm": "sha256",
                "encoding": "hex"}, headers, body, now)
    try:
        stamp = json.loads(body)["webhookTimestamp"]
    except (ValueError, KeyError, TypeError):
        raise VerificationFailed("the Linear body has no webhookTimestamp") from None
    if not isinstance(stamp, (int, float)) or isinstance(stamp, bool):
        raise VerificationFailed("the Linear webhookTimestamp is not a number")
    _check_age("webhookTimestamp", stamp / 1000, now, options)


def vercel(options: Mapping[str, Any], headers: Mapping[str, str], body: bytes, now: float) -> None:
    """Vercel: ``x-vercel-signature: <hex HMAC-SHA1 of the body>`` (the integration's client secret)."""
    hmac_check({"secret": options["secret"], "header": "x-vercel-signature", "algorithm": "sha1",
                "encoding": "hex"}, headers, body, now)


def sonarqube(options: Mapping[str, Any], headers: Mapping[str, str], body: bytes, now: float) -> None:
    """SonarQube: ``X-Sonar-Webhook-HMAC-SHA256: <hex HMAC-SHA256 of the body>``."""
    hmac_check({"secret": options["secret"], "header": "X-Sonar-Webhook-HMAC-SHA256", "algorithm": "sha256",
                "encoding": "hex"}, headers, body, now)


def discourse(options: Mapping[str, Any], headers: Mapping[str, str], body: bytes, now: float) -> None:
    """Discourse: ``X-Discourse-Event-Signature: sha256=<hex HMAC-SHA256 of the body>``."""
    hmac_check({"secret": options["secret"], "header": "X-Discourse-Event-Signature", "algorithm": "sha256",
                "prefix": "sha256=", "encoding": "hex"}, headers, body, now)


def zendesk(options: Mapping[str, Any], headers: Mapping[str, str], body: bytes, now: float) -> None:
    """Zendesk: ``X-Zendesk-Webhook-Signature: <base64 HMAC-SHA256 of timestamp + body>`` with the
    timestamp of ``X-Zendesk-Webhook-Signature-Timestamp`` (ISO 8601, checked against ``tolerance_s``)."""
    given = _b64decode(_header(headers, "X-Zendesk-Webhook-Signature"), "X-Zendesk-Webhook-Signature")
    stamp = _header(headers, "X-Zendesk-Webhook-Signature-Timestamp")
    expected = hmac.new(_secret(options), stamp.encode() + body, hashlib.sha256).digest()
    if not hmac.compare_digest(given, expected):
        raise VerificationFailed("X-Zendesk-Webhook-Signature does not match the body")
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise VerificationFailed("X-Zendesk-Webhook-Signature-Timestamp is not an ISO 8601 time") from None
    _check_age("X-Zendesk-Webhook-Signature-Timestamp", when, now, options)


def netlify(options: Mapping[str, Any], headers: Mapping[str, str], body: bytes, now: float) -> None:
    """Netlify: ``X-Webhook-Signature`` is a JWS (HS256, the JWS secret token) whose claims are
    ``{"iss": "netlify", "sha256": "<hex SHA-256 of the body>"}``."""
    token = _header(headers, "X-Webhook-Signature")
    parts = token.split(".")
    if len(parts) != 3:
        raise VerificationFailed("X-Webhook-Signature is not a JWS (header.claims.signature)")
    try:
        head = json.loads(_b64decode(parts[0], "the JWS header", urlsafe=True))
        claims = json.loads(_b64decode(parts[1], "the JWS claims", urlsafe=True))
    except ValueError:
        raise VerificationFailed("X-Webhook-Signature is not a JWS with JSON parts") from None
    if not isinstance(head, dict) or head.get("alg") != "HS256":
        raise VerificationFailed("X-Webhook-Signature must be signed with HS256")
    signed = f"{parts[0]}.{parts[1]}".encode("ascii", "replace")
    expected = hmac.new(_secret(options), signed, hashlib.sha256).digest()
    if not hmac.compare_digest(_b64decode(parts[2], "the JWS signature", urlsafe=True), expected):
        raise VerificationFailed("X-Webhook-Signature is not signed with this secret")
    if not isinstance(claims, dict) or claims.get("iss") != "netlify":
        raise VerificationFailed("X-Webhook-Signature was not issued by netlify")
    if not hmac.compare_digest(str(claims.get("sha256") or ""), hashlib.sha256(body).hexdigest()):
        raise VerificationFailed("X-Webhook-Signature sha256 claim does not match the body")


def trello(options: Mapping[str, Any], headers: Mapping[str, str], body: bytes, now: float) -> None:
    """Trello: ``X-Trello-Webhook: <base64 HMAC-SHA1 of body + callbackURL>`` keyed with the
    application secret; ``callback_url`` is the hook URL exactly as registered with Trello."""
    callback = options.get("callback_url")
    if not callback:
        raise VerificationFailed("verify.callback_url (the URL registered with Trello) is not configured")
    given = _b64decode(_header(headers, "X-Trello-Webhook"), "X-Trello-Webhook")
    expected = hmac.new(_secret(options), body + str(callback).encode("utf-8"), hashlib.sha1).digest()
    if not hmac.compare_digest(given, expected):
        raise VerificationFailed("X-Trello-Webhook does not match the body and callback_url")


def shared_token(options: Mapping[str, Any], headers: Mapping[str, str], body: bytes, now: float) -> None:
    """A secret the service sends as is in a header it lets you set: ``header`` (default
    ``Authorization``) must equal ``prefix`` + the secret (e.g. ``prefix: "Bearer "``)."""
    name = str(options.get("header") or "Authorization")
    given = _header(headers, name).encode("utf-8", "surrogatepass")
    expected = (str(options.get("prefix") or "") + str(options["secret"])).strip().encode("utf-8")
    if not hmac.compare_digest(given, expected):
        raise VerificationFailed(f"{name} does not match the shared token")


#: Verifier types of the bundled services.
PRESETS: dict[str, Verifier] = {
    "stripe": stripe,
    "linear": linear,
    "vercel": vercel,
    "sonarqube": sonarqube,
    "discourse": discourse,
    "zendesk": zendesk,
    "netlify": netlify,
    "trello": trello,
    "shared-token": shared_token,
}


@hookimpl
def hookhub_request_verifiers() -> dict[str, Verifier]:
    return dict(PRESETS)
