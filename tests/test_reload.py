"""Reloading the YAML file without a restart (POST /api/v1/reload, SIGHUP)."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from starlette.testclient import TestClient

from .conftest import AUTH, integration, messages
from .test_e2e import Server

Client = Callable[..., TestClient]

V1 = "class Script:\n    def process_incoming_request(self, request):\n        return {'content': {'text': 'v1'}}\n"


def test_reload_applies_changed_added_and_removed_integrations(make_client: Client, write_config) -> None:  # type: ignore[no-untyped-def]
    client = make_client(integration("s", V1), integration("gone"))
    assert client.post("/hooks/s/s-token", json={}).status_code == 200
    write_config(integration("s", V1.replace("v1", "v2")), integration("new"))
    r = client.post("/api/v1/reload", headers=AUTH)
    assert r.status_code == 200 and set(r.json()["changes"]) == {"removed gone", "added new", "changed s"}
    assert client.post("/hooks/s/s-token", json={}).status_code == 200
    assert [m["text"] for m in messages(client)] == ["v2", "v1"]
    assert client.post("/hooks/gone/gone-token", json={"text": "x"}).status_code == 404
    assert client.post("/hooks/new/new-token", json={"text": "hello"}).status_code == 200


def test_invalid_file_changes_nothing(make_client: Client, write_config) -> None:  # type: ignore[no-untyped-def]
    client = make_client(integration("s", V1))
    path = write_config(integration("s", V1), extra="bogus_key: 1\n")
    r = client.post("/api/v1/reload", headers=AUTH)
    assert r.status_code == 400 and r.json()["success"] is False
    assert any("bogus_key" in p and str(path) in p for p in r.json()["problems"])
    assert client.post("/hooks/s/s-token", json={}).status_code == 200


def test_restart_only_settings_are_reported(make_client: Client, write_config) -> None:  # type: ignore[no-untyped-def]
    client = make_client(integration("s", V1))
    path = write_config(integration("s", V1))
    path.write_text(path.read_text().replace("workers: 2", "workers: 3"))
    r = client.post("/api/v1/reload", headers=AUTH)
    assert r.json()["changes"] == ["sandbox.workers: needs a restart to take effect (still 2 until then)"]
    assert r.json()["restart"] == r.json()["changes"]


def test_sighup_reloads_a_running_server(tmp_path: Path) -> None:
    config = tmp_path / "hookhub.yaml"
    base = ("admin: {token: adm}\nusers: [{username: u}]\nchannels: [{name: general}]\nintegrations:\n"
            "  - {id: a, type: incoming, token: t, channel: '#general', username: u, script_enabled: false}\n")
    config.write_text(base)
    server = Server(config)
    server.start()
    try:
        assert httpx.post(f"{server.url}/hooks/b/t2", json={"text": "x"}).status_code == 404
        config.write_text(base + "  - {id: b, type: incoming, token: t2, channel: '#general', username: u,"
                                 " script_enabled: false}\n")
        assert server.proc is not None
        server.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while httpx.post(f"{server.url}/hooks/b/t2", json={"text": "x"}).status_code != 200:
            assert time.monotonic() < deadline, "SIGHUP did not reload the configuration"
            time.sleep(0.1)
    finally:
        server.stop()
    assert b"configuration reloaded: added b" in server.output


def test_live_limits_are_applied_and_restart_settings_listed(make_client: Client, write_config) -> None:  # type: ignore[no-untyped-def]
    slow = ("import time\nclass Script:\n    def process_incoming_request(self, request):\n"
            "        t = time.monotonic()\n        while time.monotonic() - t < 0.6:\n            pass\n"
            "        return {'content': {'text': 'done'}}\n")
    client = make_client(integration("s", slow), mode="process")
    assert client.post("/hooks/s/s-token", json={}).status_code == 200  # 0.6 s < 2000 ms
    path = write_config(integration("s", slow), mode="process")
    path.write_text(path.read_text().replace("timeout_ms: 2000", "timeout_ms: 300")
                    .replace("workers: 2", "workers: 3").replace("max_message_chars: 2000", "max_message_chars: 3")
                    .replace("url: sqlite:///data/hookhub.db", "url: sqlite:///data/other.db"))
    body = client.post("/api/v1/reload", headers=AUTH).json()
    assert body["success"] is True
    assert "sandbox.timeout_ms: 2000 -> 300 (applied)" in body["changes"]
    assert "server.max_message_chars: 2000 -> 3 (applied)" in body["changes"]
    assert body["restart"] == ["storage.url: needs a restart to take effect (still 'sqlite:///data/hookhub.db' "
                               "until then)", "sandbox.workers: needs a restart to take effect (still 2 until then)"]
    assert set(body["restart"]) <= set(body["changes"]) and "changed s" not in body["changes"]
    # the new timeout holds at once
    r = client.post("/hooks/s/s-token", json={})
    assert r.status_code == 400 and r.json()["error"] == "error-running-script"
    logs = client.get("/api/v1/integrations/s/logs", headers=AUTH).json()["logs"]
    assert "timed out after 300 ms (sandbox.timeout_ms)" in logs[0]["message"]


def test_reload_reports_scripts_that_do_not_compile(make_client: Client, write_config) -> None:  # type: ignore[no-untyped-def]
    client = make_client(integration("s", V1))
    write_config(integration("s", "import os\n" + V1))
    body = client.post("/api/v1/reload", headers=AUTH).json()
    assert body["success"] is True and "changed s" in body["changes"]
    assert list(body["compile_errors"]) == ["s"] and 'import of "os" is not allowed' in body["compile_errors"]["s"]
    assert any(c.startswith("integration s: disabled, its script does not compile: ") for c in body["changes"])
    r = client.post("/hooks/s/s-token", json={})
    assert r.status_code == 400 and r.json()["error"] == "error-evaluating-script"
