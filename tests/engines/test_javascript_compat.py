"""Rocket.Chat fidelity of the JavaScript engine: sloppy globals, V8-style stacks and dates,
Rocket.Chat's current Store and console (scripts in tests/engines/js_scripts/, written for these tests)."""

from __future__ import annotations

import re
import time
import pytest

from hookhub.engines.base import ScriptEnv, ScriptStore
from hookhub.engines.js_source import LINE_OFFSET, clean_stack, error_line
from hookhub.errors import ScriptCompileError, ScriptRunError

from .test_javascript import ENGINE, incoming, inline, load


def test_top_level_var_is_visible_inside_class_methods() -> None:
    script = load("github_events.js")
    push = {"ref": "refs/heads/main", "commits": [{}, {}]}
    first = incoming(script, push, headers={"X-GitHub-Event": "push"})["content"]
    assert first == {"text": "2 commit(s) to main", "icon_url": "https://avatars.example.com/github.png",
                     "seen": ["push"], "counter": 1}
    second = incoming(script, {"issue": {"number": 7}, "action": "opened"},
                      headers={"X-GitHub-Event": "issues"})["content"]
    assert (second["text"], second["seen"], second["counter"]) == ("issue #7 opened", ["push", "issues"], 2)


def test_var_let_const_and_functions_at_top_level() -> None:
    script = inline("""
    var a = [1];
    let b = 'let';
    const c = { n: 3 };
    function d() { return a.length; }
    var Helper = class { static twice(x) { return x * 2; } };
    class Script {
      process_incoming_request() {
        a.push(2);
        return { content: { text: [a.join('+'), b, c.n, d(), Helper.twice(2), typeof globalThis.a].join(' ') } };
      }
    }""")
    assert incoming(script)["content"]["text"] == "1+2 let 3 2 4 object"


def test_global_names_the_global_object_as_in_rocket_chat() -> None:
    script = inline("""global.counter = 1;
    class Script { process_incoming_request() {
      global.counter += 1;
      return { content: { text: String(counter), same: global === globalThis } };
    } }""")
    assert incoming(script)["content"] == {"text": "2", "same": True}


def test_a_top_level_return_still_works() -> None:
    script = load("top_level_return.js")
    assert incoming(script) == {"content": {"text": "ready true"}}
    stopped = "class Script { process_incoming_request() { return { content: { text: 'x' } }; } }"
    with pytest.raises(ScriptCompileError, match="defines no `class Script`"):
        inline("return;\n" + stopped)


def test_stack_names_only_the_scripts_file_and_lines() -> None:
    result = incoming(load("error_report.js"), {"at": 0})["content"]
    [att] = result["attachments"]
    assert att["title"] == "TypeError: cannot read property 'status' of undefined"
    stack = att["text"].strip("`\n")
    assert stack.splitlines() == [
        "TypeError: cannot read property 'status' of undefined",
        "    at Script.format (error_report.js:4:12)",
        "    at Script.process_incoming_request (error_report.js:9:56)",
    ]
    assert "__hookhub" not in att["text"] and "<input>" not in att["text"]


def test_uncaught_errors_and_rejections_carry_the_same_stack() -> None:
    script = inline("""class Script {
      process_incoming_request({ request }) {
        return request.content.missing.field;
      }
      async later() {
        await null;
        throw new RangeError('too late');
      }
    }""")
    with pytest.raises(ScriptRunError) as thrown:
        incoming(script)
    assert str(thrown.value) == ("inline.js: Script.process_incoming_request threw:\n"
                                 "TypeError: cannot read property 'field' of undefined\n"
                                 "    at Script.process_incoming_request (inline.js:3:16)")
    with pytest.raises(ScriptRunError) as rejected:
        script.call("later", {})
    assert str(rejected.value) == ("inline.js: Script.later rejected:\nRangeError: too late\n"
                                   "    at Script.later (inline.js:7:19)")


def test_errors_thrown_inside_callbacks_of_the_runtime_keep_only_script_frames() -> None:
    script = inline("""class Script { process_incoming_request() {
      try { _.each([1], function each() { JSON.parse('{bad'); }); } catch (e) { return { content: { text: e.stack } }; }
    } }""")
    lines = incoming(script)["content"]["text"].splitlines()
    assert lines[0].startswith("SyntaxError:")
    assert all(re.fullmatch(r"    at ([\w.]+ \()?inline\.js:2:\d+\)?", line) for line in lines[1:]), lines
    assert any(line.startswith("    at each (") for line in lines)


def test_console_logs_errors_with_the_v8_stack() -> None:
    env = ScriptEnv("log")
    script = inline("class Script { process_incoming_request() { console.error(new Error('shown')); } }", env)
    incoming(script)
    [record] = env.console.take()
    assert record.message == "Error: shown\n    at Script.process_incoming_request (inline.js:1:63)"


