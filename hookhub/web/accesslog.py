"""One log line per HTTP request (logger ``hookhub.access``, ``server.access_log``).

``POST /hooks/github/•••• 200 3.1ms integration=github``: method, path (a hook
URL's token, and anything after the integration id, masked; no query string),
status, duration and the integration id when the path names a configured one.
With ``server.log_format: json`` the same fields are keys of the JSON line.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
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
        #: the fields of a record that every line of one thread shares, and that thread
        self._template: tuple[threading.Thread, dict[str, object]] | None = None

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
        record = self._record((method, path, status, ms, integration or "-"))
        record.method, record.path, record.status, record.duration_ms = method, path, status, ms
        record.integration = integration
        record.masked = True  # built from masked parts: the redaction filter lets it through as it is
        log.handle(record)

    def _record(self, args: tuple[object, ...]) -> logging.LogRecord:
        """A record of ``args``: what ``makeRecord`` builds, from a template made once per thread.

        ``LogRecord.__init__`` looks up the level name, the file name, the thread, the process and
        multiprocessing's process name for every line; those are the same for every access-log line
        of a thread, so they are copied and only the times and ``args`` are set (a line costs ~5%
        fewer instructions, bench/RESULTS.md).  A fork clears the template (the child's pid differs).
        """
        if logging.getLogRecordFactory() is not logging.LogRecord:  # a custom factory runs for every line
            return log.makeRecord(log.name, logging.INFO, __file__, 0, LINE, args, None)
        thread = threading.current_thread()  # not its ident: a new thread may get an old one's
        template = self._template
        if template is None or template[0] is not thread:
            first = log.makeRecord(log.name, logging.INFO, __file__, 0, LINE, args, None)
            fields = dict(first.__dict__)
            for key in ("args", "created", "msecs", "relativeCreated"):
                fields.pop(key, None)
            self._template = template = (thread, fields)
            _TEMPLATES.add(self)
        record = _new_record(logging.LogRecord)
        record.__dict__.update(template[1])
        now = time.time()
        record.created = now
        record.msecs = int((now - int(now)) * 1000) + 0.0
        record.relativeCreated = (now - _START) * 1000
        record.args = args
        return record


LINE = "%s %s %d %.1fms integration=%s"
_new_record = object.__new__
_START: float = logging._startTime  # type: ignore[attr-defined]  # what relativeCreated counts from

#: access logs holding a template, cleared in a forked child (``serve --workers``: its own pid)
_TEMPLATES: "weakref.WeakSet[AccessLog]" = weakref.WeakSet()


def _after_fork() -> None:
    for access in list(_TEMPLATES):
        access._template = None


os.register_at_fork(after_in_child=_after_fork)
