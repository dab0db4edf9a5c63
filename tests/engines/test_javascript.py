"""The JavaScript compatibility engine with Rocket.Chat-style scripts (tests/engines/js_scripts/)."""

from __future__ import annotations

import gc
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from hookhub.egress import perform
from hookhub.engines import javascript
from hookhub.engines.base import Console, ScriptEnv, ScriptStore
from hookhub.engines.javascript import JavaScriptEngine, JavaScriptScript
from hookhub.errors import ScriptCompileError, ScriptRunError
from hookhub.plugins import engines, make_plugin_manager
from hookhub.request import build_request, freeze
from hookhub.sandbox.base import ScriptSpec
from hookhub.records import Limits
from hookhub.sandbox.inprocess import InProcessSandbox

from ..conftest import AUTH, integration, messages
from ..httpd import QuietHandler, base_url, serving

SCRIPTS = Path(__file__).with_name("js_scripts")
FIXTURES = SCRIPTS / "fixtures"

ENGINE = JavaScriptEngine()


def load(name: str, env: ScriptEnv | None = None, **kw: Any) -> JavaScriptScript:
    source = (SCRIPTS / name).read_text("utf-8")
    ENGINE.check(source, name)
    return ENGINE.instantiate(source, name, env or ScriptEnv(name), **kw)


def inline(source: str, env: ScriptEnv | None = None, **kw: Any) -> JavaScriptScript:
    return ENGINE.instantiate(source, "inline.js", env or ScriptEnv("inline"), **kw)


def request(content: Any = None, *, headers: dict[str, str] | None = None, raw: str | None = None) -> dict[str, Any]:
    content = {} if content is None else content
    return build_request(
        path="/hooks/test/tok", query_string="a=1", url_params={"integrationId": "test", "token": "tok"},
        headers=headers or {"Content-Type": "application/json"}, content=content,
        content_raw=json.dumps(content) if raw is None else raw, body=content,
        user={"_id": "u1", "name": "Rocket Cat", "username": "rocket.cat"},
    )


def incoming(script: JavaScriptScript, content: Any = None, **kw: Any) -> Any:
    return script.call("process_incoming_request", {"request": request(content, **kw)})


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text("utf-8"))


# -- registration ---------------------------------------------------------------------


def test_registered_as_a_default_plugin() -> None:
    found = engines(make_plugin_manager())
    assert isinstance(found["javascript"], JavaScriptEngine)
    assert found["javascript"].extensions == (".js",)
    assert "javascript" not in engines(make_plugin_manager(block=["javascript-engine"]))


# -- real-world style scripts -----------------------------------------------------------


def test_github_push() -> None:
    result = incoming(load("github.js"), fixture("push__new_branch_1_commit.json"),
                      headers={"X-GitHub-Event": "push"})
    content = result["content"]
    assert content["text"] == "Codertocat pushed 1 commit to Codertocat/Hello-World:master"
    assert content["alias"] == "GitHub"
    assert content["attachments"][0]["title"] == "New branch"
    assert content["attachments"][0]["text"] == (
        "[6113728](https://github.com/Codertocat/Hello-World/commit/6113728f27ae82c7b1a177c8d03f9e96e0adf246)"
        " Initial commit - Codertocat")


def test_github_pull_request_and_unsupported_event() -> None:
    script = load("github.js")
    content = incoming(script, fixture("pull_request__opened.json"),
                       headers={"X-GitHub-Event": "pull_request"})["content"]
    assert content["text"] == ("Pull request #2 opened by Codertocat: [Update the README with new information.]"
                               "(https://github.com/Codertocat/Hello-World/pull/2)")
    assert content["attachments"][0]["title"] == "changes → master"
    assert content["attachments"][0]["fields"][1] == {"title": "Changed files", "value": 1, "short": True}
    ignored = incoming(script, {"zen": "hi"}, headers={"X-GitHub-Event": "ping"})
    assert ignored["response"] == {"ignored": True}
    assert [r.message for r in script.env.console.take()] == ["ignoring GitHub event ping"]


def test_arguments_reach_javascript_whole_whatever_json_writes_them() -> None:
    # orjson writes the arguments, the standard library what orjson cannot (lone surrogates,
    # integers beyond 64 bits); JSON.parse in QuickJS reads the same values either way
    script = inline("""
        class Script {
          process_incoming_request({ request }) {
            const c = request.content;
            return { content: { text: [c.accent, c.emoji, c.quote, c.big, c.small, c.lone.length,
                                       c.lone.charCodeAt(0), typeof c.nested.list[2]].join("|") } };
          }
        }""")
    content = {"accent": "é\u2028", "emoji": "🪝", "quote": "\"\\\n", "big": 2**63, "small": 2.5e-07,
               "lone": "\ud800x", "nested": {"list": [None, True, 1.5]}}
    text = incoming(script, content)["content"]["text"]
    assert text == "é\u2028|🪝|\"\\\n|9223372036854776000|2.5e-7|2|55296|number"
    content["huge"] = 2**70  # beyond orjson: the standard library writes it
    assert incoming(script, content)["content"]["text"] == text
    with pytest.raises(ValueError, match="Out of range float"):
        incoming(script, {"nan": float("nan")})


