"""An example third-party hookhub extension (installed through the ``hookhub`` entry-point group).

It imports nothing of hookhub but the plugin facade, :mod:`hookhub.ext`.  It
adds a request verifier, a service of its own (a counter of posted messages,
in ``hub.services``), an admin-only route reading it, a CLI command, and
reacts to posted messages and to start-up/shut-down.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

import click
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hookhub import ext

#: what the hooks saw, for the tests
SEEN: dict[str, list[Any]] = {"posted": [], "startup": [], "shutdown": []}


class PostedCounter:
    """Messages posted since start-up, by integration (``None``: the chat API)."""

    def __init__(self) -> None:
        self.by_integration: dict[str | None, int] = {}

    def add(self, integration_id: str | None) -> None:
        self.by_integration[integration_id] = self.by_integration.get(integration_id, 0) + 1


COUNTER: ext.ServiceKey[PostedCounter] = ext.ServiceKey("example-counter")


def shared_header(options: Mapping[str, Any], headers: Mapping[str, str], body: bytes, now: float) -> None:
    """Accept requests whose X-Shared-Secret header equals the secret."""
    given = headers.get("x-shared-secret", "").encode()
    if not hmac.compare_digest(given, str(options["secret"]).encode()):
        raise ext.VerificationFailed("X-Shared-Secret does not match")


@ext.hookimpl
def hookhub_request_verifiers() -> dict[str, ext.Verifier]:
    return {"shared-header": shared_header}


@ext.hookimpl
def hookhub_routes(hub: ext.HubView) -> list[Any]:
    async def ping(request: Request) -> Response:
        ext.require_admin(hub, request)
        counter = hub.services.require(COUNTER)
        posted = sum(counter.by_integration.values())
        return ext.json_response({"success": True, "integrations": len(hub.registry.integrations),
                                  "posted": posted})
    return [Route("/example/ping", ping)]


@click.command("example-hello")
@click.argument("name", default="world")
def hello(name: str) -> None:
    """Say hello (a command contributed by a plugin)."""
    click.echo(f"hello, {name}")


@ext.hookimpl
def hookhub_cli_commands() -> list[Any]:
    return [hello]


@ext.hookimpl
def hookhub_message_posted(hub: ext.HubView, message: dict[str, Any], integration_id: str | None) -> None:
    SEEN["posted"].append((integration_id, message["text"]))
    counter = hub.services.get(COUNTER)
    if counter is not None:
        counter.add(integration_id)


@ext.hookimpl
def hookhub_startup(hub: ext.HubView) -> None:
    hub.services.add(COUNTER, PostedCounter())
    SEEN["startup"].append(hub)


@ext.hookimpl
def hookhub_shutdown(hub: ext.HubView) -> None:
    hub.services.remove(COUNTER)
    SEEN["shutdown"].append(hub)
