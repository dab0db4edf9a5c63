"""One log line per HTTP request (logger ``hookhub.access``, ``server.access_log``).

``POST /hooks/github/•••• 200 3.1ms integration=github``: method, path (a hook
URL's token, and anything after the integration id, masked; no query string),
status, duration and the integration id when the path names a configured one.
With ``server.log_format: json`` the same fields are keys of the JSON line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.types import Message, Receive, Scope, Send

from ..redact import MASK

if TYPE_CHECKING:  # pragma: no cover
    from ..hub import Hub

log = logging.getLogger("hookhub.access")

ASGI = Callable[[Scope, Receive, Send], Awaitable[None]]


def masked_path(path: str) -> tuple[str, str | None]:
    """The path as logged, and the integration id segment of a hook URL (else None)."""
    if not path.isprintable():  # no control characters (forged log lines) in a text log
        path = path.encode("unicode_escape").decode("ascii")
    if path.startswith("/hooks/"):
        head, sep, _rest = path[7:].partition("/")
        if sep:
            return f"/hooks/{head}/{MASK}", head
        return path, head or None
    return path, None


class AccessLog:
    """Wraps the application's ASGI call and logs each HTTP request once answered."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def __call__(self, scope: Scope, receive: Receive, send: Send, app: ASGI) -> None:
        if not log.isEnabledFor(logging.INFO):
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def tracked(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, tracked)
        finally:
            self.line(scope["method"], scope["path"], status or 500, time.perf_counter() - started)

    def line(self, method: str, raw_path: str, status: int, seconds: float) -> None:
        """Log one request (``status`` 500 when the application failed before answering)."""
        path, segment = masked_path(raw_path)
        integration = segment if segment is not None and segment in self.hub.registry.integrations else None
        ms = round(seconds * 1000.0, 3)
        # the record built directly: no caller look-up (a frame walk) nor ``extra`` checks (~20 % of a line)
        record = log.makeRecord(log.name, logging.INFO, __file__, 0, "%s %s %d %.1fms integration=%s",
                                (method, path, status, ms, integration or "-"), None)
        record.method, record.path, record.status, record.duration_ms = method, path, status, ms
        record.integration = integration
        record.masked = True  # built from masked parts: the redaction filter lets it through as it is
        log.handle(record)
