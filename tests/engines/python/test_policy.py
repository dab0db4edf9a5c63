"""hookhub.engines.python.policy: what a Python script may contain, refused at compile time with file and line."""

from __future__ import annotations

import textwrap
from types import CodeType

import pytest

from hookhub.engines.python.policy import (
    ALLOWED_MODULES,
    FORBIDDEN_NAMES,
    attribute_refusal,
    compile_script,
)
from hookhub.errors import ScriptCompileError

ALLOW_LIST = ", ".join(ALLOWED_MODULES)


def refused(source: str, filename: str = "bad.py") -> ScriptCompileError:
    with pytest.raises(ScriptCompileError) as caught:
        compile_script(textwrap.dedent(source), filename)
    assert caught.value.filename == filename
    return caught.value


def test_a_plain_script_compiles_to_code() -> None:
    code = compile_script(textwrap.dedent("""
        from __future__ import annotations
        import json, hashlib, hookkit
        from urllib.parse import quote
        from urllib import parse

        class Script:
            def __str__(self):
                return "script"

            def process_incoming_request(self, request):
                self.count = 0
                self.count += 1
                totals = {"n": 1}
                totals["n"] *= 2
                return {"content": {"text": f"{json.dumps(totals)} {quote('a b')}"}}
    """), "ok.py")
    assert isinstance(code, CodeType) and code.co_filename == "ok.py"
    # augmented assignment of attributes and items goes through the guarded helpers
    names = {n for c in code.co_consts if isinstance(c, CodeType) for f in c.co_consts if isinstance(f, CodeType)
             for n in f.co_names}
    assert {"_inplace_attr_", "_inplace_item_"} <= names


@pytest.mark.parametrize(("source", "module", "line"), [
    ("import os\nclass Script: pass\n", "os", 1),
    ("class Script:\n    def f(self):\n        import subprocess\n", "subprocess", 3),
    ("from sys import modules\nclass Script: pass\n", "sys", 1),
    ("import json.decoder\nclass Script: pass\n", "json.decoder", 1),
    ("from urllib import request\nclass Script: pass\n", "urllib", 1),
])
def test_a_disallowed_import_names_the_module_and_lists_the_allow_list(source: str, module: str, line: int) -> None:
    error = refused(source)
    assert error.line == line
    assert error.message == f'import of "{module}" is not allowed; allowed modules: {ALLOW_LIST}.'


def test_several_problems_are_reported_together_and_relative_imports_refused() -> None:
    error = refused("x = 1\nimport os\nimport socket\nclass Script: pass\n")
    assert error.line == 2
    assert error.message.startswith('import of "os" is not allowed')
    assert '(also: Line 3: import of "socket" is not allowed' in error.message
    assert refused("from . import helpers\nclass Script: pass\n").message == (
        "relative imports are not allowed; scripts are single files.")


@pytest.mark.parametrize(("expr", "reason"), [
    ("self.__class__", '"__class__" is an invalid attribute name because it starts with "_"'),
    ("request.__dict__", '"__dict__" is an invalid attribute name because it starts with "_"'),
    ("request._private", '"_private" is an invalid attribute name because it starts with "_"'),
    ("'{0.x}'.format(request)", '".format()" is not allowed (format strings can traverse attributes); use an f-string'),
    ("'{x}'.format_map(request)", '".format_map()" is not allowed'),
    ("request.gi_frame", '"gi_frame" is a restricted name'),
    ("request.f_back", '"f_back" is a restricted name'),
    ("fn.cell_contents", '"cell_contents" is not allowed: frames, code objects and function internals are out of reach'),
    ("request.mro", '"mro" is not allowed: frames, code objects'),
    ("request.co_consts", '"co_consts" is not allowed: frames, code objects'),
])
def test_refused_attributes(expr: str, reason: str) -> None:
    error = refused(f"class Script:\n    def process_incoming_request(self, request):\n        return {expr}\n")
    assert error.line == 3
    assert reason in error.message


@pytest.mark.parametrize("name", ["type", "vars", "globals", "eval", "exec", "open", "super", "compile"])
def test_introspection_and_code_builtins_are_refused_with_advice(name: str) -> None:
    error = refused(f"class Script:\n    def f(self):\n        return {name}\n")
    assert error.line == 3
    assert f'"{name}" is not allowed: {FORBIDDEN_NAMES[name]}.' in error.message


def test_dunder_methods_only_from_the_extra_list_and_only_in_classes() -> None:
    compile_script("class Script:\n    def __repr__(self):\n        return 'x'\n    def __len__(self):\n"
                   "        return 0\n", "ok.py")
    assert '"__getattribute__" is an invalid variable name' in refused(
        "class Script:\n    def __getattribute__(self, name):\n        return 1\n").message
    assert '"__str__" is an invalid variable name' in refused(  # at module level it is just a private name
        "def __str__():\n    return 'x'\nclass Script: pass\n").message


def test_syntax_errors_and_a_missing_script_class() -> None:
    error = refused("class Script:\n    def f(self)\n        pass\n")
    assert error.line == 2 and error.message.startswith("SyntaxError: ")
    missing = refused("def process_incoming_request(request):\n    return None\n")
    assert missing.line is None and "no `class Script` defined" in missing.message
    compile_script("Script = dict\n", "alias.py")  # an assigned name counts as a definition
    deep = refused("x = " + "-" * 100_000 + "1\nclass Script: pass\n")  # RecursionError inside the compiler
    assert deep.line is None and deep.message == "the script is nested too deeply to compile"


def test_attribute_refusal_also_covers_augmented_assignment() -> None:
    assert attribute_refusal("upper") is None and attribute_refusal("_") is None
    assert attribute_refusal("content") is None
    for name in ("_x", "__class__", "format", "format_map", "gi_frame", "tb_next", "co_code", "mro"):
        assert attribute_refusal(name), name
    # `other._hits += 1` is rewritten to a helper call: the name is still checked
    error = refused("class Script:\n    def f(self, other):\n        other._hits += 1\n")
    assert error.line == 3 and '"_hits" is an invalid attribute name' in error.message
    assert '".format()" is not allowed' in refused("class Script:\n    def f(self, o):\n        o.format += 1\n").message


def test_annotations_are_dropped_so_nothing_evaluates_them() -> None:
    code = compile_script(textwrap.dedent("""
        LIMIT: int = 3
        FLAG: bool
        class Script:
            def process_incoming_request(self, request: "open('/etc/passwd')") -> "eval('1')":
                return LIMIT
    """), "ann.py")
    strings = set()

    def walk(c: CodeType) -> None:
        for const in c.co_consts:
            if isinstance(const, CodeType):
                walk(const)
            elif isinstance(const, str):
                strings.add(const)

    walk(code)
    assert "open('/etc/passwd')" not in strings and "eval('1')" not in strings
    assert "__annotations__" not in code.co_names and "FLAG" not in code.co_names
