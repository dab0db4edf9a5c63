"""Bundled scripts never crash on odd payloads: every answer is a message, 200-nothing, or a clear 400.

Each fixture is mutated one top-level key at a time (value replaced by a string, or removed);
the script must not end in ``error-running-script`` (an exception inside the script).
"""

import json
from pathlib import Path

import pytest

from hookhub.toolkit import fixture_event

PLUGINS = Path(__file__).parent
FIXTURES = sorted(PLUGINS.glob("*/fixtures/*.json"))


def mutations(body):
    if not isinstance(body, dict):
        return
    for key in body:
        changed = dict(body)
        changed[key] = "x"
        yield f"{key}='x'", changed
        removed = {k: v for k, v in body.items() if k != key}
        yield f"without {key}", removed


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_mutated_fixture_never_crashes_the_script(hookhub_runner, fixture):
    script = fixture.parent.parent / "script.py"
    header = hookhub_runner.outline(script).event_header
    headers = {header: fixture_event(fixture.name)} if header else {}
    body = json.loads(fixture.read_text(encoding="utf-8"))
    for label, changed in mutations(body):
        outcome = hookhub_runner.run(script, changed, headers=headers)
        crashed = [r.message for r in outcome.logs if r.level == "error"]
        assert outcome.status in (200, 400), f"{label}: HTTP {outcome.status} {outcome.body}"
        assert outcome.body.get("error") != "error-running-script", f"{label}: script crashed: {crashed}"
        assert outcome.status == 200 or outcome.body.get("error"), f"{label}: 400 without an error message"
