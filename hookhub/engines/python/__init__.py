"""The Python script engine: Rocket.Chat-style ``class Script`` in restricted Python.

Scripts are compiled with hookhub's RestrictedPython policy
(:mod:`hookhub.engines.python.policy`) and run with hookhub's guards
(:mod:`hookhub.engines.python.guards`) and guarded modules
(:mod:`hookhub.engines.python.modules`).  The engine is a pluggy plugin: this
module's :func:`hookhub_script_engines` registers it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from types import CodeType
from typing import Any

from ...errors import ScriptCompileError
from ...hookspecs import hookimpl
from ...records import STORE_MAX_BYTES
from ...request import freeze_shared, thaw
from ..boundary import encoded_size
from .guards import guard_globals, is_script_class, make_builtins
from .modules import ModuleImporter
from .policy import compile_script
from ..base import Console, ScriptEnv, ScriptOutline, ScriptStore
from ..outlines import python_outline

#: Largest JSON text a single ``Store.set`` value may take.
STORE_VALUE_MAX_BYTES = 256 * 1024


class ScriptConsole:
    """The ``console`` global."""

    __slots__ = ("debug", "error", "info", "log", "warn", "warning")
    _hh_not_iterable = True

    def __init__(self, console: Console) -> None:
        for name in self.__slots__:
            object.__setattr__(self, name, getattr(console, name))

    def __setattr__(self, name: str, value: Any) -> None:
        raise TypeError("console is read-only")

    def __repr__(self) -> str:
        return "<console>"


def _json_copy(value: Any, what: str) -> Any:
    # Imported here: the boundary module imports nothing from engines, keep it that way.
    from ..boundary import to_json_result

    try:
        return to_json_result(value, STORE_VALUE_MAX_BYTES)
    except Exception as exc:  # ScriptRunError: re-raise as the script's own error
        raise TypeError(f"{what}: {exc}") from None


class ScriptStoreProxy:
    """The ``Store`` global: ``get(key)`` / ``set(key, value)`` with JSON values.

    Values are copied in and out, so a value read from the store and then
    mutated does not change the store until ``Store.set`` is called.
    """

    __slots__ = ("_hh_env",)
    _hh_not_iterable = True

    def __init__(self, env: ScriptEnv) -> None:
        # The env, not its store: the sandbox may hand the env a fresh store per call.
        object.__setattr__(self, "_hh_env", env)

    def _store(self) -> ScriptStore:
        env: ScriptEnv = object.__getattribute__(self, "_hh_env")
        return env.store

    def get(self, key: str) -> Any:
        """The value stored under ``key`` (None when unset); dicts and lists are returned as copies."""
        value = self._store().get(str(key))
        return _json_copy(value, f"Store.get({key!r})") if isinstance(value, (dict, list)) else value

    def set(self, key: str, value: Any) -> Any:
        """Store a JSON copy of ``value`` under ``key`` and return ``value``; TypeError when it is not JSON
        data or over 256 KiB, ValueError when the whole Store would exceed ``STORE_MAX_BYTES`` (1 MiB) of JSON."""
        copy = _json_copy(value, f"Store.set({key!r}, ...) needs JSON data")
        store = self._store()
        after = store.snapshot()
        after[str(key)] = copy
        if encoded_size(after) > STORE_MAX_BYTES:
            raise ValueError(f"Store.set({key!r}, ...): the Store would exceed {STORE_MAX_BYTES} bytes of JSON")
        store.set(str(key), copy)
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        raise TypeError("Store is read-only; use Store.set(key, value)")

    def __repr__(self) -> str:
        return "<Store>"


def _make_http(env: ScriptEnv) -> Callable[..., Any]:
    def HTTP(method: str, url: str, options: Any = None) -> Any:
        """``HTTP(method, url, options)``: an outbound request under the integration's egress policy."""
        if not isinstance(method, str) or not isinstance(url, str):
            raise TypeError("HTTP(method, url, options): method and url must be strings")
        opts = thaw(options) if options is not None else None
        if opts is not None and not isinstance(opts, dict):
            raise TypeError("HTTP(method, url, options): options must be a dict")
        http = env.http
        if http is None:
            raise RuntimeError("HTTP() is not available: the integration allows no egress (http.allow_hosts)")
        return http(method, url, opts)

    return HTTP


