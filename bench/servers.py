"""Server processes under test: start pinned to a core, wait for /healthz, measure, stop."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path


class ServerError(RuntimeError):
    """A server under test did not start or answered something unexpected."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_request(port: int, method: str, path: str, body: bytes | None = None,
                 headers: dict[str, str] | None = None, timeout: float = 10.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _children(pid: int) -> list[int]:
    """Direct children of ``pid`` (all its threads)."""
    found: list[int] = []
    task_dir = Path(f"/proc/{pid}/task")
    try:
        tasks = list(task_dir.iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            found.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def process_tree(pid: int) -> list[int]:
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(_children(current))
    return tree


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0
    # after "pid (comm)": state is field 3, utime 14 and stime 15 (1-based, man 5 proc)
    return int(fields[11]) + int(fields[12])


@dataclass
class Memory:
    processes: int
    rss_mb: float
    pss_mb: float


@dataclass
class Server:
    """One server process (the bare app or hookhub), pinned with ``pin`` (a taskset prefix)."""

    name: str
    argv: list[str]
    port: int
    log_path: Path
    pin: list[str] = field(default_factory=list)
    cwd: Path | None = None
    env: dict[str, str] | None = None
    process: subprocess.Popen[bytes] | None = None
    startup_s: float = 0.0

    def start(self, timeout: float = 120.0) -> float:
        """Start the process and wait until ``GET /healthz`` answers 200; returns seconds taken."""
        log = self.log_path.open("wb")
        began = time.perf_counter()
        self.process = subprocess.Popen(
            self.pin + self.argv, stdout=log, stderr=subprocess.STDOUT, cwd=self.cwd,
            env=self.env, start_new_session=True)
        log.close()
        deadline = began + timeout
        while True:
            if self.process.poll() is not None:
                raise ServerError(f"{self.name} exited with status {self.process.returncode} before "
                                  f"answering /healthz; its output ends with:\n{self.log_tail()}")
            try:
                status, _ = http_request(self.port, "GET", "/healthz", timeout=1.0)
                if status == 200:
                    break
            except OSError:
                pass
            if time.perf_counter() > deadline:
                self.stop()
                raise ServerError(f"{self.name} did not answer /healthz within {timeout:.0f} s; "
                                  f"its output ends with:\n{self.log_tail()}")
            time.sleep(0.01)
        self.startup_s = time.perf_counter() - began
        return self.startup_s

    def memory(self) -> Memory:
        """RSS and PSS of the server process and all its descendants (e.g. sandbox workers)."""
        assert self.process is not None
        pids = process_tree(self.process.pid)
        return Memory(processes=len(pids),
                      rss_mb=sum(_status_kb(p, "VmRSS") for p in pids) / 1024,
                      pss_mb=sum(_pss_kb(p) for p in pids) / 1024)

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the server process and its live descendants."""
        return sum(self.cpu_split())

    def cpu_split(self) -> tuple[float, float]:
        """CPU time so far of the server process itself, and of its live descendants (sandbox workers)."""
        assert self.process is not None
        main = self.process.pid
        own = _cpu_ticks(main)
        children = sum(_cpu_ticks(p) for p in process_tree(main) if p != main)
        return own / _TICKS, children / _TICKS

    def wait_idle(self, quiet_s: float = 0.1, busy_cpu_s: float = 0.005, timeout: float = 30.0) -> float:
        """Wait until the server stops working off requests a finished load run left in flight.

        wrk abandons its in-flight requests when its time is up; the server still
        processes them, which would steal the core from the next measurement.  Idle
        means less than ``busy_cpu_s`` of CPU over ``quiet_s``.  Returns the seconds waited.
        """
        began = time.perf_counter()
        last = self.cpu_seconds()
        while time.perf_counter() - began < timeout:
            time.sleep(quiet_s)
            now = self.cpu_seconds()
            if now - last < busy_cpu_s:
                break
            last = now
        return time.perf_counter() - began

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, object]:
        status, raw = http_request(self.port, "POST", path, body,
                                   {"Content-Type": "application/json", **headers})
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode("utf-8", "replace")

    def log_tail(self, lines: int = 25) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no output)"
        return "\n".join(text.splitlines()[-lines:]) or "(no output)"

    def stop(self) -> None:
        """SIGTERM the process group this server started, then SIGKILL it if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        pgid = self.process.pid  # start_new_session: the group is ours alone
        try:
            os.killpg(pgid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.process.wait(timeout=5)
        except ProcessLookupError:
            pass
        try:  # children (sandbox workers) the server left behind
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
