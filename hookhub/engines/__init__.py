"""Script engines: turn a script's source into a callable ``Script`` instance.

Engines are pluggy plugins (see :mod:`hookhub.hookspecs`); the Python engine
and the JavaScript compatibility engine are registered by default.
"""

from __future__ import annotations

from .base import Console, ScriptEngine, ScriptEnv, ScriptInstance, ScriptStore


__all__ = ["Console", "ScriptEngine", "ScriptEnv", "ScriptInstance", "ScriptStore"]
