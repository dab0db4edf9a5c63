"""Outgoing integrations (CONTRACT §7), shipped as a default pluggy plugin.

Registered as ``outgoing`` in :data:`hookhub.plugins.DEFAULT_PLUGINS`; a
deployment can block it by name (``disable_plugins: [outgoing]``).  At
start-up it creates the hub's :class:`OutgoingService` (``hub.outgoing``),
applies persisted state (integrations disabled by a 410), starts the outbox
worker and registers the replayer for ``kind: "outgoing"`` history entries.
Posted messages are matched and queued without blocking the request that
posted them.

Tests may set ``hub.clock`` (a callable returning seconds) before the hub
starts to drive retries without waiting.
"""

from __future__ import annotations

import time
from typing import Any

from ..hookspecs import hookimpl
from ..delivery.outbox import Delivery, Outbox, Verdict
from .service import OutgoingService

__all__ = ["Delivery", "Outbox", "OutgoingService", "Verdict"]


@hookimpl
def hookhub_startup(hub: Any) -> None:
    from .replay import replay

    service = OutgoingService(hub, clock=getattr(hub, "clock", time.time))
    hub.outgoing = service
    hub.replayers["outgoing"] = replay
    service.start()


@hookimpl
def hookhub_shutdown(hub: Any) -> None:
    service = getattr(hub, "outgoing", None)
    if service is not None:
        service.stop()


@hookimpl
def hookhub_config_reloaded(hub: Any, changes: list[str]) -> None:
    service = getattr(hub, "outgoing", None)
    if service is not None:
        service.reloaded()


@hookimpl
def hookhub_message_posted(hub: Any, message: dict[str, Any], integration_id: str | None) -> None:
    service = getattr(hub, "outgoing", None)
    if service is not None:
        service.on_message(message)


@hookimpl
def hookhub_routes(hub: Any) -> list[Any]:
    from .routes import routes

    return routes(hub)


@hookimpl
def hookhub_cli_commands() -> list[Any]:
    from .cli import deliveries

    return [deliveries]
