"""The facade for plugin authors: everything a hookhub plugin may import, in one module.

A plugin (docs/plugin_hooks.md) imports only this module::

    from hookhub import ext

    @ext.hookimpl
    def hookhub_routes(hub: ext.HubView) -> list[Route]:
        async def ping(request: Request) -> Response:
            ext.require_admin(hub, request)
            return ext.json_response({"success": True})
        return [Route("/example/ping", ping)]

What it offers:

* :data:`hookimpl`, the marker of hook implementations (no need to build a
  ``pluggy.HookimplMarker`` of your own);
* :class:`HubView`, what a plugin may use of the running hub (the hooks
  receive it as ``hub``), and :class:`ServiceKey` to add a service of your own
  to ``hub.services`` and find the others;
* the interfaces a plugin implements: :class:`ScriptEngine` (with
  :class:`ScriptInstance`, :class:`ScriptEnv`, :class:`ScriptOutline`) and
  :class:`Verifier`;
* the errors: raise :class:`VerificationFailed` from a verifier, any
  :class:`HookhubError` from a route (it becomes the JSON error envelope with
  its status);
* the helpers hookhub's own routes use: :func:`require_admin`,
  :func:`admin_only`, :func:`page_limit`, :func:`json_response`.

Names here are kept stable across releases; every other ``hookhub.*`` module
is internal and may change without notice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from .engines.base import ScriptEngine, ScriptEnv, ScriptInstance, ScriptOutline
from .errors import (
    ConfigError,
    HookhubError,
    NotFound,
    RequestError,
    ScriptCompileError,
    ScriptRunError,
    Unauthorized,
    VerificationFailed,
)
from .hookspecs import hookimpl
from .records import LogRecord
from .services import ServiceKey, Services
from .verifiers import Verifier
from .web.auth import admin_only, require_admin
from .web.paging import page_limit, parse_limit
from .web.responses import json_response

if TYPE_CHECKING:  # pragma: no cover
    import pluggy

    from .config import Config
    from .metrics import Metrics
    from .registry import Registry
    from .sandbox.base import Sandbox
    from .store import Store

__all__ = [
    "ConfigError",
    "HookhubError",
    "HubView",
    "LogRecord",
    "NotFound",
    "RequestError",
    "ScriptCompileError",
    "ScriptEngine",
    "ScriptEnv",
    "ScriptInstance",
    "ScriptOutline",
    "ScriptRunError",
    "ServiceKey",
    "Services",
    "Unauthorized",
    "VerificationFailed",
    "Verifier",
    "admin_only",
    "hookimpl",
    "json_response",
    "page_limit",
    "parse_limit",
    "require_admin",
]


@runtime_checkable
class HubView(Protocol):
    """What a plugin may use of the running hub (the ``hub`` argument of the hooks).

    Read these; do not replace them.  ``config`` and ``registry`` change on a
    reload (``hookhub_config_reloaded``), so read them at each use rather than
    keeping a copy.
    """

    #: the loaded YAML configuration (secrets are ``SecretStr``)
    config: Config
    #: the integrations by id (``registry.integrations``), with their compiled scripts
    registry: Registry
    #: the database: ``await store.read(fn)`` / ``await store.write(fn)`` run ``fn(connection)``
    store: Store
    #: where scripts run (load, call, unload)
    sandbox: Sandbox
    #: the plugin manager (``pm.hook.<name>(...)`` calls a hook on every plugin)
    pm: pluggy.PluginManager
    #: services plugins add at start-up, by :class:`ServiceKey`
    services: Services
    #: the wall clock (Unix seconds) background work should schedule with
    clock: Callable[[], float]
    #: the Prometheus metrics served at ``/metrics``
    metrics: Metrics
    #: replay handlers for history entries by ``kind`` (a plugin that records its own kind adds one)
    replayers: dict[str, Any]
