"""The attack suite: every hostile script in ``attacks/`` is contained as documented.

Each file starts with a header::

    # attack: what the script tries
    # expect: compile | run | ok
    # reason: text the refusal must contain   (compile and run)
    # limits: timeout_ms=300 memory_mb=64      (optional)

``compile``: loading is refused with ``error-evaluating-script`` naming the
file.  ``run``: the call fails (``error-running-script``, never saturated)
with the reason in the integration log.  ``ok``: the script runs but its
effect stays its own (checked by the neighbour).

All attacks run in ONE worker process shared with a neighbour integration:
after each attack the pool must still serve and the neighbour must see
unchanged modules (hookkit included), its own Store, and an unpredictable ``random``.
"""

from __future__ import annotations

import random
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from hookhub.engines.python import PythonEngine
from hookhub.errors import ScriptCompileError
from hookhub.sandbox import ScriptSpec
from hookhub.records import Limits
from hookhub.sandbox.pool import WorkerPool

ATTACKS = Path(__file__).with_name("attacks")
_HEADER = re.compile(r"^# (attack|expect|reason|limits): (.*)$")

NEIGHBOUR = """
import json, random, string, collections, decimal, time, re, zoneinfo, datetime, textwrap, hookkit

class Script:
    def process_incoming_request(self, request):
        calls = (Store.get('calls') or 0) + 1
        Store.set('calls', calls)
        fingerprint = [
            json.dumps({'a': [1, 2]}), string.ascii_letters, str(decimal.Decimal('1') / decimal.Decimal('3')),
            collections.Counter('abca').most_common(1), 'abc'.upper(), re.sub('b', 'x', 'abc'),
            sorted(dict(b=1, a=2)), time.gmtime(0).tm_year, Store.get('secret'),
            datetime.datetime(2024, 7, 1, 12, tzinfo=zoneinfo.ZoneInfo('Europe/Paris')).isoformat(),
            list('ア'.encode('shift_jis')), textwrap.TextWrapper(width=20).fill('a b\tc'),
            hookkit.link('a [b]', 'https://c.test'), hookkit.field('t', 1), hookkit.GREEN, hookkit.obj(None),
            hookkit.objs(None), hookkit.message('m'), hookkit.shorten('abcdef', 4),
        ]
        return {'content': {'calls': calls, 'fingerprint': fingerprint, 'random': random.random()}}
"""

#: the first numbers of a random generator seeded with 42 (the seed_random attack)
SEEDED = {random.Random(42).random()} | {r.random() for r in [random.Random(42)] for _ in range(3)}


@dataclass(frozen=True)
class Attack:
    name: str
    what: str
    expect: str
    reason: str
    limits: Limits
    source: str


def _load(path: Path) -> Attack:
    source = path.read_text("utf-8")
    fields: dict[str, str] = {}
    for line in source.splitlines():
        m = _HEADER.match(line)
        if not m:
            break
        fields[m.group(1)] = m.group(2).strip()
    limits = {"timeout_ms": 1000}
    for item in fields.get("limits", "").split():
        key, _, value = item.partition("=")
        limits[key] = int(value)
    attack = Attack(path.stem, fields["attack"], fields["expect"], fields.get("reason", ""), Limits(**limits), source)
    assert attack.expect in ("compile", "run", "ok"), path
    assert attack.reason or attack.expect == "ok", f"{path}: document the expected reason"
    return attack


ALL = [_load(p) for p in sorted(ATTACKS.glob("*.py"))]


def test_the_suite_is_large_enough() -> None:
    assert len(ALL) >= 50
    kinds = {a.expect for a in ALL}
    assert kinds == {"compile", "run", "ok"}


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def pool() -> AsyncIterator[WorkerPool]:
    p = WorkerPool({"python": PythonEngine()}, workers=1)
    await p.start()
    await p.load(ScriptSpec("neighbour", "python", NEIGHBOUR, "neighbour.py"))
    yield p
    await p.close()


async def _neighbour(pool: WorkerPool) -> dict[str, object]:
    out = await pool.call("neighbour", "process_incoming_request", {"request": {"content": {}}})
    assert out.ok, out.reason
    content = out.value["content"]
    assert isinstance(content, dict)
    return content


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("attack", ALL, ids=[a.name for a in ALL])
async def test_attack_is_contained(pool: WorkerPool, attack: Attack) -> None:
    before = await _neighbour(pool)
    spec = ScriptSpec(f"attacker-{attack.name}", "python", attack.source, f"{attack.name}.py", attack.limits)
    if attack.expect == "compile":
        with pytest.raises(ScriptCompileError) as info:
            await pool.load(spec)
        assert attack.reason in info.value.message, info.value.message
        assert info.value.filename == f"{attack.name}.py"
        assert info.value.error == "error-evaluating-script"
    else:
        await pool.load(spec)
        try:
            out = await pool.call(spec.integration_id, "process_incoming_request",
                                  {"request": {"content": {"text": "attack"}}})
        finally:
            await pool.unload(spec.integration_id)
        if attack.expect == "run":
            assert not out.ok and not out.saturated, f"{attack.name} was not refused: {out.value!r:.200}"
            assert out.reason is not None and attack.reason in out.reason, out.reason
        else:
            assert out.ok, out.reason

    after = await _neighbour(pool)
    assert after["fingerprint"] == before["fingerprint"], "module state leaked between integrations"
    assert after["calls"] == before["calls"] + 1, "the neighbour's Store was disturbed"  # type: ignore[operator]
    assert after["random"] not in SEEDED, "random is shared between integrations"
    assert pool.pids, "the pool has no worker left"


def test_the_readme_lists_every_attack() -> None:
    readme = (ATTACKS / "README.md").read_text("utf-8")
    missing = [a.name for a in ALL if f"`{a.name}.py`" not in readme]
    assert not missing, f"add these attacks to tests/sandbox/attacks/README.md: {missing}"
