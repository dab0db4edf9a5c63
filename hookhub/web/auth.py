"""Who may use the admin API: the ``admin.token`` as a Bearer token, compared in constant time.

:func:`require_admin` is shared by ``/api/v1/``, ``/metrics``, the outgoing
routes and plugins' own routes (through :mod:`hookhub.ext`).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from ..errors import Unauthorized

if TYPE_CHECKING:  # pragma: no cover
    from ..ext import HubView

Handler = Callable[[Request], Awaitable[Response]]


def bearer_matches(authorization: str, expected: bytes) -> bool:
    """Whether an ``Authorization`` header value is ``Bearer <expected>`` (constant time; never with no token)."""
    scheme, _, given = authorization.partition(" ")
    return bool(expected) and scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode("utf-8", "surrogatepass"), expected)


def admin_secret(hub: HubView) -> bytes:
    """The configured admin token as bytes (empty when none is set: then nobody is admin)."""
    admin = hub.config.admin.token
    return admin.get_secret_value().encode("utf-8") if admin is not None else b""


def require_admin(hub: HubView, request: Request) -> None:
    """Raise :class:`~hookhub.errors.Unauthorized` (401) unless ``request`` carries the admin token."""
    if not bearer_matches(request.headers.get("authorization", ""), admin_secret(hub)):
        raise Unauthorized()


def admin_only(hub: HubView, handler: Handler) -> Handler:
    """``handler`` behind :func:`require_admin` (the token is read at each call: a reload applies)."""
    async def wrapper(request: Request) -> Response:
        require_admin(hub, request)
        return await handler(request)
    wrapper.__name__ = getattr(handler, "__name__", "handler")
    wrapper.__doc__ = handler.__doc__
    return wrapper
