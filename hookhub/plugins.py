"""The plugin-manager factory.

No import-time side effects: every application builds its own manager with
:func:`make_plugin_manager`, in this order: hook specifications, the default
plugins (the Python and JavaScript engines, ...), the ``hookhub`` entry-point
group, modules from the YAML ``plugins_dir``, then ``check_pending()`` so a
misspelled hook fails at start-up.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Any

import pluggy

from . import hookspecs

#: Default plugins, by registration name → module path.
DEFAULT_PLUGINS: dict[str, str] = {
    "python-engine": "hookhub.engines.python",
    "javascript-engine": "hookhub.engines.javascript",
}

ENTRY_POINT_GROUP = "hookhub"


def make_plugin_manager(*, block: Iterable[str] = (), extra: Iterable[Any] = ()) -> pluggy.PluginManager:
    """Build a plugin manager.

    :param block: registration names of plugins to block (e.g. ``javascript-engine``).
    :param extra: plugin objects to register after the defaults (tests use this).
    """
    pm = pluggy.PluginManager("hookhub")
    pm.add_hookspecs(hookspecs)
    for name in block:
        pm.set_blocked(name)
    for name, module in DEFAULT_PLUGINS.items():
        if pm.is_blocked(name):
            continue
        pm.register(importlib.import_module(module), name=name)
    pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    for plugin in extra:
        pm.register(plugin)
    pm.check_pending()
    return pm


def engines(pm: pluggy.PluginManager) -> dict[str, Any]:
    """All script engines by name (later registrations win)."""
    found: dict[str, Any] = {}
    # pluggy calls the most recently registered plugin first: reverse it.
    for batch in reversed(pm.hook.hookhub_script_engines()):
        for engine in batch:
            found[engine.name] = engine
    return found
