"""What enters and leaves the pipeline, as plain data: :class:`Inbound` and :class:`Outcome`.

Also the shape a request takes in history (:func:`history_request`): no
token, secret headers and query values masked, headers bounded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from .. import redact
from ..message import Draft
from ..records import HISTORY_MAX_HEADER_CHARS, HISTORY_MAX_HEADERS, LogRecord
from ..redact import MASK, SECRET_HEADERS
from ..registry import Integration

__all__ = ["Inbound", "Outcome", "history_request", "replayed", "secret_headers"]


@dataclass
class Inbound:
    """An HTTP request to a hook URL, as plain data."""

    integration_id: str
    token: str
    method: str = "POST"
    path: str = ""
    query_string: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    user_id: str | None = None
    #: the header names are lower-case already (the ASGI fast path); saves copies
    headers_lower: bool = False

    def lower_headers(self) -> dict[str, str]:
        """The headers with lower-case names (the same dict when they already are)."""
        if self.headers_lower and isinstance(self.headers, dict):
            return self.headers
        return {k.lower(): v for k, v in self.headers.items()}

    def lowered(self) -> Inbound:
        """This request with lower-case header names (itself when they already are)."""
        if self.headers_lower:
            return self
        return Inbound(self.integration_id, self.token, self.method, self.path, self.query_string,
                       self.lower_headers(), self.body, self.user_id, headers_lower=True)


@dataclass
class Outcome:
    """What processing one webhook produced."""

    status: int
    body: dict[str, Any]
    drafts: list[Draft] = field(default_factory=list)
    logs: list[LogRecord] = field(default_factory=list)
    #: what the script returned (JSON), or None
    result: Any = None
    error: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    #: the body as text, decoded once by ``process`` and reused for history
    raw: str | None = None
    #: the script's whole Store when this call changed it
    store: dict[str, Any] | None = None
    #: the keys of the Store this call set (merged into the database with the rest, per key)
    store_changes: dict[str, Any] | None = None


def history_request(inbound: Inbound, parsed_raw: str | None = None,
                    secret_headers: frozenset[str] = SECRET_HEADERS) -> dict[str, Any]:
    """The request as stored in history: no token, no secret headers or query values, bounded headers."""
    headers: dict[str, str] = {}
    for k, v in inbound.lower_headers().items():
        if len(headers) == HISTORY_MAX_HEADERS:
            headers["…"] = f"{len(inbound.headers) - HISTORY_MAX_HEADERS} more header(s) not kept"
            break
        if k in secret_headers:
            v = MASK
        elif len(v) > HISTORY_MAX_HEADER_CHARS:
            v = f"{v[:HISTORY_MAX_HEADER_CHARS]}… ({len(v)} characters, cut)"
        headers[k[:HISTORY_MAX_HEADER_CHARS]] = v
    return {
        "method": inbound.method,
        "path": f"/hooks/{inbound.integration_id}/{MASK}",
        "query_string": redact.mask_query_string(inbound.query_string),
        "headers": headers,
        "body": parsed_raw if parsed_raw is not None else inbound.body.decode("utf-8", "replace"),
    }


def replayed(integ: Integration, stored: Mapping[str, Any]) -> Inbound:
    """The hook request a stored history ``request`` stands for, with the integration's token again (replays)."""
    token = integ.config.token.get_secret_value() if integ.config.token else ""
    return Inbound(integration_id=integ.id, token=token, method=stored.get("method", "POST"),
                   path=f"/hooks/{integ.id}/{token}", query_string=stored.get("query_string", ""),
                   headers=stored.get("headers") or {}, body=(stored.get("body") or "").encode("utf-8"))


def secret_headers(integ: Integration) -> frozenset[str]:
    """The headers of ``integ``'s requests never stored: the built-in names and its ``verify.header``."""
    verify = integ.config.verify
    return redact.secret_header_names([verify.header]) if verify is not None and verify.header else SECRET_HEADERS