def test_gitlab_merge_request_push_and_errors() -> None:
    script = load("gitlab.js")
    mr = incoming(script, fixture("merge_request_hook__opened.json"))["content"]
    assert mr["text"] == "Administrator opened merge request !1 in gitlabhq/gitlab-test"
    assert mr["attachments"][0]["text"].startswith("`ms-viewport` → `master`")
    assert mr["attachments"][0]["color"] == "#1aaa55"
    assert mr["emoji"] == ":gitlab:"
    push = incoming(script, fixture("push_hook__2_commits.json"))["content"]
    assert push["text"].startswith("Tomasz Kolek pushed 2 commits to [tomaszkolek0/my-awesome-project]")
    assert push["text"].endswith("branch `tomek`")
    assert push["attachments"][0]["text"].splitlines()[0].startswith("- [66abd2da](https://gitlab.com/")
    assert incoming(script, {"object_kind": "wiki_page"}) == {
        "error": {"success": False, "message": "unsupported GitLab event wiki_page"}}
    assert incoming(script, fixture("push_hook__2_commits.json"),
                    headers={"X-Gitlab-Token": "wrong"}) == {"error": "invalid X-Gitlab-Token"}


def test_grafana_unified_and_legacy() -> None:
    script = load("grafana.js")
    firing = incoming(script, fixture("unified_alerting__firing_3_alerts_v9.json"))["content"]
    assert firing["text"] == ":fire: 3 firing / 3 alerts (firing)"
    first = firing["attachments"][0]
    assert first["title"] == "Test alert on badhost.example.com"
    assert first["fields"] == [{"title": "Value", "value": 17, "short": True}]
    assert "title_link" in first or first.get("title_link") is None
    resolved = incoming(script, fixture("unified_alerting__resolved_v9.json"))["content"]
    assert resolved["text"] == ":white_check_mark: 0 firing / 1 alerts (resolved)"
    legacy = incoming(script, fixture("legacy_alerting__alerting_2_matches.json"))["content"]
    assert legacy["text"] == "[Alerting] Test notification\nSomeone is testing the alert notification within grafana."
    assert legacy["attachments"][0]["text"] == "High value: 100.0\nHigher Value: 200.0"


# -- language features ------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "data", "expected"), [
    ("template", {"name": "ann"}, "Hello ANN, 3 items"),
    ("arrows", {"numbers": [1, 2, 3]}, 10),
    ("spread", {"base": {"a": 1, "list": [1]}, "extra": {"b": 2, "list": [2]}},
     {"a": 1, "b": 2, "list": [1, 2]}),
    ("destructure", {"a": 1, "c": 3, "d": 4}, {"a": 1, "b": "default-b", "rest": {"c": 3, "d": 4}}),
    ("optional", {"user": {"profile": {}}}, ["no email", None, None]),
    ("regex", {"text": "Fix PROJ-123 costs $45.50 in 3 days"},
     {"project": "PROJ", "number": "123", "price": "45.50", "notAfterDollar": "Fix PROJ-# costs $45.# in # days"}),
    ("iterate", {"map": {"x": 1, "y": 2}, "dupes": [1, 1, 2]}, [1, 2, "x=1", "y=2"]),
    ("json", {"raw": '{"nested": {"value": [1, "two"]}}'}, [1, "two"]),
    ("dates", {}, "2026-11-26T08:30:00.000Z"),
])
def test_language_features(case: str, data: dict[str, Any], expected: Any) -> None:
    result = incoming(load("features.js"), {"case": case, **data})
    assert result["content"]["result"] == expected


def test_instance_is_kept_between_calls_and_request_is_fresh_json() -> None:
    script = load("features.js")
    incoming(script, {"case": "template", "name": "x"})
    assert incoming(script, {"case": "state"})["content"]["result"] == "features#2"
    frozen = freeze(request({"case": "request", "k": "v"}))
    echoed = script.call("process_incoming_request", {"request": frozen})["content"]["result"]
    assert echoed["url"]["query"] == {"a": "1"}
    assert echoed["content"] == {"case": "request", "k": "v"}
    assert echoed["user"]["username"] == "rocket.cat"


