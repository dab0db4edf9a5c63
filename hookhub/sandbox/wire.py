"""What the pool sends to and reads from its workers besides frames: the spec and log records."""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

from ..records import LEVELS, LogRecord
from .base import ScriptSpec


def spec_json(spec: ScriptSpec) -> dict[str, Any]:
    """``spec`` as JSON data, sent with every call (workers re-create the script when its digest changes)."""
    return {"integration_id": spec.integration_id, "engine": spec.engine, "source": spec.source,
            "filename": spec.filename, "limits": asdict(spec.limits), "allow_hosts": list(spec.allow_hosts),
            "allow_private": spec.allow_private}


def log_record(data: dict[str, Any]) -> LogRecord:
    """A console record reported by a worker, with its fields checked (a worker is not trusted)."""
    level = data.get("level")
    ts = data.get("ts")
    message = data.get("message")
    return LogRecord(level if level in LEVELS else "log",
                     float(ts) if isinstance(ts, (int, float)) and not isinstance(ts, bool) else time.time(),
                     message if isinstance(message, str) else str(message))
