"""The hook endpoint: ``/hooks/{id}/{token}`` and ``/hooks/{id}/{user_id}/{token}``.

This is the one place a webhook enters hookhub (the hot path): it is served
straight through ASGI, without Starlette's middleware, routing, ``Request``
and ``Response`` objects, and hands an :class:`~hookhub.pipeline.Inbound` to
:func:`hookhub.pipeline.receive`.  GET and POST are served; other methods,
HEAD included, are 405 (nothing runs, nothing is stored); one trailing slash is
ignored; other ``/hooks/...`` paths are a JSON 404, never a redirect.  Bodies
over ``server.max_body_bytes`` are refused from ``Content-Length`` or while
they stream (413, connection closed).
"""

from __future__ import annotations

import logging
import time

from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send

from ..errors import HookhubError, PayloadTooLarge
from ..hub import Hub
from ..pipeline import Inbound, receive
from ..redact import mask_hook_path
from .responses import INTERNAL_ERROR, send_error, send_json

log = logging.getLogger("hookhub")

PREFIX = "/hooks/"
METHODS = ("GET", "POST")


class ClientGone(Exception):
    """The client disconnected before its body was read: nobody to answer."""


def hook_parts(path: str) -> tuple[str, list[str] | None]:
    """``path`` (under ``/hooks/``) without its trailing slash, and its parts when it names a hook."""
    parts = path[len(PREFIX):].split("/")
    if len(parts) > 2 and parts[-1] == "":  # /hooks/<id>/<token>/ answers like /hooks/<id>/<token>
        parts.pop()
        path = path[:-1]
    return path, (parts if 2 <= len(parts) <= 3 and all(parts) else None)


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


async def read_body(request: Request, limit: int) -> bytes:
    """A Starlette request's body, refusing more than ``limit`` bytes early (the admin API and the UI)."""
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


async def serve_hook(hub: Hub, scope: Scope, receive_message: Receive, send: Send, path: str,
                     root: str = "") -> None:
    """Answer one request to ``path`` (under ``/hooks/``, relative to the application's ``root`` path)."""
    path, parts = hook_parts(path)
    if parts is None:
        await send_json(send, {"success": False, "error": "not found"}, 404)
        return
    method = scope["method"]
    if method not in METHODS:  # HEAD too: it must neither run the script nor write history
        await send_json(send, {"success": False, "error": f"method {method} not allowed"}, 405,
                        {"Allow": ", ".join(METHODS)})
        return
    started = time.perf_counter()
    status = 0

    async def tracked(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        await send(message)

    try:
        try:
            body = b"" if method == "GET" else await read_asgi_body(scope, receive_message,
                                                                    hub.config.server.max_body_bytes)
        except ClientGone:
            return
        except HookhubError as exc:
            await send_error(tracked, exc, {"Connection": "close"})
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
            path=root + path,
            query_string=scope["query_string"].decode("utf-8", "replace"),
            headers=headers,
            headers_lower=True,
            body=body,
        )
        outcome = await receive(hub, inbound)
        await send_json(tracked, outcome.body, outcome.status, outcome.headers)
    except HookhubError as exc:
        if not status:
            await send_error(tracked, exc)
    except Exception as exc:  # noqa: BLE001 - a 500 envelope; the traceback goes to the log only
        log.error("unhandled error on %s %s", method, mask_hook_path(root + path), exc_info=exc)
        if not status:
            await send_json(tracked, INTERNAL_ERROR, 500)
    hub.metrics.webhook(parts[0], status or 500, time.perf_counter() - started)
