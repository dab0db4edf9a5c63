"""Docs that run: the walkthrough in docs/writing-scripts.md, executed step by step."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from .test_e2e import Server

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "writing-scripts.md"


def blocks() -> list[tuple[str, str]]:
    return re.findall(r"```(\w*)\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def sh(command: str, cwd: Path) -> str:
    # no ACME_* variables: step 5 runs on the dev defaults (--dev), as a first try would
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACME_")}
    env["PATH"] = f"{Path(sys.executable).parent}:{os.environ['PATH']}"
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_writing_scripts_walkthrough(tmp_path: Path) -> None:
    found = blocks()
    shell = [code for lang, code in found if lang == "sh" and "curl" not in code]
    python = [code for lang, code in found if lang == "python"]
    outputs = [code for lang, code in found if lang == ""]
    yaml_snippet = next(code for lang, code in found if lang == "yaml")

    sh(shell[0], tmp_path)                                       # new-integration
    assert "3 passed" in sh(shell[1], tmp_path)                  # the scaffold's own tests
    sh(shell[2], tmp_path)                                       # the fixture
    (tmp_path / "plugins" / "acme" / "script.py").write_text(python[0], encoding="utf-8")
    out = sh(shell[3], tmp_path)                                 # hookhub test
    assert out.strip() == outputs[0].strip()
    (tmp_path / "plugins" / "acme" / "test_acme.py").write_text(python[1], encoding="utf-8")
    assert "4 passed" in sh(shell[4], tmp_path)                  # the new tests

    config = tmp_path / "config" / "hookhub.yaml"
    config.parent.mkdir()
    config.write_text("admin: {token: adm}\nusers: [{username: rocket.cat}]\nchannels: [{name: dev}]\n"
                      "integrations:\n" + yaml_snippet,
                      encoding="utf-8")
    assert "OK (1 integration(s))" in sh(shell[5], tmp_path)     # hookhub check --dev

    # hookhub serve --dev, then the signed delivery of step 5 (on a free port)
    assert shell[6].strip() == "hookhub serve --config config/hookhub.yaml --dev"
    signed = next(code for lang, code in found if lang == "sh" and "X-Acme-Signature" in code)
    server = Server(config, cwd=tmp_path)
    server.start()
    try:
        answer = sh(signed.replace("http://127.0.0.1:3000", server.url), tmp_path)
        assert json.loads(answer) == {"success": True}
        tampered = (signed.replace("acme-dev-secret", "wrong-secret")
                    .replace("curl -s", "curl -s -o /dev/null -w '%{http_code}'"))
        assert sh(tampered.replace("http://127.0.0.1:3000", server.url), tmp_path) == "401"
        got = httpx.get(f"{server.url}/api/v1/channels/dev/messages", headers={"Authorization": "Bearer adm"})
        assert [m["text"] for m in got.json()["messages"]] == [
            "alice deployed [api 1.4.2](https://deploys.acme.test/api/1.4.2)"]
    finally:
        server.stop()


def test_readme_check_commands_work_on_the_example(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Every `hookhub check` the README shows works on the example as written, with no variable set."""
    import shlex

    from click.testing import CliRunner

    from hookhub.cli import main

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = set(re.findall(r"(?m)^(hookhub check[^\n`#]*)", text))
    commands |= set(re.findall(r"`(hookhub check [^`]*)`", text))
    commands = {c.strip() for c in commands if "config/hookhub.yaml" in c}
    assert commands, "the README shows no hookhub check of the example"
    for name in [k for k in os.environ if k.endswith(("_TOKEN", "_SECRET"))]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(ROOT)
    for command in commands:
        result = CliRunner().invoke(main, shlex.split(command)[1:])
        assert result.exit_code == 0, f"{command}\n{result.output}"

def test_the_event_table_example_answers_as_its_table_says(tmp_path: Path, hookhub_runner: Any) -> None:
    """The example of docs/writing-scripts.md "Events: the event table and dispatch", run as a script."""
    from hookhub.testing import Checker

    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("### Events: the event table and `dispatch`"):]
    source = re.search(r"```python\n(.*?)```", section, flags=re.S)
    assert source is not None
    (tmp_path / "fixtures").mkdir()
    (tmp_path / "script.py").write_text(source.group(1), encoding="utf-8")
    check = Checker(hookhub_runner, tmp_path)
    body = {"repository": {"name": "web"}, "service": "api", "version": "2", "user": "bob",
            "url": "https://acme.test/c/1", "action": "created"}
    check(body, event="deploy", text="api 2 deployed to web")
    check(body, event="comment", text="[bob](https://acme.test/c/1) commented")
    check(dict(body, action="deleted"), event="comment", expect_unsupported=True)
    check(body, event="ping", expect_unsupported=True, logs="Acme event 'ping' is not supported; nothing posted")
    check({"service": "api"}, event="deploy", status=400, error="Acme 'deploy' payload is missing 'repository.name'")
    check({"repository": {"name": "web"}}, status=400,
          error="missing X-Acme-Event header: is this an Acme webhook delivery?")
