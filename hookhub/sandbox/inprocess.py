"""The in-process sandbox: scripts run in threads of the server process.

Used by unit tests and tools that run one script (``hookhub test``).  It
honours the same interface and limits as the worker pool as far as a single
process can:

* **timeout**: a trace function raises :class:`ScriptTimeout` inside the
  script's own frames once the wall-clock budget is spent.  Weakness: code
  that does not return to the script's lines (a long C call such as a huge
  ``"x" * 10**10`` or a catastrophic regex) cannot be interrupted; the
  caller still gets its timeout answer after ``timeout_ms`` + a grace
  period, but the thread runs on.  The worker pool kills the process instead.
* **memory, CPU, files, processes**: not limited here (use ``process``).

Calls of one integration are serialised (one at a time, up to
``Limits.queue`` waiting, then ``saturated``), so a script instance - and a
JavaScript context - is never used by two threads at once.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from ..engines.base import ScriptEngine, ScriptStore

from ..records import LogRecord
from ..engines.python import hookkit
from .base import CallOutcome, ScriptSpec
from .host import GlobalsFor, RunResult, ScriptHost, ScriptTimeout

#: Extra time given to a thread after its deadline before the caller gives up on it.
GRACE_S = 0.5

#: hookkit's functions loop over what the script hands them: the deadline reaches them too.
_KIT_FILE = hookkit.find_missing.__code__.co_filename


@dataclass
class _Slot:
    spec: ScriptSpec
    store: ScriptStore = field(default_factory=ScriptStore)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    waiting: int = 0


class _Deadline:
    """A trace function that raises ``ScriptTimeout`` in frames of one file (and hookkit's) after a deadline."""

    def __init__(self, filename: str, timeout_s: float) -> None:
        self.filename = filename
        self.deadline = time.monotonic() + timeout_s

    def global_trace(self, frame: FrameType, event: str, arg: Any) -> Any:
        filename = frame.f_code.co_filename
        if filename != self.filename and filename != _KIT_FILE:
            return None
        self._check()
        return self.local_trace

    def local_trace(self, frame: FrameType, event: str, arg: Any) -> Any:
        self._check()
        return self.local_trace

    def _check(self) -> None:
        if time.monotonic() > self.deadline:
            raise ScriptTimeout()


def _http(spec: ScriptSpec, deadline: _Deadline) -> Any:
    """``HTTP()`` for scripts of ``spec`` (None without egress); its time is not counted."""
    if not spec.allow_hosts:
        return None

    def http(method: str, url: str, options: dict[str, Any] | None) -> dict[str, Any]:
        from .. import egress

        began = time.monotonic()
        try:
            return egress.perform(method, url, options, allow_hosts=spec.allow_hosts,
                                  allow_private=spec.allow_private,
                                  timeout_s=spec.limits.http_timeout_ms / 1000.0)
        finally:
            deadline.deadline += time.monotonic() - began

    return http


class InProcessSandbox:
    """:class:`~hookhub.sandbox.base.Sandbox` running scripts in threads of this process."""

    def __init__(self, engines: Mapping[str, ScriptEngine], *, threads: int = 4,
                 globals_for: GlobalsFor | None = None) -> None:
        self._runner = ScriptHost(engines, globals_for)
        self._threads = threads
        self._executor: ThreadPoolExecutor | None = None
        self._slots: dict[str, _Slot] = {}

    async def start(self) -> None:
        """Create the pool of ``threads`` threads calls run in (no-op when it exists; :meth:`call` starts it too)."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self._threads, thread_name_prefix="hookhub-script")

    async def close(self) -> None:
        """Shut the thread pool down without waiting (queued calls are
        cancelled, a running one ends on its own); loaded scripts are kept."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    async def load(self, spec: ScriptSpec) -> None:
        """Check in a thread that ``spec``'s script compiles, then register it; a changed ``spec.digest`` re-creates
        the instance on its next call, ``Store`` kept.  Raises ``ScriptCompileError``, also for an unknown engine."""
        engine = self._runner.engine(spec)
        await asyncio.to_thread(engine.check, spec.source, spec.filename)
        slot = self._slots.get(spec.integration_id)
        if slot is None:
            self._slots[spec.integration_id] = _Slot(spec)
        elif slot.spec.digest != spec.digest:
            slot.spec = spec  # the instance is re-created on the next call; the Store is kept

    def restore_store(self, integration_id: str, data: dict[str, Any]) -> None:
        """Replace a loaded integration's ``Store`` with ``data`` (no-op when it is not loaded)."""
        slot = self._slots.get(integration_id)
        if slot is not None:
            slot.store = ScriptStore(data)

    def store_of(self, integration_id: str) -> dict[str, Any] | None:
        """A copy of a loaded integration's ``Store`` (None when it is not loaded)."""
        slot = self._slots.get(integration_id)
        return dict(slot.store.snapshot()) if slot is not None else None

    async def unload(self, integration_id: str) -> None:
        """Forget an integration's spec, ``Store`` and ``Script`` instance (no-op when it is not loaded)."""
        self._slots.pop(integration_id, None)
        self._runner.forget(integration_id)

    def _run(self, spec: ScriptSpec, method: str, kwargs: dict[str, Any], store: ScriptStore) -> RunResult:
        deadline = _Deadline(spec.filename, spec.limits.timeout_ms / 1000.0)
        previous = sys.gettrace()
        sys.settrace(deadline.global_trace)
        try:
            return self._runner.call(spec, method, kwargs, store, _http(spec, deadline))
        finally:
            sys.settrace(previous)

    async def call(self, integration_id: str, method: str, kwargs: dict[str, Any]) -> CallOutcome:
        """Run the call in a pool thread, one per integration at a time (beyond
        ``queue`` waiting: saturated); past ``timeout_ms`` + :data:`GRACE_S` it is
        abandoned with its instance.  Reports the ``Store`` and keys it changed."""
        started = time.perf_counter()
        slot = self._slots.get(integration_id)
        if slot is None:
            return CallOutcome(False, reason=f"integration {integration_id!r} has no script loaded")
        spec = slot.spec
        if slot.lock.locked() and slot.waiting >= spec.limits.queue:
            return CallOutcome(False, saturated=True, reason=(
                f"integration {integration_id!r} is saturated: {slot.waiting} calls already waiting "
                f"(sandbox queue={spec.limits.queue})"))
        if self._executor is None:
            await self.start()
        assert self._executor is not None
        slot.waiting += 1
        try:
            await slot.lock.acquire()
        finally:
            slot.waiting -= 1
        before = slot.store.snapshot()
        try:
            loop = asyncio.get_running_loop()
            future = loop.run_in_executor(self._executor, self._run, spec, method, kwargs, slot.store)
            try:
                result = await asyncio.wait_for(asyncio.shield(future),
                                                spec.limits.timeout_ms / 1000.0 + GRACE_S)
            except TimeoutError:
                # The thread is stuck outside the script's lines: abandon it and its instance.
                self._runner.forget(integration_id)
                slot.store = ScriptStore(slot.store.snapshot())
                result = RunResult(False, reason=(
                    f"the script timed out after {spec.limits.timeout_ms} ms ({spec.limits.origin('timeout_ms')}); "
                    "the in-process sandbox could not stop it"))
        finally:
            slot.lock.release()
        logs: list[LogRecord] = result.logs
        after = slot.store.snapshot()
        return CallOutcome(result.ok, value=result.value, reason=result.reason, logs=logs,
                           duration_ms=(time.perf_counter() - started) * 1000.0,
                           store=after if after != before else None,
                           changes={k: v for k, v in after.items() if k not in before or before[k] != v}
                           if after != before else None)
