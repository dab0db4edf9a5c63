"""Fast JSON writes the same text as the standard library, and refuses what it refuses."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from hookhub.jsontext import dumps, dumps_bytes, loads, plain_within
from hookhub.request import freeze


@pytest.mark.parametrize("value", [
    {"a": 1, "b": [1.5, "é", None, True, False], "c": {"d": "\u2028<>&\"\\"}},
    {"big": 2**70, "neg": -(2**65)},
    {1: "non-string key"},
    ["tuple", ("a", "b")],
    {"ctrl": "\x00\x1f\n\t"},
])
def test_same_json_as_the_standard_library(value: Any) -> None:
    assert json.loads(dumps_bytes(value)) == json.loads(json.dumps(value, ensure_ascii=False))
    assert loads(dumps(value)) == json.loads(json.dumps(value))


def test_frozen_request_views_serialise_as_plain_json() -> None:
    value = {"a": [1, {"b": None}], "c": "x"}
    assert json.loads(dumps_bytes(freeze(value))) == value


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_floats_are_refused(bad: float) -> None:
    with pytest.raises(ValueError):
        dumps_bytes({"x": [1, {"y": bad}]})


def test_null_itself_is_fine() -> None:
    assert dumps_bytes({"x": None}) == b'{"x":null}'


def test_stored_json_writes_non_finite_floats_as_null() -> None:
    assert loads(dumps({"x": math.nan, "y": [math.inf]})) == {"x": None, "y": [None]}


def test_plain_within_counts_containers_and_refuses_what_json_cannot_hold() -> None:
    nested: object = "leaf"
    for depth in range(1, 6):
        nested = [nested] if depth % 2 else {"k": nested}
        assert plain_within(nested, depth) and not plain_within(nested, depth - 1)
    assert plain_within({"a": [1, 2.5, True, None, "s"]}, 2)
    assert plain_within("scalar", 0) and not plain_within([], 0)
    for odd in [(1,), {1, 2}, b"x", {"a": (1,)}, [object()]]:
        assert not plain_within(odd, 10), odd
