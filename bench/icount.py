"""Instructions per unit of work, counted by valgrind: the A/B figure that machine load does not move.

CPU time on a shared machine moves by ±30% from one minute to the next; the
number of instructions a program executes does not.  This runs a command
twice under ``valgrind --tool=callgrind`` (every thread of the process, and
its children with ``--children``), with ``{n}`` in its arguments replaced by
two sizes, and prints the difference divided by the difference of the sizes:
the instructions per unit (request, webhook), start-up and warm-up cancelled
out.  About 50 times slower than the command alone:

    .venv/bin/python bench/icount.py -- .venv/bin/python bench/http_guard.py --only hookhub --rounds 1 --requests {n}
    .venv/bin/python bench/icount.py --sizes 1000,3000 -- \\
        .venv/bin/python bench/hotpath.py --scenarios noscript --rounds 1 --requests {n}

Instructions are not time (a cache miss or a system call's wait costs time
and few instructions): use it to compare two versions of the same code path.
Needs Debian's ``valgrind`` (``.ci/run`` installs it).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def count(command: list[str], children: bool = False) -> int:
    """Instructions ``command`` executed (all its threads; its children too with ``children``)."""
    return sum(count_threads(command, children).values())


_TOTALS = re.compile(r"^(?:totals|summary):\s*(\d+)", re.MULTILINE)
_THREAD_FILE = re.compile(r"callgrind\.out\.(\d+)-(\d+)$")


def count_threads(command: list[str], children: bool = False) -> dict[str, int]:
    """Instructions ``command`` executed, per thread: ``{"<pid>-<thread number>": count}``.

    Thread 1 is a process's main thread (the event loop in ``bench/hotpath.py``); the others are
    numbered in the order they started.  Pids are replaced by their order of appearance (``p1``, ...),
    so that two runs give the same keys.
    """
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise SystemExit("valgrind is not installed: apt-get install valgrind")
    with tempfile.TemporaryDirectory(prefix="hookhub-icount-") as scratch:
        out = Path(scratch) / "callgrind.out.%p"
        args = [valgrind, "--tool=callgrind", "--separate-threads=yes", f"--callgrind-out-file={out}"]
        if children:
            args.append("--trace-children=yes")
        # one hash seed: string hashes decide dict layouts, and so how much work a look-up takes
        env = {**os.environ, "PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED", "0")}
        done = subprocess.run(args + command, capture_output=True, text=True, env=env)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} exited {done.returncode}:\n{done.stdout[-2000:]}\n"
                             f"{done.stderr[-4000:]}")
        found: dict[tuple[int, int], int] = {}
        for path in Path(scratch).iterdir():
            named = _THREAD_FILE.search(path.name)
            totals = _TOTALS.search(path.read_text(errors="replace")) if named else None
            if named and totals:
                found[(int(named.group(1)), int(named.group(2)))] = int(totals.group(1))
        if not found:  # an older valgrind without per-thread files: the total it printed
            return {"all": sum(int(m) for m in _COLLECTED.findall(done.stderr))}
        order = {pid: i + 1 for i, pid in enumerate(sorted({pid for pid, _ in found}))}
        return {f"p{order[pid]}-{tid}": n for (pid, tid), n in sorted(found.items())}


def per_unit(command: list[str], sizes: tuple[int, int], children: bool = False) -> float:
    """Instructions per unit of ``{n}``: (count at the larger size − at the smaller) / the sizes' difference."""
    return sum(per_unit_threads(command, sizes, children).values())


def per_unit_threads(command: list[str], sizes: tuple[int, int], children: bool = False) -> dict[str, float]:
    """:func:`per_unit` of each thread (see :func:`count_threads`; a thread only one run had counts as 0 in the other)."""
    small, large = sizes
    counts = [count_threads([a.replace("{n}", str(n)) for a in command], children) for n in (small, large)]
    keys = sorted(set(counts[0]) | set(counts[1]))
    return {k: (counts[1].get(k, 0) - counts[0].get(k, 0)) / (large - small) for k in keys}


def main(argv: list[str] | None = None) -> int:
    """Print the instructions per unit of the command after ``--``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,3000", help="the two values of {n} (default 1000,3000)")
    parser.add_argument("--children", action="store_true", help="count child processes too (sandbox workers)")
    parser.add_argument("--threads", action="store_true",
                        help="also print each thread's share (p1-1: the main thread, e.g. the event loop)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command, with {n} in it")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command or not any("{n}" in a for a in command):
        parser.error("give the command after --, with {n} where the number of requests goes")
    small, large = (int(s) for s in args.sizes.split(","))
    threads = per_unit_threads(command, (small, large), args.children)
    value = sum(threads.values())
    print(f"{value:,.0f} instructions per unit ({' '.join(command)}; sizes {small:,} and {large:,})")
    if args.threads:
        for key, n in threads.items():
            if abs(n) >= 1:
                print(f"  thread {key}: {n:,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
