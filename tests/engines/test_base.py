"""hookhub.engines.base: the ``console`` and ``Store`` globals, ScriptEnv, the engine protocols and outlines."""

from __future__ import annotations

from typing import Any

import pytest

from hookhub.engines.base import (
    SCRIPT_METHODS,
    Console,
    ScriptEngine,
    ScriptEnv,
    ScriptInstance,
    ScriptOutline,
    ScriptStore,
    outline_of,
)
from hookhub.engines.python import PythonEngine


class _Thing:
    def __str__(self) -> str:
        return "<thing>"


def test_console_levels_and_rendering() -> None:
    console = Console()
    console.log("plain", 1, None)
    console.info({"a": [1, "é"]})
    console.warn(("t", 2))
    console.warning("alias")
    console.error(["x"], "e")
    console.debug(_Thing())
    console.log({"bad": object()})  # not JSON: rendered with default=str, never an exception
    records = console.records
    assert [r.level for r in records] == ["log", "info", "warn", "warn", "error", "debug", "log"]
    assert records[0].message == "plain 1 None"
    assert records[1].message == '{"a": [1, "é"]}'  # JSON, not repr, and not ASCII-escaped
    assert records[2].message == '["t", 2]'
    assert records[4].message == '["x"] e'
    assert records[5].message == "<thing>"
    assert records[6].message.startswith('{"bad": "<object object at')
    assert all(r.ts > 0 for r in records)


def test_console_caps_bytes_once_per_call_and_take_resets() -> None:
    console = Console(max_bytes=10)
    console.log("12345")
    console.log("é" * 2)  # 4 bytes in UTF-8: 9 used
    console.error("xy")  # 11 > 10: replaced by one warning
    console.log("dropped")
    console.error("dropped too")
    got = [(r.level, r.message) for r in console.records]
    assert got == [("log", "12345"), ("log", "éé"),
                   ("warn", "console output truncated: more than 10 bytes in one call")]
    taken = console.take()
    assert [r.message for r in taken] == ["12345", "éé", got[2][1]]
    assert console.records == []
    console.log("0123456789")  # the budget is per call: take() gave it back
    assert [r.message for r in console.take()] == ["0123456789"]


def test_script_store_get_set_snapshot() -> None:
    seed = {"a": 1}
    store = ScriptStore(seed)
    assert store.get("a") == 1 and store.get("missing") is None
    value = {"n": [1, 2]}
    assert store.set("b", value) is value  # set returns the value, as in Rocket.Chat
    assert store.set(7, "seven") == "seven"  # type: ignore[arg-type]
    assert store.get("7") == "seven" and store.get(7) == "seven"  # type: ignore[arg-type]  # keys are strings
    snap = store.snapshot()
    assert snap == {"a": 1, "b": {"n": [1, 2]}, "7": "seven"}
    snap["a"] = 99
    seed["z"] = 0
    assert store.get("a") == 1 and store.get("z") is None  # neither the seed nor a snapshot aliases the data
    assert ScriptStore().snapshot() == {}


def test_script_env_defaults_are_per_env() -> None:
    one, two = ScriptEnv("one"), ScriptEnv("two")
    one.console.log("hi")
    one.store.set("k", 1)
    assert two.console.records == [] and two.store.get("k") is None
    assert one.http is None and one.extra_globals == {} and one.timeout_ms is None and one.memory_mb is None


def test_engine_protocols_are_runtime_checkable() -> None:
    engine = PythonEngine()
    assert isinstance(engine, ScriptEngine)
    source = "class Script:\n    def process_incoming_request(self, request):\n        return 1\n"
    instance = engine.instantiate(source, "s.py", ScriptEnv("t"))
    assert isinstance(instance, ScriptInstance)
    assert instance.has_method("process_incoming_request") and not instance.has_method("prepare_outgoing_request")

    class NotAnEngine:
        name = "x"
        extensions = (".x",)

        def check(self, source: str, filename: str) -> None: ...

    assert not isinstance(NotAnEngine(), ScriptEngine)  # no instantiate()


def test_outline_defines_and_event_header() -> None:
    outline = ScriptOutline(methods=frozenset({"process_incoming_request"}),
                            constants={"EVENT_HEADER": "X-GitHub-Event"})
    assert outline.defines("process_incoming_request") and not outline.defines("prepare_outgoing_request")
    assert outline.event_header == "X-GitHub-Event"
    assert ScriptOutline(constants={"EVENT_HEADER": ["X-Gitlab-Event", "X-Other"]}).event_header == "X-Gitlab-Event"
    for value in ("", [], 3, None, [5]):
        assert ScriptOutline(constants={"EVENT_HEADER": value}).event_header is None, value
    assert ScriptOutline().event_header is None and not ScriptOutline().uses_store


class _Reporting:
    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.asked: list[tuple[str, str]] = []

    def outline(self, source: str, filename: str) -> Any:
        self.asked.append((source, filename))
        return self.answer


GUESSABLE = """
class Script {
  process_incoming_request({ request }) { return Store.get('x'); }
  prepare_outgoing_request: null
}
// process_outgoing_response is only mentioned here
"""


@pytest.mark.parametrize("engine", [object(), _Reporting("not an outline")], ids=["no outline()", "bad answer"])
def test_outline_of_falls_back_to_a_textual_guess(engine: Any) -> None:
    outline = outline_of(engine, GUESSABLE, "s.js")
    assert outline.methods == {"process_incoming_request", "prepare_outgoing_request"}
    assert outline.uses_store
    assert outline.names == frozenset() and outline.constants == {}
    assert set(outline.methods) <= set(SCRIPT_METHODS)
    assert not outline_of(engine, "class Script { process_incoming_request() {} }  // StoreX", "s.js").uses_store


def test_outline_of_uses_the_engines_own_report() -> None:
    reported = ScriptOutline(methods=frozenset({"process_outgoing_response"}), constants={"X": 1})
    engine = _Reporting(reported)
    assert outline_of(engine, GUESSABLE, "s.js") is reported
    assert engine.asked == [(GUESSABLE, "s.js")]
