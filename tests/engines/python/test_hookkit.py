"""hookkit: the helpers scripts import, their documentation, and how they are exposed to scripts."""

from __future__ import annotations

import ast
import inspect
import itertools
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from hookhub.engines.python import PythonEngine
from hookhub.request import freeze
from hookhub.engines.python import hookkit
from hookhub.sandbox import ScriptSpec
from hookhub.records import Limits
from hookhub.sandbox.inprocess import InProcessSandbox
from hookhub.engines.python.modules import KIT_MODULES, ModuleImporter, _kit_attrs
from hookhub.engines.python.policy import ALLOWED_MODULES

DOC = Path(__file__).resolve().parents[3] / "docs" / "writing-scripts.md"
FUNCTIONS = [name for name in hookkit.__all__ if callable(getattr(hookkit, name))]
CONSTANTS = [name for name in hookkit.__all__ if not callable(getattr(hookkit, name))]


# -- reading payloads ----------------------------------------------------------


def test_obj_and_objs_accept_only_json_objects() -> None:
    assert hookkit.obj({"a": 1}) == {"a": 1}
    for value in (None, "x", 3, [{"a": 1}], ({"a": 1},)):
        assert hookkit.obj(value) == {}
    assert hookkit.obj(None) is not hookkit.obj(None), "a fresh empty object every time, never a shared one"
    assert hookkit.objs([{"a": 1}, "x", None, [], {"b": 2}]) == [{"a": 1}, {"b": 2}]
    assert hookkit.objs(({"a": 1},)) == [{"a": 1}]
    assert hookkit.objs({"a": 1}) == [] and hookkit.objs(None) == [] and hookkit.objs("ab") == []


def test_obj_and_objs_work_on_frozen_requests() -> None:
    content = freeze({"sender": {"login": "alice"}, "labels": [{"name": "bug"}, {"name": ""}, "x"]})
    assert hookkit.obj(content["sender"]).get("login") == "alice"
    assert hookkit.objs(content["labels"]) == [{"name": "bug"}, {"name": ""}]
    assert hookkit.pluck(content["labels"], "name") == ["bug"]


def test_pluck() -> None:
    assert hookkit.pluck([{"n": "a"}, {"n": None}, {"m": "b"}, {"n": 0}, {"n": 2}, 7], "n") == ["a", 2]
    assert hookkit.pluck(None, "n") == []


def test_find_missing() -> None:
    content = {"a": {"b": 0, "c": None}, "d": "x"}
    assert hookkit.find_missing(content, ["a.b", "d"]) is None
    assert hookkit.find_missing(content, ["a.b", "a.c", "e"]) == "a.c"
    assert hookkit.find_missing(content, ["d.e"]) == "d.e"  # "x" is not an object
    assert hookkit.find_missing("not an object", ["a"]) == "a"
    assert hookkit.find_missing(content, []) is None


def test_payload_problem() -> None:
    assert hookkit.payload_problem([1], ["a"], "GitHub 'push'") == "GitHub 'push' payload must be a JSON object"
    assert hookkit.payload_problem({"a": {}}, ["a.b"], "Acme") == "Acme payload is missing 'a.b'"
    assert hookkit.payload_problem({"a": 1}, ["a"]) is None
    assert hookkit.payload_problem(None) == "The payload must be a JSON object"


def test_http_url() -> None:
    assert hookkit.http_url("https://a.test/x") == "https://a.test/x"
    assert hookkit.http_url("http://a.test") == "http://a.test"
    for value in (None, "", "ftp://a.test", "javascript:alert(1)", "/relative", 3):
        assert hookkit.http_url(value) is None


# -- text ----------------------------------------------------------------------


def test_link() -> None:
    assert hookkit.link("main", "https://a.test/main") == "[main](https://a.test/main)"
    assert hookkit.link("a [b] c", "https://a.test") == "[a \\[b\\] c](https://a.test)"
    assert hookkit.link("label [x]", None) == "label \\[x\\]"
    assert hookkit.link(42, "") == "42"


def test_shorten() -> None:
    assert hookkit.shorten("  short  ", 10) == "short"
    assert hookkit.shorten("Fix the flaky test", 10) == "Fix the f…"
    assert hookkit.shorten("abc def", 5) == "abc…"  # no space before the ellipsis
    assert len(hookkit.shorten("x" * 1000, 100)) == 100
    assert hookkit.shorten(12345, 3) == "12…"
    assert hookkit.shorten(1.5, 10) == "1.5"
    for value in (None, ["a"], {"a": 1}):
        assert hookkit.shorten(value, 10) == ""


def test_first_line_plural_duration() -> None:
    assert hookkit.first_line("title\n\nbody") == "title"
    assert hookkit.first_line(None) == "" and hookkit.first_line(7) == "7"
    assert [hookkit.plural(n, "commit") for n in (0, 1, 2)] == ["0 commits", "1 commit", "2 commits"]
    assert [hookkit.duration(s) for s in (None, 9, 84, 3600, 3725, 59.6)] == ["0s", "9s", "1m 24s", "1h 0m",
                                                                              "1h 2m", "1m 0s"]


