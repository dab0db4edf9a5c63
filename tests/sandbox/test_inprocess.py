"""The in-process sandbox: the Sandbox interface around the Python engine."""

from __future__ import annotations

import asyncio
import textwrap
import time
from collections.abc import AsyncIterator

import pytest

from hookhub.engines.python import PythonEngine
from hookhub.errors import ScriptCompileError
from hookhub.sandbox import ScriptSpec, make_sandbox
from hookhub.records import Limits
from hookhub.sandbox.inprocess import InProcessSandbox

from .scripts import COUNTER

def spec(source: str, integration_id: str = "it", filename: str = "it.py", **limits: int) -> ScriptSpec:
    return ScriptSpec(integration_id, "python", textwrap.dedent(source), filename, Limits(**limits))


@pytest.fixture
async def sandbox() -> AsyncIterator[InProcessSandbox]:
    sb = make_sandbox("inprocess", {"python": PythonEngine()})
    assert isinstance(sb, InProcessSandbox)
    await sb.start()
    yield sb
    await sb.close()


def req(**content: object) -> dict[str, object]:
    return {"request": {"content": content}}


async def test_state_in_self_and_store_survives_calls(sandbox: InProcessSandbox) -> None:
    await sandbox.load(spec(COUNTER))
    first = await sandbox.call("it", "process_incoming_request", req(n=2))
    second = await sandbox.call("it", "process_incoming_request", req(n=3))
    assert first.ok and second.ok
    assert second.value == {"calls": 2, "total": 5}
    assert [(r.level, r.message) for r in second.logs] == [("log", "call 2")]
    assert second.duration_ms > 0


async def test_reload_recreates_the_instance_and_keeps_the_store(sandbox: InProcessSandbox) -> None:
    await sandbox.load(spec(COUNTER))
    await sandbox.call("it", "process_incoming_request", req(n=2))
    await sandbox.load(spec(COUNTER + "\n# edited\n"))
    out = await sandbox.call("it", "process_incoming_request", req(n=1))
    assert out.value == {"calls": 1, "total": 3}


async def test_compile_error_on_load_names_file_and_line(sandbox: InProcessSandbox) -> None:
    with pytest.raises(ScriptCompileError) as info:
        await sandbox.load(spec("import os\nclass Script:\n    pass\n", filename="bad.py"))
    assert str(info.value).startswith("bad.py:1: ")


async def test_unknown_engine_is_a_compile_error(sandbox: InProcessSandbox) -> None:
    with pytest.raises(ScriptCompileError, match="unknown script engine 'cobol'; available: python"):
        await sandbox.load(ScriptSpec("x", "cobol", "", "x.cob"))


async def test_traceback_names_the_script_file_and_line(sandbox: InProcessSandbox) -> None:
    await sandbox.load(spec("""
        class Script:
            def helper(self, d):
                return d['missing']

            def process_incoming_request(self, request):
                return self.helper({})
    """, filename="github.py"))
    out = await sandbox.call("it", "process_incoming_request", req())
    assert not out.ok and not out.saturated
    assert out.reason is not None
    assert 'File "github.py", line 7, in process_incoming_request' in out.reason
    assert 'File "github.py", line 4, in helper' in out.reason
    assert "return d['missing']" in out.reason
    assert out.reason.endswith("KeyError: 'missing'")
    assert "hookhub" not in out.reason  # only the script's own frames


async def test_missing_method_and_unknown_integration(sandbox: InProcessSandbox) -> None:
    await sandbox.load(spec(COUNTER))
    out = await sandbox.call("it", "prepare_outgoing_request", {"request": {}})
    assert not out.ok and out.reason is not None and "no method prepare_outgoing_request()" in out.reason
    out = await sandbox.call("nope", "process_incoming_request", req())
    assert not out.ok and out.reason == "integration 'nope' has no script loaded"


