"""The outbox's rows: one delivery per row of ``deliveries``, and the operations on them.

Every function here builds one write (or read) in the store's transaction;
:class:`~hookhub.delivery.outbox.Outbox` schedules them.  Claims lease rows
with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (two nodes never take the same
row, neither waits for the other); enqueueing is idempotent per (target,
message, event, URL), so a crash recovery run by two nodes queues a call once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.engine import Connection

from .. import database, schema
from ..ids import iso, new_id
from ..store import Store

Clock = Callable[[], float]

PENDING, DELIVERED, FAILED, CANCELLED = "pending", "delivered", "failed", "cancelled"
STATUSES = (PENDING, DELIVERED, FAILED, CANCELLED)
#: a delivery whose handler keeps crashing is given up after this many attempts
MAX_INTERNAL_ERRORS = 10


@dataclass
class Delivery:
    """One row of the outbox."""

    id: str
    kind: str
    target: str
    message_id: str | None
    event: str | None
    payload: dict[str, Any]
    status: str
    tries: int
    attempts: int
    next_attempt_at: float
    created_at: float
    last_status: int | None = None
    last_error: str | None = None

    @classmethod
    def from_row(cls, row: Any) -> Delivery:
        """The delivery in one ``deliveries`` row (a missing payload becomes ``{}``)."""
        m = row._mapping
        return cls(id=m["id"], kind=m["kind"], target=m["target"], message_id=m["message_id"], event=m["event"],
                   payload=m["payload"] or {}, status=m["status"], tries=m["tries"], attempts=m["attempts"],
                   next_attempt_at=m["next_attempt_at"], created_at=m["created_at"],
                   last_status=m["last_status"], last_error=m["last_error"])


@dataclass
class Verdict:
    """What a handler decided about one claimed delivery."""

    status: str
    #: when to try again (status ``pending`` only)
    next_attempt_at: float | None = None
    #: the new ``tries`` value (None: unchanged)
    tries: int | None = None
    #: False when the handler deferred without calling anyone (rate limit)
    attempted: bool = True
    last_status: int | None = None
    error: str | None = None
    #: more writes committed in the same transaction as the delivery's new state (history, replies)
    ops: list[Callable[[Connection], Any]] = field(default_factory=list)
    #: called once that transaction is committed (e.g. announcing posted replies)
    after: list[Callable[[], None]] = field(default_factory=list)


Handler = Callable[[Delivery], Awaitable[Verdict]]


def delivery_json(row: Any, *, show_target: bool = True) -> dict[str, Any]:
    """A delivery as the API shows it (no payload: it may carry message text only, but never secrets)."""
    m = row._mapping
    return {
        "_id": m["id"], "kind": m["kind"], "target": m["target"] if show_target else None,
        "message_id": m["message_id"], "event": m["event"], "status": m["status"],
        "tries": m["tries"], "attempts": m["attempts"],
        "next_attempt_at": iso(m["next_attempt_at"]) if m["status"] == PENDING else None,
        "last_status": m["last_status"], "last_error": m["last_error"],
        "created_at": iso(m["created_at"]), "updated_at": iso(m["updated_at"]),
    }


def item_key(target: str, message_id: str | None, *parts: object) -> str | None:
    """The key that makes a delivery unique (``key`` of an enqueued item): target, message and whatever
    else tells two deliveries of one message apart (event, URL).  None (no message): never de-duplicated."""
    if message_id is None:
        return None
    return "\x1f".join([target, message_id, *("" if p is None else str(p) for p in parts)])


def op_enqueue(kind: str, items: Iterable[dict[str, Any]], now: float) -> Callable[[Connection], list[str]]:
    """Queue deliveries; an item whose ``key`` (:func:`item_key`) is already queued is not queued again
    (recovery after a crash may be run by several nodes at once)."""
    rows = [{"id": new_id(), "kind": kind, "target": item["target"], "message_id": item.get("message_id"),
             "event": item.get("event"), "payload": item.get("payload") or {}, "status": PENDING,
             "tries": 0, "attempts": 0, "next_attempt_at": item.get("next_attempt_at", now),
             "locked_until": None, "created_at": now, "updated_at": now, "item_key": item.get("key")}
            for item in items]

    def run(conn: Connection) -> list[str]:
        if not rows:
            return []
        t = schema.deliveries
        keys = [r["item_key"] for r in rows if r["item_key"] is not None]
        known = set(conn.execute(select(t.c.item_key).where(t.c.kind == kind, t.c.item_key.in_(keys))).scalars()
                    ) if keys else set()
        fresh = [r for r in rows if r["item_key"] is None or r["item_key"] not in known]
        if fresh:  # a node queueing the same item at this moment: ON CONFLICT keeps one
            stmt = database.upsert(conn, t).on_conflict_do_nothing(index_elements=["kind", "item_key"])
            conn.execute(stmt, fresh)
        return [r["id"] for r in fresh]
    return run


def op_claim(kind: str, now: float, limit: int, lease_s: float, *, busy: Iterable[str] = (),
             per_target: int = 8) -> Callable[[Connection], list[Delivery]]:
    """Lease due deliveries: at most ``limit``, at most ``per_target`` per target, none of a ``busy`` target."""
    t = schema.deliveries
    skip = list(busy)

    def run(conn: Connection) -> list[Delivery]:
        q = select(t).where(t.c.kind == kind, t.c.status == PENDING, t.c.next_attempt_at <= now,
                            or_(t.c.locked_until.is_(None), t.c.locked_until <= now))
        if skip:
            q = q.where(t.c.target.not_in(skip))
        q = q.order_by(t.c.next_attempt_at, t.c.created_at).limit(limit)
        if conn.dialect.name == "postgresql":
            # rows another node is claiming right now are skipped, not waited for
            q = q.with_for_update(skip_locked=True)
        claimed: list[Delivery] = []
        taken: dict[str, int] = {}
        for delivery in [Delivery.from_row(r) for r in conn.execute(q)]:
            if taken.get(delivery.target, 0) >= per_target:
                continue  # stays claimable: one slow target must not hold many leases at once
            # Conditional per row: on a database where another node may have claimed the row since the
            # SELECT (PostgreSQL, READ COMMITTED), only the node whose UPDATE matched keeps it.
            result = conn.execute(update(t).where(
                t.c.id == delivery.id, t.c.status == PENDING,
                or_(t.c.locked_until.is_(None), t.c.locked_until <= now)).values(locked_until=now + lease_s))
            if result.rowcount == 1:
                claimed.append(delivery)
                taken[delivery.target] = taken.get(delivery.target, 0) + 1
        return claimed
    return run


def op_finish(delivery: Delivery, verdict: Verdict, now: float) -> Callable[[Connection], None]:
    """Write ``verdict`` into the claimed ``delivery``'s row, releasing its lease: status, tries, attempts (+1
    if attempted), last status and error (kept on a silent deferral), next attempt (default ``now``) if pending."""
    t = schema.deliveries
    values: dict[str, Any] = {
        "status": verdict.status, "locked_until": None, "updated_at": now,
        "attempts": delivery.attempts + (1 if verdict.attempted else 0),
        "tries": delivery.tries if verdict.tries is None else verdict.tries,
    }
    if verdict.attempted or verdict.last_status is not None or verdict.error is not None:
        values["last_status"] = verdict.last_status
        values["last_error"] = verdict.error
    if verdict.status == PENDING:
        values["next_attempt_at"] = verdict.next_attempt_at if verdict.next_attempt_at is not None else now

    def run(conn: Connection) -> None:
        conn.execute(update(t).where(t.c.id == delivery.id).values(**values))
    return run


def op_renew(ids: list[str], now: float, lease_s: float) -> Callable[[Connection], int]:
    """Extend the leases of ``ids`` (still pending and leased) to ``now + lease_s``."""
    t = schema.deliveries

    def run(conn: Connection) -> int:
        result = conn.execute(update(t).where(t.c.id.in_(ids), t.c.status == PENDING,
                                              t.c.locked_until.is_not(None)).values(locked_until=now + lease_s))
        return int(result.rowcount or 0)
    return run


def with_idempotency_key(headers: dict[str, Any], delivery_id: str) -> dict[str, Any]:
    """``headers`` plus ``Idempotency-Key: <delivery id>`` (one a script set itself is kept)."""
    if any(k.lower() == "idempotency-key" for k in headers):
        return headers
    return {**headers, "Idempotency-Key": delivery_id}


def op_take_clean_stop(kind: str) -> Callable[[Connection], float | None]:
    """Remove and return the clean-shutdown marker of ``kind`` (None: the last run did not stop cleanly)."""
    t = schema.outbox_state

    def run(conn: Connection) -> float | None:
        value = conn.execute(select(t.c.clean_stop_at).where(t.c.kind == kind)).scalar()
        conn.execute(delete(t).where(t.c.kind == kind))
        return float(value) if value is not None else None
    return run


def op_mark_clean_stop(kind: str, now: float) -> Callable[[Connection], None]:
    """Leave ``kind``'s clean-shutdown marker (at ``now``), which :func:`op_take_clean_stop` takes at the next start."""
    t = schema.outbox_state

    def run(conn: Connection) -> None:
        conn.execute(delete(t).where(t.c.kind == kind))
        conn.execute(insert(t).values(kind=kind, clean_stop_at=now))
    return run