def test_unique() -> None:
    assert hookkit.unique("abca") == ["a", "b", "c"]
    assert hookkit.unique([[1], "x", [1], {"a": 1}, {"a": 1}, "x"]) == [[1], "x", {"a": 1}]  # unhashable too
    assert hookkit.unique(v for v in (2, 1, 2)) == [2, 1]


def test_at_most() -> None:
    assert hookkit.at_most(["a", "b"], 5) == ["a", "b"]
    assert hookkit.at_most(["a", "b", "c"], 2) == ["a", "b", "… and 1 more"]
    assert hookkit.at_most(["a", "b"], 10, total=50) == ["a", "b", "… and 48 more"]
    assert hookkit.at_most(("a", "b", "c"), 2, total=1) == ["a", "b"]


# -- answers and commits -------------------------------------------------------


def test_field_and_message() -> None:
    assert hookkit.field("Count", 3) == {"title": "Count", "value": "3", "short": True}
    assert hookkit.field("Links", "a · b", short=False)["short"] is False
    assert hookkit.message("hi") == {"content": {"text": "hi"}}
    assert hookkit.message("hi", None, {}) == {"content": {"text": "hi"}}
    one, two = {"title": "a"}, {"title": "b"}
    assert hookkit.message("hi", one, None, two) == {"content": {"text": "hi", "attachments": [one, two]}}


def test_commit_line() -> None:
    sha = "9f2c1e0d7a6b5c4d"
    assert hookkit.commit_line(sha, "Fix login\n\nbody", "https://a.test/c", "alice") == (
        "[9f2c1e0](https://a.test/c) Fix login — alice")
    assert hookkit.commit_line(sha, "Fix", None, None, sha_length=8) == "9f2c1e0d Fix"
    assert hookkit.commit_line(None, "x" * 200, "https://a.test/c").endswith("x…")
    assert len(hookkit.commit_line(sha, "x" * 200)) == 7 + 1 + 100


def test_push_message() -> None:
    lines = [f"line {n}" for n in range(12)]
    answer = hookkit.push_message("alice", "[main](u)", "org/repo", lines, compare_url="https://a.test/cmp")
    assert answer == {"content": {
        "text": "alice pushed 12 commits to [main](u) of org/repo",
        "attachments": [{"color": hookkit.BLUE, "title": "12 commits", "title_link": "https://a.test/cmp",
                         "text": "\n".join(lines[:10] + ["… and 2 more"])}],
    }}
    answer = hookkit.push_message("bob", "dev", "r", ["only"], count=30, new_branch=True, forced=True, limit=1)
    content = answer["content"]
    assert content["text"] == "bob force-pushed 30 commits to new branch dev of r"
    assert content["attachments"][0]["text"] == "only\n… and 29 more"
    assert hookkit.push_message("a", "b", "c", ["x"])["content"]["attachments"][0]["title"] == "1 commit"


# -- how scripts see it --------------------------------------------------------


def test_hookkit_is_an_allowed_module_that_is_not_a_stdlib_or_hookhub_name() -> None:
    import sys

    assert "hookkit" in ALLOWED_MODULES and KIT_MODULES["hookkit"] is hookkit
    assert "hookkit" not in sys.stdlib_module_names
    assert not any(name == "hookhub" or name.startswith("hookhub.") for name in ALLOWED_MODULES)


def test_the_proxy_exposes_exactly_all_and_is_read_only() -> None:
    proxy = ModuleImporter().module("hookkit")
    for name in hookkit.__all__:
        assert getattr(proxy, name) is getattr(hookkit, name)
    for hidden in ("Any", "Iterable", "annotations", "__dict__", "__builtins__"):
        with pytest.raises(AttributeError):
            getattr(proxy, hidden)
    with pytest.raises(TypeError, match="read-only"):
        proxy.link = None
    assert ModuleImporter().module("hookkit") is not proxy, "each script instance has its own proxy"


def test_only_plain_functions_and_scalars_can_be_shared() -> None:
    def make(name: str, value: Any) -> ModuleType:
        module = ModuleType("fake_kit")
        module.__all__ = [name]  # type: ignore[attr-defined]
        setattr(module, name, value)
        return module

    def helper() -> None:
        """Defined here, not in the kit module."""

    for value in ({"a": 1}, [1], {1}, (1, 2), helper, print, type, ModuleType("m"), hookkit.link):
        with pytest.raises(TypeError, match="cannot be shared with scripts"):
            _kit_attrs(make("thing", value))
    for source in ("def f(x=[]):\n    return x\n", "def f(*, x={}):\n    return x\n",
                   "def outer():\n    state = []\n    def f():\n        return state\n    return f\nf = outer()\n"):
        module = ModuleType("fake_kit")
        exec(source, module.__dict__)  # noqa: S102 - functions defined in the fake module
        module.__all__ = ["f"]  # type: ignore[attr-defined]
        with pytest.raises(TypeError, match="cannot be shared with scripts"):
            _kit_attrs(module)
    own = ModuleType("fake_kit")
    exec("def f(a=1, b=(), *, c=None):\n    return 1\n", own.__dict__)  # noqa: S102 - a function of the fake module
    own.__all__ = ["f", "C"]  # type: ignore[attr-defined]
    own.C = "#fff"  # type: ignore[attr-defined]
    assert set(_kit_attrs(own)) == {"f", "C"}


