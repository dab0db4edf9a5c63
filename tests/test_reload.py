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
    assert r.json()["changes"] == ["sandbox.workers: needs a restart to take effect"]


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
