"""Making a misbehaving integration pay alone: timeouts budget, quarantine, a reserved share of workers.

The worker pool asks this module three questions:

* :meth:`Quarantine.retry_after`: is the integration quarantined?  Its calls
  are then refused at once (503 with ``Retry-After``) without touching a
  worker.  An integration is quarantined when its calls time out
  ``after`` times within ``window_s`` seconds; the quarantine lasts
  ``base_s`` seconds, doubling with every quarantine in a row up to
  ``max_s``.  When it ends, the integration is on probation: one more
  timeout quarantines it again (for twice as long); a call that finishes
  in time clears its record.
* :meth:`Quarantine.healthy`: does the integration have a clean record (its
  calls have finished, none timed out lately, averaging under
  ``SLOW_MS``)?  Integrations without one (new, slow, timing out, on
  probation) share ``workers - reserved_workers`` workers between them; the
  reserved workers stay free for the healthy ones.  The workers of
  integrations whose calls time out also run at the lowest CPU priority, so
  a looping script burns only idle CPU.
* :meth:`Quarantine.record`: the outcome of each call.

For metrics, :attr:`Quarantine.quarantines` counts quarantines since start
and every function in :attr:`Quarantine.listeners` is called with
``(integration_id, seconds, reason)`` when one begins.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("hookhub.sandbox")

#: Calls of an integration averaging more than this do not count as healthy (no reserved workers).
SLOW_MS = 1000.0
#: CPU niceness of a worker running a call of an integration whose calls time out.
SUSPECT_NICENESS = 19
#: :meth:`Quarantine.standing` values
HEALTHY, UNPROVEN, TIMING_OUT = 0, 1, 2


@dataclass(frozen=True)
class QuarantinePolicy:
    """The knobs (``sandbox.quarantine`` and ``sandbox.reserved_workers`` in YAML)."""

    #: timeouts within ``window_s`` that quarantine an integration (0: never quarantine)
    after: int = 3
    window_s: float = 60.0
    #: first quarantine; doubles with each quarantine in a row, up to ``max_s``
    base_s: float = 10.0
    max_s: float = 600.0
    #: workers only integrations with a clean record may use (at least one worker is always shared)
    reserved_workers: int = 1


@dataclass
class _Record:
    timeouts: deque[float] = field(default_factory=deque)
    #: quarantines in a row (the backoff exponent)
    level: int = 0
    #: quarantined until this monotonic time
    until: float = 0.0
    #: a quarantine ended and no call has finished in time since
    probation: bool = False
    reason: str = ""


def set_niceness(pid: int, standing: int, *, restore: bool = False) -> bool:
    """Give the worker of a :data:`TIMING_OUT` call the lowest CPU priority, or (``restore``) its normal
    one back; other standings are left alone.  False when that failed (restoring needs CAP_SYS_NICE)."""
    if standing < TIMING_OUT:
        return True
    try:
        os.setpriority(os.PRIO_PROCESS, pid, 0 if restore else SUSPECT_NICENESS)
    except ProcessLookupError:  # it already exited
        return True
    except OSError:
        return False
    return True


def is_timeout(reason: str | None) -> bool:
    """True when a failed call's ``reason`` says the script ran out of time (any engine)."""
    return reason is not None and "timed out after" in reason


class Quarantine:
    """Per-integration timeout records of one worker pool."""

    def __init__(self, policy: QuarantinePolicy | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy or QuarantinePolicy()
        self._clock = clock
        self._records: dict[str, _Record] = {}
        #: quarantines begun since start (a counter for metrics)
        self.quarantines = 0
        #: called with (integration_id, seconds, reason) when a quarantine begins
        self.listeners: list[Callable[[str, float, str], None]] = []

    def shared_workers(self, size: int) -> int:
        """How many of ``size`` workers integrations without a clean record may hold together."""
        return max(1, size - max(0, self.policy.reserved_workers))

    def retry_after(self, integration_id: str) -> float | None:
        """Seconds left in the integration's quarantine, or None when it is not quarantined."""
        record = self._records.get(integration_id)
        if record is None or not record.until:
            return None
        left = record.until - self._clock()
        if left > 0:
            return left
        record.until = 0.0
        record.probation = True
        return None

    def reason(self, integration_id: str) -> str:
        """Why the integration is quarantined (for the 503 and the log)."""
        record = self._records.get(integration_id)
        return record.reason if record is not None else ""

    def standing(self, integration_id: str, avg_ms: float | None) -> int:
        """:data:`HEALTHY` (proven: ``avg_ms`` known and under :data:`SLOW_MS`, no recent timeout),
        :data:`UNPROVEN` (new or slow) or :data:`TIMING_OUT` (recent timeouts, quarantined or on probation)."""
        record = self._records.get(integration_id)
        if record is not None:
            if record.probation or record.until:
                return TIMING_OUT
            self._expire(record)
            if record.timeouts:
                return TIMING_OUT
        return UNPROVEN if avg_ms is None or avg_ms > SLOW_MS else HEALTHY

    def healthy(self, integration_id: str, avg_ms: float | None) -> bool:
        """A clean record: may use the reserved workers."""
        return self.standing(integration_id, avg_ms) == HEALTHY

    def _expire(self, record: _Record) -> None:
        horizon = self._clock() - self.policy.window_s
        while record.timeouts and record.timeouts[0] < horizon:
            record.timeouts.popleft()

    def record(self, integration_id: str, timed_out: bool) -> float | None:
        """Note one finished call; returns the quarantine's length when this call started one."""
        record = self._records.get(integration_id)
        if not timed_out:
            if record is not None and record.probation:
                log.info("integration %s: a call finished in time after its quarantine; "
                         "it is no longer on probation", integration_id)
                self._records.pop(integration_id, None)
            return None
        if record is None:
            record = self._records[integration_id] = _Record()
        now = self._clock()
        record.timeouts.append(now)
        self._expire(record)
        policy = self.policy
        if record.until > now or policy.after <= 0:
            return None
        if not record.probation and len(record.timeouts) < policy.after:
            return None
        seconds = float(min(policy.base_s * (2 ** record.level), policy.max_s))
        why = ("timed out again after its quarantine" if record.probation else
               f"{len(record.timeouts)} calls timed out within {policy.window_s:g} s")
        record.level += 1
        record.until = now + seconds
        record.probation = False
        record.timeouts.clear()
        record.reason = (f"integration {integration_id!r} is quarantined for {math.ceil(seconds)} s: {why} "
                         "(sandbox.quarantine); fix the script or its input, then retry")
        self.quarantines += 1
        log.warning("integration %s quarantined for %d s: %s; its calls are refused with 503 until then",
                    integration_id, math.ceil(seconds), why)
        for listener in list(self.listeners):
            try:
                listener(integration_id, seconds, why)
            except Exception:  # noqa: BLE001 - a metrics callback must not break the pool
                log.exception("a quarantine listener failed")
        return seconds

    def forget(self, integration_id: str) -> None:
        """Drop the integration's record (unloaded, or its script changed)."""
        self._records.pop(integration_id, None)

    def snapshot(self) -> dict[str, dict[str, float | int | bool]]:
        """Integrations with a record: recent timeouts, quarantine seconds left, level, probation."""
        now = self._clock()
        return {iid: {"timeouts": len(r.timeouts), "retry_after": max(0.0, r.until - now) if r.until else 0.0,
                      "level": r.level, "probation": r.probation} for iid, r in self._records.items()}
