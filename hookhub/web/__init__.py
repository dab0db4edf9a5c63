"""The HTTP front end: one hook endpoint, the admin API, health, metrics and the UI's routes.

* :mod:`.app` — :func:`make_app`, the ASGI application;
* :mod:`.hooks` — the hook endpoint, the only way a webhook comes in;
* :mod:`.responses` — JSON answers and the one error renderer;
* :mod:`.auth` — the admin Bearer token check; :mod:`.paging` — ``?limit=``;
* :mod:`.api`, :mod:`.health`, :mod:`.openapi` (+ :mod:`.apimodels`) — the routes under ``/api/v1/``,
  ``/readyz``; :mod:`.accesslog` — one line per request.
"""

from __future__ import annotations

from .app import HookhubApp, make_app

__all__ = ["HookhubApp", "make_app"]
