"""hookhub.sandbox.host: ScriptHost driven directly with the real Python engine (no sandbox around it)."""

from __future__ import annotations

import decimal
import signal
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest

from hookhub import ext
from hookhub.engines.base import ScriptEnv, ScriptStore
from hookhub.engines.python import PythonEngine
from hookhub.errors import ScriptCompileError
from hookhub.plugins import make_plugin_manager
from hookhub.records import Limits, LogRecord
from hookhub.sandbox.base import ScriptSpec
from hookhub.sandbox.host import RunResult, ScriptHost, ScriptTimeout, plugin_globals

from .scripts import COUNTER

METHOD = "process_incoming_request"

#: fails in the way ``request.content.fail`` names, else counts its calls in ``self``
FAILING = """
class Script:
    def __init__(self):
        self.calls = 0

    def process_incoming_request(self, request):
        self.calls += 1
        how = request.content.fail
        if how == 'raise':
            raise ValueError('boom')
        if how == 'memory':
            raise MemoryError()
        if how == 'recursion':
            def down(n):
                return down(n + 1)
            return down(0)
        if how == 'result':
            return {1, 2}
        if how == 'spin':
            while True:
                pass
        return self.calls
"""


def spec(source: str, integration_id: str = "it", filename: str = "it.py", engine: str = "python",
         **limits: Any) -> ScriptSpec:
    return ScriptSpec(integration_id, engine, textwrap.dedent(source), filename, Limits(**limits))


def req(**content: object) -> dict[str, object]:
    return {"request": {"content": content}}


@pytest.fixture(autouse=True)
def _keep_decimal_context() -> Iterator[None]:
    """ScriptHost.call resets the thread's decimal context: give the test's back afterwards."""
    saved = decimal.getcontext()
    yield
    decimal.setcontext(saved)


@pytest.fixture
def host() -> ScriptHost:
    return ScriptHost({"python": PythonEngine()})


# -- loading and calling ----------------------------------------------------


def test_call_returns_the_json_value_and_the_changed_store(host: ScriptHost) -> None:
    store = ScriptStore({"total": 5})
    result = host.call(spec(COUNTER), METHOD, req(n=2), store)
    assert isinstance(result, RunResult)
    assert result.ok and result.reason is None
    assert result.value == {"calls": 1, "total": 7}
    assert result.store == {"total": 7}
    assert store.snapshot() == {"total": 7}, "the script wrote to the Store it was given"


def test_store_is_none_when_the_call_changed_nothing(host: ScriptHost) -> None:
    result = host.call(spec("""
        class Script:
            def process_incoming_request(self, request):
                Store.set('same', 1)
                return Store.get('same')
    """), METHOD, req(), ScriptStore({"same": 1}))
    assert result.ok and result.value == 1
    assert result.store is None


def test_the_instance_is_created_once_and_kept_across_calls(host: ScriptHost) -> None:
    store = ScriptStore()
    values = [host.call(spec(COUNTER), METHOD, req(n=1), store).value for _ in range(3)]
    assert [v["calls"] for v in values] == [1, 2, 3]
    assert [v["total"] for v in values] == [1, 2, 3]


def test_an_equal_spec_object_reuses_the_instance(host: ScriptHost) -> None:
    """The cache is keyed by integration id and digest, not by the spec object."""
    host.call(spec(COUNTER), METHOD, req(), ScriptStore())
    assert host.call(spec(COUNTER), METHOD, req(), ScriptStore()).value["calls"] == 2


def test_a_digest_change_recreates_the_instance_and_the_store_is_kept(host: ScriptHost) -> None:
    store = ScriptStore()
    host.call(spec(COUNTER), METHOD, req(n=2), store)
    host.call(spec(COUNTER), METHOD, req(n=3), store)
    edited = spec(COUNTER + "\n# edited\n")
    assert edited.digest != spec(COUNTER).digest
    result = host.call(edited, METHOD, req(n=1), store)
    assert result.value == {"calls": 1, "total": 6}, "new instance (calls reset), same Store (total kept)"


def test_a_limits_change_alone_recreates_the_instance(host: ScriptHost) -> None:
    host.call(spec(COUNTER), METHOD, req(), ScriptStore())
    assert host.call(spec(COUNTER, timeout_ms=1234), METHOD, req(), ScriptStore()).value["calls"] == 1


