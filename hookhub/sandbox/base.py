"""The one interface between the server and script execution.

The pipeline only ever talks to a :class:`Sandbox`: it ``load``s an
integration's script (a :class:`ScriptSpec`) and ``call``s one of its methods
with JSON keyword arguments, getting back a :class:`CallOutcome` that carries
the JSON result or the reason it failed, plus the console records.  Only JSON
data crosses this boundary in either direction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

from ..records import Limits, LogRecord


@dataclass(frozen=True)
class ScriptSpec:
    """Everything needed to (re)create an integration's ``Script`` instance."""

    integration_id: str
    engine: str
    source: str
    filename: str
    limits: Limits = field(default_factory=Limits)
    #: egress policy for script HTTP helpers: host patterns; empty = none
    allow_hosts: tuple[str, ...] = ()
    allow_private: bool = False

    @cached_property
    def digest(self) -> str:
        """Changes whenever the script must be re-created (computed once per spec)."""
        h = hashlib.sha256()
        for part in (self.integration_id, self.engine, self.filename, self.source,
                     repr(self.limits), repr(self.allow_hosts), repr(self.allow_private)):
            h.update(part.encode("utf-8", "surrogatepass"))
            h.update(b"\0")
        return h.hexdigest()


@dataclass
class CallOutcome:
    """The result of one call."""

    ok: bool
    #: the JSON result when ``ok``
    value: Any = None
    #: why it failed (traceback, timeout, memory...) for the integration log
    reason: str | None = None
    #: the integration is saturated: answer 503 rather than 400
    saturated: bool = False
    #: seconds until the integration may be called again (it is quarantined), for ``Retry-After``
    retry_after: float | None = None
    logs: list[LogRecord] = field(default_factory=list)
    duration_ms: float = 0.0
    #: the integration's whole ``Store`` after the call, when the call changed it (else None)
    store: dict[str, Any] | None = None
    #: only the keys this call set (merged per key into the database; see hookhub.scriptstate)
    changes: dict[str, Any] | None = None


class Sandbox(Protocol):
    """Runs scripts.  Implementations: in-process (tests, ``hookhub test``) and a worker pool."""

    async def start(self) -> None:
        """Get ready to run scripts (workers, threads); the hub calls it once before loading any script."""
        ...

    async def close(self) -> None:
        """Stop running scripts and release what :meth:`start` acquired (the hub's shutdown)."""
        ...

    async def load(self, spec: ScriptSpec) -> None:
        """Register (or replace, when ``spec.digest`` changed) an integration's script.

        Raises :class:`~hookhub.errors.ScriptCompileError` when it does not compile.
        """
        ...

    async def unload(self, integration_id: str) -> None:
        """Forget an integration's script and ``Store`` (a reload removed it); no-op when it is not loaded."""
        ...

    def restore_store(self, integration_id: str, data: dict[str, Any]) -> None:
        """Set a loaded integration's ``Store`` (the hub restores the stored one at start-up)."""
        ...

    def store_of(self, integration_id: str) -> dict[str, Any] | None:
        """A copy of a loaded integration's ``Store`` as it is now (None when it is not loaded)."""
        ...

    async def call(self, integration_id: str, method: str, kwargs: dict[str, Any]) -> CallOutcome:
        """Call ``Script.<method>(**kwargs)`` of a loaded integration.

        Never raises for anything the script does: failures come back as
        ``CallOutcome(ok=False, reason=...)``, including a method the script
        does not define and an integration that was never loaded.
        """
        ...
