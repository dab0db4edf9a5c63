"""Server logging: text or JSON lines, and no secret in any line.

:func:`configure` installs one handler on the root logger (uvicorn's, httpx's
and hookhub's records all go through it) with a :class:`Redactor` filter
that masks, in every message and traceback:

* the token of hook URLs (``/hooks/<id>/••••``, also with a user id);
* passwords in URLs (``postgresql://user:••••@host/db``) and query-string
  values whose name looks secret (``?api_key=••••``, ``token``, ``secret``,
  ``password``, ``signature``, ``auth``...), by the rules of
  :mod:`hookhub.redact` (``mask_text``, ``is_secret_param``), also in bare
  paths (``GET /x?token=••••``);
* ``Authorization``-style credentials (``Bearer ••••``, ``Basic ••••``);
* every secret of the configuration (admin token, integration tokens,
  ``verify.secret``, bridge URLs and auth tokens, the store password),
  refreshed on reload (:func:`refresh_secrets`).

``server.log_format: json`` writes one JSON object per line: ``ts``, ``level``,
``logger``, ``message``, the access-log fields when present, ``exc`` for a
traceback.  httpx's per-request INFO line is turned down to WARNING.

On the event loop's thread, the INFO lines of one loop turn (the access log
under load) are written together, once that turn ends (:class:`LineHandler`);
a warning or an error is written at once, after the lines before it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sys
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .ids import iso
from .redact import MASK, is_secret_param, mask_text

if TYPE_CHECKING:  # pragma: no cover
    from .config import Config

#: record attributes the JSON format copies (set by the access log)
FIELDS = ("method", "path", "status", "duration_ms", "integration")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_HOOK = re.compile(r"(/hooks/[^/\s?#\"'<>]+/)[^\s?#\"'<>]+")
#: a query pair, also in a bare path (``GET /x?api_key=...``); the name is judged by ``redact.is_secret_param``
_QUERY_PAIR = re.compile(r"([?&;])([^=&\s\"'?#]+)=([^&\s\"'#]+)")
_CREDENTIALS = re.compile(r"\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=\-]{4,}", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z0-9_\-]+")
_WORDLIKE = re.compile(r"^[A-Za-z0-9_\-]+$")
#: configuration secrets shorter than this are not searched for (they would mask ordinary words)
MIN_SECRET = 6


def config_secrets(config: Config) -> list[str]:
    """Every secret value of a configuration (to mask wherever it appears)."""
    found: list[str] = []
    if config.admin.token is not None:
        found.append(config.admin.token.get_secret_value())
    for integ in config.integrations:
        if integ.token is not None:
            found.append(integ.token.get_secret_value())
        if integ.verify is not None and integ.verify.secret is not None:
            found.append(integ.verify.secret.get_secret_value())
    for bridge in config.bridges:
        found.append(bridge.url.get_secret_value())
        if bridge.auth_token is not None:
            found.append(bridge.auth_token.get_secret_value())
        found.extend(v.get_secret_value() for v in bridge.headers.values())
    password = urlsplit(config.storage.url).password
    if password:
        found.append(password)
    return [s for s in found if s]


def _mask_pair(m: re.Match[str]) -> str:
    return f"{m.group(1)}{m.group(2)}={MASK}" if is_secret_param(m.group(2)) else m.group(0)


class Redactor(logging.Filter):
    """Masks secrets in every record that passes (a handler filter: it sees every logger's records)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._words: frozenset[str] = frozenset()
        self._fragments: tuple[str, ...] = ()
        self.set_secrets(secrets)

    def set_secrets(self, secrets: Iterable[str]) -> None:
        """Replace the known secrets (token-like ones are matched as whole words, others as text)."""
        words: set[str] = set()
        fragments: set[str] = set()
        for secret in secrets:
            if len(secret) < MIN_SECRET:
                continue
            if _WORDLIKE.match(secret):
                words.add(secret)
                continue
            fragments.add(secret)
            parts = urlsplit(secret) if "://" in secret else None
            if parts is not None and parts.netloc:
                # a URL with secrets in its path (Slack/Discord webhooks): its path and query
                tail = secret.split(parts.netloc, 1)[1]
                if len(tail) >= MIN_SECRET:
                    fragments.add(tail)
        self._words = frozenset(words)
        # longest first: a URL is masked whole before its path is
        self._fragments = tuple(sorted(fragments, key=len, reverse=True))

    def redact(self, text: str) -> str:
        """``text`` with every secret it contains masked."""
        for fragment in self._fragments:
            if fragment in text:
                text = text.replace(fragment, MASK)
        if "/hooks/" in text:
            text = _HOOK.sub(r"\1" + MASK, text)
        text = mask_text(text)  # URLs: passwords, user parts, secret query values (hookhub.redact)
        if "=" in text:
            text = _QUERY_PAIR.sub(_mask_pair, text)
        text = _CREDENTIALS.sub(r"\1 " + MASK, text)
        if self._words:
            words = self._words
            text = _WORD.sub(lambda m: MASK if m.group() in words else m.group(), text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the secrets in the record's message (then formatted, args dropped), exception text
        and stack; records marked ``masked`` pass untouched.  Never drops a record (always True)."""
        if getattr(record, "masked", False):  # built from masked parts (the access log)
            return True
        message = record.getMessage()
        clean = self.redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class TextFormatter(logging.Formatter):
    """:data:`TEXT_FORMAT` lines, the time text made once per second instead of once per line."""

    _second: tuple[int, str] = (-1, "")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        """``2026-12-07 09:35:00,123`` (local time, like :class:`logging.Formatter`)."""
        if datefmt is not None:
            return super().formatTime(record, datefmt)
        second = int(record.created)
        cached = self._second
        if cached[0] != second:
            cached = self._second = (second, time.strftime(self.default_time_format, self.converter(second)))
        return (self.default_msec_format or "%s,%03d") % (cached[1], record.msecs)


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one JSON object: ``ts`` (UTC, milliseconds), ``level``, ``logger``,
        ``message``, the access-log :data:`FIELDS` that are set, and ``exc``/``stack`` when present."""
        body: dict[str, Any] = {
            "ts": iso(record.created),  # UTC, milliseconds; the second's text made once
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                body[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            body["exc"] = record.exc_text
        if record.stack_info:
            body["stack"] = record.stack_info
        return json.dumps(body, ensure_ascii=False, default=str)


class LineHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler that writes the INFO lines of one event-loop turn in one write.

    Each write is a system call that lets go of the GIL, and taking it back
    behind the store's writer thread can cost a switch interval: under load,
    one write per access-log line was a sixth of the event loop's time.  Lines
    logged from other threads, or of level WARNING and above, are written at
    once (after the lines waiting, so the order is kept); :meth:`flush` and
    interpreter exit (``logging.shutdown``) write what is waiting.
    """

    def __init__(self, stream: Any = None) -> None:
        super().__init__(stream)
        self._waiting: list[str] = []
        self._scheduled_on: asyncio.AbstractEventLoop | None = None

    def emit(self, record: logging.LogRecord) -> None:
        """Queue an INFO line logged on a running event loop; write anything else now."""
        if record.levelno < logging.WARNING:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = None
            if loop is not None:
                try:
                    self._waiting.append(self.format(record) + self.terminator)
                except Exception:  # noqa: BLE001 - logging's own contract: report, never raise
                    self.handleError(record)
                    return
                if self._scheduled_on is not loop:
                    self._scheduled_on = loop
                    loop.call_soon(self.flush)
                return
        self._write_waiting()
        super().emit(record)

    def _write_waiting(self) -> None:
        if not self._waiting:
            return
        text = "".join(self._waiting)
        self._waiting.clear()
        self.stream.write(text)

    def flush(self) -> None:
        """Write the lines waiting, then flush the stream."""
        self.acquire()
        try:
            self._scheduled_on = None
            try:
                self._write_waiting()
            except Exception:  # noqa: BLE001 - a closed or full stream must not break the server
                pass
            super().flush()
        finally:
            self.release()


def configure(level: str = "info", fmt: str = "text", secrets: Iterable[str] = (),
              stream: Any = None) -> logging.Handler:
    """Send every log record to ``stream`` (stderr) as text or JSON, secrets masked; returns the handler."""
    handler = LineHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter(TEXT_FORMAT))
    handler.addFilter(Redactor(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # one INFO line per outgoing request, with its full URL: not wanted in server logs
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return handler


def refresh_secrets(config: Config) -> None:
    """After a reload: the root handlers' redactors learn the new configuration's secrets."""
    secrets = config_secrets(config)
    for handler in logging.getLogger().handlers:
        for filt in handler.filters:
            if isinstance(filt, Redactor):
                filt.set_secrets(secrets)
