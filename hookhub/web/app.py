"""The ASGI application: the hook endpoint (:mod:`.hooks`) in front, Starlette for everything else.

Every answer is JSON with ``Cache-Control: no-store``; every error uses the
``{"success": false, "error": ...}`` envelope (:mod:`.responses`) and never
carries a traceback.
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
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from .. import metrics, ui
from ..errors import ConfigError, HookhubError, StoreUnavailable
from ..hub import Hub
from ..redact import mask_hook_path
from ..storehealth import op_probe
from . import api, health, openapi
from .accesslog import AccessLog
from .hooks import PREFIX, serve_hook
from .responses import INTERNAL_ERROR, error_response, json_response

log = logging.getLogger("hookhub")


class HookhubApp(Starlette):
    """Starlette, with the hook endpoint in front of its routing.

    Paths under ``/hooks/`` (after the ASGI ``root_path`` when the application
    is mounted) go to :func:`.hooks.serve_hook`; anything else goes through
    Starlette's middleware and routes.
    """

    hub: Hub
    #: one log line per request (None: ``server.access_log: false``)
    access_log: AccessLog | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.access_log is not None and scope["type"] == "http":
            await self.access_log(scope, receive, send, self._route)
        else:
            await self._route(scope, receive, send)

    async def _route(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            root: str = scope.get("root_path") or ""
            if root and path.startswith(root):
                path = path[len(root):]
            else:
                root = ""
            if path.startswith(PREFIX):
                await serve_hook(self.hub, scope, receive, send, path, root)
                return
        await super().__call__(scope, receive, send)


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


def make_app(hub: Hub, *, manage_hub: bool = True) -> HookhubApp:
    """Build the ASGI application serving ``hub``.

    :param manage_hub: start and stop the hub with the application's lifespan.
    """

    async def healthz(request: Request) -> Response:
        if hub.store.commit_problem is not None:  # not ready until a commit works again
            try:
                await hub.store.write(op_probe())
            except StoreUnavailable as exc:
                return error_response(exc)
        try:
            await hub.store.read(lambda c: c.exec_driver_sql("SELECT 1").scalar())
        except Exception:  # noqa: BLE001 - any failure means unhealthy
            log.exception("health check: store unreachable")
            return json_response({"success": False, "error": "store unreachable"}, 503)
        return json_response({"success": True})

    routes: list[Any] = [
        Route("/healthz", healthz, methods=["GET"]),
        *health.routes(hub),
        *metrics.routes(hub),
        *openapi.routes(hub),
        *api.routes(hub),
        *ui.routes(hub),  # the admin web UI under /ui/ (docs/ui.md)
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
        return error_response(exc)

    async def crash(request: Request, exc: Exception) -> Response:
        log.error("unhandled error on %s %s", request.method, mask_hook_path(request.url.path), exc_info=exc)
        return json_response(INTERNAL_ERROR, 500)

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

    app = HookhubApp(
        routes=routes,
        exception_handlers={HTTPException: http_error, HookhubError: hookhub_error, Exception: crash},
        lifespan=lifespan,
    )
    app.state.hub = hub
    app.hub = hub
    if hub.config.server.access_log:
        app.access_log = AccessLog(hub)
    return app
