"""hookhub.sandbox.zygote on its own: a real zygote process on its control socket.

The tests speak the control protocol as the supervisor does (``init``,
``fork`` with a descriptor attached) and check the ``ready``/``forked``/
``exited`` packets, the workers it forks and how it ends.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from hookhub.engines.python import PythonEngine
from hookhub.records import Limits
from hookhub.sandbox import channel
from hookhub.sandbox.base import ScriptSpec
from hookhub.sandbox.oslimits import scrubbed_env
from hookhub.sandbox.wire import spec_json
from hookhub.sandbox.zygote import MAX_PACKET, _build_engine, engine_recipe

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc")

ECHO = ScriptSpec("z", "python", "class Script:\n    def process_incoming_request(self, request):\n"
                  "        return {'pid_seen': True}\n", "z.py", Limits())


class Zygote:
    """A zygote process started like the supervisor starts it, and the server's end of its control socket."""

    def __init__(self, engines: dict[str, Any] | None = None) -> None:
        self.ctl, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        try:
            self.proc = subprocess.Popen([sys.executable, "-m", "hookhub.sandbox.zygote", str(child.fileno())],
                                         pass_fds=(child.fileno(),), env={**scrubbed_env(), "PYTHONPATH": root},
                                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         start_new_session=True)
        finally:
            child.close()
        self.ctl.settimeout(60)
        engines = {"python": PythonEngine()} if engines is None else engines
        self.send({"op": "init", "engines": {name: engine_recipe(e) for name, e in engines.items()},
                   "plugins": None})
        self.ready = self.recv()

    def send(self, message: dict[str, Any]) -> None:
        self.ctl.send(json.dumps(message).encode())

    def recv(self) -> dict[str, Any]:
        data = self.ctl.recv(MAX_PACKET)
        assert data, "the zygote closed its control socket"
        message: dict[str, Any] = json.loads(data)
        return message

    def fork(self) -> tuple[int, socket.socket]:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            socket.send_fds(self.ctl, [json.dumps({"op": "fork"}).encode()], [theirs.fileno()])
        finally:
            theirs.close()
        forked = self.recv()
        assert forked["op"] == "forked"
        ours.settimeout(30)
        return forked["pid"], ours

    def close(self) -> None:
        self.ctl.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.fixture
def zygote() -> Iterator[Zygote]:
    z = Zygote()
    yield z
    z.close()


def parent_of(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="utf-8") as f:
        return int(next(line for line in f if line.startswith("PPid:")).split()[1])


def threads_of(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="utf-8") as f:
        return int(next(line for line in f if line.startswith("Threads:")).split()[1])


def test_the_zygote_says_ready_after_init_single_threaded(zygote: Zygote) -> None:
    assert zygote.ready == {"op": "ready", "pid": zygote.proc.pid}
    assert threads_of(zygote.proc.pid) == 1, "forking is only safe from a process without threads"


def test_fork_gives_a_worker_of_the_zygote_serving_on_the_attached_descriptor(zygote: Zygote) -> None:
    pid, sock = zygote.fork()
    try:
        assert parent_of(pid) == zygote.proc.pid
        ready = channel.recv(sock)
        assert ready["op"] == "ready" and ready["pid"] == pid
        channel.send(sock, {"op": "call", "id": 1, "spec": spec_json(ECHO), "method": "process_incoming_request",
                            "kwargs": {"request": {}}, "store": {}})
        reply = channel.recv(sock)
        assert reply["ok"] is True and reply["value"] == {"pid_seen": True}
    finally:
        sock.close()


def test_workers_are_independent_processes(zygote: Zygote) -> None:
    (a, sa), (b, sb) = zygote.fork(), zygote.fork()
    try:
        assert a != b and {channel.recv(sa)["pid"], channel.recv(sb)["pid"]} == {a, b}
    finally:
        sa.close()
        sb.close()


def test_a_worker_whose_channel_closes_is_reported_exited_with_status_0(zygote: Zygote) -> None:
    pid, sock = zygote.fork()
    channel.recv(sock)
    sock.close()
    assert zygote.recv() == {"op": "exited", "pid": pid, "reason": "exited with status 0"}


def test_a_killed_worker_is_reported_with_the_signal_and_a_hint(zygote: Zygote) -> None:
    pid, sock = zygote.fork()
    try:
        channel.recv(sock)
        os.kill(pid, signal.SIGKILL)
        assert zygote.recv() == {"op": "exited", "pid": pid,
                                 "reason": "killed by SIGKILL (timeout, out of memory or killed)"}
    finally:
        sock.close()


def test_a_fork_without_a_descriptor_or_another_op_is_ignored(zygote: Zygote) -> None:
    zygote.send({"op": "fork"})
    extra_a, extra_b = socket.socketpair()
    try:
        socket.send_fds(zygote.ctl, [json.dumps({"op": "what"}).encode()], [extra_a.fileno()])
    finally:
        extra_a.close()
        extra_b.close()
    pid, sock = zygote.fork()  # the next packet it answers is this fork's
    try:
        assert channel.recv(sock)["pid"] == pid
    finally:
        sock.close()


def test_the_zygote_exits_with_0_when_the_server_goes_away() -> None:
    z = Zygote()
    z.ctl.close()
    assert z.proc.wait(timeout=10) == 0


def test_the_zygote_ignores_sigint_meant_for_the_server(zygote: Zygote) -> None:
    os.kill(zygote.proc.pid, signal.SIGINT)
    pid, sock = zygote.fork()
    try:
        assert zygote.proc.poll() is None and channel.recv(sock)["pid"] == pid
    finally:
        sock.close()


class Unpicklable:
    """An engine that cannot be pickled (it holds a lock): re-created from its class."""

    def __init__(self) -> None:
        import threading
        self.lock = threading.Lock()


def test_engine_recipe_pickles_an_engine_or_names_its_class() -> None:
    recipe = engine_recipe(PythonEngine())
    assert set(recipe) == {"pickle"}
    assert isinstance(_build_engine(recipe), PythonEngine)
    named = engine_recipe(Unpicklable())
    assert named == {"module": __name__, "qualname": "Unpicklable"}
    assert isinstance(_build_engine(named), Unpicklable)