class PythonScript:
    """A loaded Python script: the ``Script`` instance, created once and kept."""

    def __init__(self, instance: Any, filename: str) -> None:
        self._instance = instance
        self.filename = filename

    def has_method(self, name: str) -> bool:
        """Whether the instance has a callable attribute ``name`` that does not start with ``_``."""
        if not name or name.startswith("_"):
            return False
        return callable(getattr(self._instance, name, None))

    def call(self, method: str, kwargs: dict[str, Any]) -> Any:
        """Call ``Script.<method>(**kwargs)`` with read-only (frozen) arguments and
        return its result unconverted; AttributeError when :meth:`has_method` says no."""
        if not self.has_method(method):
            raise AttributeError(f"Script has no method {method!r}")
        frozen = {key: freeze_shared(value) for key, value in kwargs.items()}
        return getattr(self._instance, method)(**frozen)


def _json_helper(helper: Callable[..., Any]) -> Callable[..., Any]:
    """A plugin helper as scripts see it: JSON data in, JSON data out (nothing else leaks)."""
    def call(*args: Any) -> Any:
        return json.loads(json.dumps(helper(*[thaw(a) for a in args]), default=str))
    return call


_PLACEHOLDER = "<hookhub-script>"


def _relabel(code: CodeType, filename: str) -> CodeType:
    """``code`` (and every function and class body in it) as compiled from ``filename``."""
    if code.co_filename == filename:
        return code
    consts = tuple(_relabel(c, filename) if isinstance(c, CodeType) else c for c in code.co_consts)
    return code.replace(co_filename=filename, co_consts=consts)


class PythonEngine:
    """Restricted Python scripts (``.py``)."""

    name = "python"
    extensions: tuple[str, ...] = (".py",)

    def __init__(self) -> None:
        self._code: dict[str, CodeType | ScriptCompileError] = {}

    def _compile(self, source: str, filename: str) -> CodeType:
        """Compile once per source; the same source under another file name is relabelled."""
        return _relabel(self._compiled(source, filename), filename)

    def _compiled(self, source: str, filename: str) -> CodeType:
        """The cached code of ``source`` (labelled with a placeholder file name)."""
        key = hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()
        cached = self._code.get(key)
        if cached is None:
            try:
                cached = compile_script(source, _PLACEHOLDER)
            except ScriptCompileError as exc:
                cached = exc
            if len(self._code) > 1024:
                self._code.clear()
            self._code[key] = cached
        if isinstance(cached, ScriptCompileError):
            raise ScriptCompileError(filename, cached.line, cached.message)
        return cached

    def __getstate__(self) -> dict[str, Any]:
        return {}  # the compiled-code cache is rebuilt where the engine is unpickled

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._code = {}

    def check(self, source: str, filename: str) -> None:
        """Compile ``source`` under the restricted policy without running it (cached
        per source); raises ``ScriptCompileError`` naming ``filename`` and the line."""
        self._compiled(source, filename)  # no relabelled copy: only whether it compiles matters

    def outline(self, source: str, filename: str) -> ScriptOutline:
        """What the script defines (methods of ``Script``, module-level names and constants), unrun."""
        return python_outline(source)

    def script_globals(self, env: ScriptEnv) -> dict[str, Any]:
        """The namespace a script module runs in."""
        importer = ModuleImporter(env.console.log)
        console = ScriptConsole(env.console)
        namespace: dict[str, Any] = {
            "__builtins__": make_builtins(env.console.log, importer),
            "__name__": "script",
            "console": console,
            "Store": ScriptStoreProxy(env),
        }
        namespace.update(guard_globals())
        namespace["_print_"] = namespace["__builtins__"]["_print_"]
        if env.http is not None:
            namespace["HTTP"] = _make_http(env)
        for name, helper in env.extra_globals.items():
            # a plugin helper never replaces a guard or a built-in global
            if name.isidentifier() and not name.startswith("_") and name not in namespace:
                namespace[name] = _json_helper(helper)
        return namespace

    def instantiate(self, source: str, filename: str, env: ScriptEnv) -> PythonScript:
        """Run the module body in :meth:`script_globals` and create ``Script()`` once; ``ScriptCompileError``
        when the source does not compile or ``Script`` is not a class defined by the script."""
        code = self._compile(source, filename)
        namespace = self.script_globals(env)
        exec(code, namespace)  # noqa: S102 - restricted code with guarded globals
        cls = namespace.get("Script")
        if cls is None or not is_script_class(cls):
            raise ScriptCompileError(filename, None, "`Script` must be a class defined in the script (`class Script:`)")
        return PythonScript(cls(), filename)


@hookimpl
def hookhub_script_engines() -> list[PythonEngine]:
    """Register the Python engine."""
    return [PythonEngine()]
