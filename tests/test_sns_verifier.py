"""The ``sns`` verifier: Amazon SNS signatures (versions 1 and 2) checked against a fetched certificate.

Messages are signed here with a key of our own, with the algorithm of Amazon's documentation
(https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html); the certificate is served
by a real HTTP server on 127.0.0.1 and fetched through hookhub's egress code. The real message of
plugins/sns/fixtures/notification__cloudwatch_alarm.json (signed by Amazon) pins the canonical text.
"""

from __future__ import annotations

import base64
import datetime
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from hookhub.config import VerifyConfig
from hookhub.plugins import make_plugin_manager, verifiers
from hookhub.sns_verifier import SnsVerifier, fetch_certificate, string_to_sign
from hookhub.errors import VerificationFailed

from .httpd import QuietHandler, base_url, serving

FIXTURES = Path(__file__).parent.parent / "plugins" / "sns" / "fixtures"
TOPIC = "arn:aws:sns:us-west-2:123456789012:MyTopic"


def make_certificate() -> tuple[rsa.RSAPrivateKey, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.us-west-2.amazonaws.com")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    return key, cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def cert_server() -> Iterator[tuple[rsa.RSAPrivateKey, str, list[str]]]:
    key, pem = make_certificate()
    fetched: list[str] = []

    class Handler(QuietHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            fetched.append(self.path)
            found = self.path.endswith(".pem")
            self.send_body(200 if found else 404, pem if found else b"not found", content_type=None)

    with serving(Handler) as httpd:
        yield key, base_url(httpd), fetched


def local_verifier() -> SnsVerifier:
    return SnsVerifier(fetch=lambda url: fetch_certificate(url, allow_private=True))


def signed(key: rsa.RSAPrivateKey, base: str, fixture: str, version: str = "1", **changes: Any) -> dict[str, Any]:
    message: dict[str, Any] = json.loads((FIXTURES / f"{fixture}.json").read_text(encoding="utf-8"))
    message.update(changes, SignatureVersion=version, SigningCertURL=f"{base}/SimpleNotificationService-test.pem")
    algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
    message["Signature"] = base64.b64encode(key.sign(string_to_sign(message), padding.PKCS1v15(),
                                                     algorithm)).decode()
    return message


def options(base: str, **more: Any) -> dict[str, Any]:
    return {"topic_arns": [TOPIC], "cert_url_pattern": f"^{base}/.*\\.pem$", **more}


def body(message: dict[str, Any]) -> bytes:
    return json.dumps(message).encode()


def test_string_to_sign_of_a_real_message() -> None:
    message = json.loads((FIXTURES / "notification__cloudwatch_alarm.json").read_text(encoding="utf-8"))
    text = string_to_sign(message).decode()
    assert text.startswith('Message\n{"AlarmName":"api-1 - Network In",')
    assert text.endswith("\nMessageId\nf1cd789a-df69-5dc4-bd54-36419e0f72c4\n"
                         'Subject\nALARM: "api-1 - Network In" in APAC - Tokyo\n'
                         "Timestamp\n2015-12-04T07:22:14.461Z\n"
                         "TopicArn\narn:aws:sns:ap-northeast-1:863886017929:developers\nType\nNotification\n")
    confirmation = json.loads((FIXTURES / "subscriptionconfirmation__my_topic.json").read_text(encoding="utf-8"))
    names = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
    assert string_to_sign(confirmation).decode() == "".join(f"{n}\n{confirmation[n]}\n" for n in names)


@pytest.mark.parametrize("version", ["1", "2"])
@pytest.mark.parametrize("fixture", ["notification__hello_world", "subscriptionconfirmation__my_topic",
                                     "unsubscribeconfirmation__my_topic"])
def test_valid_signatures(cert_server: Any, fixture: str, version: str) -> None:
    key, base, _ = cert_server
    message = signed(key, base, fixture, version)
    local_verifier()(options(base), {"x-amz-sns-message-type": message["Type"]}, body(message), 0)


def test_certificate_is_fetched_once(cert_server: Any) -> None:
    key, base, fetched = cert_server
    verifier = local_verifier()
    before = len(fetched)
    for _ in range(3):
        verifier(options(base), {}, body(signed(key, base, "notification__hello_world")), 0)
    assert len(fetched) == before + 1


def test_notification_without_subject(cert_server: Any) -> None:
    key, base, _ = cert_server
    message = json.loads((FIXTURES / "notification__hello_world.json").read_text(encoding="utf-8"))
    del message["Subject"]
    message.update(SigningCertURL=f"{base}/x.pem")
    message["Signature"] = base64.b64encode(key.sign(string_to_sign(message), padding.PKCS1v15(),
                                                     hashes.SHA1())).decode()
    local_verifier()(options(base), {}, body(message), 0)


def test_refusals(cert_server: Any) -> None:
    key, base, _ = cert_server
    good = signed(key, base, "notification__hello_world")
    other_key, _ = make_certificate()
    cases: list[tuple[Any, dict[str, Any], dict[str, str], str]] = [
        ({**good, "Message": "Hello world?"}, options(base), {}, "does not match the message"),
        (signed(other_key, base, "notification__hello_world"), options(base), {}, "does not match the message"),
        (signed(key, base, "notification__hello_world", TopicArn="arn:aws:sns:us-west-2:1:Other"), options(base),
         {}, "is not in verify.topic_arns"),
        (good, {"topic_arns": [TOPIC]}, {}, "is not an Amazon SNS certificate URL"),
        ({**good, "SignatureVersion": "3"}, options(base), {}, "unsupported SNS SignatureVersion '3'"),
        ({**good, "Signature": "%%%"}, options(base), {}, "not valid base64"),
        ({**good, "Type": "Other"}, options(base), {"x-amz-sns-message-type": "Other"}, "unknown SNS message Type"),
        (good, options(base), {"x-amz-sns-message-type": "SubscriptionConfirmation"}, "does not match the message Type"),
        ({**good, "SigningCertURL": f"{base}/missing.pem?"}, options(base, cert_url_pattern=f"^{base}/"), {},
         "cannot fetch the SNS signing certificate"),
    ]
    for message, opts, headers, reason in cases:
        with pytest.raises(VerificationFailed, match=reason):
            local_verifier()(opts, headers, body(message), 0)
    with pytest.raises(VerificationFailed, match="not JSON"):
        local_verifier()(options(base), {}, b"not json", 0)


def test_default_pattern_accepts_amazon_hosts_only() -> None:
    from hookhub.sns_verifier import CERT_URL
    import re

    assert re.match(CERT_URL, "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-abc.pem")
    assert re.match(CERT_URL, "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem")
    for url in ("http://sns.us-west-2.amazonaws.com/a.pem", "https://sns.us-west-2.amazonaws.com.evil.test/a.pem",
                "https://evil.test/sns.us-west-2.amazonaws.com/a.pem", "https://sns.us-west-2.amazonaws.com/a.pem?x"):
        assert not re.match(CERT_URL, url), url


def test_the_default_fetch_refuses_private_addresses(cert_server: Any) -> None:
    _, base, _ = cert_server
    with pytest.raises(VerificationFailed, match="egress refused"):
        fetch_certificate(f"{base}/SimpleNotificationService-test.pem")


def test_registered_and_needs_no_secret() -> None:
    assert "sns" in verifiers(make_plugin_manager())
    assert VerifyConfig(type="sns", topic_arns=[TOPIC]).options()["secret"] is None
    with pytest.raises(ValueError, match="verify.secret is required for type 'stripe'"):
        VerifyConfig(type="stripe")
