"""hookhub.engines.python.guards: the runtime hooks of restricted code (reads, writes, iteration) and builtins."""

from __future__ import annotations

import builtins
import collections
import re
import textwrap
import zoneinfo
from typing import Any

import pytest

from hookhub.engines.python.guards import (
    GuardedType,
    guard_globals,
    guarded_iter,
    guarded_write,
    inplace_attr,
    inplace_item,
    is_script_class,
    make_builtins,
    safe_getattr,
    safe_hasattr,
    script_metaclass,
)
from hookhub.engines.python.modules import ModuleImporter
from hookhub.engines.python.policy import compile_script
from hookhub.request import freeze

REFUSED_WRITE = "scripts may only change their own objects"


def run_module(source: str, log: list[str] | None = None) -> dict[str, Any]:
    """Compile ``source`` under the policy and run it with exactly these guards (as the engine does)."""
    lines = log if log is not None else []
    builtins_ = make_builtins(lambda *a: lines.append(" ".join(map(str, a))), ModuleImporter())
    namespace: dict[str, Any] = {"__builtins__": builtins_, "__name__": "script", **guard_globals(),
                                 "_print_": builtins_["_print_"]}
    exec(compile_script(textwrap.dedent(source), "g.py"), namespace)  # noqa: S102 - restricted code
    return namespace


def test_safe_getattr_refuses_private_frame_and_format_names() -> None:
    for name in ("_x", "__class__", "__dict__", "__globals__"):
        with pytest.raises(AttributeError, match=f'"{name}" is an invalid attribute name because it starts with "_"'):
            safe_getattr(test_safe_getattr_refuses_private_frame_and_format_names, name)
    for name in ("gi_frame", "f_back", "co_code", "cell_contents"):
        with pytest.raises(AttributeError, match="frames, code objects and function internals are out of reach"):
            safe_getattr(object(), name)
    with pytest.raises(AttributeError, match="use an f-string"):
        safe_getattr("{0.x}", "format")
    with pytest.raises(AttributeError, match='"obj" of exceptions'):
        safe_getattr(AttributeError("x", obj=object()), "obj")
    with pytest.raises(AttributeError, match="ZoneInfo.clear_cache changes a cache shared"):
        safe_getattr(zoneinfo.ZoneInfo, "clear_cache")
    with pytest.raises(TypeError, match="must be a string"):
        safe_getattr("x", 3)  # type: ignore[arg-type]


def test_safe_getattr_reads_public_attributes_and_never_invents_none() -> None:
    assert safe_getattr("abc", "upper")() == "ABC"
    with pytest.raises(AttributeError, match="'int' object has no attribute 'nope'"):
        safe_getattr(1, "nope")
    assert safe_getattr(1, "nope", "fallback") == "fallback"
    with pytest.raises(AttributeError, match="dict.update cannot be used unbound"):
        safe_getattr(dict, "update")  # dict.update(request, ...) would bypass the read-only request
    assert safe_getattr(dict, "fromkeys")("ab") == {"a": None, "b": None}
    assert safe_hasattr("x", "upper") and not safe_hasattr("x", "__class__") and not safe_hasattr("x", "nope")


def test_names_allowed_once_stay_checked_where_the_object_matters() -> None:
    # safe_getattr remembers the names the policy allows; the checks that depend on the object
    # ("obj" of exceptions, ZoneInfo.clear_cache) must hold however often the name was used before
    import types

    holder = types.SimpleNamespace(obj=1, clear_cache=2, upper=3)
    for _ in range(3):
        assert safe_getattr(holder, "obj") == 1 and safe_getattr(holder, "clear_cache") == 2
        with pytest.raises(AttributeError, match='"obj" of exceptions'):
            safe_getattr(AttributeError("x", obj=object()), "obj")
        with pytest.raises(AttributeError, match="ZoneInfo.clear_cache changes a cache shared"):
            safe_getattr(zoneinfo.ZoneInfo, "clear_cache")
        with pytest.raises(AttributeError, match="dict.update cannot be used unbound"):
            safe_getattr(dict, "update")
        assert safe_getattr(holder, "upper") == 3
    for i in range(5000):  # more names than the memory keeps: the rest are checked every time
        assert safe_getattr(holder, f"name{i}", None) is None
    with pytest.raises(AttributeError, match="starts with"):
        safe_getattr(holder, "_x")
    assert safe_getattr(holder, "name4999", "missing") == "missing"


def test_guarded_write_allows_plain_containers_and_script_objects_only() -> None:
    values: list[Any] = [{}, [], set()]
    for value in values:
        assert guarded_write(value) is value
    Own = script_metaclass("Own", (), {})
    mine = Own()
    assert is_script_class(Own) and not is_script_class(dict) and not is_script_class(mine)
    assert guarded_write(mine) is mine
    ordered: collections.OrderedDict[str, int] = collections.OrderedDict()
    guarded_write(ordered)["k"] = 1  # items of a mutable mapping may change...
    assert ordered == {"k": 1}
    with pytest.raises(TypeError, match=REFUSED_WRITE):
        guarded_write(ordered).attr = 1  # ...its attributes may not