def test_each_call_sees_the_store_it_is_given(host: ScriptHost) -> None:
    """Same digest: the kept instance is rebound to this call's Store, the previous one is left alone."""
    first, second = ScriptStore({"total": 100}), ScriptStore({"total": 1})
    assert host.call(spec(COUNTER), METHOD, req(n=1), first).value == {"calls": 1, "total": 101}
    assert host.call(spec(COUNTER), METHOD, req(n=1), second).value == {"calls": 2, "total": 2}
    assert first.snapshot() == {"total": 101}
    assert second.snapshot() == {"total": 2}


def test_integrations_get_separate_instances(host: ScriptHost) -> None:
    host.call(spec(COUNTER, "a"), METHOD, req(), ScriptStore())
    host.call(spec(COUNTER, "a"), METHOD, req(), ScriptStore())
    assert host.call(spec(COUNTER, "b"), METHOD, req(), ScriptStore()).value["calls"] == 1
    assert host.call(spec(COUNTER, "a"), METHOD, req(), ScriptStore()).value["calls"] == 3


def test_forget_drops_the_instance_and_ignores_unknown_ids(host: ScriptHost) -> None:
    host.call(spec(COUNTER), METHOD, req(), ScriptStore())
    host.call(spec(COUNTER), METHOD, req(), ScriptStore())
    host.forget("it")
    host.forget("never-loaded")
    assert host.call(spec(COUNTER), METHOD, req(), ScriptStore()).value["calls"] == 1


def test_kwargs_reach_the_method_by_name(host: ScriptHost) -> None:
    result = host.call(spec("""
        class Script:
            def prepare_outgoing_request(self, request, extra):
                return {'url': request.url, 'extra': extra}
    """), "prepare_outgoing_request", {"request": {"url": "https://x.test/"}, "extra": [1, 2]}, ScriptStore())
    assert result.ok and result.value == {"url": "https://x.test/", "extra": [1, 2]}


# -- engines --------------------------------------------------------------


def test_engine_returns_the_named_engine() -> None:
    python = PythonEngine()
    host = ScriptHost({"python": python})
    assert host.engine(spec(COUNTER)) is python


def test_unknown_engine_raises_script_compile_error_listing_the_available_ones() -> None:
    host = ScriptHost({"python": PythonEngine(), "lua": PythonEngine()})
    with pytest.raises(ScriptCompileError) as info:
        host.engine(spec("", filename="x.cob", engine="cobol"))
    assert str(info.value) == "x.cob: unknown script engine 'cobol'; available: lua, python"
    assert info.value.filename == "x.cob" and info.value.line is None
    with pytest.raises(ScriptCompileError, match="unknown script engine 'python'; available: none"):
        ScriptHost({}).engine(spec(COUNTER))


def test_a_call_with_an_unknown_engine_fails_with_a_reason_instead_of_raising(host: ScriptHost) -> None:
    result = host.call(spec("", filename="x.cob", engine="cobol"), METHOD, req(), ScriptStore())
    assert not result.ok
    assert result.reason == "error-evaluating-script: x.cob: unknown script engine 'cobol'; available: python"
    assert result.logs == [] and result.store is None


def test_globals_for_is_asked_once_per_instance_with_the_id_and_engine() -> None:
    asked: list[tuple[str, str]] = []

    def globals_for(integration_id: str, engine: str) -> dict[str, Any]:
        asked.append((integration_id, engine))
        return {"shout": lambda text: text.upper() + "!"}

    host = ScriptHost({"python": PythonEngine()}, globals_for)
    source = """
        class Script:
            def process_incoming_request(self, request):
                return shout(request.content.text)
    """
    assert host.call(spec(source), METHOD, req(text="hi"), ScriptStore()).value == "HI!"
    assert host.call(spec(source), METHOD, req(text="yo"), ScriptStore()).value == "YO!"
    assert asked == [("it", "python")]
    host.call(spec(source + "\n# v2\n"), METHOD, req(text="x"), ScriptStore())
    assert asked == [("it", "python"), ("it", "python")], "a new instance asks again"


def test_without_globals_for_scripts_get_no_extra_names(host: ScriptHost) -> None:
    result = host.call(spec("""
        class Script:
            def process_incoming_request(self, request):
                return shout('x')
    """), METHOD, req(), ScriptStore())
    assert not result.ok and result.reason is not None
    assert result.reason.endswith("NameError: name 'shout' is not defined")


# -- plugin_globals -------------------------------------------------------


