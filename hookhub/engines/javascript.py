"""The JavaScript compatibility engine: Rocket.Chat integration scripts run unchanged.

Scripts run in QuickJS (the ``quickjs-ng`` package from PyPI; see
``docs/javascript.md`` for why).  Each loaded script owns one QuickJS
context, and every operation on that context happens on one dedicated thread
(a context used from two threads crashes the process).  Everything crossing
between Python and JavaScript is a JSON string.

Rocket.Chat's globals are provided: ``console``, ``Store``, ``s`` (string
helpers, ``js/string.js``), ``_`` (underscore.js from the ``xstatic-underscore``
package), ``moment`` (moment.js from ``xstatic-moment``, loaded on first use),
a synchronous ``HTTP(method, url, options)`` and ``setTimeout``.
Scripts are evaluated inside ``with (scope) {...}`` where ``scope`` is a proxy
that lets strict class bodies assign to undeclared names, as the
Babel-transpiled (sloppy) code of Rocket.Chat ≤ 8 could (``js/prelude.js``).
"""

from __future__ import annotations

import functools
import importlib.util
import json
import queue
import re
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

import quickjs

from ..errors import ScriptCompileError, ScriptRunError
from ..hookspecs import hookimpl
from .base import LEVELS, ScriptEnv, ScriptOutline
from .outlines import javascript_outline

__all__ = ["JavaScriptEngine", "JavaScriptScript", "hookhub_script_engines"]

_T = TypeVar("_T")

_JS_DIR = Path(__file__).with_name("js")
#: The script is wrapped on its own first line, so line numbers are unchanged.
_PREFIX = "(function (__hookhub_scope) { with (__hookhub_scope) { "
_SUFFIX = "\n;return typeof Script === 'undefined' ? undefined : Script; } })"
_CHECK_SENTINEL = "__hookhub_compiled__"
_CHECK_GUARD = f"throw '{_CHECK_SENTINEL}'; "
_HTTP_DISABLED = "HTTP is disabled for this integration (http.allow_hosts)"
_CHECK_TIMEOUT_S = 0.5
_CHECK_MEMORY = 64 * 1024 * 1024
_THREAD_STACK = 4 * 1024 * 1024
#: extra wall-clock wait beyond timeout_ms before a call is abandoned
_GRACE_S = 1.0
_FRAME = re.compile(r"<input>:(\d+)(?::(\d+))?")
_SCRIPT_DECLARED = re.compile(r"\b(?:class|function)\s+Script\b|\bScript\s*=")


def _xstatic_file(package: str, name: str) -> str:
    """A file shipped by an ``xstatic-*`` package (JavaScript libraries on PyPI)."""
    spec = importlib.util.find_spec(f"xstatic.pkg.{package}")
    if spec is None or spec.origin is None:  # pragma: no cover - dependency missing
        raise ScriptRunError(f"the JavaScript engine needs {name} from the 'xstatic-{package}' package: "
                             f"pip install xstatic-{package}")
    return (Path(spec.origin).with_name("data") / name).read_text("utf-8")


@functools.lru_cache(maxsize=1)
def _runtime_sources() -> tuple[str, str, str, str]:
    """The prelude, the ``s`` helpers, underscore.js and moment.js, read once.

    The first three are evaluated in every context; moment.js is handed over as
    a string and evaluated on first use of ``moment`` (it doubles start-up time).
    """
    return (
        (_JS_DIR / "prelude.js").read_text("utf-8"),
        (_JS_DIR / "string.js").read_text("utf-8"),
        _xstatic_file("underscore", "underscore.js"),
        _xstatic_file("moment", "moment.min.js"),
    )


def _clean_stack(text: str, filename: str, extra_prefix: int = 0) -> str:
    """Name the script file in a QuickJS error and drop hookhub's own frames."""
    lines = []
    for line in text.rstrip().splitlines():
        if "__hookhub_" in line or line.strip() in ("at <eval> (<input>)", "at call (native)"):
            continue

        def place(match: re.Match[str]) -> str:
            row, col = match.group(1), match.group(2)
            if col is None:
                return f"{filename}:{row}"
            column = int(col) - len(_PREFIX) - extra_prefix if row == "1" else int(col)
            return f"{filename}:{row}:{max(column, 1)}"

        lines.append(_FRAME.sub(place, line))
    return "\n".join(lines)