def op_prune(kind: str, before: float) -> Callable[[Connection], int]:
    """Delete finished deliveries last updated before ``before``."""
    t = schema.deliveries

    def run(conn: Connection) -> int:
        result = conn.execute(delete(t).where(t.c.kind == kind, t.c.status != PENDING, t.c.updated_at < before))
        return int(result.rowcount or 0)
    return run


async def unqueued_messages(store: Store, kind: str, since: float, until: float) -> list[dict[str, Any]]:
    """Messages stored in [``since``, ``until``) that have no delivery of ``kind`` (oldest first)."""
    m, d = schema.messages, schema.deliveries
    queued = select(d.c.message_id).where(d.c.kind == kind, d.c.message_id.is_not(None))
    q = (select(m.c.doc).where(m.c.ts >= since, m.c.ts < until, m.c.id.not_in(queued))
         .order_by(m.c.ts, m.c.id))
    return await store.read(lambda c: [row.doc for row in c.execute(q)])


async def list_deliveries(store: Store, *, message_id: str | None = None, kind: str | None = None,
                          target: str | None = None, status: str | None = None,
                          limit: int = 100) -> list[Any]:
    """Rows of the outbox, newest first, filtered."""
    t = schema.deliveries
    q = select(t)
    if message_id is not None:
        q = q.where(t.c.message_id == message_id)
    if kind is not None:
        q = q.where(t.c.kind == kind)
    if target is not None:
        q = q.where(t.c.target == target)
    if status is not None:
        q = q.where(t.c.status == status)
    q = q.order_by(t.c.created_at.desc(), t.c.id).limit(limit)
    return await store.read(lambda c: list(c.execute(q)))
