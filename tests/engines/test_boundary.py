"""The boundary: exactly plain JSON data leaves a script."""

from __future__ import annotations

from typing import Any

import pytest

from hookhub.errors import ScriptRunError
from hookhub.request import freeze
from hookhub.engines.boundary import MAX_DEPTH, to_json_result


def test_plain_json_and_frozen_views_are_converted() -> None:
    value = freeze({"a": [1, 2.5, "x", True, None, {"b": []}]})
    out = to_json_result(value, 1000)
    assert out == {"a": [1, 2.5, "x", True, None, {"b": []}]}
    assert type(out) is dict and type(out["a"]) is list and type(out["a"][5]) is dict
    assert to_json_result((1, (2,)), 100) == [1, [2]]
    assert to_json_result(None, 10) is None


class Str(str):
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = str.__hash__


class Int(int):
    pass


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(("value", "reason"), [
    ({1, 2}, "a set at result"),
    (frozenset(), "a frozenset at result"),
    (b"x", "a bytes at result"),
    (float("nan"), "NaN and Infinity"),
    ([float("inf")], "NaN and Infinity"),
    ({"k": Str("v")}, "Str (a subclass of str) at result.k"),
    ([Int(1)], "Int (a subclass of int) at result[0]"),
    ({Str("k"): 1}, "a dict with a Str (a subclass of str) key"),
    ({("t",): 1}, "a dict with a tuple key"),
    (_nested(MAX_DEPTH + 1), f"nested deeper than {MAX_DEPTH} levels"),
    ({"s": "\ud800"}, "not valid Unicode"),
    ({"big": "x" * 200}, "more than the limit of 100"),
    (object(), "a object at result"),
])
def test_everything_else_is_refused_with_a_reason(value: Any, reason: str) -> None:
    with pytest.raises(ScriptRunError) as info:
        to_json_result(value, 100)
    assert reason in info.value.reason
    assert info.value.error == "error-running-script"


def test_cycles_are_refused_but_shared_values_are_fine() -> None:
    shared = [1]
    assert to_json_result({"a": shared, "b": shared}, 100) == {"a": [1], "b": [1]}
    cyclic: list[Any] = []
    cyclic.append(cyclic)
    with pytest.raises(ScriptRunError, match="cycle"):
        to_json_result(cyclic, 100)


def test_depth_limit_is_inclusive() -> None:
    assert to_json_result(_nested(MAX_DEPTH), 10_000) == _nested(MAX_DEPTH)


@pytest.mark.parametrize("value", [
    {"content": {"text": "x", "attachments": [{"fields": [{"title": "a", "value": "b", "short": True}]}]}},
    [1, 2.5, None, "é", {"a": []}], None, "s", 3, {"big": 2**70},
])
def test_checked_results_equal_converted_results(value: Any) -> None:
    from hookhub.engines.boundary import checked_json_result

    assert checked_json_result(value, 10_000) == to_json_result(value, 10_000)


def test_checked_results_refuse_what_conversion_refuses() -> None:
    from hookhub.engines.boundary import checked_json_result

    deep: Any = "x"
    for _ in range(MAX_DEPTH + 1):
        deep = [deep]
    cases: list[tuple[Any, int, str]] = [(deep, 10_000, "deeper than"), ({"t": "x" * 200}, 100, "more than the limit"),
                                         ({"t": "\ud800"}, 100, "not valid Unicode"), ({"s": {1, 2}}, 100, "set")]
    for value, limit, reason in cases:
        with pytest.raises(ScriptRunError, match=reason):
            checked_json_result(value, limit)


@pytest.mark.parametrize("wrap", [lambda v: [v], lambda v: {"k": v}, lambda v: [1, "x", None, v, {}]])
def test_checked_results_at_the_depth_limit_are_passed_through_uncopied(wrap: Any) -> None:
    from hookhub.engines.boundary import checked_json_result

    value: Any = ["leaf", 1, 2.5, True, None]
    for _ in range(MAX_DEPTH - 1):
        value = wrap(value)
    assert checked_json_result(value, 1 << 20) is value  # the fast path: no conversion, no copy
    with pytest.raises(ScriptRunError, match="deeper than"):
        checked_json_result(wrap(value), 1 << 20)


def _std_size(value: Any) -> int:
    import json

    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


@pytest.mark.parametrize("filler", [
    "x",            # no floats: orjson's size is the standard library's
    2.5e-07,        # orjson writes "2.5e-7", one byte shorter than the standard library's "2.5e-07"
    1e-05,          # orjson writes "0.00001", two bytes longer than "1e-05"
    0.1, 2**70,     # a plain float; an integer orjson cannot write
    "é\n\"",        # escapes and multi-byte characters
])
def test_the_size_limit_is_the_standard_librarys_byte_count_exactly(filler: Any) -> None:
    value = {"v": [filler] * 30, "pad": ""}
    limit = _std_size(value) + 5
    value["pad"] = "p" * 5  # now exactly at the limit
    assert _std_size(value) == limit
    assert to_json_result(value, limit) == value
    value["pad"] = "p" * 6
    with pytest.raises(ScriptRunError) as info:
        to_json_result(value, limit)
    assert f"returned {limit + 1} bytes of JSON, more than the limit of {limit}" in info.value.reason


@pytest.mark.parametrize("value", [
    freeze({"a": [1, 2.5, {"b": ("x", None, True)}], "c": {}}),
    [(), [], {}, [[[]]]], {"é": "ü", "n": -0.0, "i": 2**63, "big": -(2**80)},
    ({"k": (1, 2)},) * 3,
])
def test_conversion_gives_plain_copies(value: Any) -> None:
    out = to_json_result(value, 1 << 20)

    def plain(v: Any) -> bool:
        if isinstance(v, dict):
            return type(v) is dict and all(plain(x) for x in v.values())
        if isinstance(v, (list, tuple)):
            return type(v) is list and all(plain(x) for x in v)
        return True
    assert plain(out)
    assert out == to_json_result(out, 1 << 20)
    assert out is not value


def test_the_first_problem_is_the_one_reported() -> None:
    # the fast walk gives up at the first problem; the reason and its place are the careful walk's
    value = {"ok": [1, 2], "bad": [1, {"deeper": float("inf")}], "worse": {1, 2}}
    with pytest.raises(ScriptRunError, match=r"inf at result\.bad\[1\]\.deeper"):
        to_json_result(value, 1 << 20)
