"""``hookhub test`` for outgoing scripts: prepare_outgoing_request on a message, process_outgoing_response
on a given response, nothing sent, no server (scripts in tests/outgoing/offline/, written for these tests)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hookhub.cli import main
from hookhub.outgoing.offline import is_outgoing_script, load_response
from hookhub.toolkit import OFFLINE_URL

HERE = Path(__file__).with_name("offline")
BOT = HERE / "ticket_bot.js"


def hookhub_test(*args: str) -> tuple[int, Any]:
    result = CliRunner().invoke(main, ["test", *args, "--json", "--inprocess"])
    try:
        return result.exit_code, json.loads(result.output)
    except ValueError:
        raise AssertionError(result.output) from None


def test_prepare_outgoing_request_on_a_message() -> None:
    code, out = hookhub_test(str(BOT), "command__ticket")
    assert code == 0
    assert out["step"] == "would-send"
    assert out["request"] == {"url": OFFLINE_URL + "/tickets/42", "method": "GET",
                              "headers": {"Authorization": "••••"}, "params": {}, "data": None, "auth": None}
    assert [log["message"] for log in out["logs"]] == ["looking up ticket 42 for ann"]
    assert out["replies"] == [] and out["response"] is None


def test_process_outgoing_response_with_a_given_response() -> None:
    code, out = hookhub_test(str(BOT), "command__ticket", "--response",
                             str(HERE / "fixtures" / "response__ticket_42.json"))
    assert code == 0 and out["step"] == "answered"
    assert out["response"]["status_code"] == 200 and out["response"]["content"]["id"] == 42
    [reply] = out["replies"]
    assert reply["destination"] == "#general" and reply["text"] == "#42 Printer on fire (open)"
    assert reply["attachments"][0]["title_link"] == "https://tickets.example.com/42"
    code, missing = hookhub_test(str(BOT), "command__ticket", "--response",
                                 str(HERE / "fixtures" / "response__missing.json"))
    assert code == 0 and missing["replies"][0]["text"] == "no such ticket"
    assert missing["response"] == {"status_code": 404, "content": "not found", "content_raw": "not found",
                                   "headers": {"content-type": "text/plain"}, "error": "the receiver answered 404"}


def test_replies_and_cancelled_requests() -> None:
    code, helped = hookhub_test(str(BOT), "command__help")
    assert code == 0 and helped["step"] == "replied" and helped["request"] is None
    assert helped["replies"][0]["text"] == "usage: `!ticket <number>`"
    code, quiet = hookhub_test(str(BOT), str(HERE / "fixtures" / "chatter.json"))
    assert code == 0 and quiet["step"] == "cancelled" and quiet["replies"] == []


def test_text_report_and_python_scripts(tmp_path: Path) -> None:
    message = tmp_path / "deploy.json"
    message.write_text('{"text": "!deploy api", "u": {"username": "bob"}}', "utf-8")
    answer = tmp_path / "answer.json"
    answer.write_text('{"status_code": 202, "content": {"id": "d-7"}}', "utf-8")
    result = CliRunner().invoke(main, ["test", str(HERE / "deploy.py"), str(message), "--response", str(answer),
                                       "--inprocess"])
    assert result.exit_code == 0, result.output
    assert "step: answered" in result.output and '"service": "api"' in result.output
    assert "--- reply to #general as hookhub.test\ndeploy queued: d-7" in result.output


def test_integrations_of_a_yaml_file_keep_their_trigger_words(tmp_path: Path) -> None:
    config = tmp_path / "hookhub.yaml"
    config.write_text(f"""storage:
  url: sqlite:///x.db
users:
  - username: rocket.cat
channels:
  - name: support
integrations:
  - id: tickets
    type: outgoing
    channel: "#support"
    trigger_words: ["!ticket", "!help"]
    urls: ["https://tickets.example.com/api"]
    token: s3cret-token
    username: rocket.cat
    script_file: {BOT}
""", "utf-8")
    code, out = hookhub_test("tickets", "command__ticket", "--config", str(config))
    assert code == 0 and out["request"]["url"] == "https://tickets.example.com/api/tickets/42"
    assert "s3cret-token" not in json.dumps(out)
    code, off = hookhub_test("tickets", str(HERE / "fixtures" / "chatter.json"), "--config", str(config))
    assert code == 1 and off["step"] == "not-triggered"
    assert "trigger words !ticket, !help" in off["error"]


def test_worker_processes_run_it_too() -> None:
    result = CliRunner().invoke(main, ["test", str(BOT), "command__ticket", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["step"] == "would-send"


def test_bad_input_is_explained(tmp_path: Path) -> None:
    incoming = tmp_path / "in.js"
    incoming.write_text("class Script { process_incoming_request() { return { content: { text: 'x' } }; } }")
    result = CliRunner().invoke(main, ["test", str(incoming), str(HERE / "fixtures" / "chatter.json"),
                                       "--response", str(HERE / "fixtures" / "chatter.json")])
    assert result.exit_code == 2 and "--response is for outgoing scripts" in result.output
    broken = tmp_path / "broken.json"
    broken.write_text("{nope", "utf-8")
    result = CliRunner().invoke(main, ["test", str(BOT), "command__ticket", "--response", str(broken), "--inprocess"])
    assert result.exit_code == 1 and "the response fixture" in result.output and "is not JSON" in result.output
    assert is_outgoing_script(BOT) and not is_outgoing_script(incoming)
    with pytest.raises(ValueError, match="status_code of the response fixture must be a number"):
        load_response({"status_code": "200"})
    plain = load_response({"ok": True})
    assert (plain.status_code, plain.content, plain.error) == (200, {"ok": True}, None)


def test_reply_fields_rocket_chat_accepts_are_kept_with_a_warning(tmp_path: Path) -> None:
    script = tmp_path / "bot.js"
    script.write_text("""class Script {
      prepare_outgoing_request({ request }) {
        return { message: { text: 'pong', icon_url: 'undefined/50.png' } };
      }
    }""", "utf-8")
    code, out = hookhub_test(str(script), str(HERE / "fixtures" / "chatter.json"))
    assert code == 0 and out["step"] == "replied"
    assert out["replies"][0]["avatar"] == "undefined/50.png"
    [warning] = [log["message"] for log in out["logs"] if log["level"] == "warn"]
    assert warning.startswith("reply field icon_url is not an absolute http(s) URL: 'undefined/50.png'")
