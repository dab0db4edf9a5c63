"""hookhub.egress against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import ipaddress
import json
import socket
import ssl
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import trustme

from hookhub import egress
from hookhub.egress import check_url, host_allowed, perform
from hookhub.errors import EgressRefused

from .httpd import QuietHandler, base_url, serving


class _Handler(QuietHandler):
    _send = QuietHandler.send_body

    def _echo(self) -> None:
        body = self.request_body().decode("utf-8")
        url = urlsplit(self.path)
        if url.path == "/text":
            self._send(200, "plain words".encode(), "text/plain; charset=utf-8")
        elif url.path == "/big":
            self._send(200, b"x" * 5000, "text/plain")
        elif url.path == "/missing":
            self._send(404, b'{"message": "Not Found"}')
        elif url.path == "/redirect":
            self._send(302, b"", headers={"Location": "/echo?from=redirect"})
        elif url.path == "/redirect-private":
            self._send(302, b"", headers={"Location": "http://10.255.255.1/"})
        elif url.path == "/loop":
            self._send(302, b"", headers={"Location": "/loop"})
        elif url.path == "/slow":
            time.sleep(1.0)
            self._send(200, b"{}")
        else:
            answer = {
                "method": self.command,
                "path": url.path,
                "query": parse_qs(url.query),
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body,
            }
            self._send(200, json.dumps(answer).encode(), headers={"X-Served-By": "test"})

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _echo


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serving(_Handler) as httpd:
        yield base_url(httpd)


def local(method: str, url: str, options: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    return perform(method, url, options, allow_hosts=["127.0.0.1"], allow_private=True, **kw)


# -- host_allowed ---------------------------------------------------------------


@pytest.mark.parametrize(("host", "patterns", "expected"), [
    ("api.github.com", ["api.github.com"], True),
    ("API.GitHub.com.", ["api.github.com"], True),
    ("github.com", ["api.github.com"], False),
    ("hooks.example.com", ["*.example.com"], True),
    ("a.b.example.com", ["*.example.com"], True),
    ("example.com", ["*.example.com"], False),
    ("badexample.com", ["*.example.com"], False),
    ("anything.org", ["*"], True),
    ("anything.org", [], False),
    ("::1", ["[::1]"], True),
])
def test_host_allowed(host: str, patterns: list[str], expected: bool) -> None:
    assert host_allowed(host, patterns) is expected


# -- check_url --------------------------------------------------------------------


@pytest.mark.parametrize(("url", "why"), [
    ("http://127.0.0.1/", "loopback"),
    ("http://localhost/", "loopback"),
    ("http://10.1.2.3/", "private"),
    ("http://192.168.1.1/", "private"),
    ("http://172.16.0.1/", "private"),
    ("http://169.254.169.254/latest/meta-data", "link-local"),
    ("http://[::1]/", "loopback"),
    ("http://[::ffff:127.0.0.1]/", "loopback"),
    ("http://[fe80::1]/", "link-local"),
    ("http://0.0.0.0/", "unspecified"),
    ("http://224.0.0.1/", "multicast"),
])
def test_internal_addresses_are_refused(url: str, why: str) -> None:
    with pytest.raises(EgressRefused, match=why) as info:
        check_url(url, ["*"], allow_private=False)
    assert "allow_private" in str(info.value)


def test_allow_private_lets_loopback_through() -> None:
    target = check_url("http://localhost:8080/x", ["localhost"], allow_private=True)
    assert target.host == "localhost"
    assert target.address.is_loopback


@pytest.mark.parametrize(("url", "allow", "message"), [
    ("ftp://example.com/", ["*"], "scheme 'ftp'"),
    ("http://example.com/", [], "http.allow_hosts is empty"),
    ("http://evil.example.org/", ["api.github.com"], "not in this integration's http.allow_hosts"),
    ("http://no-such-host.invalid/", ["*"], "cannot resolve"),
])
def test_policy_refusals(url: str, allow: list[str], message: str) -> None:
    with pytest.raises(EgressRefused, match=message):
        check_url(url, allow, allow_private=False)


def test_public_address_is_accepted_without_network() -> None:
    target = check_url("https://93.184.215.14/path", ["93.184.215.14"], allow_private=False)
    assert target.address == ipaddress.ip_address("93.184.215.14")


def test_every_resolved_address_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """A name with one public and one private record is refused (no picking the good one)."""
    def fake_getaddrinfo(host: str, port: int, **kw: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port))]

    monkeypatch.setattr(egress.socket, "getaddrinfo", fake_getaddrinfo)
    with pytest.raises(EgressRefused, match="10.0.0.7"):
        check_url("http://mixed.example.com/", ["*.example.com"], allow_private=False)


def test_connection_goes_to_the_checked_address(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: the name is resolved once; the request is sent to that address
    with the original Host header, whatever a second lookup would say."""
    port = int(server.rsplit(":", 1)[1])
    answers = iter(["127.0.0.1", "10.9.9.9"])
    real_getaddrinfo = socket.getaddrinfo
    lookups: list[str] = []

    def rebinding_getaddrinfo(host: str, port_: int, *args: Any, **kw: Any) -> list[Any]:
        if host != "hooks.internal.test":
            return real_getaddrinfo(host, port_, *args, **kw)
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port_))]

    monkeypatch.setattr(egress.socket, "getaddrinfo", rebinding_getaddrinfo)
    reply = perform("GET", f"http://hooks.internal.test:{port}/echo",
                    allow_hosts=["hooks.internal.test"], allow_private=True)
    assert reply["result"]["statusCode"] == 200
    assert reply["result"]["data"]["headers"]["host"] == f"hooks.internal.test:{port}"
    assert lookups == ["hooks.internal.test"]


