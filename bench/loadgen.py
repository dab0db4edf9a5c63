"""Load generators: ``wrk`` (installed from Debian if missing) or, failing that, ``pyload``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LUA = HERE / "post.lua"
MARKER = "WRK_RESULT "


class LoadError(RuntimeError):
    """The load generator failed or printed nothing usable."""


@dataclass
class LoadResult:
    requests: int
    duration_s: float
    errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    #: answers per HTTP status ("200": n, ...)
    statuses: dict[str, int] = field(default_factory=dict)
    #: the first answer that was not 2xx: "status body..."
    first_error: str = ""
    #: CPU seconds the server (process tree) used during the run, when measured
    server_cpu_s: float | None = None
    #: the part of it used by the server's descendants (sandbox workers)
    children_cpu_s: float | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    @classmethod
    def from_summary(cls, data: dict[str, Any]) -> LoadResult:
        lat = data["latency_us"]
        return cls(requests=int(data["requests"]), duration_s=data["duration_us"] / 1e6,
                   errors=int(sum(data["errors"].values())),
                   p50_ms=lat["p50"] / 1000, p90_ms=lat["p90"] / 1000,
                   p99_ms=lat["p99"] / 1000, max_ms=lat["max"] / 1000,
                   statuses={str(k): int(v) for k, v in data.get("statuses", {}).items()},
                   first_error=data.get("first_error", ""))


@dataclass
class LoadGenerator:
    kind: str          # "wrk" or "python"
    description: str   # for the report
    pin: list[str]

    def run(self, url: str, body: Path, headers: dict[str, str], concurrency: int,
            duration_s: float) -> LoadResult:
        if self.kind == "wrk":
            header_args = [arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")]
            argv = ["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(duration_s))}s",
                    "--timeout", "30s", "-s", str(LUA), *header_args, url, "--", str(body)]
        else:
            header_args = [arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")]
            argv = [sys.executable, str(HERE / "pyload.py"), "-c", str(concurrency),
                    "-d", f"{duration_s}", "--body", str(body), *header_args, url]
        done = subprocess.run(self.pin + argv, capture_output=True, text=True,
                              timeout=duration_s + 120)
        for line in done.stdout.splitlines():
            if line.startswith(MARKER):
                return LoadResult.from_summary(json.loads(line[len(MARKER):]))
        raise LoadError(f"{' '.join(argv[:6])} ... exited {done.returncode} without a result:\n"
                        f"{done.stdout[-2000:]}{done.stderr[-2000:]}")


def wrk_version() -> str | None:
    if shutil.which("wrk") is None:
        return None
    done = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    first = (done.stdout or done.stderr).strip().splitlines()
    return first[0].split(" [")[0] if first else "wrk"


def install_wrk(log: list[str]) -> bool:
    """``apt-get install wrk`` (the benchmark runs as root); notes what happened in ``log``."""
    if shutil.which("apt-get") is None:
        log.append("wrk is not installed and apt-get is not available")
        return False
    print("wrk not found: apt-get update && apt-get install -y wrk", flush=True)
    for argv in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]):
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.append(f"`{' '.join(argv)}` failed: {exc}")
            return False
        if done.returncode != 0:
            log.append(f"`{' '.join(argv)}` exited {done.returncode}: {done.stderr.strip()[-300:]}")
            return False
    return shutil.which("wrk") is not None


def choose(preferred: str, pin: list[str], notes: list[str]) -> LoadGenerator:
    """The load generator to use: ``wrk`` unless missing and not installable, or ``python`` forced."""
    if preferred != "python":
        version = wrk_version()
        if version is None and install_wrk(notes):
            version = wrk_version()
        if version is not None:
            return LoadGenerator("wrk", f"{version} (1 thread, Lua body script bench/post.lua)", pin)
        notes.append("FALLBACK: wrk unavailable, using the Python load generator bench/pyload.py; "
                     "it saturates well below wrk, so absolute numbers and ratios at high "
                     "concurrency are understated")
    return LoadGenerator("python", "bench/pyload.py (asyncio, keep-alive connections)", pin)
