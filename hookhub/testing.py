"""pytest plugin for script authors (registered through the ``pytest11`` entry point).

Put ``test_<name>.py`` next to ``script.py`` (or ``script.js``) and its
``fixtures/`` folder, and write one test per fixture::

    def test_push(check):
        check("push__1_commit", text="[repo] alice pushed 1 commit to main")

    def test_ping_is_not_supported(check):
        check("ping__basic", expect_unsupported=True)

    def test_merged(check):
        check("pull_request__opened", change={"action": "closed", "pull_request.merged": True},
              text="alice merged pull request #2 in acme/api")

    def test_no_repository(check):
        check({"ref": "main"}, event="push", status=400,
              error="GitHub 'push' payload is missing 'repository.full_name'")

``check`` finds the script and ``fixtures/`` next to the test file, runs the
payload through the full pipeline in the real sandbox (nothing is stored)
and compares the outcome with the keyword arguments given. The event header
the script declares (``EVENT_HEADER``, as its engine reports it) is set from
the fixture's name, ``<event>__<variant>.json``, or from ``event=``.
``check(SCRIPT, fixture, ...)`` (a script path first) still works for a
script kept elsewhere.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from .pipeline import Outcome
from .toolkit import ScriptRunner, fixture_event, load_fixture, render

#: the log line of ``hookkit.dispatch`` for an event (or action) the script does not post
UNSUPPORTED = "is not supported; nothing posted"
SCRIPT_NAMES = ("script.py", "script.js")


def _is_script(value: Any) -> bool:
    return isinstance(value, Path) or (isinstance(value, str) and value.endswith((".py", ".js")))


def _set_path(body: Any, path: str, value: Any, *, drop: bool = False) -> None:
    """Set (or remove) the dotted ``path`` of a JSON body; list items by index (``commits.0.id``)."""
    *parents, last = path.split(".")
    node = body
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
    if isinstance(node, list):
        if drop:
            del node[int(last)]
        else:
            node[int(last)] = value
    elif drop:
        node.pop(last, None)
    else:
        node[last] = value


class Checker:
    """The ``check`` fixture: ``check(fixture, **expected)`` (see the module docstring)."""

    def __init__(self, runner: ScriptRunner, folder: Path) -> None:
        self.runner = runner
        self.folder = folder

    def script(self) -> Path:
        """The script next to the test file."""
        for name in SCRIPT_NAMES:
            if (self.folder / name).is_file():
                return self.folder / name
        raise FileNotFoundError(f"no {' or '.join(SCRIPT_NAMES)} in {self.folder}: put the test next to its "
                                "script, or name the script first: check(SCRIPT, fixture, ...)")

    def load(self, fixture: str | Path, script: Path | None = None) -> Any:
        """A fixture's JSON body (a fresh copy to change), by name or path."""
        body, _ = load_fixture(script or self.script(), fixture)
        return json.loads(body)

    def __call__(self, *args: Any, headers: Mapping[str, str] | None = None, event: str | None = None,
                 change: Mapping[str, Any] | None = None, drop: Iterable[str] = (), status: int = 200,
                 error: Any = None, expect_nothing: bool = False, expect_unsupported: bool = False,
                 logs: str | None = None, **message_fields: Any) -> Outcome:
        """Run one fixture and assert the outcome.

        :param args: ``fixture`` (a name in ``fixtures/``, a path, or a dict body), or ``script, fixture``.
        :param headers: request headers (they win over the event header set from the fixture name).
        :param event: the event, for a dict body or to override the fixture name's.
        :param change: dotted paths of the body to set before the run (``{"pull_request.merged": True}``).
        :param drop: dotted paths of the body to remove before the run.
        :param status: the expected HTTP status.
        :param error: the expected ``error`` of the answer.
        :param expect_nothing: assert that nothing is posted.
        :param expect_unsupported: assert the "unsupported event" answer: 200, nothing posted, the log line.
        :param logs: a text that one of the script's log lines must contain.
        :param message_fields: expected fields of the (first) posted message, compared with ``==``.
        """
        if len(args) == 2 and _is_script(args[0]):
            script, fixture = Path(args[0]), args[1]
        elif len(args) == 1:
            script, fixture = self.script(), args[0]
        else:
            raise TypeError("check(fixture, ...) or check(script, fixture, ...)")
        name: str | None = None
        if isinstance(fixture, Mapping):
            body: Any = copy.deepcopy(dict(fixture))
        else:
            raw, name = load_fixture(script, fixture)
            body = json.loads(raw) if (change or drop) else None
            if body is None:
                body = fixture
        for path, value in (change or {}).items():
            _set_path(body, path, value)
        for path in drop:
            _set_path(body, path, None, drop=True)
        all_headers = self._event_headers(script, event or (fixture_event(name) if name else None), event)
        all_headers.update(headers or {})
        outcome = self.runner.run(script, body, headers=all_headers)
        self._assert(outcome, status=status, error=error, expect_nothing=expect_nothing or expect_unsupported,
                     expect_unsupported=expect_unsupported, logs=logs, message_fields=message_fields)
        return outcome

    def _event_headers(self, script: Path, value: str | None, explicit: str | None) -> dict[str, str]:
        header = self.runner.outline(script).event_header
        if explicit and not header:
            raise AssertionError(f"event={explicit!r}: {script.name} declares no EVENT_HEADER; "
                                 "put the event in the body instead")
        return {header: value} if header and value else {}

    @staticmethod
    def _assert(outcome: Outcome, *, status: int, error: Any, expect_nothing: bool, expect_unsupported: bool,
                logs: str | None, message_fields: dict[str, Any]) -> None:
        report = render(outcome)
        assert outcome.status == status, f"expected HTTP {status}, got:\n{report}"
        if error is not None:
            assert outcome.body.get("error") == error, f"expected error {error!r}, got:\n{report}"
        if expect_nothing:
            assert not outcome.drafts, f"expected nothing posted, got:\n{report}"
        if expect_unsupported:
            assert any(UNSUPPORTED in r.message for r in outcome.logs), (
                f"expected the log line '… {UNSUPPORTED}' of an unsupported event, got:\n{report}")
        if logs is not None:
            assert any(logs in r.message for r in outcome.logs), f"expected a log line with {logs!r}:\n{report}"
        if message_fields:
            assert outcome.drafts, f"expected a message, nothing was posted:\n{report}"
            doc = outcome.drafts[0].doc
            got = {key: doc.get(key) for key in message_fields}
            assert got == message_fields, (
                "message differs:\n" + json.dumps(got, indent=2, ensure_ascii=False)
                + "\nexpected:\n" + json.dumps(message_fields, indent=2, ensure_ascii=False))


@pytest.fixture(scope="session")
def hookhub_runner() -> Iterator[ScriptRunner]:
    """One sandbox for the whole test session."""
    runner = ScriptRunner(sandbox_mode="process", workers=1)
    yield runner
    runner.close()


@pytest.fixture
def check(request: pytest.FixtureRequest, hookhub_runner: ScriptRunner) -> Checker:
    """Run the script next to the test file on a fixture and assert the outcome (see the module docstring)."""
    return Checker(hookhub_runner, Path(request.path).parent)
