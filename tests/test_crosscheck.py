"""Checks across sections of the configuration (hookhub.crosscheck): every message, with its file, line and key."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Callable

import pytest

from hookhub.config import load_config
from hookhub.errors import ConfigError

BASE = """\
users:
  - username: rocket.cat
  - username: alice
admin:
  token: t
channels:
  - name: general
integrations:
  - id: example
    type: incoming
    token: secret-token
    channel: "#general"
    username: rocket.cat
"""

OUTGOING = """\
  - id: out
    type: outgoing
    channel: "#general"
    urls: [http://127.0.0.1:9/]
"""

BRIDGE = """\
bridges:
  - name: slack
    type: slack
    url: https://hooks.example/T1
    channels: ["#general"]
"""

Mutation = Callable[[str], str]


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "hookhub.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return [str(p) for p in info.value.problems]


def test_the_base_files_are_valid(tmp_path: Path) -> None:
    path = tmp_path / "hookhub.yaml"
    path.write_text(BASE + OUTGOING + BRIDGE, encoding="utf-8")
    config = load_config(path)
    assert [i.id for i in config.integrations] == ["example", "out"] and config.bridges[0].name == "slack"


@pytest.mark.parametrize(("mutation", "expected"), [
    (lambda t: t.replace('    channel: "#general"\n    username', "    username"),
     "hookhub.yaml:9 integrations[0].channel: an incoming integration needs a channel (e.g. \"#general\" or \"@alice\")"),
    (lambda t: t.replace("    username: rocket.cat\n", ""),
     "integrations[0].username: an incoming integration needs a username to post as (one of the users: entries)"),
    (lambda t: t.replace('"#general"', '"@nobody"', 1),
     "hookhub.yaml:12 integrations[0].channel: user '@nobody' is not declared under users:"),
    (lambda t: t.replace('"#general"', "somewhere", 1),
     "integrations[0].channel: 'somewhere' is neither a declared channel nor a user id; write \"#name\" or \"@username\""),
    (lambda t: t.replace('"#general"', '["#general", "#nowhere"]', 1),
     "integrations[0].channel[1]: channel '#nowhere' is not declared under channels:"),
    (lambda t: t.replace("  token: t\n", "  token: t\n  username: root\n"),
     "hookhub.yaml:6 admin.username: user 'root' is not declared under users:"),
    (lambda t: t + "    dedupe: {window_s: 60}\n",
     "integrations[0].dedupe.header: name the header carrying the delivery id (e.g. X-Request-Id)"),
    (lambda t: t + "    script: 'class Script: pass'\n    script_file: s.py\n",
     "integrations[0].script_file: set either script or script_file, not both"),
    (lambda t: t + OUTGOING.replace("    urls: [http://127.0.0.1:9/]\n", ""),
     "integrations[1].urls: an outgoing integration needs urls (or a script whose prepare_outgoing_request sets url)"),
    (lambda t: t + OUTGOING + "    event: messageDeleted\n",
     "integrations[1].event: event 'messageDeleted' is not supported by hookhub; use one of: sendMessage, "
     "roomCreated, roomArchived, roomJoined, roomLeft, userCreated"),
])
def test_integration_and_directory_mistakes(tmp_path: Path, mutation: Mutation, expected: str) -> None:
    found = problems(tmp_path, mutation(BASE))
    assert any(expected in p for p in found), found
    assert all(p.startswith(str(tmp_path / "hookhub.yaml")) for p in found), found


def test_outgoing_integrations_may_watch_every_channel_of_a_kind(tmp_path: Path) -> None:
    path = tmp_path / "hookhub.yaml"
    path.write_text(BASE + OUTGOING.replace('"#general"', "all_public_channels"), encoding="utf-8")
    assert load_config(path).integrations[1].channel == ["all_public_channels"]
    # ... which an incoming integration cannot post to
    found = problems(tmp_path, BASE.replace('"#general"', "all_public_channels"))
    assert any("'all_public_channels' is neither a declared channel" in p for p in found), found


@pytest.mark.parametrize(("mutation", "expected"), [
    (lambda b: b + b.replace("bridges:\n", ""),
     "bridges[1].name: duplicate bridge name 'slack' (also bridges[0])"),
    (lambda b: b.replace('["#general"]', "[]"),
     "bridges[0].channels: name the channels to forward, e.g. [\"#general\"]"),
    (lambda b: b.replace('["#general"]', '["general"]'),
     "bridges[0].channels[0]: 'general' is not a declared channel; write \"#name\" of a channels: entry"),
    (lambda b: b.replace('["#general"]', '["#random"]'),
     "bridges[0].channels[0]: '#random' is not a declared channel"),
    (lambda b: b.replace("type: slack", "type: rocketchat-rest"),
     "bridges[0].user_id: a rocketchat-rest bridge needs user_id"),
    (lambda b: b.replace("https://hooks.example/T1", "hooks.example/T1"),
     "bridges[0].url: must be an absolute http(s) URL"),
])
def test_bridge_mistakes(tmp_path: Path, mutation: Mutation, expected: str) -> None:
    found = problems(tmp_path, BASE + mutation(BRIDGE))
    assert any(expected in p for p in found), found


def test_a_rocketchat_rest_bridge_names_every_missing_key(tmp_path: Path) -> None:
    found = problems(tmp_path, BASE + BRIDGE.replace("type: slack", "type: rocketchat-rest"))
    for key in ("user_id", "auth_token", "channel"):
        assert any(f"a rocketchat-rest bridge needs {key}" in p for p in found), (key, found)


def test_every_cross_section_problem_is_listed_at_once(tmp_path: Path) -> None:
    text = BASE.replace('"#general"', '"#random"').replace("username: rocket.cat\n", "username: nobody\n", 1)
    found = problems(tmp_path, text + BRIDGE.replace('["#general"]', '["#nowhere"]'))
    assert len(found) == 3, found
