"""Admission, the pipeline's first stage: whether a webhook is processed at all.

:func:`admit` looks the hook up (unknown id or wrong token: 404), counts it
against its rate limit (429) and refuses it while its integration is
quarantined (503); :func:`verify` checks its signature (401);
:func:`claim` de-duplicates it by delivery id.

Two questions answered *in the database*, so they hold when several
processes or nodes share one store:

* **Rate limits** (``rate_limit:``): a fixed-window counter per integration.
  On a shared store (PostgreSQL, or ``serve --workers N``) it is a row of
  ``rate_counters`` incremented with ``INSERT ... ON CONFLICT DO UPDATE ...
  RETURNING``; one process alone on SQLite counts in memory (``limits``).
* **De-duplication by delivery id** (``dedupe:``): the first copy of a
  delivery *claims* it, ``INSERT ... ON CONFLICT DO NOTHING`` into
  ``delivery_claims``; exactly one request wins, on any node.  The claim is
  marked done in the transaction that commits the webhook's messages
  (:func:`op_settle`), or released in it when the webhook failed, so that the
  sender's retry is processed.

A copy arriving while the first is still being processed waits for it (up to
``dedupe.wait_s``, polling the claim): it then answers like a later copy (200
``"duplicate": true``) when the first succeeded, or is processed itself when
the first failed.  If the first is still running after the wait, the copy is
answered **409** with ``Retry-After`` (nothing is posted, the sender retries).
A claim whose node died is taken over after ``dedupe.lease_s``.
"""

from __future__ import annotations

import asyncio
import enum
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import and_, delete, or_, update
from sqlalchemy.engine import Connection

from .. import database, schema
from ..errors import RateLimited, ScriptQuarantined
from ..registry import Integration
from ..store import Store

if TYPE_CHECKING:  # pragma: no cover
    from ..hub import Hub
    from .inbound import Inbound

__all__ = ["Claim", "ClaimLost", "RateLimits", "RateStats", "admit", "check_quarantine", "claim", "op_settle",
           "release", "verify"]


class Claim(enum.Enum):
    """What :func:`claim` decided for one copy of a delivery."""

    #: this request processes the delivery
    WON = "won"
    #: a copy was processed successfully within the dedupe window: answer 200, post nothing
    DUPLICATE = "duplicate"
    #: another copy is still being processed after the wait: answer 409, the sender retries
    IN_FLIGHT = "in_flight"


class ClaimLost(RuntimeError):
    """The claim expired and another node took the delivery over; this copy's commit is refused."""


def op_try_claim(integration_id: str, delivery_id: str, token: str, now: float, *, window_s: float,
                 lease_s: float) -> Callable[[Connection], Claim | None]:
    """Claim the delivery; returns WON, DUPLICATE, or None while another copy holds a live claim."""
    t = schema.delivery_claims
    key = and_(t.c.integration_id == integration_id, t.c.delivery_id == delivery_id)

    def run(conn: Connection) -> Claim | None:
        inserted = conn.execute(
            database.upsert(conn, t).values(integration_id=integration_id, delivery_id=delivery_id,
                                            state="pending", token=token, ts=now)
            .on_conflict_do_nothing(index_elements=["integration_id", "delivery_id"])
            .returning(t.c.token)).first()  # (rowcount is not reliable for INSERT on every driver)
        if inserted is not None:
            return Claim.WON
        # Taken over when the last success is older than the window, or the holder's lease ran out.
        taken = conn.execute(update(t).where(key, or_(
            and_(t.c.state == "done", t.c.ts < now - window_s),
            and_(t.c.state == "pending", t.c.ts < now - lease_s),
        )).values(state="pending", token=token, ts=now))
        if taken.rowcount == 1:
            return Claim.WON
        row = conn.execute(t.select().where(key)).first()
        if row is None:  # released between our statements: try again on the next poll
            return None
        return Claim.DUPLICATE if row.state == "done" else None
    return run


async def claim(store: Store, integration_id: str, delivery_id: str, token: str, *, window_s: float,
                lease_s: float, wait_s: float) -> Claim:
    """Claim a delivery for this request, waiting up to ``wait_s`` for a copy in flight."""
    deadline = time.monotonic() + wait_s
    pause = 0.02
    while True:
        decided = await store.write(op_try_claim(integration_id, delivery_id, token, time.time(),
                                                 window_s=window_s, lease_s=lease_s))
        if decided is not None:
            return decided  # type: ignore[no-any-return]
        left = deadline - time.monotonic()
        if left <= 0:
            return Claim.IN_FLIGHT
        await asyncio.sleep(min(pause, left))
        pause = min(pause * 2, 0.25)


def op_settle(integration_id: str, delivery_id: str, token: str, *, success: bool,
              now: float) -> Callable[[Connection], None]:
    """In the webhook's commit: mark the claim done (success) or release it (failure, so a retry runs).

    Raises :class:`ClaimLost` when the claim is no longer this request's: the
    transaction is rolled back and nothing of this copy is stored twice.
    """
    t = schema.delivery_claims
    mine = and_(t.c.integration_id == integration_id, t.c.delivery_id == delivery_id, t.c.token == token)

    def run(conn: Connection) -> None:
        if success:
            result = conn.execute(update(t).where(mine).values(state="done", ts=now))
            if result.rowcount != 1:
                raise ClaimLost(f"integration {integration_id}: delivery {delivery_id} was taken over by "
                                "another request after its claim expired (dedupe.lease_s)")
        else:
            conn.execute(delete(t).where(mine))
    return run


