"""Reading YAML with line numbers, secrets and duplicate keys (hookhub.yamlsource)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hookhub import yamlsource
from hookhub.yamlsource import format_path, loads


def test_format_path() -> None:
    assert format_path(("integrations", 2, "channel")) == "integrations[2].channel"
    assert format_path(("users",)) == "users"
    assert format_path(()) == ""


def test_every_key_has_its_line_and_problems_use_the_closest() -> None:
    src = loads("server:\n  port: 8080\nintegrations:\n  - id: a\n    channel: '#x'\n", file="h.yaml")
    assert src.data == {"server": {"port": 8080}, "integrations": [{"id": "a", "channel": "#x"}]}
    assert src.line(("server", "port")) == 2
    assert src.line(("integrations", 0, "channel")) == 5
    assert src.line(("integrations", 0, "missing")) == 4  # the entry it belongs to
    assert str(src.problem(("integrations", 0, "channel"), "bad")) == "h.yaml:5 integrations[0].channel: bad"


def test_quoted_scalars_stay_strings_unquoted_ones_are_yaml_1_1() -> None:
    src = loads("a: '010'\nb: 010\nc: yes\nd: 'on'\ne: off\n")
    assert src.data["a"] == "010" and src.data["d"] == "on"
    assert isinstance(src.data["b"], int)
    assert src.data["c"] is True and src.data["e"] is False  # as PyYAML's safe loader reads them


def test_duplicate_keys_are_problems_naming_the_line() -> None:
    src = loads("admin:\n  token: a\n  token: b\n", file="h.yaml")
    assert [str(p) for p in src.problems] == ["h.yaml:3 admin.token: duplicate key 'token'; keep only one"]
    assert src.data == {"admin": {"token": "a"}}


def test_invalid_yaml_is_a_problem_with_a_line() -> None:
    src = loads("a: [unclosed\n", file="h.yaml")
    assert src.data is None
    [problem] = src.problems
    assert problem.message.startswith("invalid YAML") and problem.line is not None


def test_an_empty_file_is_an_empty_mapping() -> None:
    assert loads("").data == {} and loads("").problems == []


def test_env_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HH_TOKEN", "from-env")
    assert loads("t: {$env: HH_TOKEN}\n").data == {"t": "from-env"}
    monkeypatch.delenv("HH_TOKEN")
    missing = loads("t: {$env: HH_TOKEN, dev_default: d}\n", file="h.yaml")
    assert missing.data == {"t": None}
    assert str(missing.problems[0]) == ("h.yaml:1 t: environment variable HH_TOKEN is not set; "
                                        "export HH_TOKEN=... or run with --dev to use its dev_default")
    dev = loads("t: {$env: HH_TOKEN, dev_default: d}\n", dev=True)
    assert dev.data == {"t": "d"} and dev.dev_defaults_used == ["HH_TOKEN"] and dev.problems == []


def test_file_secrets_are_relative_to_the_yaml_file(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("s3cr3t\n", encoding="utf-8")
    assert loads("t: {$file: secret.txt}\n", base_dir=tmp_path).data == {"t": "s3cr3t"}
    missing = loads("t: {$file: nope.txt}\n", base_dir=tmp_path)
    assert "cannot read secret file nope.txt (relative to the YAML file)" in missing.problems[0].message


def test_a_malformed_secret_says_how_to_write_one() -> None:
    src = loads("t: {$env: A, $file: b}\n")
    assert src.problems[0].message.startswith("a secret is written {$env: NAME} or {$file: path}")


def test_load_reports_unreadable_files(tmp_path: Path) -> None:
    assert yamlsource.load(tmp_path / "absent.yaml").problems[0].message.startswith("cannot read the file")
    (tmp_path / "latin.yaml").write_bytes(b"a: caf\xe9\n")
    assert yamlsource.load(tmp_path / "latin.yaml").problems[0].message.startswith("not UTF-8 text")