def test_request_mutation_does_not_leak_into_the_next_call() -> None:
    script = inline("""class Script { process_incoming_request({ request }) {
        const before = request.content.tag;
        request.content.tag = 'changed';
        return { content: { text: String(before) } };
    } }""")
    assert incoming(script, {"tag": "orig"})["content"]["text"] == "orig"
    assert incoming(script, {"tag": "orig"})["content"]["text"] == "orig"


def test_sloppy_mode_undeclared_variables() -> None:
    script = load("sloppy.js")
    content = incoming(script, {"items": [{"name": "tea", "amount": 3}, {"name": "cake", "amount": 4}],
                                "meta": {"a": 1, "z": 2}})["content"]
    assert content == {"text": "Order: tea, cake = 7", "doubled": 14, "lastKey": "z",
                       "neverAssigned": "undefined", "globalMsg": True}
    again = incoming(script, {"items": [{"name": "x", "amount": 1}], "meta": {}})["content"]
    assert again["text"] == "Order: x = 1"


def test_typeof_of_unknown_names_and_real_globals_still_work() -> None:
    script = inline("""class Script { process_incoming_request() {
        return { content: { text: [typeof Livechat, typeof JSON, typeof Math.max, typeof Script,
                                   typeof setTimeout].join(',') } };
    } }""")
    assert incoming(script)["content"]["text"] == "undefined,object,function,function,function"


def test_moment_is_available_and_loaded_on_first_use() -> None:
    script = inline("""class Script { process_incoming_request({ request }) {
        const started = moment.utc(request.content.at);
        return { content: { text: started.format('ddd D MMM YYYY, HH:mm'),
                            later: started.clone().add(90, 'minutes').toISOString(),
                            span: moment.duration(request.content.seconds, 'seconds').humanize(),
                            isMoment: moment.isMoment(started) } };
    } }""")
    assert incoming(script, {"at": "2026-11-26T08:30:00Z", "seconds": 7200})["content"] == {
        "text": "Thu 26 Nov 2026, 08:30", "later": "2026-11-26T10:00:00.000Z", "span": "2 hours",
        "isMoment": True}


