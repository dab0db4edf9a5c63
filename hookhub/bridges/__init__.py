"""Bridges: onward delivery of channel messages to chat platforms, as a default pluggy plugin.

Registered as ``bridges`` in :data:`hookhub.plugins.DEFAULT_PLUGINS` (block it
with ``disable_plugins: [bridges]``).  Configured by the top-level
``bridges:`` list of the YAML file (see docs/bridges.md).  At start-up it adds
a :class:`BridgeService` to ``hub.services`` under :data:`BRIDGES` and starts
its outbox worker; each committed message of a bridged channel is queued for
every bridge forwarding that channel.  Retries are scheduled on ``hub.clock``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..hookspecs import hookimpl
from .render import Outbound, render
from .service import BRIDGES, BridgeService

if TYPE_CHECKING:  # pragma: no cover
    from ..hub import Hub

__all__ = ["BRIDGES", "BridgeService", "Outbound", "render"]


@hookimpl
def hookhub_startup(hub: Hub) -> None:
    service = BridgeService(hub, clock=hub.clock)
    hub.services.add(BRIDGES, service)
    if service.bridges:
        service.start()


@hookimpl
def hookhub_shutdown(hub: Hub) -> None:
    service = hub.services.remove(BRIDGES)
    if service is not None:
        service.stop()


@hookimpl
def hookhub_config_reloaded(hub: Hub, changes: list[str]) -> None:
    service = hub.services.get(BRIDGES)
    if service is not None:
        service.reloaded()


@hookimpl
def hookhub_message_posted(hub: Hub, message: dict[str, Any], integration_id: str | None) -> None:
    service = hub.services.get(BRIDGES)
    if service is None:
        return
    items = service.items_for(message)
    if items:
        service.outbox.enqueue_soon(items)