def test_date_to_string_is_v8s_with_the_zone_name() -> None:
    script = inline("""class Script { process_incoming_request() {
      const d = new Date(Date.UTC(2024, 4, 1, 12, 30, 5));
      return { content: { text: String(d), time: d.toTimeString(), tpl: `${d}`, bad: String(new Date('x')),
                          iso: d.toISOString() } };
    } }""")
    content = incoming(script)["content"]
    if time.timezone == 0 and not time.daylight:  # the test machine and CI run in UTC
        assert content["text"] == "Wed May 01 2024 12:30:05 GMT+0000 (Coordinated Universal Time)"
        assert content["time"] == "12:30:05 GMT+0000 (Coordinated Universal Time)"
    else:  # pragma: no cover - another zone: its abbreviation in parentheses
        assert re.fullmatch(r"\w{3} \w{3} \d\d \d{4} [\d:]{8} GMT[+-]\d{4} \(\w+\)", content["text"])
    assert content["tpl"] == content["text"] and content["bad"] == "Invalid Date"
    assert content["iso"] == "2024-05-01T12:30:05.000Z"


def test_date_called_as_a_function_and_the_rest_of_date_still_work() -> None:
    script = inline("""class Script { process_incoming_request() {
      const d = new Date(0);
      return { content: { text: Date(), instance: d instanceof Date, tag: Object.prototype.toString.call(d),
                          utc: Date.UTC(2020, 0, 1), now: typeof Date.now(), parsed: Date.parse('2020-01-01T00:00:00Z'),
                          moment: moment.utc(0).format('YYYY-MM-DD'), json: JSON.stringify({ d }) } };
    } }""")
    content = incoming(script)["content"]
    assert re.fullmatch(r"\w{3} \w{3} \d\d \d{4} [\d:]{8} GMT[+-]\d{4} \(.+\)", content["text"])
    assert content["instance"] is True and content["tag"] == "[object Date]"
    assert content["utc"] == content["parsed"] == 1577836800000 and content["now"] == "number"
    assert content["moment"] == "1970-01-01" and content["json"] == '{"d":"1970-01-01T00:00:00.000Z"}'


def test_store_hands_out_the_stored_object_as_rocket_chat_does() -> None:
    store = ScriptStore()
    script = load("store_shared.js", ScriptEnv("store", store=store))
    assert incoming(script, {"version": "1.0", "by": "ann"})["content"]["text"] == "deploys: 1.0"
    assert incoming(script, {"version": "1.1", "by": "bob"})["content"]["text"] == "deploys: 1.0, 1.1"
    assert store.snapshot() == {"deploys": {"list": ["1.0", "1.1"]}, "last": {"version": "1.1", "by": "bob"}}
    # another instance (a reload, another worker) sees the changes made in place
    fresh = load("store_shared.js", ScriptEnv("store", store=store))
    assert incoming(fresh, {"version": "2.0", "by": "cy"})["content"]["text"] == "deploys: 1.0, 1.1, 2.0"
    # the host changing the Store (another worker) replaces what the script holds
    store.set("deploys", {"list": ["9"]})
    assert incoming(fresh, {"version": "9.1", "by": "dee"})["content"]["text"] == "deploys: 9, 9.1"


def test_store_values_that_are_not_json_keep_the_last_json_value() -> None:
    store = ScriptStore()
    script = inline("""class Script { process_incoming_request() {
      const o = Store.set('o', { n: 1 });
      o.self = o;  // a cycle cannot be saved: the last JSON value stays
      return { content: { text: 'ok' } };
    } }""", ScriptEnv("cyc", store=store))
    assert incoming(script)["content"]["text"] == "ok"
    assert store.snapshot() == {"o": {"n": 1}}


def test_console_has_the_rest_of_nodes_console() -> None:
    env = ScriptEnv("console")
    script = inline("""class Script { process_incoming_request() {
      console.log('%s pushed %d commit(s) %j', 'ann', 3, { ref: 'main' }, 'extra');
      console.log('100%% done');
      console.assert(1 === 2, 'math', 'broke');
      console.assert(true, 'never shown');
      console.count(); console.count(); console.count('x');
      console.time('t'); console.timeEnd('t');
      console.table([1, 2]); console.group('g'); console.groupEnd();
      return { content: { text: 'ok' } };
    } }""", env)
    incoming(script)
    got = [(r.level, r.message) for r in env.console.take()]
    assert got[:6] == [("log", 'ann pushed 3 commit(s) {"ref":"main"} extra'), ("log", "100% done"),
                       ("error", "Assertion failed: math broke"), ("info", "default: 1"), ("info", "default: 2"),
                       ("info", "x: 1")]
    assert re.fullmatch(r"t: \d+ms", got[6][1])
    assert [level for level, _ in got[7:]] == ["log", "log"]


def test_stack_helpers_map_raw_quickjs_frames() -> None:
    raw = f"SyntaxError: unexpected token\n    at <input>:{LINE_OFFSET + 3}:5\n    at <input>:12:1"
    assert clean_stack(raw, "a.js") == "SyntaxError: unexpected token\n    at a.js:3:5"
    assert error_line(raw, "1\n2\n3\n4", "a.js") == 3
    assert error_line("Error: x\n    at f (a.js:2:1)", "1\n2", "a.js") == 2
    assert error_line("no place", "", "a.js") is None
    doubled = "TypeError: x\nTypeError: x\n    at f (a.js:1:1)"
    assert clean_stack(doubled, "a.js") == "TypeError: x\n    at f (a.js:1:1)"


def test_compile_errors_name_the_scripts_line() -> None:
    with pytest.raises(ScriptCompileError) as caught:
        ENGINE.check("class Script {\n  process_incoming_request() {\n    return {;\n  }\n}", "broken.js")
    assert caught.value.line == 3 and "broken.js:3:" in str(caught.value)
