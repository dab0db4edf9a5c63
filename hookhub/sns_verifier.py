"""Amazon SNS message signatures: the ``sns`` verifier (a default plugin).

SNS signs every HTTP(S) delivery with RSA: ``SignatureVersion`` 1 is
SHA1withRSA, 2 is SHA256withRSA, over a canonical text built from the
message's own fields; the public key is in the X.509 certificate at
``SigningCertURL``, which must be an ``https://sns.<region>.amazonaws.com/...pem``
URL.  See https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html.

::

    verify:
      type: sns
      topic_arns: ["arn:aws:sns:eu-west-1:123456789012:alerts"]   # strongly advised: anyone can sign for *their* topic

No ``secret`` is needed.  Certificates are fetched through :mod:`hookhub.egress`
(public addresses only, 5 s timeout) and kept in memory, so a node fetches each
certificate once.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from . import egress
from .hookspecs import hookimpl
from .errors import VerificationFailed
from .verifiers import Verifier

#: Where SNS certificates live (AWS regions, China regions included).
CERT_URL = r"^https://sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/[^?#]*\.pem$"
#: Fields signed, in order, per message type (a field absent from the message is skipped).
SIGNED_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
    "UnsubscribeConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
}
HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}
MAX_CERTIFICATES = 64


def string_to_sign(message: Mapping[str, Any]) -> bytes:
    """The canonical text SNS signs: ``Name\\nValue\\n`` for each signed field present."""
    kind = str(message.get("Type"))
    if kind not in SIGNED_FIELDS:
        raise VerificationFailed(f"unknown SNS message Type {kind!r}")
    parts = []
    for name in SIGNED_FIELDS[kind]:
        value = message.get(name)
        if value is None:
            if name == "Subject":
                continue
            raise VerificationFailed(f"the SNS message has no {name}")
        parts.append(f"{name}\n{value}\n")
    return "".join(parts).encode("utf-8")


def fetch_certificate(url: str, allow_private: bool = False) -> bytes:
    """The PEM at ``url``, through hookhub's egress policy (only that URL's host is allowed)."""
    host = re.sub(r"^https?://([^/:]+).*$", r"\1", url)
    answer = egress.perform("GET", url, {"timeout": 5000}, allow_hosts=[host], allow_private=allow_private,
                            timeout_s=5.0, max_response_bytes=64 * 1024)
    result = answer.get("result") or {}
    if answer.get("error") or result.get("statusCode") != 200:
        raise VerificationFailed(f"cannot fetch the SNS signing certificate {url}: "
                                 f"{answer.get('error') or result.get('statusCode')}")
    return str(result.get("content") or "").encode("ascii", "replace")


class SnsVerifier:
    """The ``sns`` verifier; keeps the public keys of the certificates it fetched."""

    def __init__(self, fetch: Callable[[str], bytes] = fetch_certificate) -> None:
        self._fetch = fetch
        self._keys: dict[str, rsa.RSAPublicKey] = {}
        self._lock = threading.Lock()

    def public_key(self, url: str) -> rsa.RSAPublicKey:
        """The RSA public key of the certificate at ``url``, fetched once and kept (at most 64, then
        the cache is emptied); ``VerificationFailed`` unless it is a PEM certificate with an RSA key."""
        with self._lock:
            key = self._keys.get(url)
        if key is not None:
            return key
        try:
            cert = x509.load_pem_x509_certificate(self._fetch(url))
        except ValueError:
            raise VerificationFailed(f"{url} is not a PEM certificate") from None
        found = cert.public_key()
        if not isinstance(found, rsa.RSAPublicKey):
            raise VerificationFailed(f"the certificate at {url} has no RSA key")
        with self._lock:
            if len(self._keys) >= MAX_CERTIFICATES:
                self._keys.clear()
            self._keys[url] = found
        return found

    def __call__(self, options: Mapping[str, Any], headers: Mapping[str, str], body: bytes, now: float) -> None:
        try:
            message = json.loads(body)
        except ValueError:
            raise VerificationFailed("the body is not an SNS message (not JSON)") from None
        if not isinstance(message, dict):
            raise VerificationFailed("the body is not an SNS message (not a JSON object)")
        topics = list(options.get("topic_arns") or ())
        if topics and message.get("TopicArn") not in topics:
            raise VerificationFailed(f"TopicArn {message.get('TopicArn')!r} is not in verify.topic_arns")
        header_type = headers.get("x-amz-sns-message-type")
        if header_type and header_type != message.get("Type"):
            raise VerificationFailed("x-amz-sns-message-type does not match the message Type")
        version = str(message.get("SignatureVersion"))
        if version not in HASHES:
            raise VerificationFailed(f"unsupported SNS SignatureVersion {version!r} (expected 1 or 2)")
        url = str(message.get("SigningCertURL") or "")
        if not re.match(str(options.get("cert_url_pattern") or CERT_URL), url):
            raise VerificationFailed(f"SigningCertURL {url!r} is not an Amazon SNS certificate URL")
        try:
            signature = base64.b64decode(str(message.get("Signature") or ""), validate=True)
        except (ValueError, binascii.Error):
            raise VerificationFailed("the SNS Signature is not valid base64") from None
        text = string_to_sign(message)
        try:
            self.public_key(url).verify(signature, text, padding.PKCS1v15(), HASHES[version]())
        except InvalidSignature:
            raise VerificationFailed("the SNS Signature does not match the message") from None


@hookimpl
def hookhub_request_verifiers() -> dict[str, Verifier]:
    return {"sns": SnsVerifier()}
