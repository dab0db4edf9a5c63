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


#: Ordered migrations; version N is ``MIGRATIONS[N - 1]``.
MIGRATIONS: list[Callable[[Connection], None]] = [_v1, _v2, _v3]
