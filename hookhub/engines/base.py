"""The interface every script engine implements.

An engine has two halves:

* :meth:`ScriptEngine.check` runs in the server process (and in ``hookhub
  check``): it compiles the source and raises
  :class:`~hookhub.errors.ScriptCompileError` naming file and line.  It must
  not execute any of the script's code.
* :meth:`ScriptEngine.instantiate` runs inside the sandbox (a worker process):
  it executes the module body, instantiates ``class Script`` once and returns
  a :class:`ScriptInstance` whose :meth:`~ScriptInstance.call` is invoked for
  every webhook.

Everything that crosses the boundary is plain JSON data.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol, runtime_checkable

from ..records import LogRecord

def _render(arg: Any) -> str:
    if isinstance(arg, str):
        return arg
    if isinstance(arg, (dict, list, tuple)):
        try:
            return json.dumps(arg, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            return repr(arg)
    return str(arg)


class Console:
    """The ``console`` global: ``log/info/warn/error/debug`` into the integration log.

    Output is capped (``max_bytes`` per call of the script) so a script
    cannot flood the store; the cap is noted once in the log.
    """

    def __init__(self, max_bytes: int = 64 * 1024) -> None:
        self.records: list[LogRecord] = []
        self._max_bytes = max_bytes
        self._used = 0
        self._truncated = False

    def _emit(self, level: str, args: tuple[Any, ...]) -> None:
        if self._truncated:
            return
        text = " ".join(_render(a) for a in args)
        self._used += len(text.encode("utf-8", "replace"))
        if self._used > self._max_bytes:
            self._truncated = True
            text = f"console output truncated: more than {self._max_bytes} bytes in one call"
            level = "warn"
        self.records.append(LogRecord(level, time.time(), text))

    def log(self, *args: Any) -> None:
        """Log ``args`` at level ``log``, joined by spaces (dicts and lists as JSON); dropped once over the cap."""
        self._emit("log", args)

    def info(self, *args: Any) -> None:
        """Like :meth:`log`, at level ``info``."""
        self._emit("info", args)

    def warn(self, *args: Any) -> None:
        """Like :meth:`log`, at level ``warn`` (also ``console.warning``)."""
        self._emit("warn", args)

    warning = warn

    def error(self, *args: Any) -> None:
        """Like :meth:`log`, at level ``error``."""
        self._emit("error", args)

    def debug(self, *args: Any) -> None:
        """Like :meth:`log`, at level ``debug``."""
        self._emit("debug", args)

    def take(self) -> list[LogRecord]:
        """Return and clear the records collected so far."""
        out, self.records = self.records, []
        self._used = 0
        self._truncated = False
        return out


class ScriptStore:
    """The ``Store`` global: small per-integration state, as in Rocket.Chat.

    Values must be JSON data; ``set`` returns the value.
    """

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        self._data: dict[str, Any] = dict(data or {})

    def get(self, key: str) -> Any:
        """The value stored under ``key`` (as a string), or None when there is none."""
        return self._data.get(str(key))

    def set(self, key: str, value: Any) -> Any:
        """Store ``value`` under ``key`` (as a string) and return ``value``."""
        self._data[str(key)] = value
        return value

    def snapshot(self) -> dict[str, Any]:
        """A shallow copy of all stored values (key → value), e.g. to compare before and after a call."""
        return dict(self._data)


@dataclass
class ScriptEnv:
    """What an engine gives a script besides the language: its globals."""

    integration_id: str
    console: Console = field(default_factory=Console)
    store: ScriptStore = field(default_factory=ScriptStore)
    #: ``http(method, url, options) -> dict`` honouring the integration's egress
    #: policy, or ``None`` when the integration allows no egress.
    http: Callable[[str, str, dict[str, Any] | None], dict[str, Any]] | None = None
    #: helpers from ``hookhub_sandbox_globals`` plugins: name → function of JSON data
    extra_globals: dict[str, Callable[..., Any]] = field(default_factory=dict)
    #: the integration's limits, for engines that enforce them internally too
    timeout_ms: int | None = None
    memory_mb: int | None = None


@runtime_checkable
class ScriptInstance(Protocol):
    """A loaded script: the ``Script`` instance, created once and kept."""

    def has_method(self, name: str) -> bool:
        """Whether ``Script`` has a method ``name`` (outgoing calls skip the ones it lacks)."""
        ...

    def call(self, method: str, kwargs: dict[str, Any]) -> Any:
        """Call ``Script.<method>(**kwargs)`` and return its result.

        The result is returned as the script produced it; the sandbox converts
        and validates it at the boundary.  Exceptions propagate: the sandbox
        turns them into ``error-running-script`` with the traceback logged.
        """
        ...


@runtime_checkable
class ScriptEngine(Protocol):
    """A script language.

    An engine may also define ``outline(source, filename) -> ScriptOutline``
    (what the script defines, read without running it); hosts ask it through
    :func:`outline_of`, which guesses from the text for engines without one.
    """

    #: Name used in YAML (``script_engine: python``).
    name: str
    #: File extensions that select this engine (``(".py",)``).
    extensions: tuple[str, ...]

    def check(self, source: str, filename: str) -> None:
        """Compile without running; raise ``ScriptCompileError(filename, line, msg)``."""
        ...

    def instantiate(self, source: str, filename: str, env: ScriptEnv) -> ScriptInstance:
        """Run the module body, create ``Script()`` once, return it.

        Raises ``ScriptCompileError`` when the source is invalid or defines no
        ``Script`` class; any other exception means the script's own code failed.
        """
        ...


#: The methods of the contract, which hosts ask an outline about.
SCRIPT_METHODS = ("process_incoming_request", "prepare_outgoing_request", "process_outgoing_response")


@dataclass(frozen=True)
class ScriptOutline:
    """What a script defines, as its engine reads it without running it.

    The host asks this instead of reading sources itself: whether the
    ``Script`` class has a method (outgoing calls skip the ones it lacks),
    whether it uses ``Store`` (such scripts run one call at a time), and the
    module-level names it sets with their values when they are constants
    (``EVENT_HEADER = "X-GitHub-Event"``: the toolkit sets that header from a
    fixture's name).
    """

    #: methods of ``class Script`` (its own and those of the script's classes it extends)
    methods: frozenset[str] = frozenset()
    #: names assigned at module level (``EVENTS``, ``EVENT_HEADER``, helper functions, ...)
    names: frozenset[str] = frozenset()
    #: the module-level names whose value is a JSON constant, with that value
    constants: dict[str, Any] = field(default_factory=dict)
    #: the script mentions the ``Store`` global
    uses_store: bool = False

    def defines(self, method: str) -> bool:
        """Whether ``class Script`` has ``method``."""
        return method in self.methods

    @property
    def event_header(self) -> str | None:
        """The ``EVENT_HEADER`` constant: the header that names a webhook's event (None without one)."""
        value = self.constants.get("EVENT_HEADER")
        if isinstance(value, (list, tuple)) and value:
            value = value[0]
        return value if isinstance(value, str) and value else None


def _guessed_outline(source: str) -> ScriptOutline:
    """An outline read with regular expressions, for engines that do not report one."""
    methods = frozenset(m for m in SCRIPT_METHODS if re.search(rf"\b{m}\s*[(:=]", source))
    return ScriptOutline(methods=methods, uses_store=re.search(r"\bStore\b", source) is not None)


def outline_of(engine: Any, source: str, filename: str) -> ScriptOutline:
    """The outline ``engine`` reports for a script (engines without ``outline()`` get a textual guess)."""
    report = getattr(engine, "outline", None)
    if report is None:
        return _guessed_outline(source)
    found = report(source, filename)
    return found if isinstance(found, ScriptOutline) else _guessed_outline(source)
