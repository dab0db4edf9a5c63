"""Extension points of hookhub (pluggy hook specifications).

Every hook is prefixed ``hookhub_``.  Implement them in a module or package
and register it through the ``hookhub`` entry-point group or the YAML
``plugins_dir``; see ``docs/plugin_hooks.md``.  Plugins import the marker and
the types named here from :mod:`hookhub.ext`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    from .engines.base import ScriptEngine
    from .ext import HubView

hookspec = pluggy.HookspecMarker("hookhub")
hookimpl = pluggy.HookimplMarker("hookhub")


@hookspec
def hookhub_script_engines() -> list[ScriptEngine]:
    """Return the script engines this plugin provides.

    Called once per application.  Each engine has a unique ``name`` (used by
    ``script_engine:`` in YAML) and the file ``extensions`` it claims.  When
    two plugins provide the same name, the one registered last wins, so a
    deployment can replace a default engine.

    :return: a list of :class:`hookhub.engines.ScriptEngine` objects.
    """
    raise NotImplementedError


@hookspec
def hookhub_sandbox_globals(integration_id: str, engine: str) -> dict[str, Any]:
    """Return extra globals (helpers) made available to scripts.

    Called inside the sandbox when a script is instantiated.  Values must be
    safe to hand to untrusted code: plain functions taking and returning
    JSON data.  Results of all plugins are merged; later plugins win.

    :param integration_id: the integration whose script is being loaded.
    :param engine: the engine name (``python`` or ``javascript``).
    :return: a mapping of global name to value.
    """
    raise NotImplementedError


@hookspec
def hookhub_request_verifiers() -> dict[str, Any]:
    """Return request verifiers by type name (the ``verify.type`` of an integration).

    A verifier is ``verifier(options, headers, body, now) -> None`` that raises
    :class:`hookhub.errors.VerificationFailed` with a reason (never the
    secret) when the request is not authentic.  ``options`` is the
    integration's ``verify:`` mapping with the secret revealed, ``headers``
    have lower-case names, ``body`` is the raw bytes.  Later plugins override
    earlier ones of the same name.

    :return: a mapping of type name to verifier callable.
    """
    raise NotImplementedError


@hookspec
def hookhub_startup(hub: HubView) -> None:
    """Called once the hub has started (store open, scripts loaded).

    :param hub: the running hub, as a :class:`hookhub.ext.HubView`.
    """


@hookspec
def hookhub_shutdown(hub: HubView) -> None:
    """Called when the hub stops, before the store and the sandbox close.

    :param hub: the running hub, as a :class:`hookhub.ext.HubView`.
    """


@hookspec
def hookhub_config_reloaded(hub: HubView, changes: list[str]) -> None:
    """Called after the hub switched to a reloaded configuration (``hub.config``, ``hub.registry``).

    Plugins keeping state derived from the old configuration refresh it here
    (outgoing integrations re-apply their persisted disabled state, bridges
    pick up their new targets).  Must not block.

    :param hub: the running hub, as a :class:`hookhub.ext.HubView`, already using the new configuration.
    :param changes: what changed, as returned by ``Hub.reload``.
    """


@hookspec
def hookhub_message_posted(hub: HubView, message: dict[str, Any], integration_id: str | None) -> None:
    """React to a message that was just committed to the store.

    Outgoing integrations and onward delivery use this.  Must not block:
    schedule work (e.g. with ``asyncio.get_running_loop().create_task``).

    :param hub: the running hub, as a :class:`hookhub.ext.HubView`.
    :param message: the stored message document (``_id``, ``channel``, ``text``, ...).
    :param integration_id: the incoming integration that posted it, or None.
    """


@hookspec
def hookhub_routes(hub: HubView) -> list[Any]:
    """Return extra Starlette routes to mount in the application.

    :param hub: the running hub, as a :class:`hookhub.ext.HubView`.
    :return: a list of ``starlette.routing.Route`` / ``Mount`` objects.
    """
    raise NotImplementedError


@hookspec
def hookhub_cli_commands() -> list[Any]:
    """Return extra ``click`` commands added to the ``hookhub`` CLI.

    :return: a list of ``click.Command`` objects.
    """
    raise NotImplementedError
