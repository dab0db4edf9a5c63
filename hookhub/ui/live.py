"""The live tail of an integration's history: server-sent events of new entries.

``GET /ui/integrations/{id}/live?since=<ts>`` streams one ``history`` event
per new entry (JSON: id, time, kind, status, duration, message count, error,
the entry's page).  The store is polled (every node of a cluster sees every
entry); a stream ends after :data:`STREAM_S` seconds and the browser's
``EventSource`` reconnects on its own with the ``Last-Event-ID`` it saw, so a
server shutdown never waits long for open streams.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from . import queries
from .pages import integration_of
from .session import Session
from .web import HEADERS

if TYPE_CHECKING:  # pragma: no cover
    from ..hub import Hub

POLL_S = 0.5
STREAM_S = 15.0


def event(entry: dict[str, Any], integration_id: str) -> str:
    """One SSE ``history`` event for a history entry."""
    data = {"id": entry["_id"], "ts": entry["ts"], "kind": entry["kind"], "step": entry["step"],
            "status": entry["status"], "duration_ms": entry["duration_ms"],
            "messages": len(entry["message_ids"] or []), "error": entry["error"],
            "href": f"/ui/integrations/{integration_id}/history/{entry['_id']}"}
    return f"id: {entry['_raw_ts']!r} {entry['_id']}\nevent: history\ndata: {json.dumps(data)}\n\n"


def _since(request: Request) -> tuple[float, set[str]]:
    """Where the stream starts: after the last event the browser saw, else ``?since=``; -1 for now."""
    for raw in (request.headers.get("last-event-id"), request.query_params.get("since")):
        ts, _, seen = (raw or "").partition(" ")
        try:
            value = float(ts)
        except ValueError:
            continue
        if value >= 0:
            return value, {seen} if seen else set()
    return -1.0, set()


async def stream(hub: Hub, request: Request, session: Session) -> Response:
    """The event stream of one integration's new history entries."""
    integ = integration_of(hub, request)
    since, seen = _since(request)
    if since < 0:  # from now on: what is stored already is not news
        since = await queries.latest_ts(hub.store, integ.id)
        rows, _last = await queries.history_since(hub.store, integ.id, since)
        seen = {row["_id"] for row in rows}

    async def events() -> AsyncIterator[str]:
        nonlocal since
        nonlocal seen
        yield "retry: 1000\n\n"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STREAM_S
        while loop.time() < deadline and not await request.is_disconnected():
            rows, last = await queries.history_since(hub.store, integ.id, since, seen)
            if rows:
                at_last = {row["_id"] for row in rows if row["_raw_ts"] == last}
                seen = at_last if last > since else seen | at_last
                since = last
            for row in rows:
                yield event(row, integ.id)
            await asyncio.sleep(POLL_S)

    headers = {**HEADERS, "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)
