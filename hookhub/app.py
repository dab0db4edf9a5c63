"""The Starlette application: a thin shell around :mod:`hookhub.pipeline`.

Every answer is JSON with ``Cache-Control: no-store``; every error uses the
``{"success": false, "error": ...}`` envelope and never carries a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import api
from .errors import ConfigError, HookhubError, PayloadTooLarge
from .hub import Hub
from .pipeline import Inbound, receive

log = logging.getLogger("hookhub")

NO_STORE = {"Cache-Control": "no-store"}


def json_response(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(body, status_code=status, headers={**NO_STORE, **(headers or {})})


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refusing more than ``limit`` bytes early (header and while streaming)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise PayloadTooLarge(limit)
        except ValueError:
            pass
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _on_sighup(hub: Hub) -> None:
    """``kill -HUP <pid>`` re-reads the YAML file (a bad file is logged and ignored)."""
    loop = asyncio.get_running_loop()

    async def reload() -> None:
        try:
            await hub.reload_file()
        except ConfigError as exc:
            log.error("reload refused, the configuration is invalid:\n%s", exc)
        except Exception:  # noqa: BLE001 - a failed reload must not take the server down
            log.exception("reload failed")

    def handler() -> None:
        task = loop.create_task(reload())
        _background.add(task)
        task.add_done_callback(_background.discard)

    try:
        loop.add_signal_handler(signal.SIGHUP, handler)
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread (tests), or no signals
        pass


_background: set[asyncio.Task[None]] = set()


def make_app(hub: Hub, *, manage_hub: bool = True) -> Starlette:
    """Build the ASGI application serving ``hub``.

    :param manage_hub: start and stop the hub with the application's lifespan.
    """

    async def hook(request: Request) -> Response:
        params = request.path_params
        try:
            body = b"" if request.method == "GET" else await read_body(request, hub.config.server.max_body_bytes)
        except HookhubError as exc:
            return json_response(exc.body(), exc.status, {"Connection": "close"})
        inbound = Inbound(
            integration_id=params["integration_id"],
            token=params["token"],
            user_id=params.get("user_id"),
            method=request.method,
            path=request.url.path,
            query_string=request.url.query,
            headers=dict(request.headers),
            body=body,
        )
        outcome = await receive(hub, inbound)
        return json_response(outcome.body, outcome.status, outcome.headers)

    async def healthz(request: Request) -> Response:
        try:
            await hub.store.read(lambda c: c.exec_driver_sql("SELECT 1").scalar())
        except Exception:  # noqa: BLE001 - any failure means unhealthy
            log.exception("health check: store unreachable")
            return json_response({"success": False, "error": "store unreachable"}, 503)
        return json_response({"success": True})

    routes: list[Any] = [
        Route("/hooks/{integration_id}/{token}", hook, methods=["GET", "POST"]),
        Route("/hooks/{integration_id}/{user_id}/{token}", hook, methods=["GET", "POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        *api.routes(hub),
    ]
    for extra in hub.pm.hook.hookhub_routes(hub=hub):
        routes.extend(extra)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        messages = {404: "not found", 405: f"method {request.method} not allowed"}
        return json_response({"success": False, "error": messages.get(exc.status_code, exc.detail)},
                             exc.status_code, dict(exc.headers or {}))

    async def hookhub_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HookhubError)
        return json_response(exc.body(), exc.status, dict(getattr(exc, "headers", {}) or {}))

    async def crash(request: Request, exc: Exception) -> Response:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return json_response({"success": False, "error": "internal-error"}, 500)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage_hub:
            await hub.start()
            _on_sighup(hub)
        try:
            yield
        finally:
            if manage_hub:
                await hub.stop()

    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: http_error, HookhubError: hookhub_error, Exception: crash},
        lifespan=lifespan,
    )
    app.state.hub = hub
    return app
