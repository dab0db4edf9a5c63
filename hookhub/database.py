"""Which database a store URL names, whether hookhub can use it, and the SQL that differs per backend.

hookhub speaks SQLite (the embedded default, Python's ``sqlite3``) and
PostgreSQL (psycopg 3, ``pip install 'hookhub[postgresql]'``).  Both
``postgresql://`` and ``postgresql+psycopg://`` URLs mean psycopg 3 (plain
``postgresql://`` would otherwise pick SQLAlchemy's default psycopg2 driver).
"""

from __future__ import annotations

import fcntl
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Connection, Engine

from .redact import MASK, mask_url

__all__ = ["backend", "engine_url", "problem", "upsert", "advisory_xact_lock", "migration_lock", "sqlite_path"]


def backend(url: str) -> str:
    """``"sqlite"`` or ``"postgresql"`` (``ValueError`` for anything else, naming the key to fix)."""
    scheme = url.split(":", 1)[0].lower()
    name = scheme.split("+", 1)[0]
    if name == "sqlite":
        return "sqlite"
    if name in ("postgresql", "postgres"):
        if "+" in scheme and scheme.split("+", 1)[1] != "psycopg":
            raise ValueError(f"storage.url: driver {scheme.split('+', 1)[1]!r} is not supported; "
                             "use postgresql:// or postgresql+psycopg:// (psycopg 3)")
        return "postgresql"
    raise ValueError(f"storage.url: {scheme!r} is not supported; use sqlite:///path.db or "
                     "postgresql://user:password@host:port/db")


def engine_url(url: str) -> str:
    """The URL SQLAlchemy should open (PostgreSQL URLs pinned to psycopg 3)."""
    if backend(url) == "postgresql":
        rest = url.split("://", 1)[1]
        return f"postgresql+psycopg://{rest}"
    return url


def sqlite_path(url: str) -> str | None:
    """The file of a SQLite URL (None for ``:memory:`` or another backend)."""
    if backend(url) != "sqlite" or ":///" not in url:
        return None
    path = url.split(":///", 1)[1].split("?", 1)[0]
    return path if path and path != ":memory:" else None


def problem(url: str, *, connect_timeout_s: int = 5) -> str | None:
    """One line saying why hookhub cannot use the store at ``url``, or None when it can.

    Checks the URL's scheme, that the driver is installed, and (PostgreSQL)
    that the server answers.  The password never appears in the answer.
    """
    shown = mask_url(url)
    try:
        kind = backend(url)
    except ValueError as exc:
        return str(exc)
    if kind == "sqlite":
        return None
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return (f"storage.url {shown}: the PostgreSQL driver (psycopg 3) is not installed; "
                "install it with: pip install 'hookhub[postgresql]'")
    from sqlalchemy import create_engine
    from sqlalchemy.exc import ArgumentError, DBAPIError

    try:
        engine = create_engine(engine_url(url), connect_args={"connect_timeout": connect_timeout_s})
    except ArgumentError as exc:
        return f"storage.url {shown}: not a valid database URL ({exc})"
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else type(exc).__name__
        return f"storage.url {shown}: cannot connect to the PostgreSQL server: {mask_secret(reason, url)}"
    except Exception as exc:  # noqa: BLE001 - reported as one line, never a traceback
        return f"storage.url {shown}: cannot connect: {type(exc).__name__}: {mask_secret(str(exc), url)}"
    finally:
        engine.dispose()
    return None


def mask_secret(message: str, url: str) -> str:
    """``message`` with the URL's password (if any) replaced by ``••••``."""
    if "://" in url and "@" in url.split("://", 1)[1]:
        userinfo = url.split("://", 1)[1].rsplit("@", 1)[0]
        if ":" in userinfo:
            password = userinfo.split(":", 1)[1]
            if password:
                return message.replace(password, MASK)
    return message


def upsert(conn: Connection, table: Table) -> Any:
    """``INSERT`` with ``on_conflict_do_nothing``/``on_conflict_do_update`` for the connection's backend."""
    if conn.dialect.name == "postgresql":
        return pg_dialect.insert(table)
    return sqlite_dialect.insert(table)


def lock_key(name: str) -> int:
    """A stable 32-bit key for PostgreSQL advisory locks (``hookhub:`` + name)."""
    return zlib.crc32(f"hookhub:{name}".encode())


def advisory_xact_lock(conn: Connection, name: str, *, wait: bool = True) -> bool:
    """Take a transaction-scoped advisory lock on PostgreSQL; True when held.

    On SQLite there are no advisory locks: the write transaction itself
    serialises writers (one machine only), so this returns True.
    """
    if conn.dialect.name != "postgresql":
        return True
    if wait:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key(name)})
        return True
    return bool(conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": lock_key(name)}).scalar())


@contextmanager
def migration_lock(engine: Engine, url: str) -> Iterator[None]:
    """Hold the cluster-wide migration lock: ``pg_advisory_lock`` on PostgreSQL, a file lock next to a
    SQLite file (several processes of one machine).  Two nodes starting at once migrate one after the
    other; the second finds the schema up to date."""
    if backend(url) == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": lock_key("migrate")})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_key("migrate")})
                conn.commit()
        return
    path = sqlite_path(url)
    if path is None:
        yield
        return
    lock = Path(f"{path}.migrate-lock")
    with open(lock, "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
