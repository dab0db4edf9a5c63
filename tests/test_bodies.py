"""Body parsing (CONTRACT §2)."""

from __future__ import annotations

import json

import pytest

from hookhub.bodies import MAX_JSON_DEPTH, json_depth_exceeds, loads_untrusted, parse_body


def test_json_object_becomes_content() -> None:
    parsed = parse_body(b'{"text": "hi"}', "application/json")
    assert parsed.content == {"text": "hi"} and parsed.body == {"text": "hi"} and parsed.problem is None


def test_json_array_becomes_content_but_is_not_a_message() -> None:
    parsed = parse_body(b'[1, 2]', "application/json; charset=utf-8")
    assert parsed.content == [1, 2]
    assert parsed.problem == "the JSON body must be an object, got an array"


def test_vendor_json_media_type() -> None:
    assert parse_body(b'{"a": 1}', "application/vnd.github+json").content == {"a": 1}


def test_payload_form_field_is_json_parsed() -> None:
    raw = "payload=" + json.dumps({"text": "from slack"}).replace(" ", "+")
    parsed = parse_body(raw.encode(), "application/x-www-form-urlencoded")
    assert parsed.content == {"text": "from slack"}
    assert parsed.body == {"payload": '{"text":+"from+slack"}'.replace("+", " ")}


def test_single_other_field_tries_the_whole_body_as_json() -> None:
    # what `curl -d '{"text": "x"}'` sends without a content type
    parsed = parse_body(b'{"text": "x"}', "application/x-www-form-urlencoded")
    assert parsed.content == {"text": "x"}


def test_form_fields_become_a_flat_object() -> None:
    parsed = parse_body(b"a=1&b=two", "application/x-www-form-urlencoded")
    assert parsed.content == {"a": "1", "b": "two"}


def test_one_plain_form_field_that_is_not_json() -> None:
    parsed = parse_body(b"text=hello", "application/x-www-form-urlencoded")
    assert parsed.content == {"text": "hello"}


@pytest.mark.parametrize(("data", "media"), [
    (b"<xml>hi</xml>", "application/xml"),
    (b"plain words", "text/plain"),
])
def test_other_content_types_give_empty_content_and_raw_text(data: bytes, media: str) -> None:
    parsed = parse_body(data, media)
    assert parsed.content == {} and parsed.raw == data.decode()
    assert parsed.problem and media in parsed.problem


def test_invalid_json_has_a_clear_problem() -> None:
    parsed = parse_body(b"{nope", "application/json")
    assert parsed.content == {} and parsed.raw == "{nope"
    assert parsed.problem == "invalid JSON body: Expecting property name enclosed in double quotes: line 1 column 2"


def test_not_json_at_all() -> None:
    assert parse_body(b"hello", "application/json").problem == \
        "invalid JSON body: Expecting value: line 1 column 1"


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    parsed = parse_body(b'{"text": "caf\xe9"}', "application/json")
    assert parsed.content == {"text": "caf\ufffd"}
    assert "\ufffd" in parsed.raw


def test_deeply_nested_json_does_not_crash() -> None:
    parsed = parse_body(b"[" * 100000 + b"]" * 100000, "application/json")
    assert parsed.content == {} and parsed.problem


def test_empty_body() -> None:
    parsed = parse_body(b"", "application/json")
    assert parsed.content == {} and parsed.problem == "the request body is empty; send a JSON object"


@pytest.mark.parametrize("text", ['{"v": NaN}', '{"v": [Infinity]}', '{"v": -Infinity}'])
def test_nan_and_infinity_are_invalid_json_like_in_javascript(text: str) -> None:
    parsed = parse_body(text.encode(), "application/json")
    assert parsed.content == {} and parsed.raw == text
    assert parsed.problem is not None and parsed.problem.startswith("invalid JSON body:")
    assert "is not a JSON value" in parsed.problem


