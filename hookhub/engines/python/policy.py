"""hookhub's compile-time policy for Python scripts.

:class:`HookhubPolicy` extends RestrictedPython's ``RestrictingNodeTransformer``:

* augmented assignment of attributes and items (``self.count += 1``,
  ``d[k] += 1``) is allowed and rewritten to guarded helper calls;
* imports are checked against :data:`ALLOWED_MODULES` (the message names the
  module and lists the allow-list);
* ``format``/``format_map`` attribute access, frame/code attributes and the
  introspection builtins (``type``, ``vars``, ``globals``...) are refused with
  a message saying what to use instead.

:func:`compile_script` runs the policy and raises
:class:`~hookhub.errors.ScriptCompileError` naming file and line.
"""

from __future__ import annotations

import ast
import re
from types import CodeType
from typing import Any

from RestrictedPython.compile import compile_restricted_exec
from RestrictedPython.transformer import INSPECT_ATTRIBUTES, RestrictingNodeTransformer

from ...errors import ScriptCompileError

#: Modules a script may import (``import x`` / ``from x import y``): standard modules
#: and ``hookkit``, hookhub's helpers for scripts (:mod:`hookhub.engines.python.hookkit`).
ALLOWED_MODULES: tuple[str, ...] = (
    "base64", "collections", "datetime", "decimal", "functools", "hashlib", "hmac",
    "html", "itertools", "json", "math", "random", "re", "string", "textwrap", "time",
    "urllib.parse", "uuid", "zoneinfo",
    "hookkit",
)

#: Attribute names refused everywhere (compile time and in ``getattr``): frames,
#: code objects, function internals, exception back-references.
FORBIDDEN_ATTRIBUTES: frozenset[str] = frozenset(INSPECT_ATTRIBUTES) | frozenset({
    "gi_frame", "gi_code", "gi_yieldfrom", "gi_running", "gi_suspended",
    "cr_frame", "cr_code", "cr_await", "cr_origin",
    "ag_frame", "ag_code", "ag_await",
    "f_back", "f_globals", "f_locals", "f_builtins", "f_code", "f_trace", "f_generator",
    "tb_frame", "tb_next",
    "func_globals", "func_code", "func_closure", "func_defaults", "func_dict",
    "im_func", "im_self", "im_class", "cell_contents", "mro",
    "format", "format_map",
})

#: Prefixes of refused attribute names (code objects).
FORBIDDEN_PREFIXES: tuple[str, ...] = ("co_",)

_FORMAT_HINT = "use an f-string instead, e.g. f\"{name}: {value}\""

#: Names refused at compile time, with what to do instead.
FORBIDDEN_NAMES: dict[str, str] = {
    "type": "type() exposes classes and metaclasses; use isinstance(value, str)",
    "vars": "vars() exposes object internals; read the attributes you need",
    "globals": "globals() exposes the script's namespace",
    "locals": "locals() exposes frames",
    "dir": "dir() is an introspection tool; read the attributes you need",
    "eval": "eval() runs code that bypasses the policy",
    "exec": "exec() runs code that bypasses the policy",
    "compile": "compile() creates code that bypasses the policy",
    "open": "scripts have no file access; use Store to keep state",
    "input": "scripts have no terminal",
    "breakpoint": "scripts cannot be debugged interactively; use console.log",
    "memoryview": "memoryview() is not available",
    "super": "super() can reach methods of foreign objects; call Base.method(self, ...)",
    "help": "help() is not available", "exit": "use return", "quit": "use return",
}

#: Dunder methods a script class may define (in addition to RestrictedPython's).
EXTRA_DUNDER_METHODS: frozenset[str] = frozenset({
    "__str__", "__repr__", "__len__", "__bool__", "__iter__", "__next__",
    "__getitem__", "__hash__", "__enter__", "__exit__",
})

_LINE = re.compile(r"^Line (\d+): (.*)$", re.DOTALL)


def attribute_refusal(name: str) -> str | None:
    """Why attribute ``name`` is refused, or ``None`` when it is allowed."""
    if name in ("format", "format_map"):
        return f'".{name}()" is not allowed (format strings can traverse attributes); {_FORMAT_HINT}'
    if name.startswith("_") and name != "_":
        return f'"{name}" is an invalid attribute name because it starts with "_"'
    if name in FORBIDDEN_ATTRIBUTES or name.startswith(FORBIDDEN_PREFIXES):
        return f'"{name}" is not allowed: frames, code objects and function internals are out of reach'
    return None