def test_form_encoded_payload_read_from_content_raw() -> None:
    payload = {"text": "deploy done", "username": "ci", "icon_emoji": ":rocket:"}
    raw = "payload=" + quote(json.dumps(payload))
    result = incoming(load("slack_payload.js"), {}, raw=raw,
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert result == {"content": payload}
    # when the server already unwrapped payload= into content, the script uses it directly
    assert incoming(load("slack_payload.js"), payload) == {"content": payload}


# -- return values --------------------------------------------------------------------------


@pytest.mark.parametrize(("want", "expected"), [
    ("error-text", {"error": "this webhook is not welcome"}),
    ("error-object", {"error": {"success": False, "reason": "bad signature", "code": 4}}),
    ("undefined", None),
    ("nothing", None),
    ("null", None),
    ("false", False),
    ("zero", 0),
    ("empty-string", ""),
    ("empty-object", {}),
    ("channel", {"content": {"text": "moved", "channel": "#ops"}}),
    ("response", {"content": {"text": "with response"}, "response": {"id": 42}}),
    ("undefined-fields", {"content": {"text": "x", "attachments": [None, {"text": "a"}]}}),
    ("function", {"content": {"text": "x"}}),
    ("nan", {"content": {"text": "x", "n": None, "inf": None}}),
])
def test_return_values(want: str, expected: Any) -> None:
    assert incoming(load("returns.js"), {"want": want, "channel": "#ops"}) == expected


@pytest.mark.parametrize(("want", "message"), [
    ("bigint", "not JSON data: BigInt"),
    ("cycle", "not JSON data: circular reference"),
])
def test_results_that_are_not_json(want: str, message: str) -> None:
    with pytest.raises(ScriptRunError, match=message):
        incoming(load("returns.js"), {"want": want})


def test_thrown_error_carries_the_js_stack_with_file_and_line() -> None:
    with pytest.raises(ScriptRunError) as info:
        incoming(load("returns.js"), {"want": "what?"})
    reason = info.value.reason
    assert reason.startswith("returns.js: Script.process_incoming_request threw:\nError: unknown want what?")
    assert "at Script.process_incoming_request (returns.js:21:" in reason
    assert "<input>" not in reason and "__hookhub" not in reason


# -- globals ------------------------------------------------------------------------------------


def test_helpers_s_and_underscore() -> None:
    content = incoming(load("helpers.js"), {"text": "The quick brown fox"})["content"]
    assert content["s"] == {
        "truncate": "The quick ...", "truncateCustom": "The q [more]", "truncateShort": "short",
        "trim": "padded", "trimChars": "title", "ltrim": "left  ", "ltrimChars": "abcxx",
        "rtrim": "  right", "rtrimChars": "path", "capitalize": "Hello World",
        "capitalizeLower": "Hello world", "stripTags": "Hello bold world",
        "strLeft": "refs", "strLeftMissing": "nodelimiter", "strRight": "feature/x",
        "strRightMissing": "nodelimiter", "strRightBack": "x", "strLeftBack": "a.b",
        "numberFormat": "1,234,567.89", "numberFormatSeps": "1.234.567,89", "numberFormatInt": "1,000",
        "numberFormatNeg": "-9,876.5", "numberFormatBad": "", "pad": "00000001", "padRight": "1----",
        "padBoth": "**1**", "padLong": "toolong", "lrpad": "..ab..", "nulls": ["", "", ""],
        "escapeHTML": "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;",
        "truncateEmptyEnding": "ab...",
        "extras": ["a b", ["one", "two", "three"], "My Big-Title", "ababab", "x-x-x", 2, 2.56, '"q"',
                   True, True, "<&>"],
    }
    assert content["_"] == {
        "map": [10, 20, 30], "pluck": ["a", "b"], "groupBy": {"a": ["apple", "avocado"], "b": ["banana"]},
        "sortBy": [1, 2, 3], "uniq": [1, 2, 3], "pick": {"a": 1, "c": 3}, "keys": ["x", "y"],
        "isEmpty": [True, False], "template": "Hi Ann!", "escape": "&lt;b&gt;", "find": 5,
        "version": json.loads((Path(javascript.__file__).with_name("js") / "vendor" / "vendor.json")
                              .read_text())["underscore"]["version"],
    }


def test_a_script_may_define_its_own_moment() -> None:
    script = inline("""const moment = () => 'mine';
    class Script { process_incoming_request() { return { content: { text: moment() } }; } }""")
    assert incoming(script)["content"]["text"] == "mine"
    sloppy = inline("""class Script { process_incoming_request() {
        moment = () => 'assigned'; return { content: { text: moment() } }; } }""")
    assert incoming(sloppy)["content"]["text"] == "assigned"


def test_console_levels_and_rendering() -> None:
    env = ScriptEnv("logs")
    script = inline("""class Script { process_incoming_request({ request }) {
        console.log('plain', 1, true, null, undefined);
        console.info({ a: [1, 2] });
        console.warn('warned');
        console.error(new TypeError('bad thing'));
        console.debug(() => 1, Symbol('s'));
        return false;
    } }""", env)
    assert incoming(script) is False
    records = env.console.take()
    assert [(r.level, r.message) for r in records[:4]] == [
        ("log", "plain 1 True None undefined"),
        ("info", '{"a": [1, 2]}'),
        ("warn", "warned"),
        ("error", records[3].message),
    ]
    assert records[3].message.startswith("TypeError: bad thing\n    at Script.process_incoming_request (inline.js:5:")
    assert records[4].level == "debug" and records[4].message == "[Function] Symbol(s)"


def test_console_output_before_an_exception_is_kept() -> None:
    env = ScriptEnv("logs")
    script = inline("class Script { process_incoming_request() { console.log('step 1'); null.x; } }", env)
    with pytest.raises(ScriptRunError):
        incoming(script)
    assert [r.message for r in env.console.take()] == ["step 1"]


def test_console_is_capped_per_call() -> None:
    env = ScriptEnv("logs", console=Console(max_bytes=100))
    script = inline("class Script { process_incoming_request() { for (let i = 0; i < 50; i++) "
                    "console.log('line number ' + i); } }", env)
    incoming(script)
    records = env.console.take()
    assert records[-1].message.startswith("console output truncated")
    assert len(records) < 10


def test_store_across_calls_and_instances() -> None:
    store = ScriptStore()
    env = ScriptEnv("store", store=store)
    script = load("store_counter.js", env)
    assert incoming(script, {"from": "a"})["content"] == {"text": "call 1", "previous": None, "seen": 1}
    assert incoming(script, {"from": "b"})["content"] == {"text": "call 2", "previous": {"from": "a", "at": 1},
                                                          "seen": 2}
    assert store.snapshot() == {"count": 2, "last": {"from": "b", "at": 2}}
    assert [r.level for r in env.console.take()] == ["info", "info"]
    # the host may change the Store (another worker, a restart): the script sees it
    store.set("count", 40)
    assert incoming(script, {"from": "c"})["content"]["text"] == "call 41"
    # a new instance (reload) keeps the integration's Store
    fresh = load("store_counter.js", ScriptEnv("store", store=store))
    assert incoming(fresh, {"from": "d"})["content"] == {"text": "call 42", "previous": {"from": "c", "at": 41},
                                                         "seen": 1}


def test_store_set_returns_the_value_and_get_of_missing_is_undefined() -> None:
    script = inline("""class Script { process_incoming_request() {
        const v = Store.set('k', [1, { a: 2 }]);
        return { content: { text: 'x', v, missing: typeof Store.get('nope'), copy: Store.get('k') } };
    } }""")
    assert incoming(script)["content"] == {"text": "x", "v": [1, {"a": 2}], "missing": "undefined",
                                           "copy": [1, {"a": 2}]}


# -- HTTP() ---------------------------------------------------------------------------------------


class _ApiHandler(QuietHandler):
    def _answer(self) -> None:
        url = urlsplit(self.path)
        self.send_body(200, json.dumps({"path": url.path, "query": parse_qs(url.query), "method": self.command,
                                        "auth": self.headers.get("Authorization"),
                                        "body": self.request_body().decode() or None}).encode())

    do_GET = do_POST = _answer


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    with serving(_ApiHandler) as httpd:
        yield base_url(httpd)


def _http_env(allow_private: bool) -> ScriptEnv:
    return ScriptEnv("http", http=lambda method, url, options: perform(
        method, url, options, allow_hosts=["127.0.0.1"], allow_private=allow_private, timeout_s=5))


def test_http_against_a_local_server(api: str) -> None:
    script = load("http_lookup.js", _http_env(allow_private=True))
    content = incoming(script, {"api": api, "user": "ann"})["content"]
    assert content["status"] == 200
    assert content["echoed"] == {"path": "/users/ann", "query": {"expand": ["teams"]}, "method": "GET",
                                 "auth": "token abc", "body": None}
    assert json.loads(content["postedBody"]) == {"seen": "ann"}


def test_http_refused_by_the_egress_policy(api: str) -> None:
    env = _http_env(allow_private=False)
    content = incoming(load("http_lookup.js", env), {"api": api, "user": "ann"})["content"]
    assert content["text"].startswith("lookup failed: egress refused: host '127.0.0.1' resolves to 127.0.0.1")
    assert env.console.take()[0].level == "error"


def test_http_disabled_without_egress(api: str) -> None:
    content = incoming(load("http_lookup.js", ScriptEnv("nohttp")), {"api": api, "user": "ann"})["content"]
    assert content["text"] == "lookup failed: HTTP is disabled for this integration (http.allow_hosts)"


def test_http_helper_exceptions_are_reported_to_the_script() -> None:
    def broken(method: str, url: str, options: Any) -> dict[str, Any]:
        raise RuntimeError("parent unreachable")

    script = inline("class Script { process_incoming_request() { return { content: { text: "
                    "HTTP('GET', 'http://x/').error } }; } }", ScriptEnv("h", http=broken))
    assert incoming(script)["content"]["text"] == "RuntimeError: parent unreachable"


def test_scripts_without_host_calls_use_the_interrupt() -> None:
    assert load("github.js").interruptible is True
    assert load("http_lookup.js").interruptible is False


# -- async ---------------------------------------------------------------------------------------


def test_async_methods_are_awaited() -> None:
    script = load("async_enrich.js")
    assert incoming(script, {"id": 7})["content"] == {"text": "item-7: slow+fast", "order": ["fast", "slow"]}
    answered = script.call("process_outgoing_response",
                           {"request": {"url": "http://x/"}, "response": {"status_code": 201}})
    assert answered == {"content": {"text": "http://x/ answered 201"}}


def test_rejected_promise_is_a_run_error_with_stack() -> None:
    with pytest.raises(ScriptRunError) as info:
        load("async_enrich.js").call("prepare_outgoing_request", {"request": {"url": "http://x/"}})
    assert info.value.reason.startswith(
        "async_enrich.js: Script.prepare_outgoing_request rejected:\nTypeError: cannot prepare http://x/")
    assert "async_enrich.js:" in info.value.reason.split("\n", 2)[2]


def test_promise_that_never_settles() -> None:
    with pytest.raises(ScriptRunError, match="never settled"):
        load("hostile.js").call("never", {})


# -- limits -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "message"), [
    ("spin", "timed out after 200 ms"),
    ("spin_async", "timed out after 200 ms"),
    ("hog", "ran out of memory: memory_mb is 16"),
    ("hog_string", "string too long|memory_mb is 16"),
    ("recurse", "maximum call stack size"),
])
def test_runaway_scripts_are_contained_and_the_script_recovers(method: str, message: str) -> None:
    script = load("hostile.js", timeout_ms=200, memory_mb=16)
    assert incoming(script, {"n": 1}) == {"content": {"text": "still alive 1"}}
    started = time.monotonic()
    with pytest.raises(ScriptRunError, match=message):
        script.call(method, {})
    assert time.monotonic() - started < 2.0
    assert incoming(script, {"n": 2}) == {"content": {"text": "still alive 2"}}


