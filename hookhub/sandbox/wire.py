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


#: frame key of a call whose ``request.body`` is its ``request.content`` (a JSON body): sent once
SAME_BODY = "body_is_content"


def call_message(message: dict[str, Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    """``message`` with the call's ``kwargs``: a request whose ``body`` is its ``content`` (one
    object, as for every JSON body) goes with ``body: null`` (its place in the request's key order
    kept) and :data:`SAME_BODY`, so the parsed payload is written, sent and read once, not twice
    (:func:`call_kwargs` links it again)."""
    request = kwargs.get("request")
    if type(request) is dict and "body" in request:
        body = request["body"]
        if (type(body) is dict or type(body) is list) and body is request.get("content"):
            slim = dict(request)
            slim["body"] = None
            message["kwargs"] = {**kwargs, "request": slim}
            message[SAME_BODY] = True
            return message
    message["kwargs"] = kwargs
    return message


def call_kwargs(message: dict[str, Any]) -> dict[str, Any]:
    """The worker's side of :func:`call_message`: the call's ``kwargs``, ``request.body`` being
    ``request.content`` again when the frame says so."""
    kwargs = message.get("kwargs") or {}
    if message.get(SAME_BODY) is True:
        request = kwargs.get("request")
        if type(request) is dict and "content" in request and "body" in request and request["body"] is None:
            request["body"] = request["content"]
    return kwargs
