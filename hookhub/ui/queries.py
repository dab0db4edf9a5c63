"""Store queries the admin UI needs beyond the read API's (small, read-only except ``op_retry_now``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.engine import Connection

from .. import schema
from ..delivery.outbox import FAILED, PENDING, Delivery
from ..ids import iso
from ..store import Store, history_json

#: log levels a script can write (CONTRACT §4), in the order the filter offers them
LEVELS = ("error", "warn", "info", "log", "debug")


@dataclass
class Stats:
    """What the integrations list shows of one integration."""

    last_ts: str | None = None
    count: int = 0
    errors: int = 0

    @property
    def error_rate(self) -> float | None:
        """Share of the last hour's requests answered with a status of 400 or more (None: no requests)."""
        return self.errors / self.count if self.count else None


async def integration_stats(store: Store, *, now: float | None = None, window_s: float = 3600.0) -> dict[str, Stats]:
    """Per integration id: time of the latest history entry, and requests and errors in the last ``window_s``."""
    t = schema.history
    since = (time.time() if now is None else now) - window_s
    recent = t.c.ts >= since
    q = select(
        t.c.integration_id,
        func.max(t.c.ts).label("last"),
        func.sum(case((recent, 1), else_=0)).label("count"),
        func.sum(case((and_(recent, t.c.status >= 400), 1), else_=0)).label("errors"),
    ).group_by(t.c.integration_id)

    def run(conn: Connection) -> dict[str, Stats]:
        return {r.integration_id: Stats(iso(r.last) if r.last is not None else None, int(r._mapping["count"] or 0),
                                        int(r._mapping["errors"] or 0)) for r in conn.execute(q)}
    return await store.read(run)


async def logs(store: Store, integration_id: str, *, level: str | None = None, request_id: str | None = None,
               limit: int = 200) -> list[dict[str, Any]]:
    """An integration's log entries, newest first, optionally of one level or one request only."""
    t = schema.logs
    q = select(t).where(t.c.integration_id == integration_id)
    if level is not None:
        q = q.where(t.c.level == level)
    if request_id is not None:
        q = q.where(t.c.request_id == request_id)
    q = q.order_by(t.c.id.desc()).limit(limit)
    return await store.read(lambda c: [
        {"level": r.level, "ts": iso(r.ts), "message": r.message, "request_id": r.request_id}
        for r in c.execute(q)])


async def history_since(store: Store, integration_id: str, after_ts: float, after_ids: Iterable[str] = (),
                        limit: int = 50) -> tuple[list[dict[str, Any]], float]:
    """History entries stored at or after ``after_ts`` (oldest first, each with its ``ts`` as a number in
    ``_raw_ts``), leaving out ``after_ids``; with the largest ``ts`` seen (for the next call)."""
    t = schema.history
    skip = list(after_ids)
    q = select(t).where(t.c.integration_id == integration_id, t.c.ts >= after_ts)
    if skip:
        q = q.where(t.c.id.not_in(skip))
    q = q.order_by(t.c.ts, t.c.id).limit(limit)

    def run(conn: Connection) -> tuple[list[dict[str, Any]], float]:
        rows = list(conn.execute(q))
        last = max((r.ts for r in rows), default=after_ts)
        return [{**history_json(r._mapping), "_raw_ts": float(r.ts)} for r in rows], float(last)
    return await store.read(run)


async def latest_ts(store: Store, integration_id: str) -> float:
    """The ``ts`` of an integration's newest history entry (0 without one)."""
    t = schema.history
    q = select(func.max(t.c.ts)).where(t.c.integration_id == integration_id)
    value = await store.read(lambda c: c.execute(q).scalar())
    return float(value) if value is not None else 0.0


async def messages_by_id(store: Store, ids: Iterable[str]) -> list[dict[str, Any]]:
    """Stored message documents with these ids, in the order of ``ids`` (missing ones left out)."""
    wanted = list(ids)
    if not wanted:
        return []
    t = schema.messages
    q = select(t.c.id, t.c.doc).where(t.c.id.in_(wanted))
    found = await store.read(lambda c: {r.id: r.doc for r in c.execute(q)})
    return [found[i] for i in wanted if i in found]


async def delivery(store: Store, delivery_id: str) -> Delivery | None:
    """One outbox row."""
    t = schema.deliveries
    rows = await store.read(lambda c: list(c.execute(select(t).where(t.c.id == delivery_id))))
    return Delivery.from_row(rows[0]) if rows else None


async def attempts_by_delivery(store: Store, integration_id: str, limit: int = 500) -> dict[str, list[dict[str, Any]]]:
    """An outgoing integration's recent history entries (its attempts), grouped by delivery id, oldest first."""
    t = schema.history
    q = (select(t).where(t.c.integration_id == integration_id, t.c.kind == "outgoing")
         .order_by(t.c.ts.desc(), t.c.id.desc()).limit(limit))
    entries = await store.read(lambda c: [history_json(r._mapping) for r in c.execute(q)])
    grouped: dict[str, list[dict[str, Any]]] = {}
    for entry in reversed(entries):
        key = (entry.get("request") or {}).get("delivery_id")
        if isinstance(key, str):
            grouped.setdefault(key, []).append(entry)
    return grouped


def op_retry_now(delivery_id: str, now: float) -> Callable[[Connection], bool]:
    """Make a pending or failed delivery due at ``now`` (a failed one becomes pending again);
    False when it is being attempted right now, was delivered or cancelled, or does not exist."""
    t = schema.deliveries

    def run(conn: Connection) -> bool:
        result = conn.execute(update(t).where(
            t.c.id == delivery_id, t.c.status.in_([PENDING, FAILED]),
            or_(t.c.locked_until.is_(None), t.c.locked_until <= now),
        ).values(status=PENDING, next_attempt_at=now, locked_until=None, updated_at=now))
        return bool(result.rowcount == 1)
    return run
