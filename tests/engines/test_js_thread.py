"""hookhub.engines.js_thread: one thread runs every operation on a QuickJS runtime, and ends when released."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import quickjs

from hookhub.engines import js_thread
from hookhub.engines.js_thread import JsThread, release


def named(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == name]


def wait_gone(name: str, timeout: float = 5.0) -> None:
    for t in named(name):
        t.join(timeout)
    assert named(name) == [], f"thread {name} still running"


@pytest.fixture
def worker(request: pytest.FixtureRequest) -> Iterator[JsThread]:
    name = f"test-js-{request.node.name}"
    thread = JsThread(name)
    yield thread
    thread.stop(lambda: None)
    wait_gone(name)


def test_work_runs_on_the_named_daemon_thread_and_returns_its_result(worker: JsThread) -> None:
    seen = worker.run(threading.current_thread)
    assert seen is not threading.current_thread()
    assert seen.name.startswith("test-js-") and seen.daemon
    assert worker.run(lambda: 6 * 7) == 42
    assert worker.run(threading.current_thread) is seen  # always the same thread


def test_a_quickjs_context_lives_and_is_used_on_its_thread(worker: JsThread) -> None:
    box: dict[str, Any] = {}

    def create() -> None:
        box["ctx"] = quickjs.Context()
        box["ctx"].eval("var total = 0; function add(n) { total += n; return total; }")

    worker.run(create)
    assert [worker.run(functools.partial(box["ctx"].eval, f"add({n})")) for n in (1, 2, 3)] == [1, 3, 6]
    assert worker.run(lambda: box["ctx"].get("total")) == 6
    with pytest.raises(quickjs.JSException, match="boom"):
        worker.run(lambda: box["ctx"].eval("throw new Error('boom')"))
    worker.run(box.clear)


def test_exceptions_are_handed_back_to_the_caller(worker: JsThread) -> None:
    class Oops(Exception):
        pass

    def fail() -> None:
        raise Oops("from the JS thread")

    with pytest.raises(Oops, match="from the JS thread"):
        worker.run(fail)
    assert worker.run(lambda: "still serving") == "still serving"


def test_a_slow_job_times_out_for_the_caller(worker: JsThread) -> None:
    gate = threading.Event()
    with pytest.raises(TimeoutError):
        worker.run(lambda: gate.wait(5), timeout=0.05)
    gate.set()
    assert worker.run(lambda: "next", timeout=5) == "next"  # the thread went on to the next job


def test_jobs_from_many_threads_run_one_at_a_time_in_order_per_caller(worker: JsThread) -> None:
    active: list[int] = []
    overlap: list[int] = []
    done: dict[int, list[int]] = {c: [] for c in range(4)}

    def job(caller: int, n: int) -> None:
        active.append(1)
        if len(active) > 1:
            overlap.append(len(active))
        time.sleep(0.001)
        done[caller].append(n)
        active.pop()

    def caller(c: int) -> None:
        for n in range(10):
            worker.run(functools.partial(job, c, n), timeout=5)

    callers = [threading.Thread(target=caller, args=(c,)) for c in range(4)]
    for t in callers:
        t.start()
    for t in callers:
        t.join(10)
    assert overlap == []
    assert done == {c: list(range(10)) for c in range(4)}


def test_run_from_the_thread_itself_runs_inline(worker: JsThread) -> None:
    # a job that needs another run() must not wait for itself
    assert worker.run(lambda: worker.run(lambda: "nested"), timeout=2) == "nested"


def test_release_drops_the_box_on_its_thread_then_ends_it() -> None:
    name = "test-js-release"
    thread = JsThread(name)
    where: list[str] = []

    class Tracked(dict[str, Any]):
        def clear(self) -> None:
            where.append(threading.current_thread().name)
            super().clear()

    box = Tracked(ctx="runtime")
    assert len(named(name)) == 1
    release(thread, box)
    wait_gone(name)
    assert box == {} and where == [name]


def test_without_threads_everything_runs_in_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    class Sealed(threading.Thread):
        def start(self) -> None:
            raise RuntimeError("can't start new thread")  # what a seccomp-sealed worker gets

    monkeypatch.setattr(js_thread, "threading", SimpleNamespace(
        Thread=Sealed, stack_size=threading.stack_size, current_thread=threading.current_thread))
    thread = JsThread("test-js-sealed")
    me = threading.current_thread()
    assert thread.run(threading.current_thread) is me
    stopped: list[threading.Thread] = []
    thread.stop(lambda: stopped.append(threading.current_thread()))
    assert stopped == [me]  # at once, not queued for a thread that does not exist
