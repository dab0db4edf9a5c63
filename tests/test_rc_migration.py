"""Rocket.Chat migration end to end: an export of Rocket.Chat-style scripts (written for these tests,
tests/engines/js_scripts/) through ``hookhub import-rc``, ``hookhub check`` and a real ``hookhub serve``
process, fed the payloads their services send, with no hand edit of what import-rc wrote."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from hookhub.cli import main

from .test_e2e import Server

SCRIPTS = Path(__file__).parent / "engines" / "js_scripts"
ADMIN = {"Authorization": "Bearer migration-admin"}


def _doc(ident: str, name: str, script: str, **fields: Any) -> dict[str, Any]:
    """An integration as Rocket.Chat's admin form saves it (blank fields are "")."""
    return {"_id": ident, "type": "webhook-incoming", "name": name, "enabled": True, "username": "rocket.cat",
            "alias": "", "avatar": "", "emoji": "", "channel": ["#general"], "token": f"{ident}-tok",
            "scriptEnabled": True, "script": (SCRIPTS / script).read_text("utf-8"), "scriptEngine": "isolated-vm",
            "_createdAt": "2025-01-02T03:04:05.000Z", "_updatedAt": "2025-01-02T03:04:05.000Z", **fields}


ALERTS = """class Script {
  process_incoming_request({ request }) {
    const c = request.content;
    return { content: {
      icon_url: 'data:image/png;base64,iVBORw0KGgo=',
      text: `[${c.status}] ${c.alerts.length} alert(s)`,
      attachments: c.alerts.map((a) => ({ title: a.labels.alertname, title_link: 'my.prometheusalertmanager.url' })),
    } };
  }
}
"""


@pytest.fixture
def migrated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    export = {"integrations": [
        _doc("ghEvents01", "GitHub events", "github_events.js"),
        _doc("ciReport02", "CI report", "error_report.js", alias="CI", avatar="https://ci.example.com/logo.png"),
        {**_doc("amAlerts03", "Alertmanager", "store_shared.js"), "script": ALERTS},
        _doc("deploys04", "Deploys", "store_shared.js"),
    ], "success": True}
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export), "utf-8")
    out = tmp_path / "imported"
    result = CliRunner().invoke(main, ["import-rc", str(path), "--out-dir", str(out)])
    assert result.exit_code == 0, result.output
    for line in (out / ".env").read_text("utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            monkeypatch.setenv(name, value)
    # what an operator adds around the imported sections: the server's own settings
    config = out / "hookhub.yaml"
    config.write_text(config.read_text("utf-8") + "storage:\n  url: sqlite:///data/hookhub.db\n"
                      "admin:\n  token: migration-admin\nsandbox:\n  workers: 2\n", "utf-8")
    checked = CliRunner().invoke(main, ["check", "--config", str(config)])
    assert checked.exit_code == 0 and "warning" not in checked.output, checked.output
    return config


def _messages(url: str) -> list[dict[str, Any]]:
    r = httpx.get(f"{url}/api/v1/channels/general/messages", headers=ADMIN)
    assert r.status_code == 200, r.text
    return r.json()["messages"]  # type: ignore[no-any-return]


def test_imported_scripts_serve_their_payloads_unchanged(migrated: Path) -> None:
    server = Server(migrated)
    server.start()
    try:
        base = server.url
        push = {"ref": "refs/heads/main", "commits": [{"id": "a"}, {"id": "b"}, {"id": "c"}]}
        for event, payload in (("push", push), ("issues", {"action": "closed", "issue": {"number": 9}})):
            r = httpx.post(f"{base}/hooks/ghEvents01/ghEvents01-tok", json=payload, headers={"X-GitHub-Event": event})
            assert (r.status_code, r.json()) == (200, {"success": True}), r.text
        r = httpx.post(f"{base}/hooks/ciReport02/ciReport02-tok", json={"at": 0})  # no build: the script reports it
        assert r.status_code == 200, r.text
        alert = {"status": "firing", "alerts": [{"labels": {"alertname": "DiskFull"}}]}
        assert httpx.post(f"{base}/hooks/amAlerts03/amAlerts03-tok", json=alert).status_code == 200
        for version in ("1.0", "1.1"):
            r = httpx.post(f"{base}/hooks/deploys04/deploys04-tok", json={"version": version, "by": "ann"})
            assert r.status_code == 200, r.text

        by_text = {m["text"]: m for m in _messages(base)}
        assert by_text["3 commit(s) to main"]["avatar"] == "https://avatars.example.com/github.png"
        assert by_text["issue #9 closed"]["alias"] is None  # the blank form fields are unset
        report = by_text["could not format the payload"]
        assert (report["alias"], report["avatar"]) == ("CI", "https://ci.example.com/logo.png")
        stack = report["attachments"][0]["text"]
        assert "at Script.format (scripts/ciReport02.js:4:12)" in stack and "__hookhub" not in stack
        if time.timezone == 0 and not time.daylight:  # the test machine and CI run in UTC
            assert report["attachments"][0]["footer"] == ("at Thu Jan 01 1970 00:00:00 GMT+0000 "
                                                          "(Coordinated Universal Time)")
        firing = by_text["[firing] 1 alert(s)"]
        assert firing["avatar"].startswith("data:image/png")
        assert firing["attachments"][0]["title_link"] == "my.prometheusalertmanager.url"
        assert "deploys: 1.0, 1.1" in by_text

        logs = httpx.get(f"{base}/api/v1/integrations/amAlerts03/logs", headers=ADMIN).json()["logs"]
        warnings = sorted(entry["message"] for entry in logs if entry["level"] == "warn")
        assert [w.split(" is ")[0] for w in warnings] == ["message field attachments[0].title_link",
                                                          "message field icon_url"]
    finally:
        server.stop()