class HookhubPolicy(RestrictingNodeTransformer):
    """RestrictedPython plus hookhub's rules (see the module docstring)."""

    def check_name(self, node: Any, name: str | None, allow_magic_methods: bool = False) -> None:
        """RestrictedPython's name check, except that a method (a ``def`` not
        at column 0) may be named after one of :data:`EXTRA_DUNDER_METHODS`."""
        if (name is not None and allow_magic_methods and name in EXTRA_DUNDER_METHODS
                and getattr(node, "col_offset", 0) != 0):
            return
        super().check_name(node, name, allow_magic_methods)

    # -- annotations ---------------------------------------------------
    # Annotations are dropped: stdlib helpers (functools.singledispatch through
    # typing.get_type_hints) eval() annotation strings outside the policy.

    @staticmethod
    def _strip_annotations(node: ast.FunctionDef) -> None:
        args = node.args
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
            if arg is not None:
                arg.annotation = None
        node.returns = None

    def visit_FunctionDef(self, node: ast.FunctionDef) -> Any:
        self._strip_annotations(node)
        return super().visit_FunctionDef(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> Any:
        """``x: int = 1`` becomes ``x = 1``; a bare ``x: int`` disappears."""
        if node.value is None:
            new: ast.stmt = ast.Pass()
        else:
            new = ast.Assign(targets=[node.target], value=node.value)
        ast.copy_location(new, node)
        ast.fix_missing_locations(new)
        return self.visit(new)

    # -- names ---------------------------------------------------------

    def visit_Name(self, node: ast.Name) -> Any:
        if node.id in FORBIDDEN_NAMES:
            self.error(node, f'"{node.id}" is not allowed: {FORBIDDEN_NAMES[node.id]}.')
        return super().visit_Name(node)

    # -- attributes ----------------------------------------------------

    def _check_attribute(self, node: ast.AST, attr: str) -> None:
        reason = attribute_refusal(attr)
        # RestrictedPython reports the "_" and inspect cases itself.
        if reason and not (attr.startswith("_") or attr in INSPECT_ATTRIBUTES):
            self.error(node, reason + ".")

    def visit_Attribute(self, node: ast.Attribute) -> Any:
        self._check_attribute(node, node.attr)
        return super().visit_Attribute(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> Any:
        target = node.target
        if isinstance(target, ast.Name):
            return super().visit_AugAssign(node)
        op = _IOPS[type(node.op)]
        value = self.visit(node.value)
        if isinstance(target, ast.Attribute):
            # self.x += v  ->  _inplace_attr_(self, "x", "+=", v)
            self._check_attribute(target, target.attr)
            if target.attr.startswith("_") and target.attr != "_":
                self.error(target, f'"{target.attr}" is an invalid attribute name because it starts with "_".')
            obj = self.visit(target.value)
            call = ast.Call(
                func=ast.Name("_inplace_attr_", ast.Load()),
                args=[obj, ast.Constant(target.attr), ast.Constant(op), value], keywords=[])
        elif isinstance(target, ast.Subscript):
            # d[k] += v  ->  _inplace_item_(d, k, "+=", v)
            obj = self.visit(target.value)
            key = self.visit(target.slice)
            call = ast.Call(
                func=ast.Name("_inplace_item_", ast.Load()),
                args=[obj, key, ast.Constant(op), value], keywords=[])
        else:  # pragma: no cover - the grammar allows nothing else
            self.not_allowed(node)
            return node
        new = ast.Expr(value=call)
        ast.copy_location(new, node)
        ast.fix_missing_locations(new)
        return new

    # -- imports -------------------------------------------------------

    def _check_module(self, node: ast.AST, module: str) -> None:
        if module == "__future__" or module in ALLOWED_MODULES:
            return
        self.error(node, f'import of "{module}" is not allowed; allowed modules: {", ".join(ALLOWED_MODULES)}.')

    def visit_Import(self, node: ast.Import) -> Any:
        for alias in node.names:
            self._check_module(node, alias.name)
        return super().visit_Import(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> Any:
        if node.level:
            self.error(node, "relative imports are not allowed; scripts are single files.")
        else:
            module = node.module or ""
            if module == "urllib" and all(a.name == "parse" for a in node.names):
                pass
            else:
                self._check_module(node, module)
        return super().visit_ImportFrom(node)


_IOPS: dict[type, str] = {
    ast.Add: "+=", ast.Sub: "-=", ast.Mult: "*=", ast.Div: "/=", ast.Mod: "%=", ast.Pow: "**=",
    ast.LShift: "<<=", ast.RShift: ">>=", ast.BitOr: "|=", ast.BitXor: "^=", ast.BitAnd: "&=",
    ast.FloorDiv: "//=", ast.MatMult: "@=",
}


def _parse_error(filename: str, text: str) -> ScriptCompileError:
    m = _LINE.match(text)
    if m:
        line = None if m.group(1) == "None" else int(m.group(1))
        return ScriptCompileError(filename, line, m.group(2))
    return ScriptCompileError(filename, None, text)


def _defines_script(tree: ast.Module) -> bool:
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "Script":
            return True
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "Script" for t in node.targets):
            return True
    return False


def compile_script(source: str, filename: str) -> CodeType:
    """Compile ``source`` under :class:`HookhubPolicy` or raise ``ScriptCompileError``.

    The error names ``filename`` and the line of the first problem; the
    message lists every problem found (one per line).
    """
    try:
        tree = ast.parse(source, filename, "exec")
    except SyntaxError as exc:
        raise ScriptCompileError(filename, exc.lineno, f"{type(exc).__name__}: {exc.msg}") from None
    except ValueError as exc:  # e.g. NUL bytes
        raise ScriptCompileError(filename, None, str(exc)) from None
    except (RecursionError, MemoryError):
        raise ScriptCompileError(filename, None, "the script is nested too deeply to compile") from None
    defines_script = _defines_script(tree)
    try:
        result = compile_restricted_exec(tree, filename=filename, policy=HookhubPolicy)
    except (RecursionError, MemoryError):
        raise ScriptCompileError(filename, None, "the script is nested too deeply to compile") from None
    if result.errors:
        first = _parse_error(filename, result.errors[0])
        if len(result.errors) > 1:
            others = "; ".join(result.errors[1:])
            first = ScriptCompileError(filename, first.line, f"{first.message} (also: {others})")
        raise first
    if not defines_script:
        raise ScriptCompileError(
            filename, None,
            "no `class Script` defined; define `class Script:` with a process_incoming_request(self, request) method")
    assert result.code is not None
    return result.code
