"""Records shared by every layer of hookhub: log lines, sandbox limits, size caps.

A leaf module: it imports nothing of hookhub, so the store, the sandbox, the
engines, the configuration and the pipeline can all use it without importing
each other (tests/test_records.py checks it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

#: the most a script's ``Store`` may hold, as JSON (checked in the engine and when changes are merged)
STORE_MAX_BYTES = 1024 * 1024
#: what history keeps of a request's headers: at most this many, each value cut to this many characters
HISTORY_MAX_HEADERS = 64
HISTORY_MAX_HEADER_CHARS = 2048

LEVELS = ("log", "info", "warn", "error", "debug")


@dataclass(frozen=True)
class LogRecord:
    """One line of an integration's log."""

    level: str
    ts: float
    message: str

    def to_json(self) -> dict[str, Any]:
        """The record as sent between processes (``ts`` in epoch seconds)."""
        return {"level": self.level, "ts": self.ts, "message": self.message}

    def to_api(self) -> dict[str, Any]:
        """The record as the API and ``hookhub test --json`` show it: ``ts`` in ISO 8601 UTC, like the logs API."""
        whole = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(self.ts))
        return {"level": self.level, "ts": f"{whole}.{int((self.ts % 1) * 1000):03d}Z", "message": self.message}


@dataclass(frozen=True)
class Limits:
    """Per-integration limits (``sandbox:`` in YAML, overridable per integration)."""

    timeout_ms: int = 3000
    memory_mb: int = 128
    max_output_bytes: int = 1024 * 1024
    max_log_bytes: int = 64 * 1024
    #: calls of one integration running at the same time
    concurrency: int = 2
    #: calls of one integration waiting for a slot before 503
    queue: int = 64
    #: timeout of each ``HTTP()`` call a script makes (not counted in ``timeout_ms``)
    http_timeout_ms: int = 20000
    #: comma-separated names of the limits the integration sets itself (the others are ``sandbox:``'s)
    own: str = ""

    def origin(self, name: str) -> str:
        """Where limit *name* comes from, for messages: ``sandbox.timeout_ms`` or the integration's key."""
        return f"the integration's {name}" if name in self.own.split(",") else f"sandbox.{name}"
