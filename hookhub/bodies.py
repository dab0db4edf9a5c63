"""Request body parsing (CONTRACT §2)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl


@dataclass(frozen=True)
class ParsedBody:
    """What a body means to hookhub."""

    #: the parsed body after ``payload=`` unwrapping: an object or array, else ``{}``
    content: Any
    #: the parsed body before ``payload`` unwrapping
    body: Any
    #: the exact text (invalid UTF-8 replaced)
    raw: str
    #: why the body is not a JSON object, for integrations without a script
    problem: str | None = None


def _json_problem(exc: json.JSONDecodeError, what: str = "invalid JSON body") -> str:
    return f"{what}: {exc.msg}: line {exc.lineno} column {exc.colno}"


def _kind(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number")


class _NotJson(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    # NaN and Infinity are not JSON (JavaScript's JSON.parse refuses them too); refusing
    # them here means every request handed to a script holds finite numbers only
    raise _NotJson(f"{name} is not a JSON value")


def _from_json(raw: str, what: str = "invalid JSON body") -> ParsedBody:
    try:
        value = json.loads(raw, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        return ParsedBody({}, {}, raw, _json_problem(exc, what))
    except _NotJson as exc:
        return ParsedBody({}, {}, raw, f"{what}: {exc}")
    except RecursionError:
        return ParsedBody({}, {}, raw, f"{what}: nested too deeply")
    if isinstance(value, dict):
        return ParsedBody(value, value, raw)
    if isinstance(value, list):
        return ParsedBody(value, value, raw, "the JSON body must be an object, got an array")
    return ParsedBody({}, value, raw, f"the JSON body must be an object, got a {_kind(value)}")


def parse_body(data: bytes, content_type: str) -> ParsedBody:
    """Parse ``data`` according to its media type; never raises."""
    raw = data.decode("utf-8", "replace")
    media = content_type.split(";", 1)[0].strip().lower()
    if not data.strip():
        return ParsedBody({}, {}, raw, "the request body is empty; send a JSON object")
    if media == "application/json" or media.endswith("+json"):
        return _from_json(raw)
    if media == "application/x-www-form-urlencoded" or media == "":
        return _from_form(raw)
    return ParsedBody({}, {}, raw, f"unsupported content type {media!r}: send application/json")


def _from_form(raw: str) -> ParsedBody:
    fields = parse_qsl(raw, keep_blank_values=True)
    if len(fields) == 1:
        name, value = fields[0]
        if name == "payload":
            parsed = _from_json(value, "invalid JSON in the payload field")
            return ParsedBody(parsed.content, {"payload": value}, raw, parsed.problem)
        # A JSON document sent with a form content type (curl -d '{...}').
        as_json = _from_json(raw)
        if as_json.problem is None or isinstance(as_json.content, list):
            return as_json
    if not fields:
        return _from_json(raw)
    flat: dict[str, Any] = {}
    for name, value in fields:
        flat[name] = value
    return ParsedBody(flat, flat, raw)
