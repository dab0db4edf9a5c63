"""Row ids and times as hookhub writes them: time-ordered 17-character ids, ISO 8601 times.

A leaf module (the standard library only), used by the store, the pipeline and
the tools.
"""

from __future__ import annotations

import math
import os
import random
import string
import time

__all__ = ["iso", "new_id"]

#: base62 in ASCII order, so that ids sort as their time prefixes do
_ID_ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase


#: the random part comes from a generator seeded from the OS once per process (again in a
#: forked child): ``os.urandom`` per id releases the GIL, and taking it back behind the store's
#: writer thread costs up to a switch interval per call on the hot path.  Ids name rows; they
#: are not secrets (tokens and keys come from :mod:`secrets`).
_ids = random.Random(os.urandom(32))
os.register_at_fork(after_in_child=lambda: _ids.seed(os.urandom(32)))
#: the 3,844 two-character base62 numbers, in order: the last two characters of the time
_PAIRS = [a + b for a in _ID_ALPHABET for b in _ID_ALPHABET]
#: each byte value's base62 character (``value % 62``): the random part of an id in one ``bytes.translate``
_RANDOM_CHARS = bytes(ord(_ID_ALPHABET[b % 62]) for b in range(256))
#: (milliseconds // 3844, its 6-character base62 form): the first six change every 3.8 s
_prefix: tuple[int, str] = (-1, "")


def _base62(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, digit = divmod(number, 62)
        chars.append(_ID_ALPHABET[digit])
    return "".join(reversed(chars))


def new_id() -> str:
    """A 17-character id, like Rocket.Chat's: 8 characters of time (milliseconds) then 9 random ones.

    Time-ordered ids go to the right-hand end of the primary-key indexes, so a
    commit rewrites a few pages instead of one random page per row: half the WAL
    bytes per webhook (``bench/store_writes.py``, bench/RESULTS.md, issue 18).
    Two ids of one millisecond differ in 9 random base62 characters (about 53
    bits).  8 characters of milliseconds last until the year 8888.
    """
    global _prefix
    high, low = divmod(time.time_ns() // 1_000_000, 3844)
    cached = _prefix
    if cached[0] != high:
        cached = _prefix = (high, _base62(high, 6))
    return cached[1] + _PAIRS[low] + _ids.randbytes(9).translate(_RANDOM_CHARS).decode("ascii")


#: (second, its ISO 8601 text): one ``strftime`` per second, not per message
_iso_second: tuple[int, str] = (0, "1970-01-01T00:00:00")


def iso(ts: float) -> str:
    """ISO 8601 UTC with milliseconds (``2026-11-26T06:00:00.000Z``)."""
    global _iso_second
    second = math.floor(ts)
    cached = _iso_second
    if cached[0] != second:
        cached = _iso_second = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
    return f"{cached[1]}.{int((ts % 1) * 1000):03d}Z"
