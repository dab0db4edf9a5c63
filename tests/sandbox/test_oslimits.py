"""OS-level limits, each checked in a real sealed process."""

from __future__ import annotations

import ctypes.util
import json
import os
import subprocess
import sys
from typing import Any

import pytest

from hookhub.sandbox.oslimits import DENIED_SYSCALLS, describe_status, scrubbed_env

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="Linux limits")
needs_seccomp = pytest.mark.skipif(ctypes.util.find_library("seccomp") is None,
                                   reason="libseccomp2 is not installed (apt-get install libseccomp2)")

PROBE = r"""
import errno, json, os, resource, socket, sys, threading
from hookhub.sandbox.oslimits import CallLimits, MemoryMeter, apply_rlimits, install_seccomp
meter = MemoryMeter()
apply_rlimits(meter)
problem = install_seccomp()
results = {"seccomp": problem}

def attempt(name, fn):
    try:
        fn()
        results[name] = "allowed"
    except OSError as exc:
        results[name] = errno.errorcode.get(exc.errno, str(exc.errno))
    except MemoryError:
        results[name] = "MemoryError"

attempt("open_read", lambda: open("/etc/hostname").read())
attempt("open_write", lambda: open("/tmp/hookhub-limits-probe", "w"))
attempt("socket", lambda: socket.socket())
attempt("fork", lambda: os.fork() == 0 and os._exit(0))
attempt("exec", lambda: os.execv("/bin/true", ["true"]))
attempt("kill_parent", lambda: os.kill(os.getppid(), 0))
attempt("prlimit_other", lambda: resource.prlimit(os.getppid(), resource.RLIMIT_NOFILE))
attempt("mkdir", lambda: os.mkdir("/tmp/hookhub-limits-dir"))
def thread():
    t = threading.Thread(target=lambda: None)
    t.start()
    t.join()
def thread_start():
    try:
        thread()
    except RuntimeError as exc:  # "can't start new thread": clone() answered EPERM
        raise OSError(errno.EPERM, str(exc)) from None
attempt("thread", thread_start)
limits = CallLimits(meter)
limits.enter(32, 1000)
used = resource.getrusage(resource.RUSAGE_SELF)
results["cpu_in_call"] = [resource.getrlimit(resource.RLIMIT_CPU)[0], int(used.ru_utime + used.ru_stime) + 3]
attempt("memory_inside_budget", lambda: bytearray(8 * 1024 * 1024))
attempt("memory_over_budget", lambda: bytearray(256 * 1024 * 1024))
limits.leave()
results["as_after_call"] = list(resource.getrlimit(resource.RLIMIT_AS))
attempt("memory_after_call", lambda: bytearray(256 * 1024 * 1024))
limits.enter(32, 5000)  # a longer timeout: the CPU limit moves with it
used = resource.getrusage(resource.RUSAGE_SELF)
results["cpu_second_call"] = [resource.getrlimit(resource.RLIMIT_CPU)[0], int(used.ru_utime + used.ru_stime) + 7]
limits.leave()
results["core"] = resource.getrlimit(resource.RLIMIT_CORE)
results["fsize"] = resource.getrlimit(resource.RLIMIT_FSIZE)
print(json.dumps(results))
"""


def probe() -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


@needs_seccomp
def test_sealed_process_cannot_touch_files_network_or_processes() -> None:
    r = probe()
    assert r["seccomp"] is None, r["seccomp"]
    for name in ("open_read", "open_write", "socket", "fork", "exec", "kill_parent", "prlimit_other", "mkdir"):
        assert r[name] == "EPERM", (name, r[name])
    assert r["thread"] == "EPERM"
    assert not os.path.exists("/tmp/hookhub-limits-probe")


def test_per_call_memory_budget() -> None:
    r = probe()
    assert r["memory_inside_budget"] == "allowed"
    assert r["memory_over_budget"] == "MemoryError"
    assert r["memory_after_call"] == "allowed"
    assert r["as_after_call"][0] == r["as_after_call"][1], "between calls: the hard address-space limit"
    # CPU seconds: what the worker had used (whole seconds) + the timeout + 2 s, set again per call
    assert r["cpu_in_call"][0] == r["cpu_in_call"][1] and r["cpu_second_call"][0] == r["cpu_second_call"][1]
    assert r["core"] == [0, 0] and r["fsize"] == [0, 0]


def test_scrubbed_env_keeps_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOKHUB_ADMIN_TOKEN", "secret")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    env = scrubbed_env()
    assert "secret" not in json.dumps(env)
    assert set(env) <= {"PATH", "LANG", "LC_ALL", "TZ", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "MALLOC_ARENA_MAX"}


def test_denied_syscalls_cover_the_threat_model() -> None:
    for name in ("openat", "execve", "fork", "socket", "connect", "ptrace", "kill", "mount", "bpf", "io_uring_setup"):
        assert name in DENIED_SYSCALLS


@pytest.mark.parametrize(("status", "text"), [
    (9, "killed by SIGKILL (timeout, out of memory or killed)"),
    (11, "killed by SIGSEGV (crash)"),
    (24, "killed by SIGXCPU (CPU time limit)"),
    (3 << 8, "exited with status 3"),
])
def test_exit_statuses_are_described(status: int, text: str) -> None:
    assert describe_status(status) == text
