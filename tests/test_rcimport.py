"""hookhub.rcimport: a realistic Rocket.Chat export → YAML + scripts → hookhub's own config loader."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from hookhub.config import load_config
from hookhub.engines.base import ScriptEnv
from hookhub.engines.javascript import JavaScriptEngine
from hookhub.rcimport import ImportRcError, command, convert, load_export, write

GITHUB_SCRIPT = """/* exported from Rocket.Chat */
class Script {
  process_incoming_request({ request }) {
    msg = request.content.head_commit ? request.content.head_commit.message : 'no commit';
    const info = HTTP('GET', 'https://api.github.com/repos/' + request.content.repository.full_name, {});
    return { content: { text: s.truncate(msg, 20) } };
  }
}"""

ALERT_SCRIPT = """class Script {
  process_incoming_request({ request }) {
    return { content: { text: `${request.content.title}`, channel: '#ops' } };
  }
}
"""

OUTGOING_SCRIPT = """class Script {
  prepare_outgoing_request({ request }) {
    return { url: request.url, method: 'POST', data: { q: request.data.text } };
  }
  process_outgoing_response({ request, response }) {
    return { content: { text: 'answered ' + response.status_code } };
  }
}
"""

EXPORT: dict[str, Any] = {
    "integrations": [
        {
            "_id": "Xa7pQ2mGvB5rT9kLc",
            "type": "webhook-incoming",
            "name": "GitHub commits",
            "enabled": True,
            "username": "rocket.cat",
            "alias": "GitHub",
            "avatar": "https://github.githubassets.com/favicon.png",
            "emoji": ":octocat:",
            "channel": ["#dev"],
            "token": "kF8s9dQ2LmZpR4tWxYbN3cVa7hJ6gE1u",
            "scriptEnabled": True,
            "script": GITHUB_SCRIPT,
            "scriptCompiled": "function _classCallCheck(...) {...}",
            "overrideDestinationChannelEnabled": False,
            "userId": "rocket.cat",
            "_createdAt": "2023-04-01T10:00:00.000Z",
            "_createdBy": {"_id": "aB3", "username": "admin"},
            "_updatedAt": "2024-02-11T09:30:00.000Z",
        },
        {
            "_id": "m9Nw4Zt6Yq1Ps8Rd2",
            "type": "webhook-incoming",
            "name": "Grafana alerts",
            "enabled": False,
            "username": "grafana.bot",
            "channel": ["#alerts", "@alice"],
            "token": "tok with 'quote' & space",
            "scriptEnabled": True,
            "script": ALERT_SCRIPT,
            "overrideDestinationChannelEnabled": True,
            "scriptError": {"name": "SyntaxError", "message": "old error"},
            "scriptEngine": "isolated-vm",
            "customField": {"x": 1},
        },
        {
            "_id": "plainHook1",
            "type": "webhook-incoming",
            "name": "No script",
            "enabled": True,
            "username": "rocket.cat",
            "channel": ["#general"],
            "token": "P1aInT0k3n",
            "scriptEnabled": False,
        },
        {
            "_id": "Q3eR5tY7uI9oP1aS2",
            "type": "webhook-outgoing",
            "name": "Ticket bot",
            "enabled": True,
            "event": "sendMessage",
            "username": "rocket.cat",
            "channel": ["#support", "all_direct_messages"],
            "urls": ["https://tickets.example.com/hook"],
            "triggerWords": ["!ticket", "", "!bug"],
            "triggerWordAnywhere": True,
            "impersonateUser": False,
            "retryFailedCalls": True,
            "retryCount": 6,
            "retryDelay": "powers-of-two",
            "runOnEdits": True,
            "targetRoom": "#support-log",
            "token": "0utG01ngT0k3n",
            "scriptEnabled": True,
            "script": OUTGOING_SCRIPT,
        },
        {"_id": "zzz", "type": "webhook-bogus", "name": "Strange"},
    ],
    "offset": 0,
    "items": 5,
    "total": 5,
    "success": True,
}


@pytest.fixture
def export_file(tmp_path: Path) -> Path:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(EXPORT), "utf-8")
    return path


def _load_env(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Read the .env file the way a shell would (`set -a; . ./.env`) for the simple forms written."""
    for line in path.read_text("utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, value = line.partition("=")
        if value.startswith("'"):
            value = value[1:-1].replace("'\"'\"'", "'")
        monkeypatch.setenv(name, value)


def test_round_trip_through_the_config_loader(export_file: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(command, [str(export_file), "--out-dir", str(out)])
    assert result.exit_code == 0, result.output
    assert "imported 4 integrations" in result.output
    assert "HOOKHUB_TOKEN_XA7PQ2MGVB5RT9KLC" in result.output
    assert "kF8s9dQ2" not in result.output

    yaml_text = (out / "hookhub.yaml").read_text("utf-8")
    for doc in EXPORT["integrations"]:
        if "token" in doc:
            assert doc["token"] not in yaml_text  # tokens never in clear in the YAML
    assert stat.S_IMODE((out / ".env").stat().st_mode) == 0o600

    _load_env(out / ".env", monkeypatch)
    config = load_config(out / "hookhub.yaml")
    by_id = {i.id: i for i in config.integrations}
    assert set(by_id) == {"Xa7pQ2mGvB5rT9kLc", "m9Nw4Zt6Yq1Ps8Rd2", "plainHook1", "Q3eR5tY7uI9oP1aS2"}

    github = by_id["Xa7pQ2mGvB5rT9kLc"]
    assert (github.type, github.name, github.enabled) == ("incoming", "GitHub commits", True)
    assert (github.username, github.alias, github.emoji) == ("rocket.cat", "GitHub", ":octocat:")
    assert github.avatar == "https://github.githubassets.com/favicon.png"
    assert github.channel == ["#dev"]
    assert github.token is not None and github.token.get_secret_value() == "kF8s9dQ2LmZpR4tWxYbN3cVa7hJ6gE1u"
    assert github.script_enabled is True and github.override_destination_channel is False
    assert github.http.allow_hosts == ["api.github.com"]
    assert config.resolve(github.script_file or "").read_text("utf-8") == GITHUB_SCRIPT + "\n"

    alerts = by_id["m9Nw4Zt6Yq1Ps8Rd2"]
    assert alerts.enabled is False and alerts.override_destination_channel is True
    assert alerts.channel == ["#alerts", "@alice"]
    assert alerts.token is not None and alerts.token.get_secret_value() == "tok with 'quote' & space"

    plain = by_id["plainHook1"]
    assert plain.script_enabled is False and plain.script_file is None

    outgoing = by_id["Q3eR5tY7uI9oP1aS2"]
    assert outgoing.type == "outgoing" and outgoing.event == "sendMessage"
    assert outgoing.urls == ["https://tickets.example.com/hook"]
    assert outgoing.trigger_words == ["!ticket", "!bug"]
    assert (outgoing.trigger_word_anywhere, outgoing.impersonate_user, outgoing.run_on_edits) == (True, False, True)
    assert (outgoing.retry_failed_calls, outgoing.retry_count, outgoing.retry_delay) == (True, 6, "powers-of-two")
    assert outgoing.target_room == "#support-log"
    assert outgoing.channel == ["#support", "all_direct_messages"]

    assert {u.username for u in config.users} == {"rocket.cat", "grafana.bot", "alice"}
    assert {c.name for c in config.channels} == {"dev", "alerts", "general", "support"}

    # the imported scripts run on the JavaScript engine
    source = config.resolve(alerts.script_file or "").read_text("utf-8")
    script = JavaScriptEngine().instantiate(source, "alerts.js", ScriptEnv("alerts"))
    assert script.call("process_incoming_request", {"request": {"content": {"title": "CPU"}}}) == {
        "content": {"text": "CPU", "channel": "#ops"}}


def test_notes_report_what_was_not_mapped(export_file: Path) -> None:
    notes = "\n".join(convert(load_export(export_file)).notes)
    assert "integrations[4] (Strange): skipped: type 'webhook-bogus'" in notes
    assert "field 'customField' not mapped" in notes
    assert "Rocket.Chat reported a script error" in notes
    assert "empty trigger words dropped" in notes
    assert "calls HTTP() (it calls api.github.com)" in notes
    assert "scriptCompiled" not in notes and "_createdAt" not in notes


def test_single_document_and_broken_scripts(tmp_path: Path) -> None:
    doc = {"_id": "one", "type": "webhook-incoming", "name": "One", "channel": "#a, #b",
           "username": "bot", "token": "t", "scriptEnabled": True, "script": "class Script { x( }"}
    path = tmp_path / "one.json"
    path.write_text(json.dumps(doc), "utf-8")
    result = convert(load_export(path))
    [entry] = result.config["integrations"]
    assert entry["channel"] == ["#a", "#b"]
    assert any("does not compile here: scripts/one.js:1: SyntaxError" in n for n in result.notes)
    enabled_without_script = convert([{"_id": "e", "type": "webhook-incoming", "scriptEnabled": True}])
    assert enabled_without_script.config["integrations"][0]["script_enabled"] is False
    notes = "\n".join(enabled_without_script.notes)
    assert "no username in the export" in notes and "no channel in the export" in notes


def test_yaml_shape_is_snake_case(export_file: Path, tmp_path: Path) -> None:
    write(convert(load_export(export_file)), tmp_path)
    data = yaml.safe_load((tmp_path / "hookhub.yaml").read_text("utf-8"))
    keys = {k for entry in data["integrations"] for k in entry}
    assert all(k == k.lower() for k in keys)
    assert data["integrations"][0]["token"] == {"$env": "HOOKHUB_TOKEN_XA7PQ2MGVB5RT9KLC"}


def test_refuses_to_overwrite_and_bad_input(export_file: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(command, [str(export_file), "--out-dir", str(tmp_path / "o")]).exit_code == 0
    again = runner.invoke(command, [str(export_file), "--out-dir", str(tmp_path / "o")])
    assert again.exit_code == 1 and "already exists" in again.output
    assert runner.invoke(command, [str(export_file), "--out-dir", str(tmp_path / "o"), "--force"]).exit_code == 0
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", "utf-8")
    with pytest.raises(ImportRcError, match="is not JSON"):
        load_export(bad)
    bad.write_text('{"success": true}', "utf-8")
    with pytest.raises(ImportRcError, match="expected the integrations.list answer"):
        load_export(bad)


def test_import_rc_is_a_hookhub_subcommand(tmp_path: Path) -> None:
    from hookhub.cli import main

    export = tmp_path / "export.json"
    export.write_text(json.dumps({"_id": "abc123", "type": "webhook-incoming", "name": "Hook", "enabled": True,
                                  "token": "tok", "channel": ["#general"], "username": "rocket.cat",
                                  "scriptEnabled": False}))
    result = CliRunner().invoke(main, ["import-rc", str(export), "--out-dir", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "hookhub.yaml").is_file()


# A script in the style of the Alertmanager ones people paste into Rocket.Chat: no avatar of its
# own (the integration's blank form fields apply), a non-URL link that Rocket.Chat stores as is.
ALERTMANAGER_STYLE = """class Script {
  process_incoming_request({ request }) {
    const alerts = request.content.alerts || [];
    return {
      content: {
        text: alerts.length + ' alert(s) ' + request.content.status,
        attachments: alerts.map((a) => ({
          title: a.labels.alertname,
          title_link: request.content.externalURL || 'my.prometheusalertmanager.url',
          text: a.annotations.summary,
          color: request.content.status === 'firing' ? 'danger' : 'good',
        })),
      },
    };
  }
}
"""


def _admin_form_export() -> dict[str, Any]:
    """One integration as Rocket.Chat's admin form saves it: blank alias, avatar and emoji are ''."""
    return {"integrations": [{
        "_id": "am4Xq9", "type": "webhook-incoming", "name": "Alertmanager", "enabled": True,
        "username": "rocket.cat", "alias": "", "avatar": "", "emoji": "", "channel": ["#general"],
        "token": "amT0ken", "scriptEnabled": True, "script": ALERTMANAGER_STYLE,
        "_createdAt": "2024-05-01T10:00:00.000Z", "_updatedAt": "2024-05-01T10:00:00.000Z",
    }]}


def test_blank_form_fields_are_unset_and_the_import_serves_unchanged(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from starlette.testclient import TestClient

    from hookhub.web.app import make_app
    from hookhub.cli import main
    from hookhub.hub import Hub

    export = tmp_path / "export.json"
    export.write_text(json.dumps(_admin_form_export()), "utf-8")
    out = tmp_path / "out"
    assert CliRunner().invoke(command, [str(export), "--out-dir", str(out)]).exit_code == 0
    [entry] = yaml.safe_load((out / "hookhub.yaml").read_text("utf-8"))["integrations"]
    assert not {"alias", "avatar", "emoji"} & set(entry)
    _load_env(out / ".env", monkeypatch)
    monkeypatch.chdir(out)
    (out / "hookhub.yaml").write_text((out / "hookhub.yaml").read_text("utf-8")
                                      + "storage:\n  url: sqlite:///hookhub.db\nsandbox:\n  mode: inprocess\n")
    checked = CliRunner().invoke(main, ["check", "--config", "hookhub.yaml"])
    assert checked.exit_code == 0 and "warning" not in checked.output, checked.output

    config = load_config(out / "hookhub.yaml")
    with TestClient(make_app(Hub(config)), raise_server_exceptions=False) as client:
        alert = {"status": "firing", "alerts": [{"labels": {"alertname": "DiskFull"},
                                                  "annotations": {"summary": "disk 95%"}}]}
        r = client.post("/hooks/am4Xq9/amT0ken", json=alert)
        assert (r.status_code, r.json()) == (200, {"success": True})


def test_check_warns_about_what_serving_would_log(tmp_path: Path) -> None:
    from hookhub.cli import main

    config = tmp_path / "hookhub.yaml"
    config.write_text("storage:\n  url: sqlite:///x.db\nusers:\n  - username: bot\nchannels:\n  - name: general\n"
                      "integrations:\n  - id: hook\n    type: incoming\n    token: t\n    channel: '#general'\n"
                      "    username: bot\n    script_enabled: false\n    avatar: ''\n    emoji: ''\n"
                      "  - id: other\n    type: incoming\n    token: u\n    channel: '#general'\n"
                      "    username: bot\n    script_enabled: false\n    avatar: 'images/bot.png'\n", "utf-8")
    result = CliRunner().invoke(main, ["check", "--config", str(config)])
    assert result.exit_code == 0, result.output
    [warning] = [line for line in result.output.splitlines() if line.startswith("warning:")]
    assert warning.startswith(f"warning: {config}:22 integrations[1].avatar: integration other: avatar is "
                              "not an absolute http(s) URL: 'images/bot.png'")


GITLAB_STYLE_JS = """/* eslint no-unused-vars: 0 */
const colors = { opened: '#1aaa55', merged: '#1f78d1' };
class Script {
  process_incoming_request({ request }) {
    const mr = request.content.object_attributes || {};
    return { content: { text: `MR !${mr.iid} ${mr.state}`, attachments: [{ color: colors[mr.state] }] } };
  }
}
"""


def test_a_single_js_file_is_imported_with_a_hint(tmp_path: Path) -> None:
    script = tmp_path / "gitlab-mr.js"
    script.write_text(GITLAB_STYLE_JS, "utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(command, [str(script), "--out-dir", str(out)])
    assert result.exit_code == 0, result.output
    assert f"{script} is one script, not a Rocket.Chat export: imported as the incoming integration " \
           "'gitlab-mr' with a new token (in .env)" in result.output
    assert "Add its channel and username" in result.output
    [entry] = yaml.safe_load((out / "hookhub.yaml").read_text("utf-8"))["integrations"]
    assert entry["id"] == "gitlab-mr" and entry["script_file"] == "scripts/gitlab-mr.js"
    assert entry["token"] == {"$env": "HOOKHUB_TOKEN_GITLAB_MR"}
    assert (out / "scripts" / "gitlab-mr.js").read_text("utf-8") == GITLAB_STYLE_JS
    assert len((out / ".env").read_text("utf-8").split("HOOKHUB_TOKEN_GITLAB_MR=")[1].strip()) >= 24
    # an outgoing-only script becomes an outgoing integration
    outgoing = tmp_path / "bot.js"
    outgoing.write_text(OUTGOING_SCRIPT, "utf-8")
    [doc] = load_export(outgoing)
    assert doc["type"] == "webhook-outgoing"
    # a script saved under another name is recognised too; other text says what is expected
    renamed = tmp_path / "script.txt"
    renamed.write_text(GITLAB_STYLE_JS, "utf-8")
    assert load_export(renamed)[0]["script"] == GITLAB_STYLE_JS
    renamed.write_text("hello", "utf-8")
    with pytest.raises(ImportRcError, match=r"is not JSON: .* or one script \(a \.js file\)"):
        load_export(renamed)