# -- perform ----------------------------------------------------------------------


def test_get_json(server: str) -> None:
    reply = local("GET", f"{server}/echo", {"params": {"q": "a b"}, "headers": {"X-Token": "t1"}})
    result = reply["result"]
    assert result["statusCode"] == 200
    assert result["data"]["method"] == "GET"
    assert result["data"]["query"] == {"q": ["a b"]}
    assert result["data"]["headers"]["x-token"] == "t1"
    assert result["headers"]["x-served-by"] == "test"
    assert json.loads(result["content"]) == result["data"]


def test_post_data_as_json_with_basic_auth(server: str) -> None:
    reply = local("post", f"{server}/echo", {"data": {"text": "hé"}, "auth": "user:pa:ss"})
    echoed = reply["result"]["data"]
    assert echoed["method"] == "POST"
    assert json.loads(echoed["body"]) == {"text": "hé"}
    assert echoed["headers"]["content-type"] == "application/json"
    assert echoed["headers"]["authorization"] == "Basic dXNlcjpwYTpzcw=="


def test_raw_content_body(server: str) -> None:
    reply = local("PUT", f"{server}/echo", {"content": "a=1&b=2",
                                            "headers": {"Content-Type": "application/x-www-form-urlencoded"}})
    echoed = reply["result"]["data"]
    assert echoed["body"] == "a=1&b=2"
    assert echoed["headers"]["content-type"] == "application/x-www-form-urlencoded"


def test_text_response_has_no_data(server: str) -> None:
    result = local("GET", f"{server}/text")["result"]
    assert result == {"statusCode": 200, "content": "plain words", "data": None,
                      "headers": result["headers"]}


def test_http_error_status_is_an_error_with_the_response(server: str) -> None:
    reply = local("GET", f"{server}/missing")
    assert reply["error"].startswith("failed [404]")
    assert reply["result"]["data"] == {"message": "Not Found"}