def test_every_public_function_is_plain_and_stateless() -> None:
    for name in FUNCTIONS:
        func = getattr(hookkit, name)
        assert inspect.isfunction(func) and func.__module__ == hookkit.__name__, name
        assert not func.__closure__, f"{name} must not close over state"
        assert func.__doc__, f"{name} needs a docstring"
    for name in CONSTANTS:
        assert isinstance(getattr(hookkit, name), str), name


def test_the_kit_never_calls_format_or_getattr() -> None:
    """Text from payloads reaches these functions: str.format or a getattr by name would be an escape."""
    tree = ast.parse(Path(hookkit.__file__).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            assert node.attr not in ("format", "format_map"), f"line {node.lineno}"
        if isinstance(node, ast.Name):
            assert node.id not in ("getattr", "setattr", "eval", "exec", "open", "globals", "vars"), (
                f"line {node.lineno}")
        assert not isinstance(node, (ast.Global, ast.Nonlocal)), f"line {node.lineno}: no module state"


SCRIPT = """
import hookkit
from hookkit import GREEN, field, message, find_missing

class Script:
    def process_incoming_request(self, request):
        content = request.content
        if content.get('loop'):
            return find_missing({'a': {}}, itertools.repeat('a'))
        return message(hookkit.link('x', 'https://a.test'), {'color': GREEN, 'fields': [field('n', 1)]})

import itertools
"""


def _spec(source: str, timeout_ms: int = 2000) -> ScriptSpec:
    return ScriptSpec("kit", "python", source, "kit.py", Limits(timeout_ms=timeout_ms))


@pytest.mark.asyncio
async def test_scripts_use_the_kit_in_process() -> None:
    sandbox = InProcessSandbox({"python": PythonEngine()})
    await sandbox.start()
    try:
        await sandbox.load(_spec(SCRIPT))
        out = await sandbox.call("kit", "process_incoming_request", {"request": {"content": {}}})
        assert out.ok, out.reason
        assert out.value == {"content": {"text": "[x](https://a.test)", "attachments": [
            {"color": "#2eb886", "fields": [{"title": "n", "value": "1", "short": True}]}]}}
    finally:
        await sandbox.close()


@pytest.mark.asyncio
async def test_the_in_process_deadline_reaches_loops_inside_the_kit() -> None:
    """An endless iterable handed to the kit is stopped like a loop in the script (not abandoned)."""
    sandbox = InProcessSandbox({"python": PythonEngine()})
    await sandbox.start()
    try:
        await sandbox.load(_spec(SCRIPT, timeout_ms=200))
        out = await sandbox.call("kit", "process_incoming_request", {"request": {"content": {"loop": True}}})
        assert not out.ok and out.reason is not None
        assert "timed out" in out.reason and "could not stop it" not in out.reason, out.reason
    finally:
        await sandbox.close()


def test_an_endless_iterable_is_endless() -> None:
    """The loop of the test above really does not end by itself (it stops only at the deadline)."""
    steps = itertools.islice(itertools.repeat("a"), 10_000)
    assert hookkit.find_missing({"a": {}}, steps) is None


# -- documentation -------------------------------------------------------------


def _signature(name: str) -> str:
    sig = inspect.signature(getattr(hookkit, name))
    params = [p.replace(annotation=inspect.Parameter.empty) for p in sig.parameters.values()]
    text = str(sig.replace(parameters=params, return_annotation=inspect.Signature.empty))
    return name + text.replace("'", '"')


def _kit_section() -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("## hookkit: helpers for scripts")
    end = text.index("\n## ", start + 1)
    return text[start:end]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_every_function_is_documented_with_its_signature_and_an_example(name: str) -> None:
    section = _kit_section()
    assert f"- `{_signature(name)}`" in section, f"document `{_signature(name)}` in {DOC.name}"
    assert re.search(rf"Example: `{name}\(", section), f"give an example of {name} in {DOC.name}"


@pytest.mark.parametrize("name", CONSTANTS)
def test_every_colour_is_documented_with_its_value(name: str) -> None:
    assert f'`{name}` (`"{getattr(hookkit, name)}"`)' in _kit_section()


def test_the_documented_examples_are_right() -> None:
    examples = re.findall(r"Example: `(.+?)` → `(.+?)`$", _kit_section(), flags=re.M)
    assert len(examples) >= len(FUNCTIONS)
    namespace = {name: getattr(hookkit, name) for name in hookkit.__all__}
    for call, expected in examples:
        got = eval(call, dict(namespace))  # noqa: S307 - the documentation's own examples
        assert got == ast.literal_eval(expected), f"{call} gives {got!r}, the doc says {expected}"
