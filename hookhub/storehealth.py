"""When the store cannot commit: what to tell the caller, ``/healthz`` and the operator.

* :func:`commit_failure` classifies a database error: a full disk, a
  read-only or vanished database, an I/O error, an unreachable server are
  the store's condition (503 with ``Retry-After``, retried by the sender),
  not a bug (500).
* :func:`op_probe` is a small write that must commit; ``/healthz`` runs it
  while the store is failing, so it reports ready again as soon as a commit
  works (nothing else needs to happen: the writer simply retries).
* :func:`preflight` checks at start-up that the store opens and commits,
  returning one line that says what is wrong instead of a traceback.
"""

from __future__ import annotations

import secrets
import sqlite3
from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from . import schema

#: SQLite conditions that mean "cannot commit now" (``sqlite_errorname`` of the DB-API error)
_SQLITE = {
    "SQLITE_FULL": "the disk is full",
    "SQLITE_READONLY": "the database is read-only",
    "SQLITE_READONLY_DIRECTORY": "the database's directory is read-only",
    "SQLITE_READONLY_DBMOVED": "the database file was moved or deleted",
    "SQLITE_CANTOPEN": "the database file cannot be opened",
    "SQLITE_IOERR": "a disk I/O error",
    "SQLITE_BUSY": "the database is locked by another process",
    "SQLITE_LOCKED": "the database is locked",
    "SQLITE_PROTOCOL": "the database is locked",
    "SQLITE_NOTADB": "the file is not a database",
    "SQLITE_CORRUPT": "the database file is corrupt",
}
#: ... and their messages, for drivers without ``sqlite_errorname``
_SQLITE_MESSAGES = {
    "database or disk is full": "the disk is full",
    "attempt to write a readonly database": "the database is read-only",
    "unable to open database file": "the database file cannot be opened",
    "disk i/o error": "a disk I/O error",
    "database is locked": "the database is locked by another process",
}
#: PostgreSQL SQLSTATE classes/codes that mean the same
_SQLSTATE = {"53100": "the database server's disk is full", "53": "the database server is out of resources",
             "08": "the database server cannot be reached", "57P": "the database server is shutting down",
             "25006": "the database is read-only"}

#: Seconds a caller is asked to wait before retrying when the store cannot commit.
RETRY_AFTER_S = 10
_PROBE_ID = "~hookhub-probe"  # not a valid integration id (ids are letters, digits, -_.); no NUL: PostgreSQL text refuses it


def commit_failure(exc: BaseException) -> str | None:
    """Why the store cannot commit, when ``exc`` says so (disk full, read-only, I/O, unreachable); else None."""
    orig: Any = exc.orig if isinstance(exc, DBAPIError) else exc
    if isinstance(orig, sqlite3.Error):
        name = getattr(orig, "sqlite_errorname", "") or ""
        for prefix, reason in _SQLITE.items():
            if name == prefix or name.startswith(prefix + "_"):
                return f"{reason} ({orig})"
        text = str(orig).lower()
        for message, reason in _SQLITE_MESSAGES.items():
            if message in text:
                return f"{reason} ({orig})"
        return None
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if isinstance(state, str):
        for prefix in sorted(_SQLSTATE, key=len, reverse=True):
            if state.startswith(prefix):
                return f"{_SQLSTATE[prefix]} ({str(orig).strip().splitlines()[0] if str(orig).strip() else state})"
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return f"the database connection was lost ({str(orig).strip().splitlines()[0]})"
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc} ({exc.filename})" if exc.filename else str(exc)
    return None


def op_probe(size: int = 4096) -> Any:
    """A write that allocates a little room and gives it back, committed like any other.

    On PostgreSQL each table is a file of its own and a row finds room in a page its table already
    has (the last probe's, once pruned), so a row proves nothing about the disk: there the probe grows
    a file, the first page of a table of its own, created where hookhub's tables are created and
    dropped in the same transaction (a row again where the user may not create tables).
    """
    t = schema.logs

    def run(conn: Connection) -> None:
        if conn.dialect.name == "postgresql" and conn.exec_driver_sql(
                "SELECT has_schema_privilege(current_schema(), 'CREATE')").scalar():
            name = f"hookhub_probe_{secrets.token_hex(6)}"
            conn.exec_driver_sql(f"CREATE TABLE {name} (v text)")
            conn.exec_driver_sql(f"INSERT INTO {name} SELECT repeat('x', {int(size)})")
            conn.exec_driver_sql(f"DROP TABLE {name}")
            return
        conn.execute(insert(t).values(integration_id=_PROBE_ID, ts=0.0, level="debug", message="x" * size,
                                      request_id=None))
        conn.execute(delete(t).where(t.c.integration_id == _PROBE_ID))
    return run


def shown_url(url: str) -> str:
    """The store URL as it may be printed: without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (SQLAlchemyError, ValueError):
        return "<storage.url>"


def preflight(url: str) -> str | None:
    """Open the store at ``url``, migrate it and commit a probe; None when that worked, else one line why not."""
    from .store import Store

    try:
        store = Store(url)
    except OSError as exc:
        return f"cannot create the store's directory: {exc.strerror or exc} ({exc.filename})"
    try:
        store.migrate()
        store.write_now(op_probe(16))
    except (SQLAlchemyError, OSError) as exc:
        reason = commit_failure(exc) or str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        return f"cannot open and write the store: {reason}"
    finally:
        store.engine.dispose()
    return None
