"""Outgoing integrations (CONTRACT §7), shipped as a default pluggy plugin.

Registered as ``outgoing`` in :data:`hookhub.plugins.DEFAULT_PLUGINS`; a
deployment can block it by name (``disable_plugins: [outgoing]``).  At
start-up it adds the hub's :class:`OutgoingService` to ``hub.services`` under
:data:`OUTGOING`, applies persisted state (integrations disabled by a 410),
starts the outbox worker and registers the replayer for ``kind: "outgoing"``
history entries.  Posted messages are matched and queued without blocking
the request that posted them.

Retries are scheduled on ``hub.clock``; tests set a fake clock before the hub
starts to drive them without waiting.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..hookspecs import hookimpl
from ..delivery.outbox import Delivery, Outbox, Verdict
from .service import OUTGOING, OutgoingService

if TYPE_CHECKING:  # pragma: no cover
    from ..hub import Hub

__all__ = ["OUTGOING", "Delivery", "Outbox", "OutgoingService", "Verdict"]


@hookimpl
def hookhub_startup(hub: Hub) -> None:
    from .replay import replay

    service = OutgoingService(hub, clock=hub.clock)
    hub.services.add(OUTGOING, service)
    hub.replayers["outgoing"] = replay
    service.start()


@hookimpl
def hookhub_shutdown(hub: Hub) -> None:
    service = hub.services.remove(OUTGOING)
    if service is not None:
        service.stop()


@hookimpl
def hookhub_config_reloaded(hub: Hub, changes: list[str]) -> None:
    service = hub.services.get(OUTGOING)
    if service is not None:
        service.reloaded()


@hookimpl
def hookhub_message_posted(hub: Hub, message: dict[str, Any], integration_id: str | None) -> None:
    service = hub.services.get(OUTGOING)
    if service is not None:
        service.on_message(message)


@hookimpl
def hookhub_routes(hub: Hub) -> list[Any]:
    from .routes import routes

    return routes(hub)


@hookimpl
def hookhub_cli_commands() -> list[Any]:
    from .cli import deliveries

    return [deliveries]