def test_redirects_are_followed_and_rechecked(server: str) -> None:
    reply = local("GET", f"{server}/redirect")
    assert reply["result"]["data"]["query"] == {"from": ["redirect"]}
    refused = perform("GET", f"{server}/redirect-private", allow_hosts=["127.0.0.1", "10.255.255.1"],
                      allow_private=False)
    assert "egress refused" in refused["error"]
    looping = local("GET", f"{server}/loop")
    assert "too many redirects" in looping["error"]
    not_followed = local("GET", f"{server}/redirect", {"followRedirects": False})
    assert not_followed["result"]["statusCode"] == 302


def test_response_size_is_capped(server: str) -> None:
    assert "larger than 1000 bytes" in local("GET", f"{server}/big", max_response_bytes=1000)["error"]
    assert local("GET", f"{server}/big", max_response_bytes=10_000)["result"]["content"] == "x" * 5000


def test_timeout_option_in_milliseconds(server: str) -> None:
    started = time.monotonic()
    reply = local("GET", f"{server}/slow", {"timeout": 200})
    assert reply == {"error": "timed out after 200 ms"}
    assert time.monotonic() - started < 0.9


def test_loopback_refused_without_allow_private(server: str) -> None:
    reply = perform("GET", f"{server}/echo", allow_hosts=["127.0.0.1"], allow_private=False)
    assert reply["error"].startswith("egress refused: host '127.0.0.1' resolves to 127.0.0.1 (loopback)")


def test_refused_host_and_connection_error(server: str) -> None:
    assert "not in this integration's http.allow_hosts" in perform(
        "GET", f"{server}/echo", allow_hosts=["api.github.com"])["error"]
    with socket.socket() as sock:  # a port with nobody listening
        sock.bind(("127.0.0.1", 0))
        dead = sock.getsockname()[1]
    reply = local("GET", f"http://127.0.0.1:{dead}/")
    assert reply["error"].startswith("ConnectError")


# -- TLS with a pinned address ---------------------------------------------------------


@pytest.fixture(scope="module")
def tls_server() -> Iterator[tuple[int, trustme.CA]]:
    ca = trustme.CA()
    cert = ca.issue_cert("hooks.example.test")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    with serving(_Handler, tls=context) as httpd:
        yield httpd.server_address[1], ca


@pytest.fixture
def resolve_to_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Names under example.test resolve to 127.0.0.1 (no DNS needed)."""
    real_getaddrinfo = socket.getaddrinfo

    def fake(host: str, port: int, *args: Any, **kw: Any) -> list[Any]:
        if isinstance(host, str) and host.endswith(".example.test"):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real_getaddrinfo(host, port, *args, **kw)

    monkeypatch.setattr(egress.socket, "getaddrinfo", fake)


@pytest.mark.usefixtures("resolve_to_loopback")
def test_https_to_a_pinned_address_verifies_the_original_host_name(tls_server: tuple[int, trustme.CA]) -> None:
    port, ca = tls_server
    trust = ssl.create_default_context()
    ca.configure_trust(trust)
    reply = perform("GET", f"https://hooks.example.test:{port}/echo", allow_hosts=["*.example.test"],
                    allow_private=True, verify=trust)
    assert reply["result"]["statusCode"] == 200
    assert reply["result"]["data"]["headers"]["host"] == f"hooks.example.test:{port}"


@pytest.mark.usefixtures("resolve_to_loopback")
def test_https_certificate_for_another_name_is_refused(tls_server: tuple[int, trustme.CA]) -> None:
    port, ca = tls_server
    trust = ssl.create_default_context()
    ca.configure_trust(trust)
    reply = perform("GET", f"https://other.example.test:{port}/echo", allow_hosts=["*.example.test"],
                    allow_private=True, verify=trust)
    assert "Hostname mismatch" in reply["error"]
    untrusted = perform("GET", f"https://hooks.example.test:{port}/echo", allow_hosts=["*.example.test"],
                        allow_private=True)
    assert "certificate" in untrusted["error"].lower()
