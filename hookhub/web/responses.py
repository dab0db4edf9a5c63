"""The answers of the HTTP front end: JSON with ``Cache-Control: no-store``, and one error renderer.

Every answer hookhub gives is JSON in the ``{"success": ...}`` envelope;
:func:`error_response` is the only place a :class:`~hookhub.errors.HookhubError`
becomes an HTTP answer (its ``status``, ``body()`` and ``headers``), and
:func:`send_json` the same bytes sent straight through ASGI for the hook path.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.types import Send

from ..errors import HookhubError
from ..jsontext import dumps_bytes

NO_STORE = {"Cache-Control": "no-store"}
#: the body of an unexpected failure (the traceback goes to the log, never to the caller)
INTERNAL_ERROR = {"success": False, "error": "internal-error"}


def json_response(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer with ``Cache-Control: no-store`` (and ``headers``)."""
    return JSONResponse(body, status_code=status, headers={**NO_STORE, **(headers or {})})


def error_headers(exc: HookhubError) -> dict[str, str]:
    """The headers an error asks for (``Retry-After``, ``WWW-Authenticate``, ...), or none."""
    return dict(exc.headers)


def error_response(exc: HookhubError, headers: dict[str, str] | None = None) -> Response:
    """``exc`` rendered as its status, its envelope and its headers."""
    return json_response(exc.body(), exc.status, {**error_headers(exc), **(headers or {})})


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


async def send_error(send: Send, exc: HookhubError, headers: dict[str, str] | None = None) -> None:
    """:func:`error_response` sent straight through ASGI."""
    await send_json(send, exc.body(), exc.status, {**error_headers(exc), **(headers or {})})
