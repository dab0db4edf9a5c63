"""Run one call of one integration's script, wherever the sandbox executes it.

:class:`ScriptHost` is shared by the in-process sandbox and the worker
processes: it keeps one ``Script`` instance per integration (re-created when
``ScriptSpec.digest`` changes), gives it a fresh console per call and the
integration's Store, converts the result at the boundary and turns every
failure into a reason for the integration log.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..engines.base import Console, ScriptEngine, ScriptEnv, ScriptInstance, ScriptStore

from ..records import LogRecord
from ..errors import ScriptCompileError, ScriptRunError
from .base import ScriptSpec
from ..engines.boundary import to_json_result
from .tracebacks import format_script_error


class ScriptTimeout(BaseException):
    """Raised inside a script when its wall-clock budget is spent.

    A ``BaseException`` so that ``except Exception`` in a script does not swallow it.
    """


@dataclass
class RunResult:
    """What one call produced (the runner's half of ``CallOutcome``)."""

    ok: bool
    value: Any = None
    reason: str | None = None
    logs: list[LogRecord] = field(default_factory=list)
    #: the integration's Store after the call, when the script changed it
    store: dict[str, Any] | None = None


@dataclass
class _Loaded:
    digest: str
    env: ScriptEnv
    instance: ScriptInstance


Http = Callable[[str, str, "dict[str, Any] | None"], "dict[str, Any]"]
#: ``globals_for(integration_id, engine) -> {name: helper}`` (``hookhub_sandbox_globals``)
GlobalsFor = Callable[[str, str], "dict[str, Any]"]


def plugin_globals(pm: Any) -> GlobalsFor | None:
    """The ``hookhub_sandbox_globals`` helpers of a plugin manager, or None when no plugin has any."""
    if not pm.hook.hookhub_sandbox_globals.get_hookimpls():
        return None

    def globals_for(integration_id: str, engine: str) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for found in reversed(pm.hook.hookhub_sandbox_globals(integration_id=integration_id, engine=engine)):
            merged.update(found or {})
        return merged
    return globals_for


class ScriptHost:
    """Script instances by integration, and the call procedure."""

    def __init__(self, engines: Mapping[str, ScriptEngine], globals_for: GlobalsFor | None = None) -> None:
        self._engines = engines
        self._globals_for = globals_for
        self._loaded: dict[str, _Loaded] = {}

    def engine(self, spec: ScriptSpec) -> ScriptEngine:
        """The engine ``spec.engine`` names; ``ScriptCompileError`` listing the available ones when there is none."""
        try:
            return self._engines[spec.engine]
        except KeyError:
            raise ScriptCompileError(
                spec.filename, None,
                f"unknown script engine {spec.engine!r}; available: {', '.join(sorted(self._engines)) or 'none'}",
            ) from None

    def forget(self, integration_id: str) -> None:
        """Drop the cached instance (next call re-creates it)."""
        self._loaded.pop(integration_id, None)

    def _env(self, spec: ScriptSpec, store: ScriptStore, http: Http | None) -> tuple[ScriptEnv, _Loaded | None]:
        """The call's environment: the cached instance's (re-bound), or a fresh one for a new instance."""
        loaded = self._loaded.get(spec.integration_id)
        if loaded is not None and loaded.digest == spec.digest:
            loaded.env.store = store
            loaded.env.http = http
            return loaded.env, loaded
        self._loaded.pop(spec.integration_id, None)
        env = ScriptEnv(spec.integration_id, Console(spec.limits.max_log_bytes), store, http,
                        timeout_ms=spec.limits.timeout_ms, memory_mb=spec.limits.memory_mb)
        if self._globals_for is not None:
            env.extra_globals = self._globals_for(spec.integration_id, spec.engine)
        return env, None

    def _instantiate(self, spec: ScriptSpec, env: ScriptEnv) -> _Loaded:
        instance = self.engine(spec).instantiate(spec.source, spec.filename, env)
        loaded = _Loaded(spec.digest, env, instance)
        self._loaded[spec.integration_id] = loaded
        return loaded

    def call(self, spec: ScriptSpec, method: str, kwargs: dict[str, Any], store: ScriptStore,
             http: Http | None = None) -> RunResult:
        """Call ``Script.<method>(**kwargs)``; never raises for what the script does.

        ``ScriptTimeout`` raised by the caller's deadline mechanism is turned
        into a timeout reason and the instance is dropped.
        """
        env: ScriptEnv | None = None
        before = store.snapshot()
        # a generator left suspended inside `with decimal.localcontext(...)` by one
        # call must not change the decimal arithmetic of the next (any integration's)
        decimal.setcontext(decimal.Context())
        try:
            # the env exists before the instance, so what a failing module body or
            # constructor printed is reported with its error
            env, loaded = self._env(spec, store, http)
            loaded = loaded or self._instantiate(spec, env)
            if not loaded.instance.has_method(method):
                return RunResult(False, reason=f"the script's class Script has no method {method}(); define "
                                               f"`def {method}(self, **kwargs)` in {spec.filename}",
                                 logs=env.console.take())
            value = loaded.instance.call(method, kwargs)
            result = to_json_result(value, spec.limits.max_output_bytes)
        except ScriptTimeout:
            self.forget(spec.integration_id)
            reason = f"the script timed out after {spec.limits.timeout_ms} ms ({spec.limits.origin('timeout_ms')})"
            return RunResult(False, reason=reason, logs=_take(env))
        except ScriptCompileError as exc:
            self.forget(spec.integration_id)
            return RunResult(False, reason=f"error-evaluating-script: {exc}", logs=_take(env))
        except ScriptRunError as exc:
            return RunResult(False, reason=exc.reason, logs=_take(env))
        except RecursionError as exc:
            self.forget(spec.integration_id)
            return RunResult(False, reason=_describe(exc, spec) + "\n(recursion too deep)", logs=_take(env))
        except MemoryError:
            self.forget(spec.integration_id)
            return RunResult(False, reason=f"the script ran out of memory "
                                           f"({spec.limits.origin('memory_mb')}={spec.limits.memory_mb})",
                             logs=_take(env))
        except BaseException as exc:  # noqa: BLE001 - anything the script raises
            return RunResult(False, reason=_describe(exc, spec), logs=_take(env))
        after = store.snapshot()
        return RunResult(True, value=result, logs=env.console.take(),
                         store=after if after != before else None)


def _take(env: ScriptEnv | None) -> list[LogRecord]:
    return env.console.take() if env is not None else []


def _describe(exc: BaseException, spec: ScriptSpec) -> str:
    try:
        return format_script_error(exc, spec.filename, spec.source)
    except BaseException:  # noqa: BLE001 - a hostile __str__ must not escape
        return f"{type(exc).__name__} (its message could not be rendered)"