class _First:
    @ext.hookimpl
    def hookhub_sandbox_globals(self, integration_id: str, engine: str) -> dict[str, Any]:
        return {"who": lambda: f"first {integration_id} {engine}", "only_first": lambda: 1}


class _Second:
    @ext.hookimpl
    def hookhub_sandbox_globals(self, integration_id: str, engine: str) -> dict[str, Any] | None:
        return {"who": lambda: f"second {integration_id} {engine}"} if integration_id != "quiet" else None


def test_plugin_globals_is_none_without_any_implementation() -> None:
    assert plugin_globals(make_plugin_manager()) is None


def test_plugin_globals_merges_every_plugin_the_later_registered_winning() -> None:
    globals_for = plugin_globals(make_plugin_manager(extra=[_First(), _Second()]))
    assert globals_for is not None
    merged = globals_for("gh", "python")
    assert set(merged) == {"who", "only_first"}
    assert merged["who"]() == "second gh python" and merged["only_first"]() == 1
    assert globals_for("quiet", "javascript")["who"]() == "first quiet javascript", "a None answer is skipped"


def test_plugin_globals_reach_a_script_through_the_host() -> None:
    host = ScriptHost({"python": PythonEngine()}, plugin_globals(make_plugin_manager(extra=[_First()])))
    result = host.call(spec("""
        class Script:
            def process_incoming_request(self, request):
                return who()
    """, "gh"), METHOD, req(), ScriptStore())
    assert result.ok and result.value == "first gh python"


# -- logs -------------------------------------------------------------------


def test_logs_are_the_console_records_of_this_call_only(host: ScriptHost) -> None:
    source = """
        console.log('module body')
        class Script:
            def __init__(self):
                console.info('constructed')
            def process_incoming_request(self, request):
                console.log('text', {'n': request.content.n})
                console.warn('careful')
                return 1
    """
    first = host.call(spec(source), METHOD, req(n=1), ScriptStore())
    assert all(isinstance(r, LogRecord) for r in first.logs)
    assert [(r.level, r.message) for r in first.logs] == [
        ("log", "module body"), ("info", "constructed"), ("log", 'text {"n": 1}'), ("warn", "careful")]
    second = host.call(spec(source), METHOD, req(n=2), ScriptStore())
    assert [(r.level, r.message) for r in second.logs] == [("log", 'text {"n": 2}'), ("warn", "careful")]


def test_logs_are_kept_when_the_call_fails(host: ScriptHost) -> None:
    result = host.call(spec("""
        class Script:
            def process_incoming_request(self, request):
                console.error('about to fail')
                raise ValueError('boom')
    """), METHOD, req(), ScriptStore())
    assert not result.ok
    assert [(r.level, r.message) for r in result.logs] == [("error", "about to fail")]


def test_console_output_is_capped_per_call_by_max_log_bytes(host: ScriptHost) -> None:
    source = """
        class Script:
            def process_incoming_request(self, request):
                for i in range(request.content.n):
                    console.log('x' * 30)
                return 1
    """
    result = host.call(spec(source, max_log_bytes=100), METHOD, req(n=10), ScriptStore())
    assert [r.message for r in result.logs] == ["x" * 30] * 3 + [
        "console output truncated: more than 100 bytes in one call"]
    assert result.logs[-1].level == "warn"
    again = host.call(spec(source, max_log_bytes=100), METHOD, req(n=2), ScriptStore())
    assert [r.message for r in again.logs] == ["x" * 30] * 2, "the cap starts again with each call"


def test_console_output_before_a_failing_constructor_is_reported(host: ScriptHost) -> None:
    result = host.call(spec("""
        console.log('loading')
        class Script:
            def __init__(self):
                console.log('connecting')
                raise ValueError('no config')
    """), METHOD, req(), ScriptStore())
    assert not result.ok and result.reason is not None and "ValueError: no config" in result.reason
    assert [r.message for r in result.logs] == ["loading", "connecting"]


# -- failures: reasons, and which ones drop the instance ---------------------


def test_a_missing_method_is_a_reason_naming_the_method_and_file(host: ScriptHost) -> None:
    result = host.call(spec(COUNTER, filename="gh.py"), "prepare_outgoing_request", {"request": {}}, ScriptStore())
    assert not result.ok
    assert result.reason == ("the script's class Script has no method prepare_outgoing_request(); define "
                             "`def prepare_outgoing_request(self, **kwargs)` in gh.py")
    assert host.call(spec(COUNTER, filename="gh.py"), METHOD, req(), ScriptStore()).value["calls"] == 1


