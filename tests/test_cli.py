"""The command line, through click's runner (serve is covered end to end in test_e2e.py)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from hookhub.cli import main

ROOT = Path(__file__).resolve().parent.parent
GITHUB = ROOT / "plugins" / "github" / "script.py"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_check_example_config() -> None:
    code, out, _ = run("check", "--config", str(ROOT / "config" / "hookhub.yaml"), "--dev")
    assert code == 0 and "OK (4 integration(s))" in out


def test_check_lists_every_problem_and_exits_1(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("import os\nclass Script:\n    pass\n")
    config = tmp_path / "hookhub.yaml"
    config.write_text(
        "users: [{username: u}]\nchannels: [{name: general}]\nintegrations:\n"
        "  - {id: a, type: incoming, token: t, channel: '#general', username: u, script_file: bad.py}\n"
        "  - {id: b, type: incoming, token: t, channel: '#general', username: u,\n"
        "     verify: {type: nope, secret: s}}\n")
    code, _, err = run("check", "--config", str(config))
    assert code == 1
    assert f"{config}:4 integrations[0].script_file: bad.py:1: import of \"os\" is not allowed" in err
    assert f"{config}:6 integrations[1].verify.type: unknown verifier type 'nope'" in err
    assert "2 problem(s)" in err


def test_check_schema_errors(tmp_path: Path) -> None:
    config = tmp_path / "hookhub.yaml"
    config.write_text("server:\n  prot: 1\nintegrations:\n  - {id: a, type: sideways}\n")
    code, _, err = run("check", "--config", str(config))
    assert code == 1
    assert f"{config}:2 server.prot: unknown key 'prot'; did you mean 'port'?" in err
    assert f"{config}:4 integrations[0].type: got 'sideways'" in err


def test_new_token_is_random_and_url_safe() -> None:
    tokens = {run("new-token")[1].strip() for _ in range(3)}
    assert len(tokens) == 3 and all(len(t) >= 32 and t.replace("-", "").replace("_", "").isalnum() for t in tokens)


def test_test_command_readable_output_with_event_from_fixture_name() -> None:
    code, out, _ = run("test", str(GITHUB), "push__new_branch_1_commit")
    assert code == 0
    assert out.startswith("HTTP 200\n")
    assert "--- message to #general" in out and "pushed 1 commit" in out


def test_test_command_json_output() -> None:
    code, out, _ = run("test", str(GITHUB), "issues__opened", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["status"] == 200 and data["body"] == {"success": True}
    assert data["messages"][0]["destination"] == "#general" and data["messages"][0]["attachments"]


def test_test_command_header_overrides_and_nothing_posted() -> None:
    code, out, _ = run("test", str(GITHUB), "issues__opened", "-H", "X-GitHub-Event: star")
    assert code == 0 and "(nothing posted)" in out and "[log]" in out


def test_test_command_failure_exits_1(tmp_path: Path) -> None:
    payload = tmp_path / "broken.json"
    payload.write_text("{}")
    code, out, _ = run("test", str(GITHUB), str(payload), "-H", "X-GitHub-Event: push")
    assert code == 1 and out.startswith("HTTP 400")


def test_test_command_against_an_integration_of_a_config() -> None:
    fixture = ROOT / "plugins" / "alertmanager" / "fixtures" / "firing__multiple_alerts.json"
    code, out, _ = run("test", "alertmanager", str(fixture), "--config", str(ROOT / "config" / "hookhub.yaml"),
                       "--dev")
    assert code == 0 and "--- message to #alerts as Alertmanager" in out


def test_test_command_without_dev_names_the_unset_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALERTMANAGER_HOOK_TOKEN", raising=False)
    fixture = ROOT / "plugins" / "alertmanager" / "fixtures" / "firing__multiple_alerts.json"
    code, _, err = run("test", "alertmanager", str(fixture), "--config", str(ROOT / "config" / "hookhub.yaml"))
    assert code == 1 and "Traceback" not in err
    assert "environment variable ALERTMANAGER_HOOK_TOKEN is not set" in err and "or run with --dev" in err


def test_test_command_json_log_times_are_iso_like_the_api() -> None:
    code, out, _ = run("test", str(GITHUB), "issues__opened", "-H", "X-GitHub-Event: star", "--json")
    logs = json.loads(out)["logs"]
    assert logs and all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", e["ts"]) for e in logs)


def test_new_token_refuses_too_few_bytes() -> None:
    for value in ("0", "-3", "15"):
        code, out, err = run("new-token", "--bytes", value)
        assert code == 2 and out == "" and "Traceback" not in err
        assert "Invalid value for '--bytes'" in err and "16<=x<=1024" in err
    code, out, _ = run("new-token", "--bytes", "16")
    assert code == 0 and len(out.strip()) >= 21


def test_top_level_help_shows_whole_descriptions() -> None:
    code, out, _ = run("--help")
    assert code == 0
    commands = out.split("Commands:", 1)[1]
    flat = " ".join(commands.split())
    for name, command in main.commands.items():
        first = " ".join((command.help or "").split("\n\n")[0].split())
        assert first.rstrip(".") in flat, f"{name}: {first!r} is cut in --help"
    assert "..." not in commands


@pytest.mark.parametrize(("args", "message"), [
    (["test", "nowhere.py", "x"], "no such script file"),
    (["test", str(GITHUB), "no_such_fixture"], "fixture 'no_such_fixture' not found"),
    (["test", str(GITHUB), "push__new_branch_1_commit", "-H", "broken"], "write headers as NAME:VALUE"),
])
def test_test_command_usage_errors(args: list[str], message: str) -> None:
    code, _, err = run(*args)
    assert code != 0 and message in err


@pytest.mark.parametrize("command", ["new-integration", "new-script"])
def test_new_integration_scaffold_passes_its_own_tests(tmp_path: Path, command: str) -> None:
    code, out, _ = run(command, "acme_deploys", "--dir", str(tmp_path))
    assert code == 0 and "created" in out
    folder = tmp_path / "acme_deploys"
    assert {p.name for p in folder.iterdir()} == {"script.py", "test_acme_deploys.py", "README.md", "fixtures"}
    code, out, _ = run("test", str(folder / "script.py"), "example__basic")
    assert code == 0 and "[AcmeDeploys] Hello from acme_deploys" in out
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout
    script = (folder / "script.py").read_text(encoding="utf-8")
    assert "dispatch(request, EVENTS" in script and "EVENT_HEADER" in script
    assert "SCRIPT" not in (folder / "test_acme_deploys.py").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["Bad-Name", "1abc", "with space"])
def test_new_script_refuses_bad_names(tmp_path: Path, name: str) -> None:
    code, _, err = run("new-script", name, "--dir", str(tmp_path))
    assert code != 0 and "use lower-case letters" in err


def test_new_script_readme_config_is_right_from_the_config_folder(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The scaffold README's YAML works as written in config/hookhub.yaml (script_file relative to it)."""
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(main, ["new-script", "acme"]).exit_code == 0
    readme = Path("plugins/acme/README.md").read_text()
    yaml_block = readme.split("```yaml\n", 1)[1].split("```", 1)[0]
    assert "script_file: ../plugins/acme/script.py" in yaml_block
    Path("config").mkdir()
    Path("config/hookhub.yaml").write_text("users: [{username: rocket.cat}]\nchannels: [{name: general}]\n"
                                           + yaml_block)
    result = runner.invoke(main, ["check", "--config", "config/hookhub.yaml", "--dev"])
    assert result.exit_code == 0, result.stderr
    assert "hookhub test plugins/acme/script.py example__basic" in readme


def test_new_script_refuses_to_overwrite(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    code, _, err = run("new-script", "taken", "--dir", str(tmp_path))
    assert code != 0 and "already exists" in err
