"""A worker process: runs script calls sent by the server, one at a time.

Forked from the zygote (:mod:`hookhub.sandbox.zygote`), it seals itself
(:mod:`hookhub.sandbox.oslimits`), says ``ready`` and then serves ``call``
messages until its channel closes.  Any worker can serve any integration:
Script instances are cached per integration and re-created when the spec's
digest changes.  The Store travels with each call: the server keeps the
authoritative copy and applies the keys a call changed.

Script ``HTTP()`` calls are forwarded to the server (the worker has no
network) and the wall-clock budget is paused while the server performs them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
import traceback
from collections.abc import Mapping
from typing import Any

from ..engines.base import ScriptEngine, ScriptStore
from . import channel
from .base import ScriptSpec
from ..records import Limits
from ..engines.boundary import to_json_result
from .oslimits import (
    RECYCLE_GROWTH_MB,
    CallLimits,
    MemoryMeter,
    apply_rlimits,
    die_with_parent,
    install_seccomp,
    isolate_descriptors,
)
from .host import GlobalsFor, RunResult, ScriptHost, ScriptTimeout

#: Largest frame a worker accepts from the server (requests are capped by the server's body limit).
MAX_REQUEST_FRAME = 256 * 1024 * 1024


class _Clock:
    """The call's wall-clock budget, enforced with SIGALRM; pausable around forwarded HTTP."""

    def __init__(self) -> None:
        self.active = False
        self.remaining = 0.0
        self.started = 0.0
        signal.signal(signal.SIGALRM, self._alarm)

    def _alarm(self, signum: int, frame: Any) -> None:
        if self.active:
            self.active = False
            raise ScriptTimeout()

    def start(self, seconds: float) -> None:
        self.remaining = seconds
        self.resume()

    def resume(self) -> None:
        self.started = time.monotonic()
        self.active = True
        signal.setitimer(signal.ITIMER_REAL, max(self.remaining, 0.001))

    def pause(self) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        self.active = False
        self.remaining -= time.monotonic() - self.started

    def stop(self) -> None:
        self.active = False
        signal.setitimer(signal.ITIMER_REAL, 0)


#: specs a worker keeps (a spec is mostly its source: this bounds the memory)
SPEC_CACHE = 256


def spec_from_json(data: dict[str, Any]) -> ScriptSpec:
    """The :class:`ScriptSpec` of a call's ``spec`` JSON (KeyError when a required key is missing)."""
    return ScriptSpec(
        integration_id=data["integration_id"], engine=data["engine"], source=data["source"],
        filename=data["filename"], limits=Limits(**data["limits"]),
        allow_hosts=tuple(data.get("allow_hosts", ())), allow_private=bool(data.get("allow_private", False)))


