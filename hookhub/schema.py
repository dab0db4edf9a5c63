"""Database tables and versioned migrations.

Tables are SQLAlchemy Core objects so the same code runs on SQLite (the
embedded default) and PostgreSQL.  :data:`MIGRATIONS` is an ordered list;
the store applies the ones newer than the ``schema_version`` row at start-up,
each in its own transaction.  Add a migration at the end, never edit one that
has shipped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    inspect,
)
from sqlalchemy.engine import Connection

metadata = MetaData()

schema_version = Table(
    "schema_version", metadata,
    Column("version", Integer, nullable=False),
)

users = Table(
    "users", metadata,
    Column("id", String(128), primary_key=True),
    Column("username", String(128), nullable=False, unique=True),
    Column("name", String(256)),
)

channels = Table(
    "channels", metadata,
    Column("id", String(128), primary_key=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("private", Boolean, nullable=False, default=False),
    Column("members", JSON, nullable=False),
)

messages = Table(
    "messages", metadata,
    Column("id", String(32), primary_key=True),
    Column("ts", Float, nullable=False),
    # "#general" or "@alice"
    Column("room", String(160), nullable=False),
    Column("integration_id", String(128)),
    Column("doc", JSON, nullable=False),
    Index("ix_messages_room_ts", "room", "ts"),
)

logs = Table(
    "logs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("integration_id", String(128), nullable=False),
    Column("ts", Float, nullable=False),
    Column("level", String(16), nullable=False),
    Column("message", Text, nullable=False),
    Column("request_id", String(32)),
    Index("ix_logs_integration_id", "integration_id", "id"),
)

history = Table(
    "history", metadata,
    Column("id", String(32), primary_key=True),
    Column("integration_id", String(128), nullable=False),
    Column("ts", Float, nullable=False),
    Column("kind", String(16), nullable=False),  # incoming | outgoing
    Column("step", String(64)),
    Column("request", JSON),
    Column("result", JSON),
    Column("status", Integer),
    Column("response", JSON),
    Column("message_ids", JSON),
    Column("error", Text),
    Column("duration_ms", Float),
    Column("delivery_id", String(128)),
    Index("ix_history_integration_ts", "integration_id", "ts"),
)

script_store = Table(
    "script_store", metadata,
    Column("integration_id", String(128), primary_key=True),
    Column("data", JSON, nullable=False),
)


# -- outgoing integrations and bridges (migration v4) --------------------------

#: Durable outbox: one row per pending/finished outbound delivery.  ``kind`` is
#: "outgoing" (an outgoing integration's call to one of its urls) or "bridge"
#: (onward delivery of a message to a chat platform).  Rows are claimed by a
#: worker with a lease (``locked_until``) so a crashed node's work is retried.
deliveries = Table(
    "deliveries", metadata,
    Column("id", String(32), primary_key=True),
    Column("kind", String(16), nullable=False),
    #: integration id (outgoing) or bridge name (bridge)
    Column("target", String(128), nullable=False),
    Column("message_id", String(32)),
    Column("event", String(32)),
    #: what the attempt needs besides the YAML: message document, url, trigger word
    Column("payload", JSON, nullable=False),
    #: pending | delivered | failed | cancelled
    Column("status", String(16), nullable=False),
    #: failed attempts so far (Rocket.Chat's ``tries``)
    Column("tries", Integer, nullable=False, default=0),
    #: every attempt, including ones deferred by a 429
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", Float, nullable=False),
    Column("locked_until", Float),
    Column("last_status", Integer),
    Column("last_error", Text),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Index("ix_deliveries_due", "kind", "status", "next_attempt_at"),
    #: target, message, event and URL: one delivery per message and URL (queued once, see delivery/queue.py)
    Column("item_key", String(400)),
    Index("ix_deliveries_message", "message_id"),
)

#: Runtime state of an integration that must survive a restart (an outgoing
#: integration disabled by a 410 answer).
integration_state = Table(
    "integration_state", metadata,
    Column("integration_id", String(128), primary_key=True),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("reason", Text),
    Column("updated_at", Float, nullable=False),
)


#: One row per outbox kind written at a clean shutdown and removed at start-up:
#: when it is missing at start-up, the previous run crashed and recent messages
#: are checked for deliveries that were never queued.
outbox_state = Table(
    "outbox_state", metadata,
    Column("kind", String(16), primary_key=True),
    Column("clean_stop_at", Float, nullable=False),
)


# -- several nodes on one database (migration v6) -------------------------------

#: De-duplication by delivery id: one row per (integration, delivery id), claimed atomically by the
#: node that processes it (``INSERT ... ON CONFLICT DO NOTHING``).  ``state`` is "pending" while the
#: claiming node works on it (``token`` is that request's id, ``ts`` when it was claimed) and "done"
#: once its success was committed (``ts`` then is the commit time, for the dedupe window).
delivery_claims = Table(
    "delivery_claims", metadata,
    Column("integration_id", String(128), primary_key=True),
    Column("delivery_id", String(128), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("token", String(32), nullable=False),
    Column("ts", Float, nullable=False),
)

#: Shared fixed-window rate-limit counters: ``hits`` calls of ``key`` in the window starting at
#: ``window_start`` (seconds, a multiple of the window length).
rate_counters = Table(
    "rate_counters", metadata,
    Column("key", String(160), primary_key=True),
    Column("window_start", Float, primary_key=True),
    Column("hits", Integer, nullable=False),
)

#: Periodic jobs run once per interval cluster-wide: when each last ran.
periodic_jobs = Table(
    "periodic_jobs", metadata,
    Column("name", String(64), primary_key=True),
    Column("last_run", Float, nullable=False),
)


def _add_column(conn: Connection, table: Table, column: Column[Any]) -> None:
    """ALTER TABLE ... ADD COLUMN unless the column exists (tables created by a newer v1 have it)."""
    existing = {c["name"] for c in inspect(conn).get_columns(table.name)}
    if column.name not in existing:
        ddl = column.type.compile(dialect=conn.dialect)
        conn.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {column.name} {ddl}")


def _v1(conn: Connection) -> None:
    for table in (users, channels, messages, logs, history):
        table.create(conn, checkfirst=True)


def _v2(conn: Connection) -> None:
    script_store.create(conn, checkfirst=True)


def _v3(conn: Connection) -> None:
    _add_column(conn, history, history.c.delivery_id)
    conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_history_delivery ON history (integration_id, delivery_id)")


def _v4(conn: Connection) -> None:
    """Outgoing integrations and bridges: the delivery outbox and persisted integration state."""
    deliveries.create(conn, checkfirst=True)
    integration_state.create(conn, checkfirst=True)


def _v5(conn: Connection) -> None:
    """Crash recovery of the outbox: clean-shutdown markers, and messages by time."""
    outbox_state.create(conn, checkfirst=True)
    conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_messages_ts ON messages (ts)")


def _v6(conn: Connection) -> None:
    """Several nodes on one database: delivery claims, shared rate counters, periodic jobs."""
    for table in (delivery_claims, rate_counters, periodic_jobs):
        table.create(conn, checkfirst=True)
    conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_delivery_claims_ts ON delivery_claims (ts)")
    conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_rate_counters_window ON rate_counters (window_start)")
    _add_column(conn, deliveries, deliveries.c.item_key)
    conn.exec_driver_sql("CREATE UNIQUE INDEX IF NOT EXISTS ux_deliveries_item ON deliveries (kind, item_key)")


def _v7(conn: Connection) -> None:
    """History by delivery id as a partial index: a webhook without a delivery id adds no index entry.

    Most webhooks have none (``delivery_header`` unset), and every commit rewrote a page of the full
    index for them; lookups by ``(integration_id, delivery_id = ...)`` still use the partial one.
    """
    conn.exec_driver_sql("DROP INDEX IF EXISTS ix_history_delivery")
    conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_history_delivery_set ON history (integration_id, delivery_id) "
                         "WHERE delivery_id IS NOT NULL")


#: Ordered migrations; version N is ``MIGRATIONS[N - 1]``.
MIGRATIONS: list[Callable[[Connection], None]] = [_v1, _v2, _v3, _v4, _v5, _v6, _v7]
