"""An example third-party hookhub extension (installed through the ``hookhub`` entry-point group).

It adds a request verifier, a route, a CLI command, and reacts to posted
messages and to start-up/shut-down.
"""

from __future__ import annotations

import hmac
from typing import Any

import click
import pluggy
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

hookimpl = pluggy.HookimplMarker("hookhub")

#: what the hooks saw, for the tests
SEEN: dict[str, list[Any]] = {"posted": [], "startup": [], "shutdown": []}


def shared_header(options: dict[str, Any], headers: dict[str, str], body: bytes, now: float) -> None:
    """Accept requests whose X-Shared-Secret header equals the secret."""
    from hookhub.errors import VerificationFailed

    given = headers.get("x-shared-secret", "").encode()
    if not hmac.compare_digest(given, str(options["secret"]).encode()):
        raise VerificationFailed("X-Shared-Secret does not match")


@hookimpl
def hookhub_request_verifiers() -> dict[str, Any]:
    return {"shared-header": shared_header}


@hookimpl
def hookhub_routes(hub: Any) -> list[Any]:
    async def ping(request: Request) -> JSONResponse:
        return JSONResponse({"success": True, "integrations": len(hub.registry.integrations)})
    return [Route("/example/ping", ping)]


@click.command("example-hello")
@click.argument("name", default="world")
def hello(name: str) -> None:
    """Say hello (a command contributed by a plugin)."""
    click.echo(f"hello, {name}")


@hookimpl
def hookhub_cli_commands() -> list[Any]:
    return [hello]


@hookimpl
def hookhub_message_posted(hub: Any, message: dict[str, Any], integration_id: str | None) -> None:
    SEEN["posted"].append((integration_id, message["text"]))


@hookimpl
def hookhub_startup(hub: Any) -> None:
    SEEN["startup"].append(hub)


@hookimpl
def hookhub_shutdown(hub: Any) -> None:
    SEEN["shutdown"].append(hub)
