"""Outbound HTTP for outgoing integrations and bridges, under an egress policy.

:func:`send` performs one call with :mod:`httpx` and never raises: the
answer, or why there is none, comes back as a :class:`Reply`.  Before
connecting, the URL must pass the policy: the host
matches ``allow_hosts`` (exact names, ``*.example.com``, ``*``) and, unless
``allow_private``, every address it resolves to is public (no loopback,
private, link-local, multicast or reserved address), so neither a script nor a
mistyped URL can probe the internal network.  The policy is
:func:`hookhub.egress.check_url`, shared with the scripts' ``HTTP()`` helper.
The connection goes to the address that was checked (the ``Host`` header and
TLS server name keep the original name), so DNS cannot swap it between the
check and the call.  Redirects are not followed: a 3xx is an answer like any
other.
"""

from __future__ import annotations

import asyncio
import base64
import json
import ssl
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..egress import check_url
from ..errors import EgressRefused

__all__ = ["Reply", "send", "retry_after", "basic_auth", "MAX_RESPONSE_BYTES"]

_ssl_context: ssl.SSLContext | None = None


def _tls() -> ssl.SSLContext:
    """One verifying TLS context for every call (building one costs ~20 ms of CPU: loading the CA bundle)."""
    global _ssl_context
    if _ssl_context is None:
        _ssl_context = httpx.create_ssl_context()
    return _ssl_context


#: answers larger than this are cut (their status still counts)
MAX_RESPONSE_BYTES = 1024 * 1024
USER_AGENT = "hookhub-outgoing/0.1"

@dataclass
class Reply:
    """What one HTTP call produced."""

    #: None when no answer arrived (refused by policy, network error, timeout)
    status_code: int | None
    headers: dict[str, str] = field(default_factory=dict)
    content_raw: str = ""
    #: parsed JSON when the answer is JSON, else the text
    content: Any = None
    error: str | None = None
    duration_ms: float = 0.0
    #: the policy refused the call (no connection was made)
    refused: bool = False

    def to_script(self) -> dict[str, Any]:
        """The ``response`` given to ``process_outgoing_response`` (CONTRACT §7)."""
        return {"status_code": self.status_code, "content": self.content, "content_raw": self.content_raw,
                "headers": dict(self.headers), "error": self.error}


def basic_auth(auth: str) -> str:
    """``"user:pass"`` → an ``Authorization`` header value."""
    return "Basic " + base64.b64encode(auth.encode("utf-8")).decode("ascii")


def _parse(raw: str, content_type: str) -> Any:
    if "json" in content_type.lower() and raw.strip():
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


async def send(method: str, url: str, *, allow_hosts: Iterable[str], allow_private: bool = False,
               headers: Mapping[str, Any] | None = None, data: Any = None, content: str | bytes | None = None,
               auth: str | None = None, params: Mapping[str, Any] | None = None, timeout_s: float = 20.0,
               max_bytes: int = MAX_RESPONSE_BYTES) -> Reply:
    """One HTTP call.  ``data`` is sent as JSON, ``content`` as is; ``auth`` ``"user:pass"`` as Basic."""
    started = time.perf_counter()

    def done(reply: Reply) -> Reply:
        reply.duration_ms = round((time.perf_counter() - started) * 1000, 3)
        return reply

    try:
        target = await asyncio.to_thread(check_url, url, list(allow_hosts), allow_private)
    except EgressRefused as exc:
        return done(Reply(None, error=f"egress refused: {exc.error}", refused=True))
    out: dict[str, str] = {"User-Agent": USER_AGENT}
    for key, value in (headers or {}).items():
        if value is not None:
            out[str(key)] = str(value)
    lowered = {k.lower() for k in out}
    body: bytes | None = None
    if content is not None:
        body = content.encode("utf-8") if isinstance(content, str) else content
    elif data is not None:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        if "content-type" not in lowered:
            out["Content-Type"] = "application/json"
    credentials = auth or (f"{target.url.username}:{target.url.password}" if target.url.userinfo else None)
    if credentials and "authorization" not in lowered:
        out["Authorization"] = basic_auth(credentials)
    out["Host"] = target.url.netloc.decode("ascii").rsplit("@", 1)[-1]
    pinned = target.url.copy_with(host=str(target.address), username=None, password=None)
    if params:
        pinned = pinned.copy_merge_params({str(k): str(v) for k, v in params.items()})
    try:
        # A client per call: its connections are pinned to one checked address and never shared between hosts.
        async with httpx.AsyncClient(timeout=timeout_s, trust_env=False, follow_redirects=False,
                                     verify=_tls()) as client:
            request = client.build_request(method.upper(), pinned, headers=out, content=body,
                                           extensions={"sni_hostname": target.host})
            response = await client.send(request, stream=True)
            try:
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        break
                    chunks.append(chunk)
            finally:
                await response.aclose()
    except httpx.TimeoutException:
        return done(Reply(None, error=f"timed out after {timeout_s * 1000:.0f} ms"))
    except httpx.HTTPError as exc:
        return done(Reply(None, error=f"{type(exc).__name__}: {exc}"))
    except (OSError, ValueError) as exc:
        return done(Reply(None, error=f"{type(exc).__name__}: {exc}"))
    raw = b"".join(chunks).decode(response.charset_encoding or "utf-8", "replace")
    reply_headers = {k.lower(): v for k, v in response.headers.items()}
    return done(Reply(response.status_code, reply_headers, raw,
                      _parse(raw, reply_headers.get("content-type", ""))))


def retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), or None."""
    value = headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - now)
