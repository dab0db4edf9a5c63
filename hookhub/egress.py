"""Egress policy for outbound HTTP: script helpers (``HTTP()``) and outgoing integrations.

An integration may only reach the hosts listed in its ``http.allow_hosts``
(exact names, ``*.example.com`` for subdomains, ``*`` for any), and never
loopback, private, link-local, multicast, reserved or unspecified addresses
unless ``http.allow_private`` is true, so a script cannot probe the internal
network.  The host is resolved once, every address is checked, and the
connection goes to the checked address (DNS rebinding cannot swap it); the
``Host`` header and TLS server name stay the original host.  Redirects are
followed hop by hop, each hop checked again.

:func:`perform` answers like Rocket.Chat's script ``HTTP()`` helper:
``{"result": {"statusCode", "content", "data", "headers"}}`` or
``{"error": "..."}`` (with ``result`` too when the server answered 4xx/5xx).
"""

from __future__ import annotations

import base64
import ipaddress
import json
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from .errors import EgressRefused

__all__ = ["Target", "check_url", "host_allowed", "perform"]

#: default cap on a response body read by :func:`perform`
MAX_RESPONSE_BYTES = 1024 * 1024
MAX_REDIRECTS = 5
_REDIRECTS = {301, 302, 303, 307, 308}

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Target:
    """A URL that passed the policy, and the address to connect to."""

    url: httpx.URL
    host: str
    address: IPAddress


def _normal_host(host: str) -> str:
    return host.strip().rstrip(".").lower()


def host_allowed(host: str, allow_hosts: Iterable[str]) -> bool:
    """Whether ``host`` matches one of the patterns.

    Patterns: an exact host name or address (case-insensitive), ``*.example.com``
    (any subdomain of example.com, not example.com itself), or ``*`` (any host).
    """
    name = _normal_host(host).strip("[]")
    for pattern in allow_hosts:
        pattern = _normal_host(pattern).strip("[]")
        if pattern == "*":
            return True
        if pattern.startswith("*."):
            if name.endswith(pattern[1:]) and len(name) > len(pattern) - 1:
                return True
        elif name == pattern:
            return True
    return False


