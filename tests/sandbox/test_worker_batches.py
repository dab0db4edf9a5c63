"""A worker's ``batch`` message: several calls in one frame, answered in one frame, handed back when one is slow.

Real sealed worker processes over real sockets (see test_worker.py's ``Proc``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from hookhub.records import Limits
from hookhub.sandbox import channel
from hookhub.sandbox.base import ScriptSpec
from hookhub.sandbox.wire import spec_json

from .test_worker import METHOD, Proc, spec

pytestmark = pytest.mark.skipif(not __import__("os").path.exists("/proc/self/status"), reason="needs Linux /proc")

LOOPING = "class Script:\n    def process_incoming_request(self, request):\n        while True:\n            pass\n"
FAILING = "class Script:\n    def process_incoming_request(self, request):\n        return 1 / request.content.n\n"


@pytest.fixture
def worker() -> Iterator[Proc]:
    proc = Proc()
    yield proc
    proc.close()


def send_batch(worker: Proc, calls: list[tuple[ScriptSpec, dict[str, Any]]], slice_ms: int = 50,
               store: dict[str, Any] | None = None) -> list[int]:
    ids = list(range(worker.next_id + 1, worker.next_id + 1 + len(calls)))
    worker.next_id += len(calls) + 1
    channel.send(worker.sock, {"op": "batch", "id": worker.next_id, "slice_ms": slice_ms, "calls": [
        {"id": call_id, "spec": spec_json(s), "method": METHOD, "kwargs": {"request": {"content": content}},
         "store": store or {}} for call_id, (s, content) in zip(ids, calls)]})
    return ids


def test_a_batch_is_answered_in_one_frame_each_call_with_its_own_result(worker: Proc) -> None:
    counter, failing = spec(), spec(FAILING, integration_id="f")
    ids = send_batch(worker, [(counter, {"n": 1}), (failing, {"n": 0}), (counter, {"n": 2}), (failing, {"n": 4})])
    reply = channel.recv(worker.sock)
    assert reply["op"] == "results" and reply["returned"] == []
    results = {r["id"]: r for r in reply["results"]}
    assert list(results) == ids, "in the order sent"
    first, zero, second, quarter = (results[i] for i in ids)
    assert first["ok"] and first["value"] == {"calls": 1, "total": 1} and first["store"] == {"total": 1}
    assert second["value"]["calls"] == 2, "the instance is kept between the calls of a batch"
    assert [log["message"] for log in second["logs"]] == ["call 2"], "each call has its own logs"
    assert not zero["ok"] and "ZeroDivisionError" in zero["reason"] and "f.py" in zero["reason"]
    assert quarter["ok"] and quarter["value"] == 0.25
    assert all(isinstance(r["ms"], float) and r["ms"] >= 0 for r in results.values())
    assert worker.call(counter)["value"]["calls"] == 3, "and the worker serves single calls after it"


def test_calls_behind_a_looping_one_are_handed_back_when_the_slice_passes(worker: Proc) -> None:
    looping = spec(LOOPING, integration_id="loop", timeout_ms=1500)
    started = time.monotonic()
    ids = send_batch(worker, [(spec(), {"n": 1}), (looping, {}), (spec(), {"n": 2}), (spec(), {"n": 3})],
                     slice_ms=30)
    early = channel.recv(worker.sock)
    handed_back_after = time.monotonic() - started
    assert early["op"] == "results" and early["returned"] == ids[2:], "the calls not started go back"
    assert [r["id"] for r in early["results"]] == ids[:1], "with the answers so far"
    assert handed_back_after < 1.0, f"handed back after {handed_back_after:.2f} s, not at the 1.5 s timeout"
    late = channel.recv(worker.sock)
    assert late["returned"] == [] and [r["id"] for r in late["results"]] == [ids[1]]
    assert late["results"][0]["reason"] == "the script timed out after 1500 ms (sandbox.timeout_ms)"
    assert time.monotonic() - started >= 1.4, "the looping call still had its whole budget"
    assert worker.call(spec())["value"]["calls"] == 2, "the handed-back calls never ran here"


def test_a_slice_spent_between_calls_hands_back_the_rest_without_starting_them(worker: Proc) -> None:
    slow = spec("import time\nclass Script:\n    def process_incoming_request(self, request):\n"
                "        end = time.time() + 0.05\n        while time.time() < end:\n            pass\n"
                "        return 'slow'\n", integration_id="slow")
    ids = send_batch(worker, [(slow, {}), (spec(), {"n": 1})], slice_ms=1)
    first = channel.recv(worker.sock)
    # the slice (1 ms) passes while the slow call runs: the alarm hands the counter call back
    assert first["returned"] == [ids[1]] and first["results"] == []
    second = channel.recv(worker.sock)
    assert [r["value"] for r in second["results"]] == ["slow"] and second["returned"] == []


def test_a_call_making_an_http_request_hands_back_the_calls_behind_it_first(worker: Proc) -> None:
    fetching = ScriptSpec("net", "python", "class Script:\n    def process_incoming_request(self, request):\n"
                          "        return HTTP('GET', 'http://example.test/x', {})['statusCode']\n", "net.py",
                          Limits(timeout_ms=300), allow_hosts=("example.test",))
    ids = send_batch(worker, [(fetching, {}), (spec(), {"n": 1})], slice_ms=5000)
    handed = channel.recv(worker.sock)
    assert handed == {"op": "results", "id": worker.next_id, "results": [], "returned": [ids[1]]}
    asked = channel.recv(worker.sock)
    assert asked["op"] == "http" and asked["id"] == ids[0]
    channel.send(worker.sock, {"op": "http_result", "id": ids[0], "value": {"statusCode": 201}})
    done = channel.recv(worker.sock)
    assert [r["value"] for r in done["results"]] == [201] and done["returned"] == []


def test_running_out_of_memory_in_a_batch_hands_back_the_rest_and_exits(worker: Proc) -> None:
    hog = spec("class Script:\n    def process_incoming_request(self, request):\n"
               "        return len('x' * (512 * 1024 * 1024))\n", integration_id="hog", memory_mb=64)
    ids = send_batch(worker, [(spec(), {"n": 1}), (hog, {}), (spec(), {"n": 2})])
    reply = channel.recv(worker.sock)
    assert [r["id"] for r in reply["results"]] == ids[:2] and reply["returned"] == ids[2:]
    assert reply["results"][1]["recycle"] is True and "ran out of memory" in reply["results"][1]["reason"]
    assert worker.wait() == 0


def test_a_malformed_call_in_a_batch_is_answered_not_fatal(worker: Proc) -> None:
    worker.next_id += 2
    channel.send(worker.sock, {"op": "batch", "id": worker.next_id, "slice_ms": 50, "calls": [
        {"id": 1, "spec": {"integration_id": "x"}, "method": METHOD}, "not a call"]})
    reply = channel.recv(worker.sock)
    assert [r["id"] for r in reply["results"]] == [1] and reply["returned"] == []
    assert reply["results"][0]["ok"] is False and "invalid call message: KeyError" in reply["results"][0]["reason"]
    assert worker.call(spec())["ok"] is True