def test_limits_can_be_changed() -> None:
    script = load("hostile.js", timeout_ms=5000)
    script.set_limits(timeout_ms=100, memory_mb=32)
    started = time.monotonic()
    with pytest.raises(ScriptRunError, match="timed out after 100 ms"):
        script.call("spin", {})
    assert time.monotonic() - started < 1.0


def test_timeout_without_the_interrupt_abandons_the_context() -> None:
    """A script that calls into Python (HTTP) runs without QuickJS's interrupt:
    the caller still gets its answer and the next call gets a fresh context."""
    script = inline("""class Script {
        process_incoming_request() { return { content: { text: 'fine' } }; }
        spin() { if (false) HTTP('GET', 'http://x/'); for (;;) {} }
    }""", timeout_ms=100)
    assert script.interruptible is False
    started = time.monotonic()
    with pytest.raises(ScriptRunError, match="abandoned"):
        script.call("spin", {})
    assert time.monotonic() - started < 2.0
    assert incoming(script) == {"content": {"text": "fine"}}


def test_top_level_loop_is_contained() -> None:
    with pytest.raises(ScriptRunError, match="evaluating the script: timed out"):
        inline("while (true) {}\nclass Script {}", timeout_ms=100)


# -- compile errors ---------------------------------------------------------------------------------


