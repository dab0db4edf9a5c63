"""The benchmark scenarios: what is posted, to which kind of integration."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PAYLOADS = HERE / "payloads"
SCRIPTS = HERE / "scripts"


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    body: Path
    #: integration keys besides id/type/token/channel/username (CONTRACT §8)
    integration: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    #: the script engine this scenario needs; checked with ``hookhub check`` first
    engine: str | None = None
    #: target set by the issue for the c16 ratio hookhub/bare, if any
    target_ratio: float | None = None
    #: ``sandbox:`` settings of the generated YAML
    sandbox: dict[str, Any] = field(default_factory=dict)


def _inline(name: str) -> dict[str, Any]:
    return {"script_enabled": True, "script": (SCRIPTS / name).read_text(encoding="utf-8")}


def all_scenarios() -> dict[str, Scenario]:
    alert = PAYLOADS / "alertmanager__firing__multiple_alerts.json"
    scenarios = [
        Scenario("python", "Python script, message + attachment from a ~1 KB Alertmanager body, stored in SQLite",
                 alert, _inline("alert.py"), engine="python", target_ratio=0.5),
        Scenario("js", "the same with the JavaScript engine (script_file: scripts/alert.js)",
                 alert, {"script_enabled": True, "script_file": "scripts/alert.js"},
                 engine="javascript", target_ratio=0.4),
        Scenario("github", "Python script summarising a 70 KB GitHub push (20 commits)",
                 PAYLOADS / "github__push__70k.json", _inline("github_push.py"),
                 headers={"X-GitHub-Event": "push"}, engine="python"),
        Scenario("noscript", "no script (script_enabled: false): a ~1 KB message body posted as is",
                 PAYLOADS / "message__alert.json", {"script_enabled": False}),
        # optional: what process isolation costs end to end (compare with "python")
        Scenario("inprocess", "the `python` scenario with `sandbox: {mode: inprocess}` (no worker processes; "
                 "not for production)", alert, _inline("alert.py"), engine="python",
                 sandbox={"mode": "inprocess"}),
    ]
    return {s.key: s for s in scenarios}


#: the integration every scaling deployment is made of (one shared script file)
SCALING_INTEGRATION: dict[str, Any] = {"script_enabled": True, "script_file": "scripts/alert.py"}
SCALING_BODY = PAYLOADS / "alertmanager__firing__multiple_alerts.json"