def _error_line(text: str, source: str) -> int | None:
    match = _FRAME.search(text)
    if match is None:
        return None
    return min(int(match.group(1)), source.count("\n") + 1)


def _wrap(source: str) -> str:
    return _PREFIX + source + _SUFFIX


def _uses_host_calls(source: str, extra: Mapping[str, Any]) -> bool:
    """Whether the script may call into Python (``HTTP()`` or a plugin helper)."""
    return bool(re.search(r"\bHTTP\b", source)) or any(re.search(rf"\b{re.escape(n)}\b", source) for n in extra)


class _JsThread:
    """One daemon thread that performs every operation on one QuickJS runtime."""

    _stack_lock = threading.Lock()

    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None
        with self._stack_lock:
            previous = threading.stack_size(_THREAD_STACK)
            try:
                self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
                self._thread.start()
            except RuntimeError:
                # A sealed sandbox worker may not start threads (seccomp): it is
                # single-threaded, so the runtime is used from the calling thread only.
                self._thread = None
            finally:
                threading.stack_size(previous)

    def _loop(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            future, fn = job
            try:
                future.set_result(fn())
            except BaseException as exc:  # noqa: BLE001 - handed back to the caller
                future.set_exception(exc)
            # keep no reference to the job (a bound method would keep its script alive)
            del job, future, fn

    def run(self, fn: Callable[[], _T], timeout: float | None = None) -> _T:
        """Run ``fn`` on the thread; ``TimeoutError`` if it takes longer than ``timeout`` s."""
        if self._thread is None or threading.current_thread() is self._thread:
            return fn()
        future: Future[_T] = Future()
        self._jobs.put((future, fn))
        return future.result(timeout)

    def stop(self, last: Callable[[], Any]) -> None:
        """Run ``last`` on the thread (it drops the runtime), then end the thread."""
        if self._thread is None:
            last()
            return
        self._jobs.put((Future(), last))
        self._jobs.put(None)


def _release(thread: _JsThread, box: dict[str, Any]) -> None:
    thread.stop(box.clear)


class _LimitHit(Exception):
    """A call exceeded its time or memory limit (the context is rebuilt)."""


class JavaScriptScript:
    """A loaded JavaScript ``Script`` instance (a :class:`~hookhub.engines.base.ScriptInstance`).

    Limits: QuickJS interrupts a call that runs longer than ``timeout_ms``
    and fails an allocation beyond ``memory_mb``; the context is then rebuilt
    (the script evaluated and ``new Script()`` created again) before the next
    call, ``Store`` surviving.  QuickJS cannot call into Python while its time
    limit is armed, so a script that uses ``HTTP()`` (or a plugin helper) runs
    without it: its calls are bounded by a wall-clock wait instead, and a
    call that overruns is abandoned together with its context and thread (in
    production the sandbox also kills the worker process).
    """

    def __init__(
        self,
        source: str,
        filename: str,
        env: ScriptEnv,
        *,
        timeout_ms: int,
        memory_mb: int,
        extra_globals: Mapping[str, Callable[..., Any]] | None = None,
    ) -> None:
        self.source = source
        self.filename = filename
        self.env = env
        self.timeout_ms = timeout_ms
        self.memory_mb = memory_mb
        self._extra = dict(extra_globals or {})
        #: True when QuickJS's own time limit can be used (no call into Python)
        self.interruptible = not _uses_host_calls(source, self._extra)
        self._methods: frozenset[str] = frozenset()
        self._store_seen: dict[str, Any] | None = None
        self._start_thread()
        self._thread.run(self._load)

    # -- public -------------------------------------------------------------

    def set_limits(self, *, timeout_ms: int | None = None, memory_mb: int | None = None) -> None:
        """Change the limits applied to the following calls."""
        if timeout_ms is not None:
            self.timeout_ms = timeout_ms
        if memory_mb is not None:
            self.memory_mb = memory_mb
            self._thread.run(self._apply_memory_limit)

    def has_method(self, name: str) -> bool:
        return name in self._methods

    def call(self, method: str, kwargs: dict[str, Any]) -> Any:
        """Call ``script[method]({...kwargs})`` and return its result as JSON data.

        Promises are awaited.  Raises :class:`~hookhub.errors.ScriptRunError`
        with the JavaScript stack when the script throws, exceeds a limit or
        returns something that is not JSON data.
        """
        args = json.dumps(kwargs, allow_nan=False)
        wait = self.timeout_ms / 1000 + _GRACE_S
        try:
            return self._thread.run(lambda: self._call(method, args), timeout=wait)
        except TimeoutError:
            # Only reachable without QuickJS's own limit: the thread is stuck in
            # the script.  Leave it behind (it frees its context and ends if the
            # call ever returns) and start afresh.
            self._finalizer()
            self._start_thread()
            self._store_seen = None
            raise ScriptRunError(f"{self.filename}: Script.{method}: timed out after "
                                 f"{self.timeout_ms} ms (timeout_ms); the script's context was "
                                 "abandoned and will be rebuilt") from None

    def close(self) -> None:
        """Drop the QuickJS runtime and end its thread."""
        self._finalizer()

    # -- on the JS thread -------------------------------------------------------

    def _start_thread(self) -> None:
        #: the QuickJS objects; touched only on ``self._thread``
        self._box: dict[str, Any] = {}
        self._thread = _JsThread(f"hookhub-js-{self.env.integration_id}")
        self._finalizer = weakref.finalize(self, _release, self._thread, self._box)

    def _apply_memory_limit(self) -> None:
        ctx = self._box.get("ctx")
        if ctx is not None:
            ctx.set_memory_limit(self.memory_mb * 1024 * 1024)

    def _load(self) -> None:
        """Create the context, evaluate the script and ``new Script()``."""
        self._box.clear()
        self._store_seen = None
        ctx = quickjs.Context()
        self._install_bridges(ctx)
        prelude, strings, underscore, moment = _runtime_sources()
        ctx.set("__hookhub_moment_source", moment)
        for part in (prelude, strings, underscore):
            ctx.eval(part)
        self._box.update(take=ctx.get("__hookhub_take"), store_load=ctx.get("__hookhub_store_load"))
        for name in self._extra:
            ctx.get("__hookhub_extra")(name)
        try:
            factory = ctx.eval(_wrap(self.source))
        except quickjs.JSException as exc:
            text = str(exc)
            raise ScriptCompileError(self.filename, _error_line(text, self.source),
                                     _clean_stack(text, self.filename)) from None
        ctx.gc()
        ctx.set_memory_limit(self.memory_mb * 1024 * 1024)
        deadline = time.monotonic() + self.timeout_ms / 1000
        try:
            self._sync_store(ctx)
            state = self._run_limited(ctx, deadline, lambda: ctx.get("__hookhub_load")(factory))
        except _LimitHit as exc:
            raise ScriptRunError(f"{self.filename}: evaluating the script: {exc}") from None
        except quickjs.JSException as exc:
            raise ScriptRunError(
                f"{self.filename}: evaluating the script failed:\n{_clean_stack(str(exc), self.filename)}"
            ) from None
        finally:
            self._collect(ctx)
        if state == "no-script":
            raise ScriptCompileError(self.filename, None,
                                     "the script defines no `class Script`; define one with a "
                                     "process_incoming_request({ request }) method")
        self._methods = frozenset(json.loads(ctx.get("__hookhub_methods")()))
        self._box.update(ctx=ctx, invoke=ctx.get("__hookhub_invoke"), settle=ctx.get("__hookhub_settle"))

    def _call(self, method: str, args: str) -> Any:
        if "ctx" not in self._box:
            self._load()
        ctx = self._box["ctx"]
        deadline = time.monotonic() + self.timeout_ms / 1000
        try:
            self._sync_store(ctx)
            reply = json.loads(self._run_limited(ctx, deadline, lambda: self._box["invoke"](method, args)))
            while reply["status"] == "pending":
                self._drain(ctx, deadline)
                reply = json.loads(self._run_limited(ctx, deadline, self._box["settle"]))
            self._drain(ctx, deadline)
        except _LimitHit as exc:
            self._collect(ctx)
            self._box.clear()  # rebuilt before the next call
            raise ScriptRunError(f"{self.filename}: Script.{method}: {exc}") from None
        except quickjs.JSException as exc:
            self._collect(ctx)
            raise ScriptRunError(f"{self.filename}: Script.{method} threw:\n"
                                 f"{_clean_stack(str(exc), self.filename)}") from None
        self._collect(ctx)
        status = reply["status"]
        if status == "ok":
            return reply.get("value")
        if status == "missing":
            raise ScriptRunError(f"{self.filename}: the Script class has no method {method!r}")
        if status == "stuck":
            raise ScriptRunError(f"{self.filename}: the Promise returned by Script.{method} never "
                                 "settled (nothing was left to run)")
        raise ScriptRunError(f"{self.filename}: Script.{method} rejected:\n"
                             f"{_clean_stack(reply['error'], self.filename)}")

    def _sync_store(self, ctx: Any) -> None:
        """Push the integration's ``Store`` into JavaScript when it changed."""
        snapshot = self.env.store.snapshot()
        if snapshot != self._store_seen:
            self._box["store_load"](json.dumps(snapshot, ensure_ascii=False, default=str))
            self._store_seen = snapshot

    def _collect(self, ctx: Any) -> None:
        """Move buffered console records and Store writes to the environment."""
        try:
            taken = json.loads(self._box["take"]())
        except quickjs.JSException:  # out of memory: nothing can be collected
            return
        console = self.env.console
        for level, args in taken["logs"]:
            args = [_clean_stack(a, self.filename) if isinstance(a, str) and "<input>" in a else a
                    for a in args]
            getattr(console, level if level in LEVELS else "log")(*args)
        if taken["dropped"]:
            console.warn(f"{taken['dropped']} console records dropped (more than 1000 in one call)")
        if taken["writes"]:
            for key, raw in taken["writes"]:
                self.env.store.set(key, json.loads(raw))
            self._store_seen = self.env.store.snapshot()

    def _drain(self, ctx: Any, deadline: float) -> None:
        """Run queued Promise jobs until none is left."""
        while self._run_limited(ctx, deadline, ctx.execute_pending_job):
            pass

    def _run_limited(self, ctx: Any, deadline: float, step: Callable[[], _T]) -> _T:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _LimitHit(f"timed out after {self.timeout_ms} ms (timeout_ms)")
        if self.interruptible:
            ctx.set_time_limit(remaining)
        try:
            return step()
        except quickjs.JSException as exc:
            text = str(exc)
            if text.startswith("InternalError: interrupted"):
                raise _LimitHit(f"timed out after {self.timeout_ms} ms (timeout_ms)") from None
            # Out of memory surfaces as `null` when not even the error object fits.
            if "out of memory" in text or text.strip() == "null":
                raise _LimitHit(f"ran out of memory: memory_mb is {self.memory_mb}"
                                + (" (or the script threw null)" if "out of memory" not in text else "")) from None
            if text.startswith("RangeError: Maximum call stack size exceeded"):
                raise _LimitHit("exceeded the maximum call stack size (runaway recursion?)") from None
            raise
        finally:
            if self.interruptible:
                ctx.set_time_limit(-1)

    # -- bridges (called from JavaScript; they never raise) ---------------------

    def _install_bridges(self, ctx: Any) -> None:
        # The callables must not refer to ``self``: the context holds them, and
        # a cycle through the C context would keep the script alive for ever.
        env = self.env
        helpers = self._extra

        def http(method: str, url: str, options_json: str) -> str:
            if env.http is None:
                return json.dumps({"error": _HTTP_DISABLED})
            try:
                options = json.loads(options_json)
                result = env.http(method, url, options if isinstance(options, dict) else {})
                return json.dumps(result, ensure_ascii=False, default=str)
            except Exception as exc:  # noqa: BLE001 - reported to the script, like Rocket.Chat
                return json.dumps({"error": f"{type(exc).__name__}: {exc}"})

        def extra(name: str, args_json: str) -> str:
            try:
                value = helpers[name](*json.loads(args_json))
                return json.dumps({"value": value}, ensure_ascii=False, default=str)
            except Exception as exc:  # noqa: BLE001
                return json.dumps({"error": f"{type(exc).__name__}: {exc}"})

        ctx.add_callable("__hookhub_bridge_http", http)
        ctx.add_callable("__hookhub_bridge_extra", extra)


class JavaScriptEngine:
    """Rocket.Chat-compatible JavaScript (``.js`` scripts, ``script_engine: javascript``)."""

    name = "javascript"
    extensions: tuple[str, ...] = (".js",)

    def __init__(self, *, timeout_ms: int = 3000, memory_mb: int = 128) -> None:
        self.timeout_ms = timeout_ms
        self.memory_mb = memory_mb
        self._checked: dict[tuple[str, str], ScriptCompileError | None] = {}

    def __getstate__(self) -> dict[str, Any]:
        """Pickled for the sandbox workers without the compile cache."""
        return {**self.__dict__, "_checked": {}}

    def warm_up(self) -> None:
        """Read the runtime sources (prelude, ``s``, underscore.js, moment.js) now:
        sandbox workers cannot open files once sealed."""
        _runtime_sources()

    def check(self, source: str, filename: str) -> None:
        """Compile the script without running it (results are cached per source and file name)."""
        key = (source, filename)
        if key not in self._checked:
            try:
                self._check(source, filename)
                self._checked[key] = None
            except ScriptCompileError as exc:
                self._checked[key] = exc
            if len(self._checked) > 4096:
                self._checked.pop(next(iter(self._checked)))
        error = self._checked.get(key)
        if error is not None:
            raise error

    def _check(self, source: str, filename: str) -> None:
        """Compile the script without running it.

        The source is compiled as the body of a function that is never
        called, in a throw-away context with a time and memory limit and no
        host functions, so nothing the script does can have an effect here.
        """
        ctx = quickjs.Context()
        ctx.set_memory_limit(_CHECK_MEMORY)
        ctx.set_time_limit(_CHECK_TIMEOUT_S)
        try:
            # The whole program is parsed before its first statement runs, and
            # that statement throws: even a source that closes the wrapper
            # early (`}}); code(); ...`) cannot execute anything here.
            ctx.eval(_CHECK_GUARD + _wrap(source))
        except quickjs.JSException as exc:
            text = str(exc)
            if not text.startswith(_CHECK_SENTINEL):
                raise ScriptCompileError(filename, _error_line(text, source),
                                         _clean_stack(text, filename, len(_CHECK_GUARD))) from None
        else:  # pragma: no cover - the guard always throws
            raise AssertionError("compile guard did not throw")
        finally:
            del ctx
        if not _SCRIPT_DECLARED.search(source):
            raise ScriptCompileError(filename, None, "the script defines no `class Script`; define one "
                                     "with a process_incoming_request({ request }) method")

    def outline(self, source: str, filename: str) -> ScriptOutline:
        """What the script defines (contract methods, top-level names, string constants), unrun."""
        return javascript_outline(source)

    def instantiate(
        self,
        source: str,
        filename: str,
        env: ScriptEnv,
        *,
        timeout_ms: int | None = None,
        memory_mb: int | None = None,
        extra_globals: Mapping[str, Callable[..., Any]] | None = None,
    ) -> JavaScriptScript:
        """Evaluate the script, create ``new Script()`` once and return it.

        ``timeout_ms``/``memory_mb`` default to the engine's (or the
        ``timeout_ms``/``memory_mb`` attributes of ``env`` when present);
        ``extra_globals`` are plain functions of JSON data
        (``hookhub_sandbox_globals``).
        """
        return JavaScriptScript(
            source,
            filename,
            env,
            timeout_ms=timeout_ms or getattr(env, "timeout_ms", None) or self.timeout_ms,
            memory_mb=memory_mb or getattr(env, "memory_mb", None) or self.memory_mb,
            extra_globals=extra_globals if extra_globals is not None else env.extra_globals,
        )


@hookimpl
def hookhub_script_engines() -> list[JavaScriptEngine]:
    return [JavaScriptEngine()]