def test_syntax_error_names_file_and_line() -> None:
    with pytest.raises(ScriptCompileError) as info:
        ENGINE.check("class Script {\n  process_incoming_request({ request }) {\n    return {;\n  }\n}\n", "bad.js")
    assert info.value.filename == "bad.js"
    assert info.value.line == 3
    assert str(info.value).startswith("bad.js:3: SyntaxError")
    with pytest.raises(ScriptCompileError) as again:
        inline("class Script {\n  x( {\n}\n")
    assert again.value.line is not None


def test_missing_script_class() -> None:
    with pytest.raises(ScriptCompileError, match="defines no `class Script`"):
        ENGINE.check("const handler = () => 1;", "none.js")
    with pytest.raises(ScriptCompileError, match="defines no `class Script`"):
        inline("// class Script is only mentioned in a comment\nconst x = 1;")


def test_check_never_runs_the_script() -> None:
    """Even source that closes the engine's wrapper early cannot run during check."""
    started = time.monotonic()
    ENGINE.check("class Script {}\n} while (true) {} {", "escape.js")  # closes the global wrapper
    # a top-level `return` makes it a function body: closing that wrapper runs nothing either
    ENGINE.check("class Script {}\nreturn Script;\n}})(); while (true) {} (function () {{", "escape2.js")
    ENGINE.check("class Script {}\nwhile (true) {}", "toplevel.js")
    assert time.monotonic() - started < 0.5


def test_top_level_error_is_a_run_error() -> None:
    expected = r"evaluating the script failed:\nError: boom at load\n    at inline.js:2:11$"
    with pytest.raises(ScriptRunError, match=expected):
        inline("class Script {}\nthrow new Error('boom at load');")


def test_reading_an_undeclared_name_gives_undefined() -> None:
    """The price of the sloppy-mode scope (docs/javascript.md): a read of a name that
    was never assigned is `undefined` rather than a ReferenceError."""
    script = inline("class Script { process_incoming_request() { return { content: { text: String(nope) } }; } }")
    assert incoming(script)["content"]["text"] == "undefined"
    with pytest.raises(ScriptRunError, match="not a function\n    at Script.process_incoming_request"):
        inline("class Script { process_incoming_request() { nope(); } }").call("process_incoming_request", {})


def test_all_suite_scripts_compile() -> None:
    for path in sorted(SCRIPTS.glob("*.js")):
        ENGINE.check(path.read_text("utf-8"), path.name)


# -- threads, plugins' helpers, the sandbox -------------------------------------------------------------


def test_calls_from_many_threads_are_serialised_safely() -> None:
    script = load("features.js")
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for _ in range(20):
                result = incoming(script, {"case": "template", "name": f"t{n}"})
                assert result["content"]["result"] == f"Hello T{n}, 3 items"
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert incoming(script, {"case": "state"})["content"]["result"] == "features#81"


def test_extra_globals_from_plugins() -> None:
    def shout(text: str) -> str:
        return text.upper() + "!"

    def fail() -> None:
        raise ValueError("nope")

    script = inline("""class Script { process_incoming_request() {
        let caught;
        try { fail(); } catch (e) { caught = e.message; }
        return { content: { text: shout('hi'), caught } };
    } }""", extra_globals={"shout": shout, "fail": fail})
    assert incoming(script)["content"] == {"text": "HI!", "caught": "fail: ValueError: nope"}


