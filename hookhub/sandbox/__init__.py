"""Where scripts run: the :class:`Sandbox` interface and its implementations.

* ``inprocess``: threads of the server process (tests, one-off tools);
* ``process``: a pool of locked-down worker processes (the server).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .base import CallOutcome, Sandbox, ScriptSpec


if TYPE_CHECKING:  # pragma: no cover
    from ..engines.base import ScriptEngine

KINDS = ("inprocess", "process")


def make_sandbox(kind: str, engines: Mapping[str, ScriptEngine], *, workers: int = 2,
                 pm: Any = None, plugins: dict[str, Any] | None = None, quarantine: Any = None) -> Sandbox:
    """Build a sandbox of ``kind`` (``"inprocess"`` or ``"process"``) for ``engines``.

    :param workers: number of worker processes (``process`` only).
    :param pm: the plugin manager whose ``hookhub_sandbox_globals`` helpers scripts get.
    :param plugins: how worker processes rebuild that manager (``block``, ``plugins_dir``).
    :param quarantine: a :class:`~hookhub.sandbox.quarantine.QuarantinePolicy` (``process`` only).
    """
    from .host import plugin_globals

    globals_for = plugin_globals(pm) if pm is not None else None
    if kind == "inprocess":
        from .inprocess import InProcessSandbox

        return InProcessSandbox(engines, globals_for=globals_for)
    if kind == "process":
        from .pool import WorkerPool

        return WorkerPool(engines, workers=workers, plugins=plugins if globals_for is not None else None,
                          quarantine=quarantine)
    raise ValueError(f"unknown sandbox kind {kind!r}; use one of: {', '.join(KINDS)}")


__all__ = ["KINDS", "CallOutcome", "Sandbox", "ScriptSpec", "make_sandbox"]
