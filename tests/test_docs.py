"""Docs that run: the walkthrough in docs/writing-scripts.md, executed step by step."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "writing-scripts.md"


def blocks() -> list[tuple[str, str]]:
    return re.findall(r"```(\w*)\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def sh(command: str, cwd: Path) -> str:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
           "ACME_TOKEN": "t", "ACME_SECRET": "s"}
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
    config.write_text("users: [{username: rocket.cat}]\nchannels: [{name: dev}]\nintegrations:\n" + yaml_snippet,
                      encoding="utf-8")
    assert "OK (1 integration(s))" in sh(shell[5], tmp_path)     # hookhub check


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
