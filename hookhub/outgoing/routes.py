"""API routes of outgoing delivery (mounted through ``hookhub_routes``).

* ``GET /api/v1/deliveries?message_id=&kind=&target=&status=&limit=``: the
  outbox (outgoing calls and bridge deliveries), newest first.
* ``POST /api/v1/integrations/{id}/enable``: re-enable an outgoing
  integration that a 410 answer disabled.

Both need ``Authorization: Bearer <admin.token>`` like the rest of ``/api/v1/``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..errors import NotFound, RequestError
from ..web.auth import require_admin
from ..web.paging import parse_limit
from ..web.responses import json_response
from . import state
from .service import OUTGOING
from ..delivery.outbox import STATUSES, delivery_json, list_deliveries

if TYPE_CHECKING:  # pragma: no cover
    from ..hub import Hub


def routes(hub: Hub) -> list[Route]:
    """``/api/v1/deliveries`` and ``/api/v1/integrations/{id}/enable``, behind the admin token."""
    async def deliveries(request: Request) -> Response:
        require_admin(hub, request)
        q = request.query_params
        limit = parse_limit(q.get("limit"), 100)
        status = q.get("status")
        if status is not None and status not in STATUSES:
            raise RequestError(f"status must be one of: {', '.join(STATUSES)}")
        kind = q.get("kind")
        if kind is not None and kind not in ("outgoing", "bridge"):
            raise RequestError("kind must be outgoing or bridge")
        rows = await list_deliveries(hub.store, message_id=q.get("message_id"), kind=kind,
                                     target=q.get("target"), status=status, limit=limit)
        return json_response({"success": True, "deliveries": [delivery_json(r) for r in rows]})

    async def enable(request: Request) -> Response:
        require_admin(hub, request)
        integ = hub.registry.integrations.get(request.path_params["id"])
        if integ is None:
            raise NotFound(f"integration {request.path_params['id']!r} not found")
        service = hub.services.get(OUTGOING)
        yaml_enabled = service.yaml_enabled.get(integ.id, True) if service is not None else True
        enabled = await state.enable(hub, integ, time.time(), yaml_enabled=yaml_enabled)
        if service is not None:
            service.disabled.pop(integ.id, None)
        body: dict[str, Any] = {"success": True, "integration": integ.public()}
        if not enabled:
            body["note"] = "the integration stays disabled: it has enabled: false in the YAML file"
        return json_response(body)

    return [
        Route("/api/v1/deliveries", deliveries, methods=["GET"]),
        Route("/api/v1/integrations/{id}/enable", enable, methods=["POST"]),
    ]
