"""What a script defines, read from its source without running it: one reader per language.

The engines report a :class:`~hookhub.engines.base.ScriptOutline` through
their ``outline(source, filename)`` method, which calls the reader of their
language here; hosts (the outgoing service, the sandbox pool, the toolkit)
ask the engine and never read a source themselves.
"""

from __future__ import annotations

import ast
import functools
import json
import re
from typing import Any

from .base import SCRIPT_METHODS, ScriptOutline

_MISSING = object()


def _constant(node: ast.expr) -> Any:
    """The JSON value of a literal expression, else ``_MISSING``."""
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _MISSING
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return _MISSING
    return value


def _targets(node: ast.stmt) -> list[tuple[str, ast.expr | None]]:
    if isinstance(node, ast.Assign):
        return [(t.id, node.value) for t in node.targets if isinstance(t, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [(node.target.id, node.value)]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [(node.name, None)]
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [((alias.asname or alias.name).split(".")[0], None) for alias in node.names]
    return []


def _class_methods(classes: dict[str, ast.ClassDef], name: str, seen: frozenset[str] = frozenset()) -> set[str]:
    """Methods of the module's class ``name`` and of the module's classes it extends."""
    node = classes.get(name)
    if node is None or name in seen:
        return set()
    found = {item.name for item in node.body if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))}
    for item in node.body:  # `process_incoming_request = handle` inside the class body
        found.update(t for t, _ in _targets(item) if isinstance(item, (ast.Assign, ast.AnnAssign)))
    for base in node.bases:
        if isinstance(base, ast.Name):
            found |= _class_methods(classes, base.id, seen | {name})
    return found


@functools.lru_cache(maxsize=256)
def python_outline(source: str) -> ScriptOutline:
    """The outline of a Python script (an empty one when it does not parse)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return ScriptOutline()
    names: set[str] = set()
    constants: dict[str, Any] = {}
    classes: dict[str, ast.ClassDef] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            classes[node.name] = node
        for name, value in _targets(node):
            names.add(name)
            constants.pop(name, None)  # a later assignment wins
            if value is not None:
                found = _constant(value)
                if found is not _MISSING:
                    constants[name] = found
    uses_store = any(isinstance(node, ast.Name) and node.id == "Store" for node in ast.walk(tree))
    return ScriptOutline(methods=frozenset(_class_methods(classes, "Script")), names=frozenset(names),
                         constants=constants, uses_store=uses_store)


_JS_NAME = re.compile(r"^(?:export\s+)?(?:const|let|var|function\*?|class)\s+([A-Za-z_$][\w$]*)", re.M)
_JS_STRING = re.compile(r"""^(?:export\s+)?(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*(?:"((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)')\s*;?\s*$""", re.M)
_JS_STORE = re.compile(r"\bStore\b")


@functools.lru_cache(maxsize=256)
def javascript_outline(source: str) -> ScriptOutline:
    """The outline of a Rocket.Chat JavaScript script, read textually.

    Methods are the contract's method names the source declares
    (``name(`` / ``name:`` / ``name =``); names are the top-level
    ``const``/``let``/``var``/``function``/``class`` declarations; constants
    are those bound to a plain string literal.
    """
    methods = frozenset(m for m in SCRIPT_METHODS if re.search(rf"\b{m}\s*[(:=]", source))
    constants: dict[str, Any] = {}
    for match in _JS_STRING.finditer(source):
        double = match.group(2) is not None
        text = match.group(2) if double else match.group(3)
        if "\\" in text or not double:
            text = re.sub(r'\\\'|(?<!\\)"', lambda m: "'" if m.group() != '"' else '\\"', text)
        try:
            constants[match.group(1)] = json.loads(f'"{text}"')
        except ValueError:
            continue
    return ScriptOutline(methods=methods, names=frozenset(_JS_NAME.findall(source)), constants=constants,
                         uses_store=_JS_STORE.search(source) is not None)