@pytest.mark.parametrize("pad", [0, 10_000])  # short bodies count their brackets first, long ones are walked
@pytest.mark.parametrize("depth", [1, 2, 127, 128, 129, 130, 500])
def test_depth_limit_is_exact_for_objects_arrays_and_both(depth: int, pad: int) -> None:
    filler = '"' + "x" * pad + '"'
    bodies = ["[" * depth + filler + "]" * depth,
              '{"a":' * depth + filler + "}" * depth,
              "".join('{"k":' if i % 2 else "[" for i in range(depth)) + filler
              + "".join("}" if i % 2 else "]" for i in reversed(range(depth)))]
    for body in bodies:
        expected = json.loads(body) if depth < 400 else None
        if depth > MAX_JSON_DEPTH:
            with pytest.raises(ValueError, match="nested more than 128 levels"):
                loads_untrusted(body)
        else:
            assert loads_untrusted(body) == expected


def test_brackets_inside_strings_and_wide_documents_are_not_depth() -> None:
    wide = json.dumps({"s": "[" * 500 + "{" * 500, "items": [[{"a": [i]}] for i in range(3000)]})
    assert not json_depth_exceeds(json.loads(wide), MAX_JSON_DEPTH)
    assert loads_untrusted(wide)["items"][2999] == [{"a": [2999]}]
    nested: list[object] = ["leaf"]
    for _ in range(MAX_JSON_DEPTH - 1):
        nested = [1, "x", None, nested, {}]
    assert not json_depth_exceeds(nested, MAX_JSON_DEPTH) and json_depth_exceeds(nested, MAX_JSON_DEPTH - 1)
    assert not json_depth_exceeds("scalar", 0) and json_depth_exceeds([], 0)


# -- orjson first, the standard library's decoder for the rest -------------------

from hypothesis import given, settings, strategies as st  # noqa: E402

from hookhub.bodies import _loads_std  # noqa: E402

_numbers = st.one_of(
    st.integers(), st.integers(min_value=2 ** 63 - 3, max_value=2 ** 64 + 3),
    st.integers(min_value=-(2 ** 63) - 3, max_value=-(2 ** 63) + 3),
    st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([1e19, -1e19, 9.2e18, 2.0 ** 63, 0.1]))
_strings = st.one_of(st.text(), st.sampled_from(["\\ud800", "\\udfff x", "\\ud83d\\ude00", "é", "\\u0000"]))
_json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), _numbers, _strings.map(lambda t: ("str", t))),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=5), inner, max_size=4)),
    max_leaves=30)


def _text_of(value: object) -> str:
    """JSON text, with the sampled escapes written as they are (lone surrogates included)."""
    if isinstance(value, tuple):
        return '"' + value[1].replace('"', "'") + '"' if value[1].startswith("\\u") else json.dumps(value[1])
    if isinstance(value, list):
        return "[" + ",".join(_text_of(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{_text_of(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


def _outcome(fn: object, raw: str) -> object:
    try:
        return ("ok", repr(fn(raw)))  # type: ignore[operator]
    except ValueError as exc:
        return ("error", type(exc).__name__, str(exc))


@settings(max_examples=400, deadline=None)
@given(_json_values)
def test_loads_untrusted_reads_what_the_standard_library_reads(value: object) -> None:
    """orjson's value (exact ints beyond 64 bits, lone surrogates, floats) or error is the standard
    library decoder's, by ``repr`` (so -0.0 and 0, 1 and 1.0 stay apart)."""
    raw = _text_of(value)
    assert _outcome(loads_untrusted, raw) == _outcome(_loads_std, raw)


@pytest.mark.parametrize("raw", [
    "18446744073709551616", '{"id": 123456789012345678901234567890}', "[-9223372036854775809]",
    "\ufeff{}", "NaN", '{"a": Infinity}', "[1,]", "01", "1e999", "[" * 129 + "]" * 129,
    "[" * 2000 + "]" * 2000, '{"a": 1, "a": 2, "b": 3}', '"\\ud800"', "", " ", "{} x"])
def test_loads_untrusted_leaves_to_the_standard_library_what_orjson_reads_otherwise(raw: str) -> None:
    assert _outcome(loads_untrusted, raw) == _outcome(_loads_std, raw)
