"""Bridges: onward delivery of channel messages to chat platforms, as a default pluggy plugin.

Registered as ``bridges`` in :data:`hookhub.plugins.DEFAULT_PLUGINS` (block it
with ``disable_plugins: [bridges]``).  Configured by the top-level
``bridges:`` list of the YAML file (see docs/bridges.md).  At start-up it
creates ``hub.bridges`` (a :class:`BridgeService`) and starts its outbox
worker; each committed message of a bridged channel is queued for every
bridge forwarding that channel.  Tests may set ``hub.clock`` before start.
"""

from __future__ import annotations

import time
from typing import Any

from ..hookspecs import hookimpl
from .render import Outbound, render
from .service import BridgeService

__all__ = ["BridgeService", "Outbound", "render"]


@hookimpl
def hookhub_startup(hub: Any) -> None:
    service = BridgeService(hub, clock=getattr(hub, "clock", time.time))
    hub.bridges = service
    if service.bridges:
        service.start()


@hookimpl
def hookhub_shutdown(hub: Any) -> None:
    service = getattr(hub, "bridges", None)
    if service is not None:
        service.stop()


@hookimpl
def hookhub_config_reloaded(hub: Any, changes: list[str]) -> None:
    service: BridgeService | None = getattr(hub, "bridges", None)
    if service is not None:
        service.reloaded()


@hookimpl
def hookhub_message_posted(hub: Any, message: dict[str, Any], integration_id: str | None) -> None:
    service: BridgeService | None = getattr(hub, "bridges", None)
    if service is None:
        return
    items = service.items_for(message)
    if items:
        service.outbox.enqueue_soon(items)
