"""The Starlette application: a thin shell around :mod:`hookhub.pipeline`.

Every answer is JSON with ``Cache-Control: no-store``; every error uses the
``{"success": false, "error": ...}`` envelope and never carries a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from . import api, health, metrics, openapi, ui
from .accesslog import AccessLog
from .errors import ConfigError, HookhubError, PayloadTooLarge
from .hub import Hub
from .jsontext import dumps_bytes
from .pipeline import Inbound, receive

log = logging.getLogger("hookhub")

NO_STORE = {"Cache-Control": "no-store"}
_HOOK_METHODS = ("GET", "POST")


def json_response(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(body, status_code=status, headers={**NO_STORE, **(headers or {})})


class ClientGone(Exception):
    """The client disconnected before its body was read: nobody to answer."""


async def read_asgi_body(scope: Scope, receive_message: Receive, limit: int) -> bytes:
    """The body of an ASGI request, refusing more than ``limit`` bytes early (header and while streaming)."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                if int(value) > limit:
                    raise PayloadTooLarge(limit)
            except ValueError:
                pass
            break
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive_message()
        if message["type"] != "http.request":
            raise ClientGone()
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(limit)
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def send_json(send: Send, body: dict[str, Any], status: int = 200,
                    headers: dict[str, str] | None = None) -> None:
    """The same answer as :func:`json_response` (bytes and headers), sent straight through ASGI."""
    content = dumps_bytes(body)
    raw = [(b"cache-control", b"no-store")]
    if headers:
        raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in {**NO_STORE, **headers}.items()]
    raw.append((b"content-length", str(len(content)).encode("latin-1")))
    raw.append((b"content-type", b"application/json"))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": content})


class HookhubApp(Starlette):
    """Starlette, with a direct path for hook URLs.

    ``/hooks/{id}/{token}`` and ``/hooks/{id}/{user_id}/{token}`` (GET, POST) are
    answered without Starlette's middleware, routing, ``Request`` and
    ``Response`` objects: they are the hot path and need none of it.  The
    answers are the same (the same JSON bytes and headers, 413 while streaming,
    the error envelope).  Anything else, including other methods (405) and
    trailing slashes, goes through Starlette as before.
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
        if scope["type"] == "http" and scope["method"] in _HOOK_METHODS and not scope.get("root_path"):
            path: str = scope["path"]
            if path.startswith("/hooks/"):
                parts = path[7:].split("/")
                if 2 <= len(parts) <= 3 and all(parts):
                    await self._hook(scope, receive, send, path, parts)
                    return
        await super().__call__(scope, receive, send)

    async def _hook(self, scope: Scope, receive_message: Receive, send: Send, path: str, parts: list[str]) -> None:
        hub = self.hub
        started = time.perf_counter()
        status = 0

        async def tracked(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            method = scope["method"]
            try:
                body = b"" if method == "GET" else await read_asgi_body(scope, receive_message,
                                                                        hub.config.server.max_body_bytes)
            except ClientGone:
                return
            except HookhubError as exc:
                await send_json(tracked, exc.body(), exc.status, {"Connection": "close"})
                hub.metrics.webhook(parts[0], exc.status, time.perf_counter() - started)
                return
            headers: dict[str, str] = {}
            for name, value in scope["headers"]:
                key = name.decode("latin-1")
                if key not in headers:  # the first value of a repeated header, like Starlette's
                    headers[key] = value.decode("latin-1")
            inbound = Inbound(
                integration_id=parts[0],
                token=parts[-1],
                user_id=parts[1] if len(parts) == 3 else None,
                method=method,
                path=path,
                query_string=scope["query_string"].decode("utf-8", "replace"),
                headers=headers,
                headers_lower=True,
                body=body,
            )
            outcome = await receive(hub, inbound)
            await send_json(tracked, outcome.body, outcome.status, outcome.headers)
        except HookhubError as exc:
            if not status:
                await send_json(tracked, exc.body(), exc.status, dict(getattr(exc, "headers", {}) or {}))
        except Exception as exc:  # noqa: BLE001 - answered like Starlette's crash handler below
            log.error("unhandled error on %s %s", scope["method"], path, exc_info=exc)
            if not status:
                await send_json(tracked, {"success": False, "error": "internal-error"}, 500)
        hub.metrics.webhook(parts[0], status or 500, time.perf_counter() - started)


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


def make_app(hub: Hub, *, manage_hub: bool = True) -> HookhubApp:
    """Build the ASGI application serving ``hub``.

    :param manage_hub: start and stop the hub with the application's lifespan.
    """

    async def hook(request: Request) -> Response:
        params = request.path_params
        started = time.perf_counter()
        try:
            body = b"" if request.method == "GET" else await read_body(request, hub.config.server.max_body_bytes)
        except HookhubError as exc:
            hub.metrics.webhook(params["integration_id"], exc.status, time.perf_counter() - started)
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
        hub.metrics.webhook(inbound.integration_id, outcome.status, time.perf_counter() - started)
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
