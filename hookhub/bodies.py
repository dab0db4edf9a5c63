"""Request body parsing (CONTRACT §2)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import orjson

from .jsontext import plain_within

#: JSON nested deeper than this is refused (400): nothing real needs it, and every later step
#: (the sandbox boundary, the store's JSON columns) would have to survive it.
MAX_JSON_DEPTH = 128
#: bodies longer than this are walked for their depth without counting their brackets first
_COUNT_BELOW = 8192
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


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


def json_depth_exceeds(value: Any, limit: int) -> bool:
    """True when ``value`` nests objects/arrays more than ``limit`` levels deep.

    Up to :data:`MAX_JSON_DEPTH`, a value a JSON decoder built is first cleared by a recursion
    bounded by the limit (:func:`hookhub.jsontext.plain_within`; a 70 KB GitHub push: ~120 µs,
    against ~300 µs for the iterative walk below, which builds a tuple per container).  The
    iterative walk (no recursion at any depth, subclasses too) decides the rest: larger limits,
    other types, and the values the recursion did not clear.
    """
    if limit <= MAX_JSON_DEPTH and plain_within(value, limit):
        return False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values() if isinstance(v, (dict, list)))
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item if isinstance(v, (dict, list)))
    return False


def _fix_str(text: str) -> str:
    return _LONE_SURROGATE.sub("\ufffd", text)


def _fix_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return _fix_str(value)
    if isinstance(value, dict):
        return {_fix_str(k): _fix_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fix_surrogates(v) for v in value]
    return value


#: one decoder for every body (``json.loads`` with options builds one per call)
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


#: a float this large may be an integer literal beyond 64 bits, which orjson reads as a float
_INEXACT_FROM = float(2 ** 63)


def _exact_within(value: Any, budget: int) -> bool:
    """What orjson built is what the standard library's decoder builds: nested at most ``budget``
    containers deep, and no float that may have been an integer literal beyond 64 bits (orjson reads
    ``18446744073709551616`` as ``1.8446744073709552e+19``; the standard library as the exact int).
    One walk, which also does the depth check that large bodies need anyway."""
    kind = type(value)
    if kind is dict:
        children: Any = value.values()
    elif kind is list:
        children = value
    elif kind is float:
        return bool(-_INEXACT_FROM < value < _INEXACT_FROM)
    else:
        return True
    if budget <= 0:
        return False
    below = budget - 1
    for child in children:
        kind = type(child)
        if kind is str or kind is int or kind is bool or child is None:
            continue
        if kind is float:
            if -_INEXACT_FROM < child < _INEXACT_FROM:
                continue
            return False
        if not _exact_within(child, below):
            return False
    return True


def loads_untrusted(raw: str) -> Any:
    """``json.loads`` for what callers send: no NaN/Infinity, at most :data:`MAX_JSON_DEPTH` levels,
    lone UTF-16 surrogates (``"\\ud800"``, not valid Unicode) replaced with U+FFFD so the value can be
    stored.  Raises ``ValueError`` (``json.JSONDecodeError`` for syntax) with a message for the caller.

    orjson reads it first (about twice as fast as the standard library's decoder).  Whatever orjson
    refuses (invalid JSON, NaN, escaped lone surrogates, a BOM), or may read differently (a float of
    2**63 or more: perhaps an integer literal beyond 64 bits), or nests too deep, goes through the
    standard library's decoder as before: the value, and the error message, are that decoder's.
    """
    try:
        fast = orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    else:
        if _exact_within(fast, MAX_JSON_DEPTH):
            return fast
    return _loads_std(raw)


def _loads_std(raw: str) -> Any:
    """:func:`loads_untrusted` by the standard library's decoder alone (what orjson leaves to it)."""
    try:
        if raw.startswith("\ufeff"):  # what json.loads says about a byte-order mark
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", raw, 0)
        value = _DECODER.decode(raw)
    except RecursionError:
        raise ValueError(f"nested more than {MAX_JSON_DEPTH} levels deep") from None
    # counting brackets first spares small bodies the walk; a large one would likely pass the count
    if (len(raw) > _COUNT_BELOW or raw.count("[") + raw.count("{") > MAX_JSON_DEPTH) and \
            json_depth_exceeds(value, MAX_JSON_DEPTH):
        raise ValueError(f"nested more than {MAX_JSON_DEPTH} levels deep")
    if "\\u" in raw and _ESCAPED_SURROGATE.search(raw):
        value = _fix_surrogates(value)
    return value


def _from_json(raw: str, what: str = "invalid JSON body") -> ParsedBody:
    try:
        value = loads_untrusted(raw)
    except json.JSONDecodeError as exc:
        return ParsedBody({}, {}, raw, _json_problem(exc, what))
    except ValueError as exc:
        return ParsedBody({}, {}, raw, f"{what}: {exc}")
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