async def release(store: Store, integration_id: str, delivery_id: str, token: str) -> None:
    """Give a claim back (the request failed before its commit); best effort."""
    t = schema.delivery_claims

    def run(conn: Connection) -> None:
        conn.execute(delete(t).where(t.c.integration_id == integration_id, t.c.delivery_id == delivery_id,
                                     t.c.token == token, t.c.state == "pending"))
    await store.write(run)


def op_prune_claims(before: float) -> Callable[[Connection], int]:
    """Forget claims older than ``before`` (done ones past every window, pending ones of dead nodes)."""
    t = schema.delivery_claims

    def run(conn: Connection) -> int:
        return int(conn.execute(delete(t).where(t.c.ts < before)).rowcount or 0)
    return run


# -- rate limits -------------------------------------------------------------------


@dataclass(frozen=True)
class RateStats:
    """One integration's rate-limit window after a hit."""

    limit: int
    remaining: int
    reset: int

    def headers(self) -> dict[str, str]:
        """The ``X-RateLimit-Limit``/``-Remaining``/``-Reset`` answer headers of this window (reset: Unix seconds)."""
        return {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(self.remaining),
                "X-RateLimit-Reset": str(self.reset)}


def op_hit(key: str, window_start: float) -> Callable[[Connection], int]:
    """Count one call in a shared window; returns the window's count including this call."""
    t = schema.rate_counters

    def run(conn: Connection) -> int:
        stmt = database.upsert(conn, t).values(key=key, window_start=window_start, hits=1)
        stmt = stmt.on_conflict_do_update(index_elements=["key", "window_start"],
                                          set_={"hits": t.c.hits + 1}).returning(t.c.hits)
        return int(conn.execute(stmt).scalar_one())
    return run


def op_prune_counters(before: float) -> Callable[[Connection], int]:
    """Delete the shared rate-limit windows that started before ``before``; returns how many rows went."""
    t = schema.rate_counters

    def run(conn: Connection) -> int:
        return int(conn.execute(delete(t).where(t.c.window_start < before)).rowcount or 0)
    return run


class RateLimits:
    """Per-integration fixed-window limits: ``{integration id: (calls, per_seconds)}``."""

    def __init__(self, store: Store, limits: dict[str, tuple[int, int]] | None = None) -> None:
        self.store = store
        self._memory = FixedWindowRateLimiter(MemoryStorage())
        self.configure(limits or {})

    def configure(self, limits: dict[str, tuple[int, int]]) -> None:
        """Apply new limits (a configuration reload); counts of the current windows are kept."""
        self.limits = dict(limits)
        self._items = {k: RateLimitItemPerSecond(calls, per) for k, (calls, per) in limits.items()}

    async def hit(self, integration_id: str) -> RateStats | None:
        """Count a call; raise :class:`RateLimited` (429) beyond the limit; None when unlimited."""
        limit = self.limits.get(integration_id)
        if limit is None:
            return None
        calls, per = limit
        if self.store.shared:
            now = time.time()
            start = math.floor(now / per) * per
            count: int = await self.store.write(op_hit(f"incoming:{integration_id}", start))
            stats = RateStats(calls, max(0, calls - count), int(start + per))
            allowed = count <= calls
        else:
            item = self._items[integration_id]
            allowed = self._memory.hit(item, integration_id)
            window = self._memory.get_window_stats(item, integration_id)
            stats = RateStats(calls, window.remaining, int(window.reset_time))
        if not allowed:
            raise RateLimited(stats.limit, stats.remaining, stats.reset)
        return stats


def limits_of(integrations: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """``(calls, per_seconds)`` of the integrations with ``rate_limit:``, by id."""
    return {i.id: (i.config.rate_limit.calls, i.config.rate_limit.per_seconds)
            for i in integrations.values() if i.config.rate_limit}


# -- the stage ---------------------------------------------------------------------


async def admit(hub: Hub, inbound: Inbound) -> tuple[Integration, RateStats | None]:
    """The integration a hook URL names, counted against its rate limit.

    Raises ``NotFound`` (unknown id or wrong token, compared in constant
    time), :class:`RateLimited` (429) or :class:`ScriptQuarantined` (503);
    nothing is stored for a request refused here.
    """
    integ = hub.registry.lookup(inbound.integration_id, inbound.token)
    rate = await hub.rate_limits.hit(integ.id)
    check_quarantine(hub, integ)
    return integ, rate


def check_quarantine(hub: Hub, integ: Integration) -> None:
    """503 with ``Retry-After`` at once while the integration is quarantined (nothing runs or is stored)."""
    quarantine = getattr(hub.sandbox, "quarantine", None)
    wait = quarantine.retry_after(integ.id) if quarantine is not None and integ.spec is not None else None
    if wait:
        raise ScriptQuarantined(wait)


def verify(hub: Hub, integ: Integration, headers: dict[str, str], body: bytes) -> None:
    """Raise ``VerificationFailed`` unless the request passes the integration's ``verify:``."""
    spec = integ.config.verify
    if spec is not None:
        hub.verifiers[spec.type](spec.options(), headers, body, time.time())
