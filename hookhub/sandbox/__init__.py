"""Where scripts run: the :class:`Sandbox` interface and its implementations."""

from __future__ import annotations

from .base import CallOutcome, Limits, Sandbox, ScriptSpec

__all__ = ["CallOutcome", "Limits", "Sandbox", "ScriptSpec"]
