"""``GET /readyz``: ready to serve, or 503 with the reason (CONTRACT §10).

Ready means: the configuration is loaded and the hub started, the sandbox
pool has live workers, and the store commits (a transaction through the
store's writer thread, within :data:`STORE_TIMEOUT_S`; and no "cannot commit"
state the store reports, e.g. a full disk).  ``GET /healthz`` (the process
answers and the store is readable) stays in :mod:`hookhub.web.app`.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..errors import StoreUnavailable
from ..logs import Redactor, config_secrets
from ..storehealth import op_probe

if TYPE_CHECKING:  # pragma: no cover
    from ..hub import Hub

STORE_TIMEOUT_S = 5.0


def _ping(conn: Any) -> Any:
    return conn.exec_driver_sql("SELECT 1").scalar()


async def not_ready(hub: Hub) -> str | None:
    """Why the hub cannot serve now, or None when it is ready."""
    if not hub.started:
        return "not started: the configuration is not loaded yet (or the server is stopping)"
    stats = getattr(hub.sandbox, "stats", None)
    if stats is not None:
        pool = stats()
        if not pool["started"]:
            return "the sandbox pool is not started"
        if pool["workers"] < 1:
            return "the sandbox pool has no live worker (they are being replaced; see the server log)"
    problem = getattr(hub.store, "commit_problem", None)
    if callable(problem):
        problem = problem()
    try:
        # while the store reports it cannot commit, a probe that needs room decides (it clears that state)
        await asyncio.wait_for(hub.store.write(op_probe() if problem else _ping), STORE_TIMEOUT_S)
    except StoreUnavailable as exc:
        return f"the store cannot commit: {exc.reason}"
    except asyncio.TimeoutError:
        return f"the store did not commit within {STORE_TIMEOUT_S:g} s"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        first = str(exc).splitlines()[0] if str(exc) else ""
        return Redactor(config_secrets(hub.config)).redact(f"the store cannot commit: {type(exc).__name__}: {first}")
    return None


def routes(hub: Hub) -> list[Route]:
    """``GET /readyz`` (no authentication)."""

    async def readyz(request: Request) -> Response:
        reason = await not_ready(hub)
        if reason is not None:
            return JSONResponse({"success": False, "error": reason}, status_code=503,
                                headers={"Cache-Control": "no-store"})
        return JSONResponse({"success": True}, headers={"Cache-Control": "no-store"})

    return [Route("/readyz", readyz, methods=["GET"])]
