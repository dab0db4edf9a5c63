"""hookhub.sandbox.worker on its own: a real sealed worker process served over a real socket.

Each test starts ``run_worker`` in a fresh interpreter (warmed up as the zygote
warms up, then sealed), speaks the channel protocol to it as the server does,
and checks what it answers and how it ends.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from typing import Any

import pytest

from hookhub.records import Limits
from hookhub.sandbox import channel
from hookhub.sandbox.base import ScriptSpec
from hookhub.sandbox.oslimits import scrubbed_env
from hookhub.sandbox.wire import spec_json
from hookhub.sandbox.worker import _fatal_text, spec_from_json

from .scripts import COUNTER

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc")

LAUNCH = """
import sys
from hookhub.engines.python import PythonEngine
from hookhub.sandbox.zygote import _prepare
from hookhub.sandbox.worker import run_worker
engines = {"python": PythonEngine()}
_prepare(engines)
run_worker(int(sys.argv[1]), engines)
"""

METHOD = "process_incoming_request"


class Proc:
    """A worker process and the server's end of its channel."""

    def __init__(self) -> None:
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.proc = subprocess.Popen([sys.executable, "-c", LAUNCH, str(theirs.fileno())],
                                         pass_fds=(theirs.fileno(),), env={**scrubbed_env(), **_pythonpath()},
                                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        finally:
            theirs.close()
        self.sock.settimeout(30)
        self.ready = channel.recv(self.sock)
        self.next_id = 0

    def send_call(self, spec: ScriptSpec, kwargs: dict[str, Any] | None = None,
                  store: dict[str, Any] | None = None, method: str = METHOD) -> int:
        self.next_id += 1
        channel.send(self.sock, {"op": "call", "id": self.next_id, "spec": spec_json(spec), "method": method,
                                 "kwargs": {"request": {"content": {}}} if kwargs is None else kwargs,
                                 "store": store or {}})
        return self.next_id

    def call(self, spec: ScriptSpec, **options: Any) -> dict[str, Any]:
        call_id = self.send_call(spec, **options)
        reply = channel.recv(self.sock)
        assert reply["op"] == "result" and reply["id"] == call_id
        return reply

    def wait(self) -> int:
        return self.proc.wait(timeout=10)

    def close(self) -> None:
        self.sock.close()
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


def _pythonpath() -> dict[str, str]:
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return {"PYTHONPATH": root}


@pytest.fixture
def worker() -> Iterator[Proc]:
    proc = Proc()
    yield proc
    proc.close()


def spec(source: str = COUNTER, integration_id: str = "it", **limits: Any) -> ScriptSpec:
    return ScriptSpec(integration_id, "python", textwrap.dedent(source), f"{integration_id}.py", Limits(**limits))


def test_a_worker_says_ready_with_its_pid_and_how_it_is_sealed(worker: Proc) -> None:
    assert worker.ready["op"] == "ready" and worker.ready["pid"] == worker.proc.pid
    sealed = worker.ready["sealed"]
    assert sealed is None or ("seccomp" in sealed and sealed)


def test_a_worker_is_sealed_without_inherited_descriptors(worker: Proc) -> None:
    pid = worker.proc.pid
    targets = {int(fd): os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
    assert {targets[fd] for fd in (0, 1, 2)} == {os.devnull}, "the standard streams go to /dev/null"
    others = sorted(target.split(":")[0] if target.startswith("socket:") else target
                    for fd, target in targets.items() if fd > 2)
    assert others == ["/proc/%d/statm" % pid, "socket"], f"only the channel and the memory meter stay open: {targets}"
    with open(f"/proc/{pid}/status", encoding="utf-8") as f:
        status = dict(line.split(":", 1) for line in f if ":" in line)
    if worker.ready["sealed"] is None:
        assert status["Seccomp"].strip() == "2", "the syscall filter is loaded"


def test_calls_keep_the_instance_and_report_logs_and_changed_store_keys(worker: Proc) -> None:
    first = worker.call(spec(), kwargs={"request": {"content": {"n": 2}}}, store={"other": 1})
    assert first["ok"] is True and first["value"] == {"calls": 1, "total": 2} and first["reason"] is None
    assert [log["message"] for log in first["logs"]] == ["call 1"]
    assert first["store"] == {"total": 2}, "only the keys the call changed travel back"
    assert first["recycle"] is False
    second = worker.call(spec(), kwargs={"request": {"content": {"n": 3}}}, store={"total": 10, "other": 1})
    assert second["value"] == {"calls": 2, "total": 13} and second["store"] == {"total": 13}


def test_a_call_that_changes_nothing_sends_no_store(worker: Proc) -> None:
    reply = worker.call(spec("class Script:\n    def process_incoming_request(self, request):\n"
                             "        Store.set('k', Store.get('k'))\n        return 1\n"), store={"k": [1]})
    assert reply["ok"] and reply["value"] == 1 and reply["store"] is None


def test_forget_drops_the_instance_and_other_ops_are_ignored(worker: Proc) -> None:
    assert worker.call(spec())["value"]["calls"] == 1
    channel.send(worker.sock, {"op": "forget", "integration_id": "it"})
    channel.send(worker.sock, {"op": "nonsense"})
    assert worker.call(spec())["value"]["calls"] == 1, "a forgotten instance is created again"


def test_instances_are_per_integration_and_re_created_when_the_source_changes(worker: Proc) -> None:
    assert worker.call(spec(integration_id="a"))["value"]["calls"] == 1
    assert worker.call(spec(integration_id="b"))["value"]["calls"] == 1
    assert worker.call(spec(integration_id="a"))["value"]["calls"] == 2
    changed = spec(COUNTER.replace("self.calls = 0", "self.calls = 10"), integration_id="a")
    assert worker.call(changed)["value"]["calls"] == 11


def test_a_script_error_is_a_reason_and_the_worker_goes_on(worker: Proc) -> None:
    reply = worker.call(spec("class Script:\n    def process_incoming_request(self, request):\n"
                             "        return 1 / 0\n"))
    assert reply["ok"] is False and "ZeroDivisionError" in reply["reason"] and "it.py" in reply["reason"]
    assert worker.call(spec())["ok"] is True


def test_a_missing_method_is_named(worker: Proc) -> None:
    reply = worker.call(spec(), method="prepare_outgoing_request", kwargs={"request": {}})
    assert reply["ok"] is False and "no method prepare_outgoing_request()" in reply["reason"]


def test_a_looping_script_times_out_and_the_same_worker_serves_the_next_call(worker: Proc) -> None:
    looping = spec("class Script:\n    def process_incoming_request(self, request):\n"
                   "        while True:\n            pass\n", timeout_ms=200)
    started = time.monotonic()
    reply = worker.call(looping)
    assert time.monotonic() - started < 5
    assert reply["ok"] is False
    assert reply["reason"] == "the script timed out after 200 ms (sandbox.timeout_ms)"
    assert worker.proc.poll() is None
    assert worker.call(spec())["value"]["calls"] == 1


def test_http_is_forwarded_to_the_server_and_not_counted_in_the_budget(worker: Proc) -> None:
    fetching = ScriptSpec("net", "python", "class Script:\n    def process_incoming_request(self, request):\n"
                          "        reply = HTTP('GET', 'http://example.test/x', {'headers': {'a': 'b'}})\n"
                          "        return {'status': reply['statusCode']}\n", "net.py",
                          Limits(timeout_ms=300), allow_hosts=("example.test",))
    call_id = worker.send_call(fetching)
    asked = channel.recv(worker.sock)
    assert asked["op"] == "http" and asked["id"] == call_id
    assert (asked["method"], asked["url"]) == ("GET", "http://example.test/x")
    assert asked["options"] == {"headers": {"a": "b"}}
    time.sleep(0.6)  # longer than the script's whole budget: the clock is paused meanwhile
    channel.send(worker.sock, {"op": "http", "id": call_id, "value": {"statusCode": 204}})
    reply = channel.recv(worker.sock)
    assert reply["op"] == "result" and reply["ok"] is True and reply["value"] == {"status": 204}


def test_without_allowed_hosts_a_script_has_no_http(worker: Proc) -> None:
    reply = worker.call(spec("class Script:\n    def process_incoming_request(self, request):\n"
                             "        return HTTP('GET', 'http://example.test/')\n"))
    assert reply["ok"] is False and "NameError: name 'HTTP' is not defined" in reply["reason"]
    assert worker.proc.poll() is None


def test_running_out_of_memory_asks_to_recycle_the_worker_which_then_exits(worker: Proc) -> None:
    hog = spec("class Script:\n    def process_incoming_request(self, request):\n"
               "        return len('x' * (512 * 1024 * 1024))\n", memory_mb=64)
    reply = worker.call(hog)
    assert reply["ok"] is False and "ran out of memory" in reply["reason"] and "memory_mb" in reply["reason"]
    assert reply["recycle"] is True
    assert worker.wait() == 0, "a worker asked to recycle leaves cleanly"


def test_a_closed_channel_ends_the_worker_with_status_0() -> None:
    proc = Proc()
    try:
        proc.sock.shutdown(socket.SHUT_WR)
        assert proc.wait() == 0
    finally:
        proc.close()


def test_a_worker_dies_with_its_parent() -> None:
    # the parent here is a shell that execs nothing: kill it, the worker follows (PR_SET_PDEATHSIG)
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    code = (f"import os, subprocess, sys\n"
            f"p = subprocess.Popen([sys.executable, '-c', {LAUNCH!r}, '{theirs.fileno()}'], pass_fds=({theirs.fileno()},))\n"
            f"print(p.pid, flush=True)\nimport time\ntime.sleep(60)\n")
    parent = subprocess.Popen([sys.executable, "-c", code], pass_fds=(theirs.fileno(),),
                              env={**scrubbed_env(), **_pythonpath()}, stdout=subprocess.PIPE)
    theirs.close()
    try:
        ours.settimeout(30)
        ready = channel.recv(ours)
        assert parent.stdout is not None and int(parent.stdout.readline()) == ready["pid"]
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 10
        while _alive(ready["pid"]):
            assert time.monotonic() < deadline, "the worker outlived its parent"
            time.sleep(0.02)
    finally:
        ours.close()
        if parent.poll() is None:
            parent.kill()
            parent.wait(timeout=10)
        assert parent.stdout is not None
        parent.stdout.close()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] not in (b"Z", b"X")
    except FileNotFoundError:
        return False


def test_a_worker_started_on_a_bad_descriptor_exits_with_status_1() -> None:
    proc = subprocess.run([sys.executable, "-c", LAUNCH, "987"], env={**scrubbed_env(), **_pythonpath()},
                          capture_output=True, timeout=60)
    assert proc.returncode == 1


def test_spec_from_json_reads_back_what_spec_json_wrote() -> None:
    original = ScriptSpec("x", "python", "src", "x.py", Limits(timeout_ms=5, own="timeout_ms"),
                          allow_hosts=("a.test",), allow_private=True)
    again = spec_from_json(spec_json(original))
    assert again == original and again.digest == original.digest
    data = spec_json(original)
    del data["source"]
    with pytest.raises(KeyError):
        spec_from_json(data)


def test_fatal_text_is_a_traceback_without_source_lines_capped_at_4000_chars() -> None:
    def deep() -> None:
        raise RuntimeError("boom " * 2000)
    try:
        deep()
    except RuntimeError as exc:
        text = _fatal_text(exc)
    assert len(text) == 4000 and text.rstrip().endswith("boom")
    short = RuntimeError("small")
    try:
        raise short
    except RuntimeError as exc:
        text = _fatal_text(exc)
    assert text.startswith("Traceback (most recent call last):\n")
    assert "test_worker.py:" in text and "raise short" not in text and text.endswith("RuntimeError: small\n")
