"""Script ``HTTP()`` calls, performed by the server on behalf of a worker.

A worker never opens sockets: it sends ``{"op": "http", ...}`` on its
channel and the server performs the request under the integration's
egress policy (:mod:`hookhub.egress`), answering with the JSON result.
"""

from __future__ import annotations

import asyncio
from typing import Any

from .. import egress
from ..engines.boundary import to_json_result
from .base import ScriptSpec


async def forward_http(spec: ScriptSpec, request: dict[str, Any]) -> dict[str, Any]:
    """Perform a worker's ``HTTP(method, url, options)`` request for ``spec``'s integration."""
    if not spec.allow_hosts:
        return {"error": "HTTP is not allowed for this integration (http.allow_hosts is empty)"}
    method, url, options = request.get("method"), request.get("url"), request.get("options")
    if not isinstance(method, str) or not isinstance(url, str) or not (options is None or isinstance(options, dict)):
        return {"error": "HTTP(method, url, options): invalid arguments"}
    timeout_s = spec.limits.http_timeout_ms / 1000.0
    try:
        # blocking (DNS, connect, read): in a thread, the event loop goes on serving
        value = await asyncio.to_thread(egress.perform, method, url, options, allow_hosts=spec.allow_hosts,
                                        allow_private=spec.allow_private, timeout_s=timeout_s)
        result: dict[str, Any] = to_json_result(value, 64 * 1024 * 1024)
        return result
    except Exception as exc:  # noqa: BLE001 - egress failures are the script's answer, not ours
        return {"error": f"{type(exc).__name__}: {exc}"}
