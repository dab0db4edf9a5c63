"""The plugin-manager factory.

No import-time side effects: every application builds its own manager with
:func:`make_plugin_manager`, in this order: hook specifications, the default
plugins (the Python and JavaScript engines, ...), the ``hookhub`` entry-point
group, modules from the YAML ``plugins_dir``, then ``check_pending()`` so a
misspelled hook fails at start-up.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pluggy

from . import hookspecs
from .hookcall import PluginManager

#: Default plugins, by registration name → module path.
DEFAULT_PLUGINS: dict[str, str] = {
    "python-engine": "hookhub.engines.python",
    "verifiers": "hookhub.verifiers",
    "service-verifiers": "hookhub.service_verifiers",
    "sns-verifier": "hookhub.sns_verifier",
    "javascript-engine": "hookhub.engines.javascript",
    "outgoing": "hookhub.outgoing",
    "bridges": "hookhub.bridges",
    "rc-import": "hookhub.rcimport",
    "metrics": "hookhub.metrics",
}

ENTRY_POINT_GROUP = "hookhub"


def make_plugin_manager(*, block: Iterable[str] = (), extra: Iterable[Any] = (),
                        plugins_dir: Path | None = None) -> pluggy.PluginManager:
    """Build a plugin manager.

    :param block: registration names of plugins to block (e.g. ``javascript-engine``).
    :param extra: plugin objects to register after the defaults (tests use this).
    :param plugins_dir: a folder whose ``*.py`` modules are registered as plugins.
    """
    pm = PluginManager("hookhub")
    pm.add_hookspecs(hookspecs)
    for name in block:
        pm.set_blocked(name)
    for name, module in DEFAULT_PLUGINS.items():
        if pm.is_blocked(name):
            continue
        pm.register(importlib.import_module(module), name=name)
    pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    if plugins_dir is not None:
        for path in sorted(Path(plugins_dir).glob("*.py")):
            pm.register(_load_module(path), name=f"plugins_dir:{path.stem}")
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


def _load_module(path: Path) -> Any:
    name = f"hookhub_plugins_dir.{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - only for odd files
        raise ImportError(f"cannot load plugin module {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def verifiers(pm: pluggy.PluginManager) -> dict[str, Any]:
    """All request verifiers by type name (later registrations win)."""
    found: dict[str, Any] = {}
    for batch in reversed(pm.hook.hookhub_request_verifiers()):
        found.update(batch)
    return found
