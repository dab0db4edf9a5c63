"""hookhub.engines.js_source: wrapping a script for QuickJS, compiling it unrun, and telling errors back."""

from __future__ import annotations

import pytest
import quickjs

from hookhub.engines.js_source import (
    LINE_OFFSET,
    Wrapped,
    clean_stack,
    compile_script,
    error_line,
    runtime_sources,
    uses_host_calls,
    zone,
)
from hookhub.errors import ScriptCompileError

SCRIPT = "class Script {\n  process_incoming_request({ request }) { return { content: { text: 'hi' } }; }\n}\n"


def compile_error(source: str, filename: str = "bad.js") -> ScriptCompileError:
    with pytest.raises(ScriptCompileError) as caught:
        compile_script(quickjs.Context().eval, source, filename)
    return caught.value


def test_a_plain_script_compiles_as_global_code_starting_after_the_offset() -> None:
    wrapped = compile_script(quickjs.Context().eval, SCRIPT, "ok.js")
    assert isinstance(wrapped, Wrapped)
    assert not wrapped.as_function and wrapped.declared == []
    lines = wrapped.code.split("\n")
    # QuickJS numbers lines from 1: the script's line L is LINE_OFFSET + L
    assert lines[LINE_OFFSET] == SCRIPT.split("\n")[0]
    assert lines[LINE_OFFSET - 1].startswith("with (")
    assert wrapped.guarded().startswith("throw ") and wrapped.guarded().endswith(wrapped.code)


def test_a_top_level_return_is_compiled_as_a_function_body() -> None:
    source = "var count = 0;\nvar Script = class { process_incoming_request() { return count; } };\nreturn Script;\n"
    wrapped = compile_script(quickjs.Context().eval, source, "fn.js")
    assert wrapped.as_function
    assert wrapped.declared == ["Script", "count"]  # `var` names: the scope proxy must not claim them
    assert Wrapped(source, False).declared == []  # global code declares nothing locally


def test_syntax_errors_carry_the_scripts_file_and_line() -> None:
    error = compile_error("var a = 1;\nvar b = 2 +;\nclass Script {}\n")
    assert (error.filename, error.line) == ("bad.js", 2)
    assert error.message.startswith("SyntaxError")
    assert error.message.endswith("at bad.js:2:12")  # the script's own line and column
    assert "<input>" not in error.message and f"{LINE_OFFSET}" not in error.message
    assert str(error).startswith("bad.js:2:")
    assert compile_error("class Script {\n  broken( {\n  }\n}\n").line == 4


def test_a_script_without_class_script_is_refused_with_no_line() -> None:
    error = compile_error("var a = 1;\nfunction notScript() {}\n")
    assert error.line is None
    assert "defines no `class Script`" in error.message
    compile_script(quickjs.Context().eval, "function Script() {}", "f.js")  # a constructor function counts
    compile_script(quickjs.Context().eval, "var Script = class {};", "v.js")


def test_compiling_runs_nothing_even_when_the_script_escapes_the_wrapper() -> None:
    ctx = quickjs.Context()
    ctx.set("flag", 0)
    ctx.eval("var __hookhub_scope = {};")  # so that the wrapped code would run if it were evaluated
    # closes `with (...) {` early and runs code outside it: valid syntax once wrapped
    compile_script(ctx.eval, "} flag = 1; { class Script {}", "escape.js")
    compile_script(ctx.eval, "flag = 2;\nclass Script {}", "body.js")
    assert ctx.get("flag") == 0


def test_clean_stack_renames_script_frames_and_drops_hookhubs_own() -> None:
    raw = "\n".join([
        "TypeError: cannot read property 'x' of undefined",
        f"    at process_incoming_request (<input>:{LINE_OFFSET + 7}:12)",
        f"    at helper (<input>:{LINE_OFFSET + 2})",
        "    at __hookhub_call (<input>:300:5)",
        "    at prelude (<input>:42:1)",
        "    at call (native)",
        "    at <eval> (<input>)",
    ]) + "\n"
    assert clean_stack(raw, "gh.js") == ("TypeError: cannot read property 'x' of undefined\n"
                                         "    at process_incoming_request (gh.js:7:12)\n"
                                         "    at helper (gh.js:2)")
    assert clean_stack("Error: plain", "gh.js") == "Error: plain"


def test_error_line_points_into_the_script_and_is_clamped() -> None:
    source = "a\nb\nc"
    assert error_line(f"x at <input>:{LINE_OFFSET + 2}:1", source, "s.js") == 2
    assert error_line(f"x at <input>:{LINE_OFFSET + 99}:1", source, "s.js") == 3  # past the end: last line
    assert error_line(f"x at <input>:{LINE_OFFSET - 5}:1", source, "s.js") == 1  # in the wrapper: first line
    assert error_line("Error\n    at f (s.js:2:4)", source, "s.js") == 2
    assert error_line("Error\n    at f (other.js:2:4)", source, "s.js") is None


def test_host_calls_runtime_sources_and_zone() -> None:
    assert uses_host_calls("const r = HTTP('GET', url);", {})
    assert uses_host_calls("await fetch(url)", {})
    assert not uses_host_calls("const HTTPS = 1; prefetch();", {})  # whole words only
    assert uses_host_calls("lookup(x)", {"lookup": print}) and not uses_host_calls("lookups(x)", {"lookup": print})
    sources, moment = runtime_sources()
    assert runtime_sources() is runtime_sources()  # read once
    assert len(sources) == 5 and all(sources) and "moment" in moment
    info = zone()
    assert set(info) == {"utc", "std", "dst"} and isinstance(info["utc"], bool) and info["std"]
