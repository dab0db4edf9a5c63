"""How a Rocket.Chat script becomes QuickJS source, and how QuickJS errors are told back.

The script is evaluated as *global* sloppy code inside ``with (scope) { ... }``
(``js/prelude.js`` explains the scope), so a top-level ``var`` is a global
that class methods see, as in Rocket.Chat.  A script with a top-level
``return`` (legal only in a function) is evaluated as the body of a function
instead.  The script starts on line ``LINE_OFFSET + 1`` of what QuickJS
compiles: frames at or below that line belong to hookhub's own code (the
prelude, underscore.js, ...) and are left out of stacks; the others are
renamed ``<file>:<line>:<column>`` with the script's own line numbers.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import ScriptCompileError

__all__ = ["LINE_OFFSET", "Wrapped", "clean_stack", "compile_script", "error_line", "runtime_sources",
           "uses_host_calls", "zone"]

_JS_DIR = Path(__file__).with_name("js")
#: QuickJS reports the script's line L as LINE_OFFSET + L
LINE_OFFSET = 10_000
_GLOBAL = ("with (__hookhub_scope) {", "\n;typeof Script === 'undefined' ? undefined : Script; }")
_FUNCTION = ("(function (__hookhub_scope) { with (__hookhub_scope) {",
             "\n;return typeof Script === 'undefined' ? undefined : Script; } })")
_CHECK_SENTINEL = "__hookhub_compiled__"
_FRAME = re.compile(r"<input>:(\d+)(?::(\d+))?")
_SCRIPT_DECLARED = re.compile(r"\b(?:class|function)\s+Script\b|\bScript\s*=")
_TOP_LEVEL_RETURN = "return not in a function"
#: names whose use means the script calls into Python (no QuickJS time limit then)
_HOST_CALLS = re.compile(r"\b(?:HTTP|fetch)\b")


@functools.lru_cache(maxsize=1)
def runtime_sources() -> tuple[tuple[str, ...], str]:
    """The sources evaluated in every context (prelude, V8 compatibility, fetch, ``s``, underscore.js)
    and moment.js, read once.

    moment.js is handed over as a string and evaluated on first use of
    ``moment`` (it doubles start-up time).
    """
    own = tuple((_JS_DIR / name).read_text("utf-8") for name in ("prelude.js", "v8compat.js", "fetch.js", "string.js"))
    vendor = _JS_DIR / "vendor"  # from their npm packages: vendor.json, scripts/vendor_js.py
    return (*own, (vendor / "underscore.js").read_text("utf-8")), (vendor / "moment.min.js").read_text("utf-8")


def zone() -> dict[str, Any]:
    """The local time zone's names, for ``Date.prototype.toString`` (V8 prints them)."""
    utc = time.timezone == 0 and not time.daylight
    return {"utc": utc, "std": time.tzname[0], "dst": time.tzname[1] if time.daylight else time.tzname[0]}


_VAR = re.compile(r"\bvar\s+([A-Za-z_$][\w$]*)")


class Wrapped:
    """A script ready to evaluate: the QuickJS source and whether it is a function body.

    In a function body, ``var`` declarations are local to the function, and the
    scope proxy must not claim their names (an initialiser would assign the
    global instead): ``declared`` lists the names found after ``var``.
    """

    def __init__(self, source: str, as_function: bool) -> None:
        self.as_function = as_function
        self.declared: list[str] = sorted(set(_VAR.findall(source))) if as_function else []
        head, tail = _FUNCTION if as_function else _GLOBAL
        self.code = "\n" * (LINE_OFFSET - 1) + head + "\n" + source + tail

    def guarded(self) -> str:
        """The code behind a leading ``throw``: compiling it runs nothing, even if the script
        closes the wrapper early (``}}); code(); ...``): the whole program is parsed first."""
        return f"throw '{_CHECK_SENTINEL}'; " + self.code


def compile_script(eval_js: Any, source: str, filename: str) -> Wrapped:
    """Compile ``source`` with ``eval_js`` (a context's ``eval``) without running it.

    Raises :class:`ScriptCompileError` for syntax errors and for a script
    without ``class Script``.
    """
    import quickjs

    for as_function in (False, True):
        wrapped = Wrapped(source, as_function)
        try:
            eval_js(wrapped.guarded())
        except quickjs.JSException as exc:
            text = str(exc)
            if text.startswith(_CHECK_SENTINEL):
                break
            if _TOP_LEVEL_RETURN in text and not as_function:
                continue  # a top-level `return`: try it as a function body
            raise ScriptCompileError(filename, error_line(text, source, filename),
                                     clean_stack(text, filename)) from None
        else:  # pragma: no cover - the guard always throws
            raise AssertionError("compile guard did not throw")
    if not _SCRIPT_DECLARED.search(source):
        raise ScriptCompileError(filename, None, "the script defines no `class Script`; define one "
                                 "with a process_incoming_request({ request }) method")
    return wrapped


def clean_stack(text: str, filename: str) -> str:
    """A QuickJS error text with the script's file name and lines, without hookhub's own frames.

    Stacks made in a context with the prelude are clean already (its
    ``Error.prepareStackTrace``); this handles the others and repeated headers.
    """
    lines: list[str] = []
    for line in text.rstrip().splitlines():
        if "__hookhub_" in line or line.strip() in ("at <eval> (<input>)", "at call (native)"):
            continue
        match = _FRAME.search(line)
        if match is not None:
            row = int(match.group(1))
            if row <= LINE_OFFSET:
                continue
            col = f":{match.group(2)}" if match.group(2) else ""
            line = line[:match.start()] + f"{filename}:{row - LINE_OFFSET}{col}" + line[match.end():]
        if lines and line == lines[0] and len(lines) == 1:
            continue  # the binding repeats the header that the stack starts with
        lines.append(line)
    return "\n".join(lines)


def error_line(text: str, source: str, filename: str) -> int | None:
    """The script line an error text points at, if any."""
    match = _FRAME.search(text)
    if match is not None:
        row = int(match.group(1)) - LINE_OFFSET
    else:
        named = re.search(re.escape(filename) + r":(\d+)", text)
        if named is None:
            return None
        row = int(named.group(1))
    return max(1, min(row, source.count("\n") + 1))


def uses_host_calls(source: str, extra: Mapping[str, Any]) -> bool:
    """Whether the script may call into Python (``HTTP()``, ``fetch()`` or a plugin helper)."""
    return bool(_HOST_CALLS.search(source)) or any(re.search(rf"\b{re.escape(n)}\b", source) for n in extra)
