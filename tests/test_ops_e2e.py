"""The operations surface against real ``hookhub serve`` processes: metrics merged across
processes, readiness, the access log and JSON logs with no secret in any line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.outgoing.receiver import Receiver, wait_until
from tests.test_e2e import free_port

pytestmark = pytest.mark.slow

ADMIN_TOKEN = "adm1n-Secret-Token-xyz"
HOOK_TOKEN = "h00k-Secret-Token-abc"
VERIFY_SECRET = "v3rify-Secret-Value"
API_KEY = "qu3ry-Api-Key-777"
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

CONFIG = """\
server:
  host: 127.0.0.1
  log_format: {log_format}
storage:
  url: sqlite:///data/hookhub.db
sandbox:
  workers: 1
admin:
  token: {{$env: OPS_ADMIN_TOKEN}}
users:
  - username: rocket.cat
channels:
  - name: general
integrations:
  - id: plain
    type: incoming
    token: {{$env: OPS_HOOK_TOKEN}}
    channel: "#general"
    username: rocket.cat
    script_enabled: false
  - id: signed
    type: incoming
    token: {{$env: OPS_HOOK_TOKEN}}
    channel: "#general"
    username: rocket.cat
    script_enabled: false
    verify: {{type: hmac, header: X-Signature, secret: {{$env: OPS_VERIFY_SECRET}}}}
{extra}"""


class Serve:
    """One ``hookhub serve`` process (no --dev: secrets come from the environment)."""

    def __init__(self, config: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        hookhub = Path(sys.executable).with_name("hookhub")
        self.log = config.parent / f"serve-{self.port}.log"
        self._out = self.log.open("wb")
        self.proc = subprocess.Popen([str(hookhub), "serve", "--config", str(config), "--port", str(self.port)],
                                     env=env, stdout=self._out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise AssertionError(f"hookhub serve did not become ready:\n{self.output()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._out.close()

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_TOKEN") and k != "PROMETHEUS_MULTIPROC_DIR"}
    env.update(OPS_ADMIN_TOKEN=ADMIN_TOKEN, OPS_HOOK_TOKEN=HOOK_TOKEN, OPS_VERIFY_SECRET=VERIFY_SECRET, **extra)
    return env


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = httpx.get(f"{url}/metrics", headers=AUTH, timeout=10)
    assert response.status_code == 200, response.text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def test_two_processes_share_their_metrics(tmp_path: Path) -> None:
    """Two server processes on one store and one PROMETHEUS_MULTIPROC_DIR: either one's /metrics
    shows the sum of both; the live gauges of a stopped process disappear, its counters stay."""
    config = tmp_path / "hookhub.yaml"
    config.write_text(CONFIG.format(log_format="text", extra=""), encoding="utf-8")
    shared = tmp_path / "metrics"
    shared.mkdir()
    env = environment(PROMETHEUS_MULTIPROC_DIR=str(shared))
    first = Serve(config, env)
    second = Serve(config, env)
    try:
        for server, n in ((first, 3), (second, 2)):
            for _ in range(n):
                r = httpx.post(f"{server.url}/hooks/plain/{HOOK_TOKEN}", json={"text": "hi"}, timeout=10)
                assert r.status_code == 200, r.text
        httpx.post(f"{second.url}/hooks/nobody/{HOOK_TOKEN}", json={"text": "hi"}, timeout=10)
        key = ("hookhub_webhooks_total", (("integration", "plain"), ("status", "200")))
        workers = ("hookhub_sandbox_workers", ())
        for server in (first, second):
            got = scrape(server.url)
            assert got[key] == 5
            assert got[("hookhub_messages_posted_total", (("integration", "plain"),))] == 5
            assert got[("hookhub_webhooks_total", (("integration", "_unknown"), ("status", "404")))] == 1
            assert got[workers] == 2  # one worker in each process
        assert list(shared.glob("*.db")), "the processes write their values to the shared folder"
        second.stop()
        got = scrape(first.url)
        assert got[key] == 5  # counters of the stopped process stay
        assert got[workers] == 1  # its live gauges are gone
    finally:
        first.stop()
        second.stop()


def test_access_log_and_json_logs_carry_no_secret(tmp_path: Path) -> None:
    receiver = Receiver()
    try:
        outgoing = (f"  - id: relay\n    type: outgoing\n    channel: \"#general\"\n"
                    f"    urls: [\"{receiver.url('/in')}?api_key={API_KEY}\"]\n"
                    f"    http: {{allow_private: true}}\n")
        config = tmp_path / "hookhub.yaml"
        config.write_text(CONFIG.format(log_format="json", extra=outgoing), encoding="utf-8")
        env = environment()
        server = Serve(config, env)
        try:
            assert httpx.post(f"{server.url}/hooks/plain/{HOOK_TOKEN}", json={"text": "hi"}).status_code == 200
            assert httpx.post(f"{server.url}/hooks/plain/{HOOK_TOKEN}?token={HOOK_TOKEN}",
                              json={"text": "again"}).status_code == 200
            assert httpx.post(f"{server.url}/hooks/signed/{HOOK_TOKEN}", json={"text": "x"},
                              headers={"X-Signature": "00"}).status_code == 401
            assert httpx.post(f"{server.url}/hooks/plain/wrong-{HOOK_TOKEN}", json={}).status_code == 404
            assert httpx.get(f"{server.url}/api/v1/integrations", headers=AUTH).status_code == 200
            assert httpx.get(f"{server.url}/api/v1/integrations",
                             headers={"Authorization": f"Bearer {ADMIN_TOKEN}x"}).status_code == 401
            receiver.wait_for(2)  # the two messages went out through the outgoing integration (httpx)
            wait_until(lambda: '"/metrics"' in httpx.get(f"{server.url}/metrics", headers=AUTH).text
                       or True, 5)
            time.sleep(0.3)
        finally:
            server.stop()
        output = server.output()
    finally:
        receiver.close()
    lines = [line for line in output.splitlines() if line.strip()]
    records: list[dict[str, Any]] = []
    for line in lines:
        records.append(json.loads(line))  # every line is one JSON object
    access = [r for r in records if r["logger"] == "hookhub.access"]
    hooks = [r for r in access if r["path"].startswith("/hooks/")]
    assert {(r["method"], r["path"], r["status"], r.get("integration")) for r in hooks} == {
        ("POST", "/hooks/plain/••••", 200, "plain"), ("POST", "/hooks/signed/••••", 401, "signed"),
        ("POST", "/hooks/plain/••••", 404, "plain")}
    assert all(isinstance(r["duration_ms"], (int, float)) for r in access)
    assert {"uvicorn.error"} <= {r["logger"] for r in records}  # uvicorn's own lines are JSON too
    for secret in (ADMIN_TOKEN, HOOK_TOKEN, VERIFY_SECRET, API_KEY):
        assert secret not in output, f"a secret is in the log:\n{output}"