def test_has_method_and_missing_method() -> None:
    script = load("async_enrich.js")
    assert script.has_method("process_incoming_request")
    assert script.has_method("prepare_outgoing_request")
    assert not script.has_method("constructor")
    with pytest.raises(ScriptRunError, match="no method 'nope'"):
        script.call("nope", {})


def test_close_releases_the_context() -> None:
    script = load("features.js")
    thread = script._thread._thread
    script.close()
    thread.join(2)
    assert not thread.is_alive()


async def test_through_the_in_process_sandbox() -> None:
    sandbox = InProcessSandbox({"javascript": ENGINE})
    source = (SCRIPTS / "returns.js").read_text("utf-8")
    await sandbox.load(ScriptSpec("rt", "javascript", source, "returns.js", Limits(timeout_ms=500)))
    try:
        ok = await sandbox.call("rt", "process_incoming_request", {"request": request({"want": "channel",
                                                                                        "channel": "#x"})})
        assert ok.ok and ok.value == {"content": {"text": "moved", "channel": "#x"}}
        failed = await sandbox.call("rt", "process_incoming_request", {"request": request({"want": "?"})})
        assert not failed.ok
        assert failed.reason is not None and "returns.js:21" in failed.reason
    finally:
        await sandbox.close()


# -- the HTTP contract, end to end through the app (CONTRACT §5, §6) ------------------------------------

def _js(id: str, script: str, **fields: Any) -> str:
    return integration(id, script, script_engine="javascript", **fields)


def test_contract_undefined_return_and_async(make_client: Any) -> None:
    script = """
    class Script {
      async process_incoming_request({ request }) {
        await null;
        if (request.content.skip) return undefined;
        return { content: { text: `async ${request.content.n}`, emoji: undefined } };
      }
    }
    """
    client = make_client(_js("asy", script, emoji=":robot:"))
    assert client.post("/hooks/asy/asy-token", json={"skip": True}).json() == {"success": True}
    assert client.post("/hooks/asy/asy-token", json={"n": 2}).json() == {"success": True}
    [posted] = messages(client)
    assert posted["text"] == "async 2" and posted["emoji"] == ":robot:"


def test_contract_throw_is_400_and_the_js_stack_goes_to_the_log(make_client: Any) -> None:
    script = """
    class Script {
      process_incoming_request({ request }) {
        const secretValue = request.content.missing.deeper;
      }
    }
    """
    client = make_client(_js("boom", script))
    r = client.post("/hooks/boom/boom-token", json={"text": "x"})
    assert (r.status_code, r.json()) == (400, {"success": False, "error": "error-running-script"})
    assert "TypeError" not in r.text
    logs = client.get("/api/v1/integrations/boom/logs", headers=AUTH).json()["logs"]
    assert logs[0]["level"] == "error"
    assert "TypeError: cannot read property 'deeper' of undefined" in logs[0]["message"]
    assert "at Script.process_incoming_request (" in logs[0]["message"] and ":3:" in logs[0]["message"]


def test_contract_compile_error_and_missing_class(make_client: Any) -> None:
    client = make_client(_js("bad", "class Script {\n  process_incoming_request({ request ) {}\n}\n"),
                         _js("noclass", "const x = 1;\n"), integration("plain"))
    for hook in ("bad", "noclass"):
        r = client.post(f"/hooks/{hook}/{hook}-token", json={"text": "x"})
        assert (r.status_code, r.json()) == (400, {"success": False, "error": "error-evaluating-script"})
    assert client.post("/hooks/plain/plain-token", json={"text": "x"}).status_code == 200
    listed = {i["id"]: i for i in client.get("/api/v1/integrations", headers=AUTH).json()["integrations"]}
    assert ":2" in listed["bad"]["compile_error"] and "SyntaxError" in listed["bad"]["compile_error"]
    assert listed["bad"]["engine"] == "javascript"


def test_contract_console_store_and_state_across_calls(make_client: Any) -> None:
    script = """
    class Script {
      constructor() { this.count = 0; }
      process_incoming_request({ request }) {
        this.count += 1;
        total = (Store.get('total') || 0) + 1;   // undeclared, as Rocket.Chat scripts do
        Store.set('total', total);
        console.log('call', this.count, { total });
        console.warn('careful');
        return { content: { text: `${this.count}/${total}` } };
      }
    }
    """
    client = make_client(_js("state", script))
    for _ in range(3):
        assert client.post("/hooks/state/state-token", json={}).status_code == 200
    assert [m["text"] for m in messages(client)] == ["3/3", "2/2", "1/1"]
    logs = client.get("/api/v1/integrations/state/logs", headers=AUTH).json()["logs"]
    assert (logs[0]["level"], logs[0]["message"]) == ("warn", "careful")
    assert (logs[1]["level"], logs[1]["message"]) == ("log", 'call 3 {"total": 3}')


