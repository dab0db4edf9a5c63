"""The UI's read-only pages: integrations, one integration, a request, logs, deliveries, channels."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from ..errors import NotFound, RequestError
from ..delivery.outbox import STATUSES, delivery_json, list_deliveries
from ..redact import MASK
from ..outgoing.service import OUTGOING
from ..registry import Integration
from . import queries
from .render import error_line, pretty
from .session import Session
from .web import Web

if TYPE_CHECKING:  # pragma: no cover
    from ..hub import Hub


def integration_of(hub: Hub, request: Request) -> Integration:
    """The integration named in the path, or 404."""
    integ = hub.registry.integrations.get(request.path_params["id"])
    if integ is None:
        raise NotFound(f"integration {request.path_params['id']!r} not found (integrations are declared in "
                       f"{hub.config.file or 'the YAML file'})")
    return integ


async def entry_of(hub: Hub, integ: Integration, request: Request) -> dict[str, Any]:
    """The history entry named in the path (``{hid}``) of ``integ``, or 404."""
    hid = request.path_params["hid"]
    entry = await hub.store.history_entry(integ.id, hid)
    if entry is None:
        raise NotFound(f"history entry {hid!r} of integration {integ.id!r} not found (it may have been pruned)")
    return entry


def script_lines(integ: Integration) -> list[str]:
    """The integration's script source, line by line (empty without a script)."""
    return integ.spec.source.splitlines() if integ.spec is not None else []


def enabled(hub: Hub, integ: Integration) -> bool:
    """Enabled in the YAML file and not disabled at runtime (an outgoing integration after a 410)."""
    service = hub.services.get(OUTGOING)
    return integ.config.enabled and not (service is not None and integ.id in service.disabled)


class Pages:
    """GET handlers; each takes the request and the logged-in session."""

    def __init__(self, web: Web) -> None:
        self.web = web
        self.hub = web.hub

    async def integrations(self, request: Request, session: Session) -> Response:
        """``GET /ui/``: every integration with its state, latest request and last hour's error rate."""
        stats = await queries.integration_stats(self.hub.store)
        rows = [{"integ": i, "public": i.public(), "enabled": enabled(self.hub, i),
                 "stats": stats.get(i.id, queries.Stats())} for i in self.hub.registry.integrations.values()]
        return self.web.page(request, "integrations.html", session, title="Integrations", rows=rows)

    async def integration(self, request: Request, session: Session) -> Response:
        """``GET /ui/integrations/{id}``: the integration, its 50 newest history entries and its script."""
        integ = integration_of(self.hub, request)
        history = await self.hub.store.history(integ.id, 50)
        compile_error = str(integ.compile_error) if integ.compile_error else None
        return self.web.page(request, "integration.html", session, title=integ.config.display_name,
                             integ=integ, public=integ.public(), enabled=enabled(self.hub, integ), history=history,
                             since=await queries.latest_ts(self.hub.store, integ.id),
                             compile_error=compile_error, error_line=error_line(compile_error),
                             lines=script_lines(integ))

    async def entry(self, request: Request, session: Session) -> Response:
        """``GET /ui/integrations/{id}/history/{hid}``: one history entry, its log records and the messages posted."""
        integ = integration_of(self.hub, request)
        entry = await entry_of(self.hub, integ, request)
        hid = entry["_id"]
        logs = await queries.logs(self.hub.store, integ.id, request_id=hid)
        messages = await queries.messages_by_id(self.hub.store, entry["message_ids"])
        return self.web.page(request, "entry.html", session, title=f"{integ.id}: request {hid}", integ=integ,
                             entry=entry, logs=logs, messages=messages,
                             replayable=entry["kind"] == "incoming" or entry["kind"] in self.hub.replayers)

    async def logs(self, request: Request, session: Session) -> Response:
        """``GET /ui/integrations/{id}/logs``: the newest log records, of one ``level`` if given (400 if unknown)."""
        integ = integration_of(self.hub, request)
        level = request.query_params.get("level") or None
        if level is not None and level not in queries.LEVELS:
            raise RequestError(f"level must be one of: {', '.join(queries.LEVELS)}")
        logs = await queries.logs(self.hub.store, integ.id, level=level)
        return self.web.page(request, "logs.html", session, title=f"{integ.id}: logs", integ=integ, logs=logs,
                             level=level, levels=queries.LEVELS)

    async def test_form(self, request: Request, session: Session) -> Response:
        """``GET /ui/integrations/{id}/test``: the script test form, filled with the body and non-secret
        ``x-`` headers of history entry ``from`` or else the latest incoming one (``{}`` without any)."""
        integ = integration_of(self.hub, request)
        payload, headers = "{}", ""
        source = request.query_params.get("from")
        entry = await self.hub.store.history_entry(integ.id, source) if source else None
        if entry is None:
            recent = [e for e in await self.hub.store.history(integ.id, 20) if e["kind"] == "incoming"]
            entry = recent[0] if recent else None
        if entry is not None:
            stored = entry.get("request") or {}
            payload = pretty(stored.get("body") or "{}")
            headers = "\n".join(f"{k}: {v}" for k, v in sorted((stored.get("headers") or {}).items())
                                if k.startswith("x-") and v != MASK)
        return self.web.page(request, "test.html", session, title=f"{integ.id}: script test", integ=integ,
                             payload=payload, headers=headers, run=None, lines=script_lines(integ),
                             error_line=None)

    async def deliveries(self, request: Request, session: Session) -> Response:
        """``GET /ui/outgoing``: the 100 newest outbox deliveries, filtered by ``target`` and
        ``status`` (400 if unknown), outgoing ones with the history entries of their attempts."""
        q = request.query_params
        target = q.get("target") or None
        status = q.get("status") or None
        if status is not None and status not in STATUSES:
            raise RequestError(f"status must be one of: {', '.join(STATUSES)}")
        rows = await list_deliveries(self.hub.store, target=target, status=status, limit=100)
        items: list[dict[str, Any]] = []
        attempts: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for row in rows:
            shown = delivery_json(row)
            if shown["kind"] == "outgoing" and shown["target"] not in attempts:
                attempts[shown["target"]] = await queries.attempts_by_delivery(self.hub.store, shown["target"])
            shown["history"] = attempts.get(shown["target"], {}).get(shown["_id"], [])
            items.append(shown)
        outgoing = [i for i in self.hub.registry.integrations.values() if i.config.type == "outgoing"]
        return self.web.page(request, "deliveries.html", session, title="Outgoing deliveries", items=items,
                             outgoing=outgoing, target=target, wanted_status=status, statuses=STATUSES,
                             enabled={i.id: enabled(self.hub, i) for i in outgoing},
                             retried=q.get("retried"))

    async def channels(self, request: Request, session: Session) -> Response:
        """``GET /ui/channels[/{name}]``: a channel's 50 newest messages (default: the first; 404 if unknown)."""
        names = list(self.hub.registry.channels)
        wanted = request.path_params.get("name") or (names[0] if names else None)
        if wanted is not None and wanted not in self.hub.registry.channels:
            raise NotFound(f"channel {wanted!r} not found (channels are declared in the YAML file)")
        messages = await self.hub.store.messages(f"#{wanted}", 50) if wanted else []
        return self.web.page(request, "channels.html", session, title=f"#{wanted}" if wanted else "Channels",
                             names=names, current=wanted, messages=messages)