def _address_refused(address: IPAddress) -> str | None:
    """Why an address is not public, or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for label, flag in (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("unspecified", address.is_unspecified),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("not globally routable", not address.is_global),
    ):
        if flag:
            return label
    return None


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise EgressRefused(f"cannot resolve host {host!r}: {exc}") from None
    seen: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in seen:
            seen.append(address)
    if not seen:
        raise EgressRefused(f"cannot resolve host {host!r}: no address")
    return seen


def check_url(url: str | httpx.URL, allow_hosts: Iterable[str], allow_private: bool) -> Target:
    """Check ``url`` against the policy and resolve it; raise :class:`~hookhub.errors.EgressRefused`.

    Every address the host resolves to must be public unless
    ``allow_private``; the returned :class:`Target` carries the address to
    connect to.
    """
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise EgressRefused(f"invalid URL {str(url)!r}: {exc}") from None
    if parsed.scheme not in ("http", "https"):
        raise EgressRefused(f"URL scheme {parsed.scheme!r} not allowed in {str(url)!r}: use http or https")
    host = parsed.host
    if not host:
        raise EgressRefused(f"URL {str(url)!r} has no host")
    allow = list(allow_hosts)
    if not allow:
        raise EgressRefused("HTTP is disabled for this integration (http.allow_hosts is empty)")
    if not host_allowed(host, allow):
        raise EgressRefused(f"host {host!r} is not in this integration's http.allow_hosts {allow!r}")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    addresses = _resolve(host, port)
    if not allow_private:
        for address in addresses:
            why = _address_refused(address)
            if why is not None:
                raise EgressRefused(f"host {host!r} resolves to {address} ({why}); set "
                                    "http.allow_private: true to reach internal addresses")
    return Target(url=parsed, host=host, address=addresses[0])


def _auth_header(auth: Any) -> str | None:
    if not auth:
        return None
    token = base64.b64encode(str(auth).encode("utf-8")).decode("ascii")
    return f"Basic {token}"


def _build_request(client: httpx.Client, method: str, target: Target, options: Mapping[str, Any],
                   body: bytes | None, content_type: str | None) -> httpx.Request:
    headers: dict[str, str] = {}
    for key, value in (options.get("headers") or {}).items():
        if value is not None:
            headers[str(key)] = str(value)
    lowered = {k.lower() for k in headers}
    if content_type and "content-type" not in lowered:
        headers["Content-Type"] = content_type
    auth = _auth_header(options.get("auth"))
    if auth and "authorization" not in lowered:
        headers["Authorization"] = auth
    host_header = target.url.netloc.decode("ascii").rsplit("@", 1)[-1]
    headers["Host"] = host_header
    url = target.url.copy_with(host=str(target.address))
    params = options.get("params")
    if isinstance(params, Mapping) and params:
        url = url.copy_merge_params({str(k): str(v) for k, v in params.items()})
    query = options.get("query")
    if isinstance(query, str) and query:
        url = url.copy_with(query=(url.query.decode() + "&" if url.query else "").encode() + query.lstrip("?").encode())
    return client.build_request(method, url, headers=headers, content=body,
                                extensions={"sni_hostname": target.host})


def _body(options: Mapping[str, Any]) -> tuple[bytes | None, str | None]:
    if options.get("content") is not None:
        content = options["content"]
        return (content if isinstance(content, str) else json.dumps(content)).encode("utf-8"), None
    if options.get("data") is not None:
        return json.dumps(options["data"], ensure_ascii=False).encode("utf-8"), "application/json"
    return None, None


def _read(response: httpx.Response, max_bytes: int) -> bytes:
    length = response.headers.get("content-length")
    if length and length.isdigit() and int(length) > max_bytes:
        raise EgressRefused(f"response larger than {max_bytes} bytes")
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise EgressRefused(f"response larger than {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _result(response: httpx.Response, raw: bytes) -> dict[str, Any]:
    encoding = response.charset_encoding or "utf-8"
    content = raw.decode(encoding, errors="replace")
    data: Any = None
    if "json" in response.headers.get("content-type", "").lower() and content.strip():
        try:
            data = json.loads(content)
        except ValueError:
            data = None
    headers = {k.lower(): v for k, v in response.headers.items()}
    return {"statusCode": response.status_code, "content": content, "data": data, "headers": headers}


def perform(
    method: str,
    url: str,
    options: Mapping[str, Any] | None = None,
    *,
    allow_hosts: Iterable[str],
    allow_private: bool = False,
    timeout_s: float = 20.0,
    max_response_bytes: int = MAX_RESPONSE_BYTES,
    verify: Any = True,
) -> dict[str, Any]:
    """Perform one HTTP call under the egress policy; never raises.

    ``options`` (Rocket.Chat's ``HTTP()`` options): ``headers``, ``params``
    (query parameters), ``query`` (raw query string), ``data`` (sent as JSON),
    ``content`` (raw string body), ``auth`` (``"user:pass"``, Basic),
    ``timeout`` (milliseconds), ``followRedirects`` (default true).
    """
    options = dict(options or {})
    allow = list(allow_hosts)
    method = str(method or "GET").upper()
    timeout = timeout_s
    if isinstance(options.get("timeout"), (int, float)) and options["timeout"] > 0:
        timeout = options["timeout"] / 1000
    follow = options.get("followRedirects", True) is not False
    body, content_type = _body(options)
    try:
        with httpx.Client(timeout=timeout, trust_env=False, follow_redirects=False, verify=verify) as client:
            current: str | httpx.URL = url
            for _hop in range(MAX_REDIRECTS + 1):
                target = check_url(current, allow, allow_private)
                request = _build_request(client, method, target, options, body, content_type)
                response = client.send(request, stream=True)
                try:
                    if follow and response.status_code in _REDIRECTS and "location" in response.headers:
                        current = target.url.join(response.headers["location"])
                        if response.status_code == 303 or (
                            response.status_code in (301, 302) and method == "POST"
                        ):
                            method, body, content_type = "GET", None, None
                        continue
                    raw = _read(response, max_response_bytes)
                finally:
                    response.close()
                result = _result(response, raw)
                if response.status_code >= 400:
                    snippet = result["content"][:200]
                    return {"error": f"failed [{response.status_code}] {snippet}".rstrip(), "result": result}
                return {"result": result}
            return {"error": f"too many redirects (more than {MAX_REDIRECTS})"}
    except EgressRefused as exc:
        return {"error": f"egress refused: {exc.error}"}
    except httpx.TimeoutException:
        return {"error": f"timed out after {timeout * 1000:.0f} ms"}
    except httpx.HTTPError as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    except (ValueError, TypeError, OSError) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
