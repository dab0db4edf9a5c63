"""The ``Store`` of scripts in the database, consistent when several nodes run one integration.

Semantics (docs/deployment.md "What is shared"): **last writer wins per key**.
A call's changes (only the keys it set) are merged into the integration's row
inside the commit's transaction, under the row's lock (``SELECT ... FOR
UPDATE`` on PostgreSQL; SQLite's write transaction serialises writers), so
changes to different keys made on different nodes at the same moment are all
kept.  On a shared store, a call of a script that uses ``Store`` first reads
the row, so it sees what other nodes committed before it started.  Two calls
on two nodes changing the *same* key at the same moment: the later commit
wins (a counter incremented on two nodes at once can count one increment
less).  Within one process, calls of a Store-using script run one at a time
(:class:`Sections`: from reading the row to committing the call's changes),
so there a read-modify-write never loses an update.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from . import database, schema
from .store import Store

__all__ = ["Sections", "op_merge", "load", "uses_store"]


def uses_store(source: str) -> bool:
    """True when a script's source mentions ``Store`` (the sandbox serialises such scripts too)."""
    return "Store" in source


def op_merge(integration_id: str, changes: dict[str, Any]) -> Callable[[Connection], dict[str, Any]]:
    """Merge ``changes`` into the integration's Store row (per key, last writer wins); returns the row."""
    t = schema.script_store

    def run(conn: Connection) -> dict[str, Any]:
        conn.execute(database.upsert(conn, t).values(integration_id=integration_id, data={})
                     .on_conflict_do_nothing(index_elements=["integration_id"]))
        q = select(t.c.data).where(t.c.integration_id == integration_id)
        if conn.dialect.name == "postgresql":
            q = q.with_for_update()
        current = conn.execute(q).scalar() or {}
        merged = {**current, **changes}
        conn.execute(update(t).where(t.c.integration_id == integration_id).values(data=merged))
        return merged
    return run


async def load(store: Store, integration_id: str) -> dict[str, Any] | None:
    """The integration's Store as committed (None when it never saved one)."""
    t = schema.script_store
    q = select(t.c.data).where(t.c.integration_id == integration_id)
    value = await store.read(lambda c: c.execute(q).scalar())
    return dict(value) if isinstance(value, dict) else None


class Sections:
    """One call at a time per Store-using integration of this process, from load to commit.

    The sandbox already runs such calls one at a time, but on a shared store the
    row is read before the call and the changes are committed after it: without
    this, a second call could start from a row read before the first committed.
    """

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}

    def section(self, integration_id: str, source: str | None, *,
                shared: bool) -> contextlib.AbstractAsyncContextManager[Any]:
        """Hold the integration's section when the store is shared and the script uses ``Store``.

        Otherwise (the common case) a context that does nothing, without a generator or a lock.
        """
        if not shared or source is None or not uses_store(source):
            return _NO_SECTION
        lock = self._locks.get(integration_id)
        if lock is None:
            lock = self._locks[integration_id] = asyncio.Lock()
        return lock


_NO_SECTION: contextlib.AbstractAsyncContextManager[Any] = contextlib.nullcontext()