async def test_error_in_module_body_or_constructor_is_a_run_error(sandbox: InProcessSandbox) -> None:
    await sandbox.load(spec("x = 1 / 0\nclass Script:\n    pass\n", filename="body.py"))
    out = await sandbox.call("it", "process_incoming_request", req())
    assert not out.ok and out.reason is not None
    assert 'File "body.py", line 1' in out.reason and "ZeroDivisionError" in out.reason


@pytest.mark.parametrize(("body", "reason"), [
    ("return {1, 2}", "the script returned a set at result"),
    ("return {'v': float('nan')}", "NaN and Infinity are not JSON"),
    ("class S(str):\n    pass\nreturn {'content': {'text': S('x')}}", "S (a subclass of str) at result.content.text"),
    ("d = {}\nd['self'] = d\nreturn d", "contains itself (a cycle) at result.self"),
    ("return {1: 'x'}", "JSON object keys must be strings"),
    ("return 'x' * 5000", "more than the limit of 1000"),
])
async def test_results_are_checked_at_the_boundary(sandbox: InProcessSandbox, body: str, reason: str) -> None:
    source = "class Script:\n    def process_incoming_request(self, request):\n" + textwrap.indent(body, "        ")
    await sandbox.load(spec(source, max_output_bytes=1000))
    out = await sandbox.call("it", "process_incoming_request", req())
    assert not out.ok
    assert out.reason is not None and reason in out.reason


async def test_a_loop_is_stopped_by_the_timeout(sandbox: InProcessSandbox) -> None:
    await sandbox.load(spec("""
        class Script:
            def process_incoming_request(self, request):
                console.log('start')
                while True:
                    try:
                        pass
                    except Exception:
                        pass
    """, timeout_ms=200))
    started = time.monotonic()
    out = await sandbox.call("it", "process_incoming_request", req())
    assert time.monotonic() - started < 2
    assert not out.ok and out.reason == "the script timed out after 200 ms (sandbox.timeout_ms)"
    assert [r.message for r in out.logs] == ["start"]


async def test_calls_of_one_integration_are_serialised_and_capped(sandbox: InProcessSandbox) -> None:
    await sandbox.load(spec("""
        import time
        class Script:
            def process_incoming_request(self, request):
                end = time.monotonic() + 0.2
                while time.monotonic() < end:
                    pass
                return 1
    """, queue=1))
    outs = await asyncio.gather(*(sandbox.call("it", "process_incoming_request", req()) for _ in range(3)))
    assert sorted(o.ok for o in outs) == [False, True, True]
    saturated = [o for o in outs if not o.ok]
    assert saturated[0].saturated and "saturated" in (saturated[0].reason or "")


async def test_integrations_are_independent(sandbox: InProcessSandbox) -> None:
    await sandbox.load(spec(COUNTER, "a"))
    await sandbox.load(spec(COUNTER, "b"))
    await sandbox.call("a", "process_incoming_request", req(n=10))
    out = await sandbox.call("b", "process_incoming_request", req(n=1))
    assert out.value == {"calls": 1, "total": 1}
    await sandbox.unload("a")
    assert not (await sandbox.call("a", "process_incoming_request", req(n=1))).ok


def test_make_sandbox_refuses_unknown_kinds() -> None:
    with pytest.raises(ValueError, match="unknown sandbox kind 'thread'; use one of: inprocess, process"):
        make_sandbox("thread", {})


async def test_http_goes_through_the_egress_policy(sandbox: InProcessSandbox) -> None:
    source = textwrap.dedent("""
        class Script:
            def process_incoming_request(self, request):
                return HTTP('GET', 'http://127.0.0.1:9/none', {})
    """)
    await sandbox.load(ScriptSpec("web", "python", source, "web.py", allow_hosts=("example.org",)))
    out = await sandbox.call("web", "process_incoming_request", req())
    assert out.ok and "error" in out.value and "result" not in out.value  # refused: host not allowed
    await sandbox.load(ScriptSpec("none", "python", source, "none.py"))
    out = await sandbox.call("none", "process_incoming_request", req())
    assert not out.ok and "NameError" in (out.reason or "")
