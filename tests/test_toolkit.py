"""The script author's toolkit (hookhub.toolkit): fixtures, ScriptRunner, and the report of a run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from hookhub.pipeline import Outcome
from hookhub.toolkit import ScriptRunner, as_json, fixture_event, load_fixture, render

SCRIPT = '''
EVENT_HEADER = "X-Shop-Event"

class Script:
    def process_incoming_request(self, request):
        event = request.headers.get("x-shop-event")
        return {"content": {"text": event + ": " + request.content.get("item", "?"),
                            "attachments": [{"title": "Order", "text": "line one\\nline two"}]}}
'''


@pytest.fixture(scope="module")
def runner() -> Iterator[ScriptRunner]:
    with ScriptRunner(sandbox_mode="inprocess") as r:
        yield r


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "script.py"
    path.write_text(SCRIPT, encoding="utf-8")
    (tmp_path / "fixtures").mkdir()
    (tmp_path / "fixtures" / "order_paid__big.json").write_text(json.dumps({"item": "piano"}), encoding="utf-8")
    return path


def test_fixture_event() -> None:
    assert fixture_event("push__new_branch") == "push"
    assert fixture_event("fixtures/ping.json") == "ping"


def test_load_fixture_finds_names_paths_and_dicts(script: Path) -> None:
    assert load_fixture(script, "order_paid__big") == (b'{"item": "piano"}', "order_paid__big")
    assert load_fixture(None, script.parent / "fixtures" / "order_paid__big.json")[1] == "order_paid__big"
    assert load_fixture(script, {"item": "x"}) == (b'{"item": "x"}', None)
    with pytest.raises(FileNotFoundError, match=r"fixture 'nope' not found \(tried "):
        load_fixture(script, "nope")


def test_run_sets_the_event_header_from_the_fixture_name(runner: ScriptRunner, script: Path) -> None:
    outcome = runner.run(script, "order_paid__big")
    assert outcome.status == 200
    assert [d.doc["text"] for d in outcome.drafts] == ["order_paid: piano"]
    given = runner.run(script, {"item": "drum"}, headers={"X-Shop-Event": "refund"})
    assert [d.doc["text"] for d in given.drafts] == ["refund: drum"]


def test_outline_reports_the_event_header(runner: ScriptRunner, script: Path) -> None:
    outline = runner.outline(script)
    assert outline.event_header == "X-Shop-Event" and outline.defines("process_incoming_request")


def test_a_yaml_integration_runs_by_name_and_unknown_names_are_listed(runner: ScriptRunner, script: Path,
                                                                       tmp_path: Path) -> None:
    config = tmp_path / "hookhub.yaml"
    config.write_text(
        "users: [{username: bot}]\nchannels: [{name: general}]\n"
        "integrations:\n  - {id: shop, type: incoming, token: t, channel: '#general', username: bot,"
        " script_file: script.py}\n", encoding="utf-8")
    outcome = runner.run(None, "order_paid__big", config=config, integration="shop")
    assert [d.doc["text"] for d in outcome.drafts] == ["order_paid: piano"]
    with pytest.raises(ValueError, match=r"integration 'nope' is not in .* \(known: shop\)"):
        runner.run(None, {}, config=config, integration="nope")
    with pytest.raises(ValueError, match="name the integration to run with --config"):
        runner.run(None, {}, config=config)


def test_render_and_as_json(runner: ScriptRunner, script: Path) -> None:
    outcome = runner.run(script, "order_paid__big")
    report = render(outcome)
    assert report.startswith("HTTP 200\n")
    assert "--- message to #general as hookhub.test" in report
    assert "  ▌ [] Order" in report and "  ▌ line two" in report
    data = as_json(outcome)
    assert data["status"] == 200 and data["messages"][0]["destination"] == "#general"
    assert render(Outcome(200, {"success": True})).endswith("(nothing posted)")
