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
from collections.abc import Callable, Mapping
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
from .wire import call_kwargs

#: Largest frame a worker accepts from the server (requests are capped by the server's body limit).
MAX_REQUEST_FRAME = 256 * 1024 * 1024


class _Clock:
    """The call's wall-clock budget, enforced with SIGALRM; pausable around forwarded HTTP.

    In a batch, the same timer also marks the batch's slice: when it passes
    while a call runs and calls wait behind it, :attr:`on_slice` is called
    once (the worker hands the waiting calls back) and the call goes on until
    its own budget is spent.
    """

    def __init__(self) -> None:
        self.active = False
        self.remaining = 0.0
        self.started = 0.0
        #: monotonic time of the batch's slice, and what to do then (None: no slice)
        self.slice_at: float | None = None
        self.on_slice: Callable[[], None] | None = None
        signal.signal(signal.SIGALRM, self._alarm)

    def _alarm(self, signum: int, frame: Any) -> None:
        if not self.active:
            return
        now = time.monotonic()
        left = self.remaining - (now - self.started)
        if self.slice_at is not None and left > 0.0005:
            self.slice_at, callback = None, self.on_slice
            if callback is not None:
                callback()
            signal.setitimer(signal.ITIMER_REAL, max(self.remaining - (time.monotonic() - self.started), 0.0001))
            return
        self.active = False
        raise ScriptTimeout()

    def start(self, seconds: float) -> None:
        self.remaining = seconds
        self.resume()

    def resume(self) -> None:
        self.started = time.monotonic()
        self.active = True
        delay = max(self.remaining, 0.001)
        if self.slice_at is not None:
            delay = max(min(delay, self.slice_at - self.started), 0.0001)
        signal.setitimer(signal.ITIMER_REAL, delay)

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
        #: the batch being run: its id, the replies not sent yet, the calls not started yet
        self._batch_id: int | None = None
        self._replies: list[dict[str, Any]] = []
        self._unstarted: list[Any] = []
        self._handed = False

    def _http(self, call_id: int) -> Any:
        def forward(method: str, url: str, options: dict[str, Any] | None) -> dict[str, Any]:
            payload = to_json_result(options, 16 * 1024 * 1024) if options is not None else None
            if self._unstarted:
                self._hand_back()  # the calls behind this one do not wait for its HTTP()
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
        began = time.monotonic()
        self.limits.enter(spec.limits.memory_mb, spec.limits.timeout_ms)
        result: RunResult
        try:
            self.clock.start(spec.limits.timeout_ms / 1000.0)
            try:
                result = self.runner.call(spec, message["method"], call_kwargs(message), store, http)
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
            "store": changes or None, "ms": (time.monotonic() - began) * 1000.0,
            "recycle": bool(result.reason and "ran out of memory" in result.reason) or self._grown(),
        }

    def handle_batch(self, message: dict[str, Any]) -> bool:
        """Run a ``batch`` message's calls one after the other and answer them in one ``results`` frame.

        Each call has its own limits and clock.  When the batch's slice
        (``slice_ms`` from its arrival) passes, or a call makes an ``HTTP()``
        request, the calls not started yet are handed back at once (a
        ``results`` frame listing them as ``returned``, with the replies so
        far): the server runs them elsewhere, and this worker never starts
        them.  Returns True when this worker should exit (recycle).
        """
        calls = [c for c in message.get("calls") or [] if isinstance(c, dict)]
        ids = [c.get("id") for c in calls]
        slice_at = time.monotonic() + float(message.get("slice_ms") or 0) / 1000.0
        self._batch_id, self._replies, self._handed = message.get("id"), [], False
        started, recycle = 0, False
        try:
            for i, call in enumerate(calls):
                if i and (self._handed or time.monotonic() >= slice_at):
                    break  # handed back already, or the slice is spent: the rest go back below
                started = i + 1
                self._unstarted = ids[started:]
                self.clock.slice_at, self.clock.on_slice = (slice_at, self._hand_back) if self._unstarted else (None, None)
                try:
                    reply = self.handle(call)
                except (KeyError, TypeError, ValueError) as exc:  # a malformed call: answered, never fatal
                    reply = {"op": "result", "id": call.get("id"), "ok": False, "logs": [], "recycle": False,
                             "reason": f"invalid call message: {type(exc).__name__}: {exc}"}
                self._replies.append(reply)
                if reply["recycle"]:
                    recycle = True
                    break
        finally:
            self.clock.slice_at, self.clock.on_slice = None, None
            self._unstarted = []
        self._send_results([] if self._handed else ids[started:])
        self._batch_id = None
        return recycle

    def _hand_back(self) -> None:
        """Send the replies so far and hand the calls not started back to the server (slice alarm, HTTP())."""
        self.clock.slice_at, self.clock.on_slice = None, None
        returned, self._unstarted, self._handed = self._unstarted, [], True
        self._send_results(returned)

    def _send_results(self, returned: list[Any]) -> None:
        replies, self._replies = self._replies, []
        message = {"op": "results", "id": self._batch_id, "results": replies, "returned": returned}
        try:
            frame = channel.encode_finite(message)
        except ValueError:  # not JSON (cannot happen after the boundary, but never crash)
            message["results"] = [{"op": "result", "id": r.get("id"), "ok": False, "logs": [],
                                   "reason": "result could not be sent: not JSON"} for r in replies]
            frame = channel.encode(message)
        self.sock.sendall(frame)

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
            if message.get("op") == "batch":
                if self.handle_batch(message):
                    return
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
