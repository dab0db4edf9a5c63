"""``hookhub check`` collects every problem of every stage in one run (hookhub/configcheck.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from hookhub.cli import main
from hookhub.config import load_config
from hookhub.configcheck import check_file
from hookhub.errors import ConfigError

CONFIG = """\
server:
  prot: 3000
users:
  - username: rocket.cat
channels:
  - name: general
integrations:
  - id: broken
    type: incomin
    token: t
    channel: "#general"
    username: rocket.cat
  - id: a
    type: incoming
    token: {$env: I14_UNSET_TOKEN}
    channel: "#random"
    username: rocket.cat
    verify: {type: github, secret: {$env: I14_UNSET_SECRET}}
  - id: b
    type: incoming
    token: t
    channel: "#general"
    username: nobody
    colour: red
    script: |
      import os
      class Script: pass
"""


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    path = tmp_path / "hookhub.yaml"
    path.write_text(CONFIG)
    return path


def test_every_stage_is_reported_in_one_run(bad: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("I14_UNSET_TOKEN", raising=False)
    monkeypatch.delenv("I14_UNSET_SECRET", raising=False)
    result = CliRunner().invoke(main, ["check", "--config", str(bad)])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    expected = [
        # reading (secrets)
        f"{bad}:15 integrations[1].token: environment variable I14_UNSET_TOKEN is not set; export I14_UNSET_TOKEN=...",
        f"{bad}:18 integrations[1].verify.secret: environment variable I14_UNSET_SECRET is not set; "
        "export I14_UNSET_SECRET=...",
        # schema
        f"{bad}:2 server.prot: unknown key 'prot'; did you mean 'port'?",
        f"{bad}:9 integrations[0].type: got 'incomin'; expected one of 'incoming' or 'outgoing'",
        f"{bad}:24 integrations[2].colour: unknown key 'colour'",
        # cross-checks, on what the schema left (original indexes and lines)
        f"{bad}:16 integrations[1].channel: channel '#random' is not declared under channels:",
        f"{bad}:23 integrations[2].username: user 'nobody' is not declared under users:",
        # scripts
        f"{bad}:25 integrations[2].script: ",
    ]
    for want in expected:
        assert any(line.startswith(want) for line in lines), f"missing {want!r} in:\n{result.stderr}"
    assert 'import of "os" is not allowed' in result.stderr
    assert lines[-1] == f"{len(lines) - 1} problem(s) in {bad}"
    # a missing secret is said once: no pydantic line for the same key
    assert sum("integrations[1].verify.secret" in line for line in lines) == 1
    assert sum("integrations[1].token" in line for line in lines) == 1


def test_load_config_says_a_missing_secret_once(bad: Path) -> None:
    bad.write_text("integrations:\n  - id: a\n    type: incoming\n    token: t\n    channel: '#g'\n"
                   "    username: u\n    verify: {type: github, secret: {$env: I14_UNSET_SECRET}}\n"
                   "users: [{username: u}]\nchannels: [{name: g}]\n")
    with pytest.raises(ConfigError) as info:
        load_config(bad)
    assert [str(p) for p in info.value.problems] == [
        f"{bad}:7 integrations[0].verify.secret: environment variable I14_UNSET_SECRET is not set; "
        "export I14_UNSET_SECRET=..."]


def test_a_clean_file_gives_its_config(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text("users: [{username: u}]\nchannels: [{name: g}]\nintegrations:\n"
                    "  - {id: a, type: incoming, token: t, channel: '#g', username: u}\n")
    problems, config = check_file(path)
    assert problems == [] and config is not None and [i.id for i in config.integrations] == ["a"]


def test_the_example_config_is_clean() -> None:
    example = Path(__file__).resolve().parent.parent / "config" / "hookhub.yaml"
    problems, config = check_file(example, dev=True)
    assert problems == [] and config is not None
