"""Configuration: schema, secrets, aliases and every class of mistake (CONTRACT §8)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from hookhub.config import load_config
from hookhub.errors import ConfigError

BASE = """\
users:
  - username: rocket.cat
  - username: alice
channels:
  - name: general
  - name: ops
    private: true
    members: [alice]
integrations:
  - id: example
    type: incoming
    token: secret-token
    channel: "#general"
    username: rocket.cat
"""


def write(tmp_path: Path, text: str, name: str = "hookhub.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return [str(p) for p in info.value.problems]


def test_example_config_loads_in_dev_mode() -> None:
    root = Path(__file__).resolve().parent.parent
    config = load_config(root / "config" / "hookhub.yaml", dev=True)
    assert {i.id for i in config.integrations} >= {"example"}
    assert "EXAMPLE_TOKEN" in config.dev_defaults_used


def test_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, BASE))
    assert config.server.port == 3000
    assert config.server.max_body_bytes == 1048576
    assert config.server.max_message_chars == 5000
    assert config.sandbox.timeout_ms == 3000
    integ = config.integrations[0]
    assert integ.enabled and integ.script_enabled and not integ.override_destination_channel
    assert integ.channel == ["#general"]


def test_relative_sqlite_path_is_relative_to_the_yaml_file(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, BASE + "storage:\n  url: sqlite:///data/x.db\n"))
    assert config.storage_url() == f"sqlite:///{tmp_path}/data/x.db"


def test_camel_case_aliases_from_rocket_chat(tmp_path: Path) -> None:
    text = BASE.replace("    username: rocket.cat\n", "    username: rocket.cat\n"
                        "    scriptEnabled: false\n    overrideDestinationChannelEnabled: true\n")
    integ = load_config(write(tmp_path, text)).integrations[0]
    assert integ.script_enabled is False
    assert integ.override_destination_channel is True


def test_webhook_incoming_type_alias_and_comma_separated_channels(tmp_path: Path) -> None:
    text = BASE.replace("type: incoming", "type: webhook-incoming").replace('"#general"', '"#general, @alice"')
    integ = load_config(write(tmp_path, text)).integrations[0]
    assert integ.type == "incoming"
    assert integ.channel == ["#general", "@alice"]


def test_env_and_file_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "admin.txt").write_text("from-file\n")
    monkeypatch.setenv("HH_TEST_TOKEN", "from-env")
    text = BASE.replace("token: secret-token", "token: {$env: HH_TEST_TOKEN}") + \
        "admin:\n  token: {$file: admin.txt}\n"
    config = load_config(write(tmp_path, text))
    assert config.integrations[0].token is not None
    assert config.integrations[0].token.get_secret_value() == "from-env"
    assert config.admin.token is not None and config.admin.token.get_secret_value() == "from-file"
    assert "from-env" not in repr(config)


def test_dev_default_only_with_dev(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HH_UNSET", raising=False)
    text = BASE.replace("token: secret-token", "token: {$env: HH_UNSET, dev_default: devtok}")
    path = write(tmp_path, text)
    assert load_config(path, dev=True).integrations[0].token.get_secret_value() == "devtok"  # type: ignore[union-attr]
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "hookhub.yaml:12 integrations[0].token: environment variable HH_UNSET is not set" in str(info.value)
    assert "--dev" in str(info.value)


@pytest.mark.parametrize(("mutation", "expected"), [
    # unknown key, with a suggestion
    (lambda t: t.replace("    channel:", "    chanel:"),
     "hookhub.yaml:13 integrations[0].chanel: unknown key 'chanel'; did you mean 'channel'?"),
    # wrong type
    (lambda t: t + "server:\n  port: lots\n", "hookhub.yaml:16 server.port: Input should be a valid integer"),
    # bad enum value
    (lambda t: t.replace("type: incoming", "type: sideways"),
     "hookhub.yaml:11 integrations[0].type: got 'sideways'; expected one of 'incoming' or 'outgoing'"),
    # missing required key
    (lambda t: t.replace("  - id: example\n", "  - name: nameless\n"),
     "hookhub.yaml:10 integrations[0].id: required key is missing"),
    # duplicate id
    (lambda t: t + "  - id: example\n    type: incoming\n    token: t\n    channel: '#general'\n    username: alice\n",
     "hookhub.yaml:15 integrations[1].id: duplicate integration id 'example' (also integrations[0])"),
    # duplicate user and channel
    (lambda t: t.replace("  - username: alice\n", "  - username: alice\n  - username: alice\n"),
     "hookhub.yaml:4 users[2].username: duplicate user 'alice' (also users[1])"),
    (lambda t: t.replace("  - name: general\n", "  - name: general\n  - name: general\n"),
     "hookhub.yaml:6 channels[1].name: duplicate channel 'general' (also channels[0])"),
    # undeclared post-as user
    (lambda t: t.replace("    username: rocket.cat\n", "    username: nobody\n"),
     "hookhub.yaml:14 integrations[0].username: user 'nobody' is not declared under users:"),
    # undeclared channel
    (lambda t: t.replace('"#general"', '"#random"'),
     "hookhub.yaml:13 integrations[0].channel: channel '#random' is not declared under channels:"),
    # undeclared member of a private channel
    (lambda t: t.replace("members: [alice]", "members: [mallory]"),
     "hookhub.yaml:8 channels[1].members[0]: user 'mallory' is not declared under users:"),
    # script file not found
    (lambda t: t + "    script_file: nowhere.py\n",
     "hookhub.yaml:15 integrations[0].script_file: file not found: nowhere.py"),
    # invalid YAML
    (lambda t: t + "  - id: [unclosed\n", "invalid YAML"),
    # duplicate YAML key
    (lambda t: t.replace("    username: rocket.cat\n", "    username: rocket.cat\n    username: alice\n"),
     "hookhub.yaml:15 integrations[0].username: duplicate key 'username'; keep only one"),
    # incoming without token
    (lambda t: t.replace("    token: secret-token\n", ""),
     "integrations[0].token: an incoming integration needs a token (generate one with: hookhub new-token)"),
    # bad id for a URL
    (lambda t: t.replace("id: example", "id: 'has space'"),
     "integrations[0].id: 'has space' is not a valid integration id"),
    # malformed secret
    (lambda t: t.replace("token: secret-token", "token: {$env: A, $file: b}"),
     "integrations[0].token: a secret is written {$env: NAME} or {$file: path}"),
])
def test_each_class_of_mistake_names_file_line_and_key(tmp_path: Path, mutation, expected: str) -> None:  # type: ignore[no-untyped-def]
    found = problems(tmp_path, mutation(BASE))
    assert any(expected in p for p in found), found
    assert all(p.startswith(str(tmp_path / "hookhub.yaml")) for p in found), found


def test_every_problem_is_listed(tmp_path: Path) -> None:
    text = BASE.replace("type: incoming", "type: sideways").replace("    channel:", "    chanel:")
    found = problems(tmp_path, text)
    assert len(found) == 2


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "absent.yaml")
    assert "cannot read the file" in str(info.value)