def test_a_raising_script_gets_its_traceback_and_keeps_its_instance(host: ScriptHost) -> None:
    failing = spec(FAILING, filename="hook.py")
    assert host.call(failing, METHOD, req(), ScriptStore()).value == 1
    result = host.call(failing, METHOD, req(fail="raise"), ScriptStore())
    assert not result.ok and result.reason is not None
    assert result.reason.startswith("Traceback (most recent call last):")
    assert 'File "hook.py", line 10, in process_incoming_request' in result.reason
    assert result.reason.endswith("ValueError: boom")
    assert "hookhub" not in result.reason
    assert host.call(failing, METHOD, req(), ScriptStore()).value == 3, "the instance was kept"


def test_a_result_that_is_not_json_is_a_reason_and_keeps_the_instance(host: ScriptHost) -> None:
    assert host.call(spec(FAILING), METHOD, req(), ScriptStore()).value == 1
    result = host.call(spec(FAILING), METHOD, req(fail="result"), ScriptStore())
    assert not result.ok and result.reason is not None and "the script returned a set at result" in result.reason
    assert host.call(spec(FAILING), METHOD, req(), ScriptStore()).value == 3


def test_a_result_larger_than_max_output_bytes_fails(host: ScriptHost) -> None:
    result = host.call(spec("""
        class Script:
            def process_incoming_request(self, request):
                return 'x' * 500
    """, max_output_bytes=100), METHOD, req(), ScriptStore())
    assert not result.ok and result.reason is not None and "more than the limit of 100" in result.reason


def test_running_out_of_memory_names_the_limit_and_drops_the_instance(host: ScriptHost) -> None:
    limited = spec(FAILING, memory_mb=64, own="memory_mb")
    assert host.call(limited, METHOD, req(), ScriptStore()).value == 1
    result = host.call(limited, METHOD, req(fail="memory"), ScriptStore())
    assert not result.ok and result.reason == "the script ran out of memory (the integration's memory_mb=64)"
    assert host.call(limited, METHOD, req(), ScriptStore()).value == 1, "re-created after MemoryError"


def test_too_deep_recursion_is_said_and_drops_the_instance(host: ScriptHost) -> None:
    assert host.call(spec(FAILING), METHOD, req(), ScriptStore()).value == 1
    result = host.call(spec(FAILING), METHOD, req(fail="recursion"), ScriptStore())
    assert not result.ok and result.reason is not None
    assert result.reason.endswith("RecursionError: maximum recursion depth exceeded\n(recursion too deep)")
    assert host.call(spec(FAILING), METHOD, req(), ScriptStore()).value == 1


def test_a_script_timeout_raised_by_a_real_alarm_is_a_timeout_reason_and_drops_the_instance(
        host: ScriptHost) -> None:
    """The worker's mechanism: SIGALRM raising ScriptTimeout inside the script's frames."""
    def alarm(signum: int, frame: Any) -> None:
        raise ScriptTimeout()

    limited = spec(FAILING, timeout_ms=250)
    assert host.call(limited, METHOD, req(), ScriptStore()).value == 1
    previous = signal.signal(signal.SIGALRM, alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.25)
        result = host.call(limited, METHOD, req(fail="spin"), ScriptStore())
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert not result.ok and result.reason == "the script timed out after 250 ms (sandbox.timeout_ms)"
    assert host.call(limited, METHOD, req(), ScriptStore()).value == 1, "re-created after the timeout"


def test_a_script_whose_module_defines_no_script_class_is_an_evaluation_error(host: ScriptHost) -> None:
    result = host.call(spec("x = 1\n", filename="empty.py"), METHOD, req(), ScriptStore())
    assert not result.ok and result.reason is not None
    assert result.reason.startswith("error-evaluating-script: empty.py: ")


def test_an_error_in_the_module_body_is_a_traceback_and_the_next_call_tries_again(host: ScriptHost) -> None:
    store = ScriptStore({"attempt": 0})
    source = """
        n = Store.get('attempt') + 1
        Store.set('attempt', n)
        if n == 1:
            raise RuntimeError('first load fails')
        class Script:
            def process_incoming_request(self, request):
                return Store.get('attempt')
    """
    result = host.call(spec(source, filename="body.py"), METHOD, req(), store)
    assert not result.ok and result.reason is not None
    assert 'File "body.py", line 5, in <module>' in result.reason
    assert result.reason.endswith("RuntimeError: first load fails")
    assert result.store is None, "a failed call reports no Store"
    assert host.call(spec(source, filename="body.py"), METHOD, req(), store).value == 2


