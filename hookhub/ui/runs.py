"""Running scripts from the UI: dry-run replays, real replays, and script tests on a pasted payload.

Dry runs go through :func:`hookhub.dryrun.dry_run` (the path the API's
``?dry_run=1`` replay takes): the script as it is on disk now runs in a fresh
instance with a copy of the ``Store``, the messages are built and validated,
and nothing is stored or posted.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..dryrun import dry_run as _dry_run
from ..errors import RequestError
from ..pipeline import Inbound, Outcome, process, record
from ..pipeline.inbound import replayed
from ..registry import Integration
from ..ids import iso, new_id
from . import queries
from .render import DiffRow, comparable_message, side_by_side

if TYPE_CHECKING:  # pragma: no cover
    from ..hub import Hub


@dataclass
class Run:
    """What one run of a script produced, ready to show."""

    status: int
    response: Any
    result: Any
    messages: list[dict[str, Any]]
    logs: list[dict[str, Any]]
    error: str | None = None
    duration_ms: float = 0.0
    history_id: str | None = None
    #: which script a dry run used (:class:`hookhub.dryrun.ScriptVersion` as JSON); None for a real run
    script: dict[str, Any] | None = None
    #: the Store the script would have left (dry runs)
    store: dict[str, Any] | None = None


@dataclass
class Replay:
    """A stored request run again: the stored answer, the new one, and their diff."""

    old: dict[str, Any]
    new: dict[str, Any]
    #: the new run (incoming entries; None for an outgoing attempt)
    run: Run | None = None
    diff: list[DiffRow] = field(default_factory=list)
    changed: bool = False
    #: the new delivery queued by a real replay of an outgoing attempt
    delivery_id: str | None = None


def _run(outcome: Outcome, started: float) -> Run:
    return Run(status=outcome.status, response=outcome.body, result=outcome.result,
               messages=[d.doc for d in outcome.drafts],
               logs=[{**r.to_json(), "ts": iso(r.ts)} for r in outcome.logs], error=outcome.error,
               duration_ms=round((time.perf_counter() - started) * 1000, 1))


async def dry_run(hub: Hub, integ: Integration, inbound: Inbound) -> Run:
    """Run ``inbound`` through the integration's script as on disk now; store and post nothing."""
    started = time.perf_counter()
    done = await _dry_run(hub, integ, inbound)
    run = _run(done.outcome, started)
    run.script, run.store = done.script.to_json(), done.store
    return run


def _shown(status: Any, response: Any, messages: list[Any]) -> dict[str, Any]:
    return {"status": status, "response": response, "messages": [comparable_message(m) for m in messages]}


async def replay(hub: Hub, integ: Integration, entry: dict[str, Any], *, dry: bool) -> Replay:
    """Replay an incoming history entry: a dry run, or for real (a new history entry, messages posted)."""
    if entry.get("kind") != "incoming":
        replayer = hub.replayers.get(str(entry.get("kind")))
        if replayer is None:
            raise RequestError(f"history entries of kind {entry.get('kind')!r} cannot be replayed")
        answer = await replayer(hub, integ, entry, dry)
        old, new = answer.get("old") or {}, answer.get("new") or {}
        return Replay(old=old, new=new, diff=side_by_side(old, new) if dry else [], changed=old != new,
                      delivery_id=answer.get("delivery_id"))
    inbound = replayed(integ, entry.get("request") or {})
    if dry:
        run = await dry_run(hub, integ, inbound)
    else:
        started = time.perf_counter()
        outcome = await process(hub, integ, inbound)
        run = _run(outcome, started)
        run.history_id = new_id()
        await record(hub, integ, inbound, outcome, started, run.history_id)
    old_messages = await queries.messages_by_id(hub.store, entry.get("message_ids") or [])
    old = _shown(entry.get("status"), entry.get("response"), old_messages)
    new = _shown(run.status, run.response, run.messages)
    return Replay(old=old, new=new, run=run, diff=side_by_side(old, new), changed=old != new)


def parse_headers(text: str) -> dict[str, str]:
    """``Name: value`` lines (blank lines ignored) as lower-cased headers; a bad line is a RequestError."""
    headers: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, value = line.partition(":")
        if not sep or not name.strip() or any(c.isspace() for c in name.strip()):
            raise RequestError(f"headers line {number}: write it as 'Name: value'")
        headers[name.strip().lower()] = value.strip()
    return headers


async def script_test(hub: Hub, integ: Integration, payload: str, headers_text: str = "") -> Run:
    """Run a pasted payload (and headers) through the integration's script as a dry run."""
    headers = {"content-type": "application/json", **parse_headers(headers_text)}
    inbound = Inbound(integration_id=integ.id, token="", method="POST", path=f"/hooks/{integ.id}/••••",
                      headers=headers, headers_lower=True, body=payload.encode("utf-8"))
    return await dry_run(hub, integ, inbound)
