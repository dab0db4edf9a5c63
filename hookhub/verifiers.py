"""Request verifiers: prove a webhook came from who it claims (default plugin).

Declared per integration in YAML::

    verify:
      type: github            # github | gitlab | hmac | standard-webhooks
      secret: {$env: GITHUB_WEBHOOK_SECRET}

Every verifier checks the *raw body bytes* and compares in constant time.
Third parties add types through the ``hookhub_request_verifiers`` hook.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any, Protocol

from .errors import VerificationFailed
from .hookspecs import hookimpl

ALGORITHMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}


class Verifier(Protocol):
    """Checks one request against an integration's ``verify:`` options."""

    def __call__(self, options: Mapping[str, Any], headers: Mapping[str, str], body: bytes, now: float) -> None:
        """Return normally when valid; raise :class:`VerificationFailed` otherwise.

        :param options: the ``verify:`` mapping with ``secret`` resolved to a ``str``.
        :param headers: request headers, names lower-cased.
        :param body: the raw body bytes.
        :param now: the current Unix time (for timestamp tolerance).
        """
        ...


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name.lower())
    if not value:
        raise VerificationFailed(f"missing {name} header")
    return value


def _digest(algorithm: str, secret: bytes, data: bytes) -> bytes:
    return hmac.new(secret, data, ALGORITHMS[algorithm]).digest()


def _equal(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)


def github(options: Mapping[str, Any], headers: Mapping[str, str], body: bytes, now: float) -> None:
    """GitHub (and Gitea, Forgejo): ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>``."""
    hmac_check({"secret": options["secret"], "header": "X-Hub-Signature-256", "algorithm": "sha256",
                "prefix": "sha256=", "encoding": "hex"}, headers, body, now)


def gitlab(options: Mapping[str, Any], headers: Mapping[str, str], body: bytes, now: float) -> None:
    """GitLab: the secret token is sent as is in ``X-Gitlab-Token``."""
    given = _header(headers, "X-Gitlab-Token").encode("utf-8", "surrogatepass")
    if not _equal(given, str(options["secret"]).encode("utf-8")):
        raise VerificationFailed("X-Gitlab-Token does not match")


def hmac_check(options: Mapping[str, Any], headers: Mapping[str, str], body: bytes, now: float) -> None:
    """Generic HMAC of the body: ``header``, ``algorithm``, ``prefix``, ``encoding`` (hex | base64)."""
    name = str(options.get("header") or "X-Signature")
    algorithm = str(options.get("algorithm") or "sha256")
    prefix = str(options.get("prefix") or "")
    encoding = str(options.get("encoding") or "hex")
    value = _header(headers, name).strip()
    if prefix:
        if not value.startswith(prefix):
            raise VerificationFailed(f"{name} does not start with {prefix!r}")
        value = value[len(prefix):]
    try:
        given = bytes.fromhex(value) if encoding == "hex" else base64.b64decode(value, validate=True)
    except (ValueError, binascii.Error):
        raise VerificationFailed(f"{name} is not valid {encoding}") from None
    expected = _digest(algorithm, str(options["secret"]).encode("utf-8"), body)
    if not _equal(given, expected):
        raise VerificationFailed(f"{name} does not match the body")


def standard_webhooks(options: Mapping[str, Any], headers: Mapping[str, str], body: bytes, now: float) -> None:
    """Standard Webhooks: ``webhook-id``, ``webhook-timestamp``, ``webhook-signature: v1,<base64>``.

    The secret is ``whsec_<base64 key>`` (or the raw key); the signed content is
    ``{id}.{timestamp}.{body}``; timestamps further than ``tolerance_s``
    (default 300) from now are refused, which stops replays of old requests.
    """
    msg_id = _header(headers, "webhook-id")
    stamp = _header(headers, "webhook-timestamp")
    signatures = _header(headers, "webhook-signature")
    try:
        ts = int(stamp)
    except ValueError:
        raise VerificationFailed("webhook-timestamp is not a Unix time") from None
    tolerance = int(options.get("tolerance_s") or 300)
    if abs(now - ts) > tolerance:
        raise VerificationFailed(f"webhook-timestamp is more than {tolerance} s away from now")
    secret = str(options["secret"])
    try:
        key = base64.b64decode(secret[len("whsec_"):]) if secret.startswith("whsec_") else secret.encode()
    except (ValueError, binascii.Error):
        raise VerificationFailed("the configured secret is not valid whsec_ base64") from None
    expected = _digest("sha256", key, f"{msg_id}.{stamp}.".encode() + body)
    for candidate in signatures.split():
        version, _, sig = candidate.partition(",")
        if version != "v1":
            continue
        try:
            given = base64.b64decode(sig, validate=True)
        except (ValueError, binascii.Error):
            continue
        if _equal(given, expected):
            return
    raise VerificationFailed("no webhook-signature matches the body")


#: Built-in verifier types.
BUILTIN: dict[str, Verifier] = {
    "github": github,
    "gitlab": gitlab,
    "hmac": hmac_check,
    "standard-webhooks": standard_webhooks,
}


@hookimpl
def hookhub_request_verifiers() -> dict[str, Verifier]:
    return dict(BUILTIN)
