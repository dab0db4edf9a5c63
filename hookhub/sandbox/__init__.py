"""Where scripts run: the :class:`Sandbox` interface and its implementations.

* ``inprocess``: threads of the server process (tests, one-off tools);
* ``process``: a pool of locked-down worker processes (the server).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from .base import CallOutcome, Limits, Sandbox, ScriptSpec

if TYPE_CHECKING:  # pragma: no cover
    from ..engines.base import ScriptEngine

KINDS = ("inprocess", "process")


def make_sandbox(kind: str, engines: Mapping[str, ScriptEngine], *, workers: int = 2) -> Sandbox:
    """Build a sandbox of ``kind`` (``"inprocess"`` or ``"process"``) for ``engines``.

    :param workers: number of worker processes (``process`` only).
    """
    if kind == "inprocess":
        from .inprocess import InProcessSandbox

        return InProcessSandbox(engines)
    if kind == "process":
        from .pool import WorkerPool

        return WorkerPool(engines, workers=workers)
    raise ValueError(f"unknown sandbox kind {kind!r}; use one of: {', '.join(KINDS)}")


__all__ = ["CallOutcome", "KINDS", "Limits", "Sandbox", "ScriptSpec", "make_sandbox"]
