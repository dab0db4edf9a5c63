"""A demo deployment for the admin UI's browser tests and screenshots: a real ``hookhub serve`` process,
a receiver on 127.0.0.1 for the outgoing integration, and a Chromium launched by Playwright."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import httpx

from tests.outgoing.receiver import Receiver
from tests.test_e2e import Server

ADMIN = "ui-admin-token"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]

#: the CI integration's script: a build report becomes a message with a coloured attachment
SCRIPT = '''\
class Script:
    def process_incoming_request(self, request):
        build = request.content
        console.log("build", build.get("id"), build.get("status"))
        if build.get("crash"):
            return self.explode(build)
        if build.get("status") == "skipped":
            console.warn("skipped build ignored")
            return None
        ok = build.get("status") == "passed"
        return {"content": {
            "text": f"Build *{build.get('id')}* of [{build.get('repo')}]({build.get('url')}) {build.get('status')}",
            "attachments": [{
                "color": "good" if ok else "danger",
                "title": build.get("commit") or "commit",
                "title_link": build.get("url"),
                "text": build.get("message") or "",
                "fields": [{"title": "Branch", "value": build.get("branch"), "short": True},
                           {"title": "Duration", "value": f"{build.get('seconds')} s", "short": True}],
            }],
        }}

    def explode(self, build):
        return build["missing"]["key"]
'''

#: line of ``build["missing"]["key"]`` above (the error the script test points at)
CRASH_LINE = SCRIPT.splitlines().index('        return build["missing"]["key"]') + 1

CONFIG = """\
server: {{max_body_bytes: 65536}}
storage: {{url: sqlite:///data/hookhub.db}}
sandbox: {{workers: 1, timeout_ms: 3000}}
admin: {{token: {admin}}}
users:
  - {{username: rocket.cat, name: Rocket Cat}}
  - {{username: alice, name: Alice}}
channels: [{{name: general}}, {{name: alerts}}]
integrations:
  - id: ci
    type: incoming
    name: CI builds
    token: ci-token
    channel: "#general"
    username: rocket.cat
    alias: CI
    emoji: ":construction_worker:"
    script_file: ci.py
  - id: plain
    type: incoming
    name: Plain passthrough
    token: plain-token
    channel: "#general"
    username: rocket.cat
    script_enabled: false
  - id: notify
    type: outgoing
    name: Alert forwarder
    channel: "#alerts"
    urls: ["{url}"]
    http: {{allow_private: true}}
"""


def build(n: int, status: str = "passed", **extra: Any) -> dict[str, Any]:
    """A CI build payload."""
    return {"id": n, "status": status, "repo": "acme/shop", "url": f"https://ci.example.com/acme/shop/{n}",
            "commit": f"{n:04d}abc Fix the basket total", "message": "Rounds prices to cents", "branch": "main",
            "seconds": 40 + n, **extra}


def write_deployment(folder: Path, receiver: Receiver) -> Path:
    """The YAML file and the CI script of the demo deployment in ``folder``."""
    (folder / "ci.py").write_text(SCRIPT, encoding="utf-8")
    config = folder / "hookhub.yaml"
    config.write_text(CONFIG.format(admin=ADMIN, url=receiver.url("/out")), encoding="utf-8")
    return config


def post_build(server: Server, n: int, status: str = "passed", **extra: Any) -> httpx.Response:
    return httpx.post(f"{server.url}/hooks/ci/ci-token", json=build(n, status, **extra),
                      headers={"X-CI-Event": "build", "X-Api-Key": "k-secret-123"}, timeout=10)


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if shutil.which(CHROMIUM) is None and not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing (Debian's chromium package; .ci/run installs it)"
    return None
