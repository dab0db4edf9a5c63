"""Every refusal of a script's result goes to the integration log and ``hookhub test``'s output,
naming the offending field and how to fix it (hookhub/refusals.py)."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from hookhub.cli import main

from .conftest import AUTH, integration


def returning(value: str) -> str:
    return f"""
    class Script:
        def process_incoming_request(self, request):
            return {value}
    """


def logs(client: TestClient, integration_id: str) -> list[str]:
    entries = client.get(f"/api/v1/integrations/{integration_id}/logs", headers=AUTH).json()["logs"]
    return [e["message"] for e in entries]


@pytest.mark.parametrize(("value", "expected"), [
    ('"hello"', "result: the script returned a string ('hello'), not an object; "
                "return {'content': {'text': ...}} to post a message"),
    ("[1, 2]", "result: the script returned a list ([1, 2]), not an object"),
    ("7", "result: the script returned a number (7), not an object"),
    ('{"contnet": {"text": "x"}}', "result.contnet: unknown key; did you mean 'content'?"),
    ('{"text": "hi"}', "result.text: message fields go under 'content': return {'content': {'text': ...}}"),
    ('{"content": "hi"}', "result.content: must be an object with text, attachments, channel..., got a string"),
    ('{"content": {"text": "x"}, "response": 3}', "result.response: must be an object merged into the answer"),
    ('{"status": 1}', "result.content: missing (the result's keys: status)"),
])
def test_wrong_shapes_are_explained_in_the_log(make_client: Callable[..., TestClient], value: str,
                                               expected: str) -> None:
    client = make_client(integration("shape", returning(value)))
    r = client.post("/hooks/shape/shape-token", json={})
    assert r.status_code == 400 and r.json() == {"success": False, "error": "error-running-script"}
    (line,) = logs(client, "shape")
    assert line.startswith("the script's result was refused: ") and expected in line, line


@pytest.mark.parametrize(("content", "answer", "expected"), [
    ('{"text": "x", "attachments": [{"title": "t", "title_link": 5}]}',
     "attachments[0].title_link must be a string URL",
     "at content.attachments[0].title_link: attachments[0].title_link must be a string URL. "
     "Fix: give an absolute http(s) URL as a string, or leave the field out"),
    ('{"text": "x", "attachments": [{"fields": [{"title": 3, "value": "v"}, 5]}]}',
     "attachments[0].fields[1] must be an object with title and value",
     "at content.attachments[0].fields[1]: "),
    ('{"text": "x" * 2001}', "error-message-size-exceeded",
     "at content.text: error-message-size-exceeded. Fix: the text has 2001 characters, the limit is 2000 "
     "(server.max_message_chars): shorten it"),
    ('{"text": "x", "channel": "#nowhere"}', "invalid-channel",
     "at content.channel: invalid-channel. Fix: '#nowhere' is not a declared channel"),
    ('{"attachments": []}', "the message needs a non-empty text (or msg) or at least one attachment",
     "at content.text: "),
    ('{"text": "x", "channel": "#ops"}', "error-not-allowed",
     "Fix: #ops is private and 'rocket.cat' is not in its members"),
])
def test_field_refusals_name_the_path_and_the_fix(make_client: Callable[..., TestClient], content: str,
                                                  answer: str, expected: str) -> None:
    client = make_client(integration("msg", returning(f'{{"content": {content}}}'),
                                     override_destination_channel=True))
    r = client.post("/hooks/msg/msg-token", json={})
    assert r.status_code == 400 and r.json()["error"] == answer
    (line,) = logs(client, "msg")
    assert line.startswith("the script's result was refused") and expected in line, line


def test_a_body_without_script_is_explained_too(make_client: Callable[..., TestClient]) -> None:
    client = make_client(integration("plain"))
    r = client.post("/hooks/plain/plain-token", json={"text": "x", "attachments": [{"image_url": ["x"]}]})
    assert r.status_code == 400
    (line,) = logs(client, "plain")
    assert line.startswith("the request body (no script) was refused at body.attachments[0].image_url: ")


def test_hookhub_test_prints_the_refusal(tmp_path: Path) -> None:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(returning('{"contnet": {"text": "hi"}}')))
    (tmp_path / "payload.json").write_text("{}")
    result = CliRunner().invoke(main, ["test", str(script), str(tmp_path / "payload.json"), "--inprocess"])
    assert result.exit_code == 1
    assert "[error] the script's result was refused: result.contnet: unknown key; did you mean 'content'?" \
        in result.stdout


def test_timeouts_name_the_limit_that_applied(make_client: Callable[..., TestClient]) -> None:
    loop = """
    class Script:
        def process_incoming_request(self, request):
            while True:
                pass
    """
    client = make_client(integration("slow", loop, timeout_ms=300), mode="process")
    assert client.post("/hooks/slow/slow-token", json={}).status_code == 400
    line: Any = logs(client, "slow")[0]
    assert "timed out after 300 ms (the integration's timeout_ms)" in line, line