class Worker:
    """The serving loop of one worker process."""

    def __init__(self, sock: socket.socket, engines: Mapping[str, ScriptEngine], meter: MemoryMeter,
                 sealed: str | None, globals_for: GlobalsFor | None = None) -> None:
        self.sock = sock
        self.runner = ScriptHost(engines, globals_for)
        self.meter = meter
        self.baseline_rss = meter.rss_bytes()
        self.limits = CallLimits(meter)
        self.clock = _Clock()
        self.sealed = sealed
        #: recent specs by integration id, with the JSON they were read from
        self._specs: dict[str, tuple[dict[str, Any], ScriptSpec]] = {}

    def _http(self, call_id: int) -> Any:
        def forward(method: str, url: str, options: dict[str, Any] | None) -> dict[str, Any]:
            payload = to_json_result(options, 16 * 1024 * 1024) if options is not None else None
            self.clock.pause()
            try:
                channel.send(self.sock, {"op": "http", "id": call_id, "method": method, "url": url,
                                         "options": payload})
                reply = channel.recv(self.sock, MAX_REQUEST_FRAME)
            finally:
                self.clock.resume()
            value = reply.get("value")
            return value if isinstance(value, dict) else {"error": "invalid HTTP reply"}

        return forward

    def _spec(self, data: dict[str, Any]) -> ScriptSpec:
        """The call's spec; the same spec as last time is the same object (its digest is computed once)."""
        key = str(data["integration_id"])
        cached = self._specs.get(key)
        if cached is not None and cached[0] == data:
            return cached[1]
        spec = spec_from_json(data)
        if len(self._specs) >= SPEC_CACHE:
            del self._specs[next(iter(self._specs))]
        self._specs[key] = (data, spec)
        return spec

    def handle(self, message: dict[str, Any]) -> dict[str, Any]:
        """Run one ``call`` message under the per-call limits and SIGALRM clock; the ``result`` reply holds the value or
        reason, logs, the Store keys changed, and ``recycle`` after running out of memory or growing past the limit."""
        spec = self._spec(message["spec"])
        store = ScriptStore(message.get("store") or {})
        before = store.snapshot()
        http = self._http(message["id"]) if spec.allow_hosts else None
        self.limits.enter(spec.limits.memory_mb, spec.limits.timeout_ms)
        result: RunResult
        try:
            self.clock.start(spec.limits.timeout_ms / 1000.0)
            try:
                result = self.runner.call(spec, message["method"], message.get("kwargs") or {}, store, http)
            finally:
                self.clock.stop()
        except ScriptTimeout:  # the alarm fired between the script's end and stop()
            result = RunResult(False, reason=f"the script timed out after {spec.limits.timeout_ms} ms "
                                             f"({spec.limits.origin('timeout_ms')})")
        finally:
            self.limits.leave()
        after = store.snapshot()
        changes = {k: v for k, v in after.items() if before.get(k, _ABSENT) != v}
        return {
            "op": "result", "id": message["id"], "ok": result.ok, "value": result.value,
            "reason": result.reason, "logs": [r.to_json() for r in result.logs],
            "store": changes or None,
            "recycle": bool(result.reason and "ran out of memory" in result.reason) or self._grown(),
        }

    def _grown(self) -> bool:
        return self.meter.rss_bytes() - self.baseline_rss > RECYCLE_GROWTH_MB * 1024 * 1024

    def serve(self) -> None:
        """Say ``ready`` (pid, seccomp problem), then answer ``call`` messages and drop
        instances on ``forget`` until the channel closes or a reply asks to recycle this worker."""
        channel.send(self.sock, {"op": "ready", "pid": os.getpid(), "sealed": self.sealed})
        while True:
            try:
                message = channel.recv(self.sock, MAX_REQUEST_FRAME)
            except (channel.ChannelError, OSError):
                return
            if message.get("op") == "forget":
                self.runner.forget(str(message.get("integration_id")))
                continue
            if message.get("op") != "call":
                continue
            reply = self.handle(message)
            try:
                # finite numbers only: the value and the Store went through the boundary
                # (to_json_result), logs are strings and times; orjson frames (~10x faster)
                self.sock.sendall(channel.encode_finite(reply))
            except ValueError as exc:  # not JSON (cannot happen after the boundary, but never crash)
                channel.send(self.sock, {"op": "result", "id": message["id"], "ok": False,
                                         "reason": f"result could not be sent: {exc}", "logs": []})
            if reply["recycle"]:
                return


_ABSENT = object()


def _fatal_text(exc: BaseException) -> str:
    """A traceback without source lines (a sealed worker cannot open files for linecache)."""
    frames = [f"  {frame.f_code.co_filename}:{lineno} in {frame.f_code.co_name}"
              for frame, lineno in traceback.walk_tb(exc.__traceback__)]
    text = "\n".join(["Traceback (most recent call last):", *frames,
                      *traceback.format_exception_only(type(exc), exc)])
    return text[-4000:]


def _batch_scheduling() -> None:
    """SCHED_BATCH: a worker woken by a call does not preempt the server at once.

    The server goes on with its event loop (answers, other calls) until its
    time slice ends, instead of switching to the worker and back on every
    message; on a shared core that is fewer context switches per request.
    """
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))


def run_worker(fd: int, engines: Mapping[str, ScriptEngine], globals_for: GlobalsFor | None = None) -> None:
    """Entry point in the freshly forked child: seal, then serve.  Never returns normally."""
    status = 0
    sock: socket.socket | None = None
    try:
        die_with_parent()
        _batch_scheduling()
        sock = socket.socket(fileno=fd)
        meter = MemoryMeter()
        isolate_descriptors(keep=(fd, meter.fd))
        os.environ.clear()
        apply_rlimits(meter)
        sealed = install_seccomp()
        Worker(sock, engines, meter, sealed, globals_for).serve()
    except BaseException as exc:  # noqa: BLE001 - a worker must never return into the zygote's code
        status = 1
        try:  # tell the server why (for its own log, not the integration's)
            if sock is not None:
                channel.send(sock, {"op": "fatal", "error": _fatal_text(exc)})
        except BaseException:  # noqa: BLE001
            pass
    finally:
        os._exit(status)
