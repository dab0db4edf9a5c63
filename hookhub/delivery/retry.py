"""Retry decisions for outgoing calls (CONTRACT §7).

Rocket.Chat's delay strategies, ``tries`` counting from 0, in milliseconds:

* ``powers-of-ten``: 10^(tries+2) → 100 ms, 1 s, 10 s, 100 s, ...
* ``powers-of-two``: 2^(tries+1)·1000 → 2 s, 4 s, 8 s, ...
* ``increments-of-two``: (tries+1)·2000 → 2 s, 4 s, 6 s, ...

Which answers are retried: network errors, timeouts, 5xx, 408, 425 and 429
(a ``Retry-After`` is honoured when it asks for longer).  Other 4xx answers
are *not* retried by default: the receiver refused on purpose and repeating
the call only hammers it (a known Rocket.Chat complaint, #12224).  An
integration with ``retry_client_errors: true`` retries them as Rocket.Chat
does.  410 with a body disables the integration in either case.
"""

from __future__ import annotations

SUCCESS = (200, 201, 202)
#: 4xx answers that mean "try again later"
RETRYABLE_4XX = (408, 425, 429)
STRATEGIES = ("powers-of-ten", "powers-of-two", "increments-of-two")


def delay_ms(strategy: str, tries: int) -> int:
    """The wait before the next call after failed attempt number ``tries`` (0-based)."""
    if strategy == "powers-of-ten":
        return int(10 ** (tries + 2))
    if strategy == "powers-of-two":
        return int(2 ** (tries + 1)) * 1000
    if strategy == "increments-of-two":
        return (tries + 1) * 2000
    raise ValueError(f"unknown retry_delay {strategy!r}; use one of: {', '.join(STRATEGIES)}")


def retryable(status_code: int | None, *, client_errors: bool = False) -> bool:
    """Whether a failed call (None: no answer at all) is worth repeating; ``client_errors``: any 4xx is."""
    if status_code is None:
        return True
    return status_code >= 500 or status_code in RETRYABLE_4XX or (client_errors and 400 <= status_code < 500)
