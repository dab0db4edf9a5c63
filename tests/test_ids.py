"""Row ids (time-ordered, 17 base62 characters, distinct after a fork) and ISO 8601 times."""

from __future__ import annotations

import pytest

from hookhub import ids
from hookhub.ids import iso, new_id


def test_ids_are_17_base62_characters_and_sort_by_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import re
    import time as time_module


    now = [1_800_000_000_000_000_000]  # nanoseconds
    monkeypatch.setattr(ids.time, "time_ns", lambda: now[0])
    first = [new_id() for _ in range(2000)]
    now[0] += 1_000_000  # one millisecond later
    later = new_id()
    assert all(re.fullmatch(r"[0-9A-Za-z]{17}", i) for i in first + [later])
    assert len(set(first)) == len(first)  # one millisecond, 2,000 distinct ids
    assert {i[:8] for i in first} == {first[0][:8]}
    assert later[:8] > first[0][:8] and all(later > i for i in first)
    # across the point where the first six characters change (every 3,844 ms)
    ms = (1_800_000_000_000 // 3844 + 1) * 3844
    prefixes = []
    for step in (-2, -1, 0, 1):
        now[0] = (ms + step) * 1_000_000
        prefixes.append(new_id()[:8])
    assert prefixes == sorted(prefixes) and len(set(prefixes)) == 4
    monkeypatch.undo()
    # the real clock: ids of later milliseconds sort after earlier ones (what keeps the indexes' writes local)
    a = new_id()
    time_module.sleep(0.002)
    assert new_id() > a


def test_a_forked_child_does_not_repeat_its_parents_ids() -> None:
    import os

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.write(write, "".join(new_id()[8:] for _ in range(50)).encode())
        os._exit(0)
    os.close(write)
    mine = "".join(new_id()[8:] for _ in range(50))
    os.waitpid(pid, 0)
    with os.fdopen(read, "rb") as f:
        theirs = f.read().decode()
    assert len(theirs) == len(mine) == 450 and theirs != mine


def test_iso_times_have_milliseconds_and_follow_the_second_they_are_in() -> None:
    assert iso(0.0) == "1970-01-01T00:00:00.000Z"
    assert iso(1764000000.25) == "2025-11-24T16:00:00.250Z"
    assert iso(1764000000.9995) == "2025-11-24T16:00:00.999Z"  # cut, never rounded up into the next second
    assert iso(1764000001.0) == "2025-11-24T16:00:01.000Z"  # the cached second moves on
    assert iso(1764000000.5) == "2025-11-24T16:00:00.500Z"  # and back


def test_the_ids_module_is_a_leaf() -> None:
    import ast
    from pathlib import Path

    tree = ast.parse(Path(ids.__file__).read_text(encoding="utf-8"))
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level > 0]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names if a.name.startswith("hookhub")]
    assert imported == [], f"hookhub/ids.py imports {imported}: it must need the standard library only"
