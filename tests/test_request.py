"""The request object (CONTRACT §3)."""

from __future__ import annotations

import json

import pytest

from hookhub.request import build_request, freeze, parse_query, thaw


def make() -> dict:  # type: ignore[type-arg]
    return build_request(
        path="/hooks/example/tok", query_string="a=1&b=2", url_params={"integrationId": "example", "token": "tok"},
        headers={"Content-Type": "application/json", "X-Thing": "v"}, content={"text": "hi", "list": [1, {"x": 2}]},
        content_raw='{"text": "hi"}', body={"text": "hi"}, user={"_id": "u1", "name": "Rocket Cat", "username": "rocket.cat"},
    )


def test_fields() -> None:
    req = make()
    assert req["url"] == {"hash": "", "search": "?a=1&b=2", "query": {"a": "1", "b": "2"},
                          "pathname": "/hooks/example/tok", "path": "/hooks/example/tok?a=1&b=2"}
    assert req["url_raw"] == "/hooks/example/tok?a=1&b=2"
    assert req["url_params"] == {"integrationId": "example", "token": "tok"}
    assert req["headers"] == {"content-type": "application/json", "x-thing": "v"}
    assert req["content_raw"] == '{"text": "hi"}'
    assert req["user"]["username"] == "rocket.cat"


def test_no_query() -> None:
    req = build_request(path="/hooks/a/b", query_string="", url_params={}, headers={}, content={}, content_raw="",
                        body={}, user={})
    assert req["url"]["search"] == "" and req["url"]["query"] == {} and req["url_raw"] == "/hooks/a/b"


@pytest.mark.parametrize(("qs", "expected"), [
    ("a=1&a=2", {"a": ["1", "2"]}),
    ("a[b]=1", {"a": {"b": "1"}}),
    ("a[b][c]=1&a[d]=2", {"a": {"b": {"c": "1"}, "d": "2"}}),
    ("a[]=1&a[]=2", {"a": ["1", "2"]}),
    ("flag", {"flag": ""}),
    ("x=%20y", {"x": " y"}),
])
def test_query_parsing(qs: str, expected: dict) -> None:  # type: ignore[type-arg]
    assert parse_query(qs) == expected


def test_frozen_request_mapping_and_attribute_access() -> None:
    req = freeze(make())
    assert req["content"]["text"] == "hi" == req.content.text
    assert req.content.missing is None
    assert req.content.get("missing", "d") == "d"
    assert req.content.list[1].x == 2
    assert json.loads(json.dumps(req.content)) == {"text": "hi", "list": [1, {"x": 2}]}


@pytest.mark.parametrize("mutate", [
    lambda r: r.content.__setitem__("text", "x"),
    lambda r: r.content.update({"a": 1}),
    lambda r: r.content.pop("text"),
    lambda r: r.content.clear(),
    lambda r: r.content.setdefault("z", 1),
    lambda r: setattr(r.content, "text", "x"),
    lambda r: r.content.list.append(3),
])
def test_frozen_request_is_read_only(mutate) -> None:  # type: ignore[no-untyped-def]
    req = freeze(make())
    with pytest.raises((TypeError, AttributeError)):
        mutate(req)
    assert req.content.text == "hi"


def test_copy_gives_plain_mutable_data() -> None:
    req = freeze(make())
    copy = req.content.copy()
    copy["text"] = "changed"
    assert type(copy) is dict and type(copy["list"]) is list and req.content.text == "hi"
    assert thaw(req) == make()


def test_freeze_is_deep_and_keeps_every_scalar() -> None:
    from hookhub.request import FrozenDict, freeze, thaw

    class Sub(dict):  # type: ignore[type-arg]
        pass

    value = {"a": [1, 2.5, True, None, "s", {"b": [[], {}]}], "c": Sub(d=[1]), "e": ({"f": 1},)}
    frozen = freeze(value)
    assert type(frozen) is FrozenDict and type(frozen["a"]) is tuple and type(frozen["a"][5]) is FrozenDict
    assert type(frozen["a"][5]["b"][0]) is tuple and type(frozen["c"]) is FrozenDict
    assert type(frozen["c"]["d"]) is tuple
    assert thaw(frozen) == {"a": [1, 2.5, True, None, "s", {"b": [[], {}]}], "c": {"d": [1]}, "e": [{"f": 1}]}


def test_freeze_copies_keeps_key_order_and_handles_subclasses_inside_lists() -> None:
    from hookhub.request import FrozenDict, freeze, thaw

    class Tag(str):
        pass

    class Items(list):  # type: ignore[type-arg]
        pass

    files = ["a.py", "b.py", 3, 4.5, None, True]
    value = {"z": 1, "files": files, "mixed": [Tag("t"), Items([{"k": "v"}]), [files]], "a": {"y": 2, "b": 1}}
    frozen = freeze(value)
    assert list(frozen) == ["z", "files", "mixed", "a"] and list(frozen["a"]) == ["y", "b"]
    assert frozen["files"] == tuple(files) and type(frozen["files"]) is tuple
    assert type(frozen["mixed"][0]) is Tag
    assert type(frozen["mixed"][1]) is tuple and type(frozen["mixed"][1][0]) is FrozenDict
    assert frozen["mixed"][2] == (tuple(files),)
    files.append("c.py")  # the frozen view is a copy: changing the input afterwards changes nothing
    value["a"]["y"] = 3
    assert len(frozen["files"]) == 6 and frozen["a"]["y"] == 2
    assert thaw(frozen)["mixed"][1] == [{"k": "v"}]
