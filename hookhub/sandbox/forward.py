"""Script ``HTTP()`` calls, performed by the server on behalf of a worker.

A worker never opens sockets: it sends ``{"op": "http", ...}`` on its
channel and the server performs the request under the integration's
egress policy (:mod:`hookhub.egress`), answering with the JSON result.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

from .base import ScriptSpec
from .boundary import to_json_result


async def forward_http(spec: ScriptSpec, request: dict[str, Any]) -> dict[str, Any]:
    """Perform a worker's ``HTTP(method, url, options)`` request for ``spec``'s integration."""
    if not spec.allow_hosts:
        return {"error": "HTTP is not allowed for this integration (http.allow_hosts is empty)"}
    method, url, options = request.get("method"), request.get("url"), request.get("options")
    if not isinstance(method, str) or not isinstance(url, str) or not (options is None or isinstance(options, dict)):
        return {"error": "HTTP(method, url, options): invalid arguments"}
    try:
        from .. import egress
    except ImportError:
        return {"error": "HTTP from scripts is not available: hookhub.egress is not installed"}
    perform: Any = egress.perform
    timeout_s = spec.limits.http_timeout_ms / 1000.0
    try:
        if inspect.iscoroutinefunction(perform):
            value = await perform(method, url, options, allow_hosts=spec.allow_hosts,
                                  allow_private=spec.allow_private, timeout_s=timeout_s)
        else:
            value = await asyncio.to_thread(perform, method, url, options, allow_hosts=spec.allow_hosts,
                                            allow_private=spec.allow_private, timeout_s=timeout_s)
        result: dict[str, Any] = to_json_result(value, 64 * 1024 * 1024)
        return result
    except Exception as exc:  # noqa: BLE001 - egress failures are the script's answer, not ours
        return {"error": f"{type(exc).__name__}: {exc}"}
