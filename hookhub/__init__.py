"""hookhub: a self-hosted webhook integration engine.

The public surface, for embedding hookhub or writing extensions::

    from hookhub import Hub, load_config, make_app
    app = make_app(Hub(load_config("config/hookhub.yaml")))
"""

from __future__ import annotations

from .web import make_app
from .config import Config, load_config
from .errors import (
    ConfigError,
    HookhubError,
    Problem,
    RequestError,
    ScriptCompileError,
    ScriptRunError,
)
from .hookspecs import hookimpl
from .hub import Hub
from .pipeline import Inbound, Outcome, process, receive
from .toolkit import ScriptRunner
from .errors import VerificationFailed

__all__ = [
    "Config",
    "ConfigError",
    "Hub",
    "HookhubError",
    "Inbound",
    "Outcome",
    "Problem",
    "RequestError",
    "ScriptCompileError",
    "ScriptRunError",
    "ScriptRunner",
    "VerificationFailed",
    "hookimpl",
    "load_config",
    "make_app",
    "process",
    "receive",
]
