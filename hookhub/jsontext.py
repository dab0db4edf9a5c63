"""Fast JSON text for the hot path (answers, stored columns).

orjson writes the same compact JSON as ``json.dumps(..., ensure_ascii=False,
separators=(",", ":"))`` several times faster.  What it refuses (integers
beyond 64 bits, non-string keys) falls back to the standard library, so
every value ``json`` accepts is still written; like ``allow_nan=False``,
``NaN`` and ``Infinity`` are refused with ``ValueError``.
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
    """:func:`dumps_bytes` as text (for SQLAlchemy's JSON columns)."""
    return dumps_bytes(value).decode("utf-8")


def loads(text: str | bytes) -> Any:
    return orjson.loads(text)