def test_contract_channel_override(make_client: Any) -> None:
    script = """
    class Script {
      process_incoming_request({ request }) {
        return { content: { text: 'moved', channel: request.content.to } };
      }
    }
    """
    client = make_client(_js("fixed", script), _js("free", script, override_destination_channel=True))
    refused = client.post("/hooks/fixed/fixed-token", json={"to": "#notifications"})
    assert (refused.status_code, refused.json()) == (400, {
        "success": False, "error": "overriding destination channel is disabled for this integration"})
    assert client.post("/hooks/fixed/fixed-token", json={"to": "#general"}).status_code == 200
    assert client.post("/hooks/free/free-token", json={"to": "#notifications"}).status_code == 200
    assert [m["text"] for m in messages(client, "notifications")] == ["moved"]


def test_contract_form_encoded_payload(make_client: Any) -> None:
    script = """
    class Script {
      process_incoming_request({ request }) {
        return { content: { text: `${request.content.text} (${request.headers['content-type']})` } };
      }
    }
    """
    client = make_client(_js("form", script))
    payload = quote(json.dumps({"text": "from slack"}))
    r = client.post("/hooks/form/form-token", content=f"payload={payload}".encode(),
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200
    assert messages(client)[0]["text"] == "from slack (application/x-www-form-urlencoded)"


def test_a_dropped_script_frees_its_context_and_thread() -> None:
    script = inline("class Script { process_incoming_request() { return HTTP('GET', 'http://x/'); } }",
                    extra_globals={"helper": lambda: 1})
    thread = script._thread._thread
    del script
    gc.collect()
    thread.join(2)
    assert not thread.is_alive()


def test_without_threads_the_runtime_runs_on_the_calling_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sealed sandbox workers may refuse new threads: the engine then stays on the caller's thread."""
    def refuse(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    script = load("hostile.js", timeout_ms=200)
    assert incoming(script, {"n": 3}) == {"content": {"text": "still alive 3"}}
    with pytest.raises(ScriptRunError, match="timed out after 200 ms"):
        script.call("spin", {})
    assert incoming(script, {"n": 4}) == {"content": {"text": "still alive 4"}}
    script.close()


def test_contract_in_worker_processes_with_http_and_limits(make_client: Any, api: str) -> None:
    """The whole chain in the worker pool: HTTP() is forwarded to the server, which
    applies the egress policy; a runaway call is contained and the next call works."""
    script = """
    class Script {
      process_incoming_request({ request }) {
        if (request.content.spin) { for (;;) {} }
        const reply = HTTP('GET', request.content.api + '/users/' + request.content.user, {});
        if (reply.error) return { error: reply.error };
        return { content: { text: `${reply.result.data.path} via ${reply.result.data.method}` } };
      }
    }
    """
    client = make_client(
        _js("lookup", script, timeout_ms=500, http='{allow_hosts: ["127.0.0.1"], allow_private: true}'),
        _js("closed", script, http='{allow_hosts: ["127.0.0.1"]}'),
        mode="process")
    r = client.post("/hooks/lookup/lookup-token", json={"api": api, "user": "ann"})
    assert (r.status_code, r.json()) == (200, {"success": True})
    assert messages(client)[0]["text"] == "/users/ann via GET"
    refused = client.post("/hooks/closed/closed-token", json={"api": api, "user": "ann"})
    assert refused.status_code == 400
    assert refused.json()["error"].startswith("egress refused: host '127.0.0.1' resolves to 127.0.0.1 (loopback)")
    spun = client.post("/hooks/lookup/lookup-token", json={"spin": True})
    assert (spun.status_code, spun.json()) == (400, {"success": False, "error": "error-running-script"})
    again = client.post("/hooks/lookup/lookup-token", json={"api": api, "user": "bob"})
    assert again.status_code == 200


def test_es5_style_and_inherited_scripts() -> None:
    es5 = inline("""function Script() { this.n = 0; }
    Script.prototype.process_incoming_request = function (options) {
      this.n++;
      return { content: { text: 'es5 ' + this.n + ' ' + options.request.content.a } };
    };""")
    assert es5.has_method("process_incoming_request")
    assert incoming(es5, {"a": 1}) == {"content": {"text": "es5 1 1"}}
    inherited = inline("""class Base { helper(x) { return 'base:' + x; } }
    class Script extends Base {
      process_incoming_request({ request }) { return { content: { text: this.helper(request.content.a) } }; }
    }""")
    assert inherited.has_method("helper")
    assert incoming(inherited, {"a": 2}) == {"content": {"text": "base:2"}}
