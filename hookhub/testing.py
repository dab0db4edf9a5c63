"""pytest plugin for script authors (registered through the ``pytest11`` entry point).

Write one test per fixture::

    SCRIPT = Path(__file__).parent / "script.py"

    def test_push(check):
        check(SCRIPT, "push__1_commit", text="[repo] alice pushed 1 commit to main")

    def test_ping_is_ignored(check):
        check(SCRIPT, "ping__basic", expect_nothing=True)

``check`` runs the payload through the full pipeline in the real sandbox
(nothing is stored) and compares the posted message's fields with the
keyword arguments given.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

import pytest

from .pipeline import Outcome
from .toolkit import ScriptRunner, render


class Check(Protocol):
    def __call__(self, script: str | Path, fixture: str | Path | Mapping[str, Any], *,
                 headers: Mapping[str, str] | None = None, status: int = 200, error: Any = None,
                 expect_nothing: bool = False, **message_fields: Any) -> Outcome: ...


@pytest.fixture(scope="session")
def hookhub_runner() -> Iterator[ScriptRunner]:
    """One sandbox for the whole test session."""
    runner = ScriptRunner(sandbox_mode="process", workers=1)
    yield runner
    runner.close()


@pytest.fixture
def check(hookhub_runner: ScriptRunner) -> Check:
    """Run a script on a fixture and assert the outcome (see the module docstring).

    :param script: path of the script.
    :param fixture: a fixture name (``<script dir>/fixtures/<name>.json``), a path, or a dict body.
    :param headers: request headers; the script's ``EVENT_HEADER`` is set from the fixture name otherwise.
    :param status: the expected HTTP status.
    :param error: the expected ``error`` of the answer, when ``status`` is not 200.
    :param expect_nothing: assert that nothing is posted.
    :param message_fields: expected fields of the (first) posted message, compared with ``==``.
    """

    def run(script: str | Path, fixture: str | Path | Mapping[str, Any], *,
            headers: Mapping[str, str] | None = None, status: int = 200, error: Any = None,
            expect_nothing: bool = False, **message_fields: Any) -> Outcome:
        outcome = hookhub_runner.run(Path(script), fixture, headers=headers)
        report = render(outcome)
        assert outcome.status == status, f"expected HTTP {status}, got:\n{report}"
        if error is not None:
            assert outcome.body.get("error") == error, f"expected error {error!r}, got:\n{report}"
        if expect_nothing:
            assert not outcome.drafts, f"expected nothing posted, got:\n{report}"
            return outcome
        if message_fields:
            assert outcome.drafts, f"expected a message, nothing was posted:\n{report}"
            doc = outcome.drafts[0].doc
            got = {key: doc.get(key) for key in message_fields}
            assert got == message_fields, (
                "message differs:\n" + json.dumps(got, indent=2, ensure_ascii=False)
                + "\nexpected:\n" + json.dumps(message_fields, indent=2, ensure_ascii=False))
        return outcome

    return run
