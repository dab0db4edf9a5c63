"""Posting, the pipeline's last stage: the one commit sequence of every message hookhub posts.

stamp → rows → commit → announce.  The drafts get their ids and times, become
rows of ``messages``, are committed in one transaction with the run's logs,
its history entry and whatever else the caller adds (a Store merge, the
settling of a delivery claim, an outbox update); only after that commit are
plugins told (``hookhub_message_posted``: outgoing triggers, bridges, metrics).
A message answered 200 is therefore committed before anyone hears of it.

Used by the incoming path (:mod:`.incoming`), the REST API's
``chat.postMessage`` and replays, the UI's runs and outgoing replies.
(History retention is a periodic job, :mod:`hookhub.cluster`, not part of a commit.)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..message import Draft, stamp
from ..records import LogRecord
from ..store import WriteOp, combine, op_insert_history, op_insert_logs, op_insert_messages

if TYPE_CHECKING:  # pragma: no cover
    from ..hub import Hub

__all__ = ["Post", "announce", "message_rows", "post"]


def message_rows(drafts: Sequence[Draft], integration_id: str | None, now: float) -> list[dict[str, Any]]:
    """Rows of the ``messages`` table for stamped drafts."""
    return [{"id": d.doc["_id"], "ts": now, "room": d.destination.label, "integration_id": integration_id,
             "doc": d.doc} for d in drafts]


@dataclass
class Post:
    """What one run commits: its messages, and its logs and history entry when it has one."""

    integration_id: str | None
    drafts: list[Draft]
    #: the history row; ``ts`` and ``message_ids`` are filled in by :meth:`ops`
    history: dict[str, Any] | None = None
    logs: Sequence[LogRecord] = ()
    #: more operations for the same transaction
    extra: list[WriteOp] = field(default_factory=list)

    def ops(self, now: float) -> list[WriteOp]:
        """The write operations of this post; drafts not stamped yet are stamped at ``now``."""
        unstamped = [d for d in self.drafts if "_id" not in d.doc]
        if unstamped:
            stamp(unstamped, now)
        rows = message_rows(self.drafts, self.integration_id, now)
        ops = [op_insert_messages(rows)]
        if self.history is not None:
            self.history.update(ts=now, message_ids=[r["id"] for r in rows])
            ops += [op_insert_logs(str(self.history["integration_id"]), self.history["id"], self.logs),
                    op_insert_history(self.history)]
        return ops + self.extra

    def op(self, now: float | None = None) -> WriteOp:
        """All of :meth:`ops` as one operation (one transaction)."""
        return combine(*self.ops(time.time() if now is None else now))


def announce(hub: Hub, drafts: Sequence[Draft], integration_id: str | None) -> None:
    """Tell the plugins about committed messages (``hookhub_message_posted``, once per message)."""
    hook = hub.message_posted
    for draft in drafts:
        hook(hub, draft.doc, integration_id)


async def post(hub: Hub, posting: Post) -> None:
    """Commit ``posting`` in one transaction, then announce its messages."""
    await hub.store.write(posting.op())
    announce(hub, posting.drafts, posting.integration_id)