def test_an_exception_whose_message_cannot_be_rendered_still_gives_a_reason(host: ScriptHost) -> None:
    result = host.call(spec("""
        class Hostile(Exception):
            def __str__(self):
                raise ValueError('no message for you')

        class Script:
            def process_incoming_request(self, request):
                raise Hostile()
    """), METHOD, req(), ScriptStore())
    assert not result.ok and result.reason is not None
    assert result.reason.startswith("Traceback (most recent call last):")
    assert "Hostile" in result.reason and "no message for you" not in result.reason


class _NoName(type):
    """A metaclass whose classes cannot say their qualified name: the traceback cannot be formatted."""

    def __getattribute__(cls, name: str) -> Any:
        if name == "__qualname__":
            raise RuntimeError("no name")
        return super().__getattribute__(name)


class _BrokenEngine:
    """An engine whose instances raise an exception the traceback formatter itself fails on."""

    name = "broken"
    extensions = (".b",)

    class _Instance:
        def has_method(self, name: str) -> bool:
            return True

        def call(self, method: str, kwargs: dict[str, Any]) -> Any:
            class Unprintable(Exception, metaclass=_NoName):
                pass
            raise Unprintable("secret")

    def check(self, source: str, filename: str) -> None:
        pass

    def instantiate(self, source: str, filename: str, env: ScriptEnv) -> Any:
        return self._Instance()


def test_a_reason_is_given_even_when_the_traceback_cannot_be_formatted() -> None:
    host = ScriptHost({"broken": _BrokenEngine()})  # type: ignore[dict-item]
    result = host.call(spec("", filename="x.b", engine="broken"), METHOD, req(), ScriptStore())
    assert not result.ok
    assert result.reason == "Unprintable (its message could not be rendered)"


# -- decimal context -------------------------------------------------------


def test_a_decimal_context_left_behind_by_one_call_does_not_reach_the_next(host: ScriptHost) -> None:
    leaky = """
        import decimal
        class Script:
            def process_incoming_request(self, request):
                def inside():
                    with decimal.localcontext(decimal.Context(prec=3)):
                        yield 1
                self.suspended = inside()
                next(self.suspended)
                return str(decimal.Decimal(1) / decimal.Decimal(7))
    """
    plain = """
        import decimal
        class Script:
            def process_incoming_request(self, request):
                return str(decimal.Decimal(1) / decimal.Decimal(7))
    """
    assert host.call(spec(leaky, "leaky"), METHOD, req(), ScriptStore()).value == "0.143"
    assert host.call(spec(plain, "other"), METHOD, req(), ScriptStore()).value == "0.1428571428571428571428571429"


# -- HTTP --------------------------------------------------------------------


HTTP_SCRIPT = """
class Script:
    def process_incoming_request(self, request):
        return HTTP('POST', 'https://api.test/x', {'data': {'n': request.content.n}})
"""


def test_http_calls_the_function_given_with_this_call(host: ScriptHost) -> None:
    seen: list[tuple[str, str, Any, str]] = []

    def via(tag: str) -> Any:
        def http(method: str, url: str, options: dict[str, Any] | None) -> dict[str, Any]:
            seen.append((method, url, options, tag))
            return {"result": {"statusCode": 200, "tag": tag}}
        return http

    first = host.call(spec(HTTP_SCRIPT), METHOD, req(n=1), ScriptStore(), via("one"))
    second = host.call(spec(HTTP_SCRIPT), METHOD, req(n=2), ScriptStore(), via("two"))
    assert first.value == {"result": {"statusCode": 200, "tag": "one"}}
    assert second.value == {"result": {"statusCode": 200, "tag": "two"}}, "the kept instance uses the new function"
    assert seen == [("POST", "https://api.test/x", {"data": {"n": 1}}, "one"),
                    ("POST", "https://api.test/x", {"data": {"n": 2}}, "two")]


def test_without_http_the_script_has_no_http_global(host: ScriptHost) -> None:
    result = host.call(spec(HTTP_SCRIPT), METHOD, req(n=1), ScriptStore())
    assert not result.ok and result.reason is not None
    assert result.reason.endswith("NameError: name 'HTTP' is not defined")
