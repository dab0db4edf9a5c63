"""The boundary: only plain JSON data leaves a script.

:func:`to_json_result` converts what a script returned into plain JSON data
(``FrozenDict`` → ``dict``, ``tuple`` → ``list``) and refuses everything
else with a reason naming where in the value the problem is.
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson

from ..errors import ScriptRunError
from ..jsontext import plain_within
from ..request import FrozenDict

#: Deepest nesting a result may have.
MAX_DEPTH = 64

def _kind(value: Any) -> str:
    tp = type(value)
    if tp.__module__ == "builtins":
        return tp.__name__
    return f"{tp.__name__} (a subclass of {', '.join(b.__name__ for b in tp.__mro__[1:-1]) or 'object'})"


def _convert(value: Any, path: str, depth: int, active: set[int]) -> Any:
    tp = type(value)
    if tp is str or tp is bool or tp is int or value is None:
        return value
    if tp is float:
        if not math.isfinite(value):
            raise ScriptRunError(f"the script returned {value!r} at {path}: NaN and Infinity are not JSON")
        return value
    if depth >= MAX_DEPTH:
        raise ScriptRunError(f"the script returned a value nested deeper than {MAX_DEPTH} levels at {path}")
    if tp is dict or tp is FrozenDict or tp is list or tp is tuple:
        ident = id(value)
        if ident in active:
            raise ScriptRunError(f"the script returned a value that contains itself (a cycle) at {path}")
        active.add(ident)
        try:
            if tp is dict or tp is FrozenDict:
                out: dict[str, Any] = {}
                for key, item in dict.items(value):
                    if type(key) is not str:
                        raise ScriptRunError(
                            f"the script returned a dict with a {_kind(key)} key {key!r:.40} at {path}: "
                            "JSON object keys must be strings")
                    out[key] = _convert(item, f"{path}.{key}", depth + 1, active)
                return out
            return [_convert(item, f"{path}[{i}]", depth + 1, active) for i, item in enumerate(value)]
        finally:
            active.discard(ident)
    raise ScriptRunError(
        f"the script returned a {_kind(value)} at {path}: only dict, list, str, int, float, bool "
        "and None can be returned")


class _NotPlain(Exception):
    """Raised by :func:`_plain_copy` for anything it does not clear; :func:`_convert` then decides."""


#: one float's text is at most this many bytes longer in the standard library's JSON than in orjson's
#: (``repr`` of a float is at most 24 characters: ``-1.2345678901234567e-308``)
_FLOAT_SLACK = 24


def _plain_copy(value: Any, depth: int, floats: list[int]) -> Any:
    """:func:`_convert` for the common case, without the location strings it builds for its messages:
    the same copy, or :class:`_NotPlain` at the first thing :func:`_convert` could refuse (a cycle
    comes here as a value too deep).  Counts the floats in ``floats[0]``."""
    tp = type(value)
    if tp is dict or tp is FrozenDict:
        if depth >= MAX_DEPTH:
            raise _NotPlain
        out: dict[str, Any] = {}
        for key, item in dict.items(value):
            if type(key) is not str:
                raise _NotPlain
            kind = type(item)
            if kind is str or kind is int or kind is bool or item is None:
                out[key] = item
            elif kind is float:
                if not math.isfinite(item):
                    raise _NotPlain
                floats[0] += 1
                out[key] = item
            else:
                out[key] = _plain_copy(item, depth + 1, floats)
        return out
    if tp is list or tp is tuple:
        if depth >= MAX_DEPTH:
            raise _NotPlain
        items = []
        for item in value:
            kind = type(item)
            if kind is str or kind is int or kind is bool or item is None:
                items.append(item)
            elif kind is float:
                if not math.isfinite(item):
                    raise _NotPlain
                floats[0] += 1
                items.append(item)
            else:
                items.append(_plain_copy(item, depth + 1, floats))
        return items
    if tp is str or tp is int or tp is bool or value is None:
        return value
    if tp is float and math.isfinite(value):
        floats[0] += 1
        return value
    raise _NotPlain


def to_json_result(value: Any, max_bytes: int) -> Any:
    """Plain JSON data equal to ``value``, or ``ScriptRunError`` saying why not.

    Accepts exactly ``dict`` (with ``str`` keys), ``list``, ``tuple``, ``str``,
    ``int``, ``float`` (finite), ``bool`` and ``None`` - no subclasses, no
    sets, no cycles, at most :data:`MAX_DEPTH` levels, and at most
    ``max_bytes`` once encoded as JSON.
    """
    floats = [0]
    try:
        out = _plain_copy(value, 0, floats)
    except (_NotPlain, RecursionError):
        out = _convert(value, "result", 0, set())  # raises, saying what and where (or copies, to be sure)
        floats[0] = -1
    if floats[0] >= 0:
        try:  # orjson's size is the standard library's when there are no floats, and close to it with floats
            size = len(orjson.dumps(out))
        except TypeError:  # integers beyond 64 bits, strings that are not valid Unicode: the library decides
            size = -1
        if 0 <= size and size + _FLOAT_SLACK * floats[0] <= max_bytes:
            return out
    size = encoded_size(out)
    if size > max_bytes:
        raise ScriptRunError(
            f"the script returned {size} bytes of JSON, more than the limit of {max_bytes} "
            "(max_output_bytes, of the integration or sandbox:): return less, or raise the limit")
    return out


def checked_json_result(value: Any, max_bytes: int) -> Any:
    """:func:`to_json_result` for a value decoded from a worker's JSON frame.

    Such a value is plain JSON data by construction (exact types, string keys,
    finite numbers, no cycles), so only its depth and size are left to check;
    both are checked without copying it.  Anything unusual (a too deep value,
    a value orjson cannot write) goes through :func:`to_json_result`, which
    gives the reason.
    """
    if not plain_within(value, MAX_DEPTH):
        return to_json_result(value, max_bytes)
    try:
        size = len(orjson.dumps(value))
    except TypeError:  # integers beyond 64 bits, strings that are not valid Unicode
        return to_json_result(value, max_bytes)
    if size > max_bytes:
        return to_json_result(value, max_bytes)  # the standard library's size decides, and says why
    return value


def encoded_size(value: Any) -> int:
    """Bytes of plain JSON data ``value`` as compact UTF-8 JSON.

    Raises ``ScriptRunError`` for strings that are not valid Unicode (lone surrogates).
    """
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except ValueError as exc:  # e.g. an int with more digits than Python converts
        raise ScriptRunError(f"the script returned a value that cannot be written as JSON: {exc}") from None
    except RecursionError:
        raise ScriptRunError("the script returned a value nested too deeply") from None
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise ScriptRunError(f"the script returned a string that is not valid Unicode: {exc.reason}") from None


__all__ = ["MAX_DEPTH", "checked_json_result", "encoded_size", "to_json_result"]
