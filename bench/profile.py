"""Sampling profiles of the server under load (``run.py --profile``), with py-spy.

py-spy attaches to the running server and its sandbox workers (``--subprocesses``)
from outside, so the code under test is not changed.  It samples only the thread
holding the GIL (``--gil``): where the CPU goes, not where threads wait (waits show
as the gap between the server's CPU use and 100% in the report).  The collapsed
stacks are summarised here into the functions where the server spends its time.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

_PROCESS = re.compile(r'^process (\d+):"(.*?)"$')
_LINE = re.compile(r":\d+\)$")


class ProfileError(RuntimeError):
    """py-spy is missing or failed."""


def py_spy() -> str:
    """The py-spy executable, installed into this environment with pip when missing."""
    here = Path(sys.executable).parent / "py-spy"
    if here.exists():
        return str(here)
    found = shutil.which("py-spy")
    if found:
        return found
    print("py-spy not found: pip install py-spy", flush=True)
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "py-spy"],
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0 or not here.exists():
        raise ProfileError(f"could not install py-spy: {done.stderr.strip()[-500:]}")
    return str(here)


def record(pid: int, seconds: int, output: Path, pin: list[str]) -> subprocess.Popen[str]:
    """Start sampling ``pid`` and its children for ``seconds``; collapsed stacks go to ``output``."""
    argv = [*pin, py_spy(), "record", "--pid", str(pid), "--subprocesses", "--duration", str(seconds),
            "--rate", "200", "--gil", "--format", "raw", "--output", str(output)]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wrap(argv: list[str], output: Path) -> list[str]:
    """``argv`` run under py-spy from its first instruction (to profile start-up)."""
    return [py_spy(), "record", "--subprocesses", "--rate", "200", "--gil", "--format", "raw",
            "--output", str(output), "--", *argv]


@dataclass
class Summary:
    samples: int = 0
    #: samples per process role ("server" is the process py-spy attached to)
    by_process: Counter[str] = field(default_factory=Counter)
    #: samples with the function on top of the stack
    self_time: Counter[str] = field(default_factory=Counter)
    #: samples with the function anywhere on the stack (counted once per sample)
    inclusive: Counter[str] = field(default_factory=Counter)
    #: the processes that py-spy could read
    pids: set[int] = field(default_factory=set)


def summarise(raw: str, server_pid: int) -> Summary:
    summary = Summary()
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        role = "server"
        match = _PROCESS.match(frames[0])
        if match:
            frames = frames[1:]
            pid = int(match.group(1))
            summary.pids.add(pid)
            role = "server" if pid == server_pid else "sandbox workers"
        # one entry per function, not per line: "f (path.py:12)" -> "f (path.py)"
        frames = [_LINE.sub(")", f) for f in frames if not f.startswith("thread ")]
        if not frames:
            continue
        summary.samples += count
        summary.by_process[role] += count
        summary.self_time[f"{role}: {frames[-1]}"] += count
        for frame in set(frames):
            summary.inclusive[f"{role}: {frame}"] += count
    return summary


def render(summary: Summary, top: int = 15) -> list[str]:
    if not summary.samples:
        return ["(no samples)"]
    total = summary.samples
    lines = ["Samples by process: " + ", ".join(f"{role} {n / total:.0%}" for role, n in
                                               summary.by_process.most_common()), "",
             "| self % | function (top of stack) |", "|---:|---|"]
    lines += [f"| {n / total:.1%} | `{name}` |" for name, n in summary.self_time.most_common(top)]
    # frames on (nearly) every stack are the event loop's scaffolding: leave them out
    inclusive = [(name, n) for name, n in summary.inclusive.most_common()
                 if n < 0.95 * summary.by_process[name.split(":", 1)[0]]]
    lines += ["", "| inclusive % | function (anywhere on the stack; event-loop scaffolding left out) |",
              "|---:|---|"]
    lines += [f"| {n / total:.1%} | `{name}` |" for name, n in inclusive[:top * 2]]
    return lines
