"""Fast JSON text for the hot path (answers, stored columns).

orjson writes the same compact JSON as ``json.dumps(..., ensure_ascii=False,
separators=(",", ":"))`` several times faster.  What it refuses (integers
beyond 64 bits, non-string keys) falls back to the standard library, so
every value ``json`` accepts is still written.  :func:`dumps_bytes` (answers)
refuses ``NaN`` and ``Infinity`` with ``ValueError`` like ``allow_nan=False``;
:func:`dumps` (stored columns, where the standard library wrote the invalid
token ``NaN``) writes them as ``null``, which every JSON reader accepts.
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson


def _dumps_std(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _has_non_finite(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(_has_non_finite(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_non_finite(v) for v in value)
    return False


def dumps_bytes(value: Any) -> bytes:
    """Compact UTF-8 JSON; ``ValueError`` for NaN/Infinity like ``allow_nan=False``."""
    try:
        out = orjson.dumps(value)
    except TypeError:
        return _dumps_std(value).encode("utf-8")
    if b"null" in out and _has_non_finite(value):  # orjson writes NaN as null
        raise ValueError("Out of range float values are not JSON compliant")
    return out


def dumps(value: Any) -> str:
    """Compact JSON text for SQLAlchemy's JSON columns (``NaN``/``Infinity`` become ``null``)."""
    try:
        return orjson.dumps(value).decode("utf-8")
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def dumps_utf8(value: Any) -> bytes:
    """:func:`dumps` as UTF-8 bytes, without the round trip through ``str`` (SQLite's raw inserts
    bind them as ``CAST(? AS TEXT)``: the same stored text, no decoding here and no encoding again
    in the driver)."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def loads(text: str | bytes) -> Any:
    """JSON ``text`` (str or UTF-8 bytes) parsed by orjson; ``orjson.JSONDecodeError`` (a ValueError) when invalid."""
    return orjson.loads(text)


def plain_within(value: Any, budget: int) -> bool:
    """``value`` is made of exactly ``dict``, ``list``, ``str``, ``int``, ``float``, ``bool`` and
    ``None``, nested at most ``budget`` containers deep (a recursion at most ``budget + 1`` frames
    deep, stopping at the first thing that is not).  The depth limits of request bodies
    (``bodies``) and of scripts' answers (``engines.boundary``)."""
    kind = type(value)
    if kind is dict:
        children: Any = value.values()
    elif kind is list:
        children = value
    else:
        return kind is str or kind is int or kind is float or kind is bool or value is None
    if budget <= 0:
        return False
    below = budget - 1
    for child in children:
        kind = type(child)
        if kind is str or kind is int or kind is bool or kind is float or child is None:
            continue
        if not plain_within(child, below):
            return False
    return True
