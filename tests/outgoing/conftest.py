"""Factories for outgoing tests: a receiver on 127.0.0.1, hubs with an injectable clock."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from hookhub.web.app import make_app
from hookhub.config import load_config
from hookhub.hub import Hub
from tests.conftest import AUTH, integration

from .receiver import FakeClock, Receiver, wait_until


def outgoing(id: str, urls: list[str] | None = None, script: str | None = None, **fields: Any) -> str:
    """A YAML entry for an outgoing integration (loopback allowed, as the receivers live on 127.0.0.1)."""
    entry: dict[str, Any] = {"type": "outgoing", "http": "{allow_private: true}", "channel": "[]"}
    if urls is not None:
        entry["urls"] = json.dumps(urls)
    for key, value in fields.items():
        if isinstance(value, list):
            value = json.dumps(value)
        entry[key] = value
    if script is not None:
        entry["script_enabled"] = True
    return integration(id, script, **entry)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def start_hub(write_config: Callable[..., Path]) -> Iterator[Callable[..., TestClient]]:
    """``start_hub(*integrations, clock=None, extra="")`` → a started TestClient; ``client.hub`` is the Hub."""
    clients: list[TestClient] = []

    def start(*integrations: str, clock: Callable[[], float] | None = None, extra: str = "",
              mode: str = "inprocess") -> TestClient:
        config = load_config(write_config(*integrations, extra=extra, mode=mode))
        hub = Hub(config)
        if clock is not None:
            hub.clock = clock
        client = TestClient(make_app(hub), raise_server_exceptions=False)
        client.__enter__()
        client.hub = hub  # type: ignore[attr-defined]
        clients.append(client)
        return client

    yield start
    for client in clients:
        if not getattr(client, "stopped", False):
            client.__exit__(None, None, None)


def stop(client: TestClient) -> None:
    """Stop a hub early (e.g. to restart on the same database)."""
    client.__exit__(None, None, None)
    client.stopped = True  # type: ignore[attr-defined]


def post(client: TestClient, text: str, channel: str = "#general", **fields: Any) -> dict[str, Any]:
    response = client.post("/api/v1/chat.postMessage", json={"channel": channel, "text": text, **fields},
                           headers=AUTH)
    assert response.status_code == 200, response.text
    return response.json()["message"]  # type: ignore[no-any-return]


def history(client: TestClient, integration_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/integrations/{integration_id}/history", headers=AUTH)
    assert response.status_code == 200, response.text
    return response.json()["history"]  # type: ignore[no-any-return]


def deliveries(client: TestClient, **params: str) -> list[dict[str, Any]]:
    response = client.get("/api/v1/deliveries", params=params, headers=AUTH)
    assert response.status_code == 200, response.text
    return response.json()["deliveries"]  # type: ignore[no-any-return]


def wait_history(client: TestClient, integration_id: str, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
    def enough() -> list[dict[str, Any]] | None:
        entries = history(client, integration_id)
        return entries if len(entries) >= count else None
    return wait_until(enough, timeout, f"{count} history entries of {integration_id}")  # type: ignore[no-any-return]


def wait_delivery(client: TestClient, message_id: str, status: str, timeout: float = 10.0) -> dict[str, Any]:
    """The first delivery of a message once it has ``status`` (the outbox row is updated after history)."""
    def ready() -> dict[str, Any] | None:
        rows = deliveries(client, message_id=message_id)
        return rows[0] if rows and rows[0]["status"] == status else None
    return wait_until(ready, timeout, f"a {status} delivery of {message_id}")  # type: ignore[no-any-return]