@pytest.mark.parametrize(("target", "what"), [
    (ModuleImporter()("json"), "cannot change module <module 'json' (hookhub guarded)>"),
    (len, "cannot change function len"),
    (GuardedType(dict), "cannot change class <class 'dict'>"),
    (dict, "cannot change class dict"),
    ("text", "cannot change a str object"),
])
def test_guarded_write_refuses_shared_objects(target: Any, what: str) -> None:
    proxy = guarded_write(target)
    for change in (lambda: setattr(proxy, "x", 1), lambda: delattr(proxy, "x"),
                   lambda: proxy.__setitem__("k", 1), lambda: proxy.__delitem__("k")):
        with pytest.raises(TypeError, match=re.escape(what)) as caught:
            change()
        assert REFUSED_WRITE in str(caught.value)


def test_the_request_stays_read_only() -> None:
    request = freeze({"content": {"a": 1}})
    with pytest.raises(TypeError, match="read-only"):
        guarded_write(request)["content"] = {}
    with pytest.raises(TypeError, match=r"cannot change the request \(it is read-only; copy it first"):
        guarded_write(request).content = {}
    with pytest.raises(TypeError):
        inplace_item(request["content"], "a", "+=", 1)
    assert request == {"content": {"a": 1}}


def test_inplace_helpers_and_iteration_guards() -> None:
    Own = script_metaclass("Counter", (), {"n": 1})
    counter = Own()
    inplace_attr(counter, "n", "+=", 4)
    totals = {"k": 2}
    inplace_item(totals, "k", "**=", 3)
    assert counter.n == 5 and totals == {"k": 8}
    with pytest.raises(AttributeError, match="starts with"):
        inplace_attr(counter, "_n", "+=", 1)
    with pytest.raises(TypeError, match=REFUSED_WRITE):
        inplace_attr(ModuleImporter()("math"), "pi", "+=", 1)
    assert list(guarded_iter((1, 2))) == [1, 2]
    with pytest.raises(TypeError, match="is not iterable"):
        guarded_iter(ModuleImporter()("json"))


def test_make_builtins_exposes_no_escape_hatches() -> None:
    lines: list[str] = []
    importer = ModuleImporter()
    scope = make_builtins(lines.append, importer)
    for name in ("open", "exec", "eval", "compile", "type", "vars", "globals", "locals", "dir", "input",
                 "breakpoint", "memoryview", "super", "help", "exit", "quit", "__loader__", "__spec__"):
        assert name not in scope, name
    assert scope["__import__"] is importer and scope["getattr"] is safe_getattr and scope["hasattr"] is safe_hasattr
    assert scope["len"] is builtins.len and scope["ValueError"] is ValueError
    assert all(isinstance(scope[n], GuardedType) for n in ("dict", "list", "tuple", "set", "frozenset"))
    printer = scope["_print_"]()
    printer._call_print("a", 1, sep="-")
    assert lines == ["a-1"] and printer() == "a-1\n"
    with pytest.raises(TypeError, match=r"print\(file=...\) is not available"):
        printer._call_print("x", file=object())
    with pytest.raises(TypeError, match="is not iterable"):
        scope["sorted"](ModuleImporter()("json"))


def test_guarded_types_build_check_and_subclass_like_the_real_ones() -> None:
    Dict: Any = GuardedType(dict)  # Any: typeshed knows nothing of __instancecheck__ on instances
    List = GuardedType(list)
    assert Dict(a=1) == {"a": 1} and type(Dict()) is dict and List("ab") == ["a", "b"]
    assert isinstance({}, Dict) and not isinstance([], Dict) and issubclass(collections.OrderedDict, Dict)

    class Config(Dict):  # type: ignore[misc]  # __mro_entries__: a real dict subclass
        def pick(self, key: str) -> Any:
            return self.get(key, "none")

    config = Config(x=1)
    assert isinstance(config, dict) and isinstance(config, Dict) and config.pick("y") == "none"
    assert Config.__mro__[1] is dict
    assert repr(Dict) == "<class 'dict'>" and Dict.fromkeys("a") == {"a": None}
    with pytest.raises(AttributeError, match="cannot be used unbound"):
        Dict.update  # noqa: B018
    with pytest.raises(AttributeError, match="cannot be used unbound"):
        List.__dict__  # noqa: B018
    with pytest.raises(TypeError, match="builtin types cannot be changed by scripts"):
        Dict.fromkeys = None
    assert GuardedType(str).join is str.join  # non-mutating attributes of immutable types are handed out


def test_the_hooks_are_what_restricted_code_calls() -> None:
    log: list[str] = []
    namespace = run_module("""
        import json

        class Box(dict):
            pass

        class Script:
            def __init__(self):
                self.hits = 0

            def process_incoming_request(self, request):
                self.hits += 1
                box = Box(a=1)
                box['b'] = 2
                print('hits', self.hits)
                try:
                    json.dumps = None
                except TypeError as exc:
                    return [self.hits, sorted(box), str(exc)]
    """, log)
    script = namespace["Script"]()
    assert is_script_class(namespace["Script"]) and is_script_class(namespace["Box"])
    hits, keys, refusal = script.process_incoming_request(freeze({}))
    assert hits == 1 and keys == ["a", "b"] and refusal.startswith("cannot change module <module 'json'")
    assert log == ["hits 1"]
