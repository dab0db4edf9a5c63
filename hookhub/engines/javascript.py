"""The JavaScript compatibility engine: Rocket.Chat integration scripts run unchanged.

Scripts run in QuickJS (the ``quickjs-ng`` package from PyPI; see
``docs/javascript.md`` for why).  Each loaded script owns one QuickJS
context, and every operation on that context happens on one dedicated thread
(a context used from two threads crashes the process).  Everything crossing
between Python and JavaScript is a JSON string.

Rocket.Chat's globals are provided: ``console``, ``Store``, ``s`` (string
helpers, ``js/string.js``), ``_`` (underscore.js) and ``moment`` (moment.js, loaded on first use), both from
their npm packages in ``js/vendor/`` (versions and checksums in ``vendor.json``),
a synchronous ``HTTP(method, url, options)``, ``fetch(url, options)`` (a
Promise of a Response, ``js/fetch.js``) and ``setTimeout``; stacks and
``Date.prototype.toString`` look like V8's (``js/v8compat.js``).  How the
script is wrapped and how errors are told back: ``js_source.py``; the thread
owning each runtime: ``js_thread.py``.
"""

from __future__ import annotations

import json
import time
import weakref
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any, TypeVar

import quickjs

from ..errors import ScriptCompileError, ScriptRunError
from ..hookspecs import hookimpl
from ..jsontext import dumps_bytes
from .base import ScriptEnv, ScriptOutline
from ..records import LEVELS
from .js_source import LINE_OFFSET, clean_stack, compile_script, runtime_sources, uses_host_calls, zone
from .js_thread import JsThread, release
from .outlines import javascript_outline

__all__ = ["JavaScriptEngine", "JavaScriptScript", "hookhub_script_engines"]

_T = TypeVar("_T")

_HTTP_DISABLED = "HTTP is disabled for this integration (http.allow_hosts)"
_CHECK_TIMEOUT_S = 0.5
_CHECK_MEMORY = 64 * 1024 * 1024
#: extra wall-clock wait beyond timeout_ms before a call is abandoned
_GRACE_S = 1.0


def _arguments_json(kwargs: dict[str, Any]) -> str:
    """The call's arguments as JSON text for ``JSON.parse`` in QuickJS: orjson's (several times
    faster than the standard library's), the standard library's ASCII text when orjson cannot
    write them (lone surrogates, integers beyond 64 bits); NaN and Infinity are refused
    (``ValueError``) either way."""
    try:
        return dumps_bytes(kwargs).decode("utf-8")
    except UnicodeEncodeError:  # the standard library's fallback is UTF-8, lone surrogates are not
        return json.dumps(kwargs, allow_nan=False)


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
        self.interruptible = not uses_host_calls(source, self._extra)
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
        """Whether ``Script`` has a method ``name``, as listed when the script's context was last built."""
        return name in self._methods

    def call(self, method: str, kwargs: dict[str, Any]) -> Any:
        """Call ``script[method]({...kwargs})`` and return its result as JSON data.

        Promises are awaited.  Raises :class:`~hookhub.errors.ScriptRunError`
        with the JavaScript stack when the script throws, exceeds a limit or
        returns something that is not JSON data.
        """
        args = _arguments_json(kwargs)
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
        self._thread = JsThread(f"hookhub-js-{self.env.integration_id}")
        self._finalizer = weakref.finalize(self, release, self._thread, self._box)

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
        sources, moment = runtime_sources()
        ctx.set("__hookhub_moment_source", moment)
        ctx.set("__hookhub_setup", json.dumps({"filename": self.filename, "lineOffset": LINE_OFFSET,
                                                "zone": zone()}))
        for part in sources:
            ctx.eval(part)
        self._box.update(take=ctx.get("__hookhub_take"), store_load=ctx.get("__hookhub_store_load"))
        for name in self._extra:
            ctx.get("__hookhub_extra")(name)
        wrapped = compile_script(ctx.eval, self.source, self.filename)
        ctx.gc()
        ctx.set_memory_limit(self.memory_mb * 1024 * 1024)
        deadline = time.monotonic() + self.timeout_ms / 1000
        load = ctx.get("__hookhub_load")
        try:
            self._sync_store(ctx)
            state = self._run_limited(ctx, deadline, lambda: load(wrapped.code, json.dumps(wrapped.declared) if wrapped.as_function else ""))
        except _LimitHit as exc:
            raise ScriptRunError(f"{self.filename}: evaluating the script: {exc}") from None
        except quickjs.JSException as exc:
            raise ScriptRunError(
                f"{self.filename}: evaluating the script failed:\n{clean_stack(str(exc), self.filename)}"
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
                                 f"{clean_stack(str(exc), self.filename)}") from None
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
                             f"{clean_stack(reply['error'], self.filename)}")

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
            args = [clean_stack(a, self.filename) if isinstance(a, str) and "<input>:" in a else a
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

        def fetch(method: str, url: str, options_json: str) -> str:
            if env.http is None:
                return json.dumps({"error": _HTTP_DISABLED})
            try:
                options = json.loads(options_json)
                reply = env.http(method, url, options if isinstance(options, dict) else {})
                result = reply.get("result")
                if isinstance(result, dict) and isinstance(result.get("statusCode"), int):
                    try:
                        result["statusText"] = HTTPStatus(result["statusCode"]).phrase
                    except ValueError:
                        result["statusText"] = ""
                return json.dumps(reply, ensure_ascii=False, default=str)
            except Exception as exc:  # noqa: BLE001 - the Promise rejects with it
                return json.dumps({"error": f"{type(exc).__name__}: {exc}"})

        def extra(name: str, args_json: str) -> str:
            try:
                value = helpers[name](*json.loads(args_json))
                return json.dumps({"value": value}, ensure_ascii=False, default=str)
            except Exception as exc:  # noqa: BLE001
                return json.dumps({"error": f"{type(exc).__name__}: {exc}"})

        ctx.add_callable("__hookhub_bridge_http", http)
        ctx.add_callable("__hookhub_bridge_fetch", fetch)
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
        """Read the runtime sources (prelude, fetch, ``s``, underscore.js, moment.js) now:
        sandbox workers cannot open files once sealed."""
        runtime_sources()

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

        The source is compiled behind a leading ``throw`` in a throw-away
        context with a time and memory limit and no host functions, so nothing
        the script does can have an effect here (``js_source.compile_script``).
        """
        ctx = quickjs.Context()
        ctx.set_memory_limit(_CHECK_MEMORY)
        ctx.set_time_limit(_CHECK_TIMEOUT_S)
        try:
            compile_script(ctx.eval, source, filename)
        finally:
            del ctx

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
