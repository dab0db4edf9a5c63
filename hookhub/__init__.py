"""hookhub: a self-hosted webhook integration engine.

The public surface is small and kept stable across releases:

* this package, for embedding hookhub in an application::

      from hookhub import Hub, load_config, make_app
      app = make_app(Hub(load_config("config/hookhub.yaml")))

* :mod:`hookhub.ext`, everything a plugin may import (docs/plugin_hooks.md);
* :class:`ScriptRunner` and the ``check`` pytest fixture (:mod:`hookhub.testing`),
  for testing scripts offline.

Every other module is internal and may change without notice.
"""

from __future__ import annotations

from .config import Config, load_config
from .errors import ConfigError, HookhubError, RequestError, ScriptCompileError, ScriptRunError
from .hub import Hub
from .toolkit import ScriptRunner
from .web import make_app

__all__ = [
    "Config",
    "ConfigError",
    "Hub",
    "HookhubError",
    "RequestError",
    "ScriptCompileError",
    "ScriptRunError",
    "ScriptRunner",
    "load_config",
    "make_app",
]
