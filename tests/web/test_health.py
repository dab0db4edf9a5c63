"""GET /readyz (hookhub/web/health.py) and GET /healthz."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from hookhub.web import health

from hookhub.web.health import not_ready
from tests.conftest import integration
from tests.outgoing.receiver import wait_until


def test_ready_when_started(make_client: Callable[..., TestClient]) -> None:
    client = make_client(integration("plain"), mode="process")
    assert client.get("/readyz").json() == {"success": True}
    assert client.get("/healthz").json() == {"success": True}


def test_not_ready_without_live_workers(make_client: Callable[..., TestClient]) -> None:
    client = make_client(integration("plain"), mode="process")
    pool = client.app.hub.sandbox  # type: ignore[attr-defined]
    pool.supervisor.replace_later = lambda: None  # keep the killed workers dead (normally they are replaced in ms)
    for pid in pool.pids:
        os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not pool.pids, 10, "no live workers")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"success": False, "error": (
        "the sandbox pool has no live worker (they are being replaced; see the server log)")}


def test_not_ready_when_the_store_does_not_commit(make_client: Callable[..., TestClient],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    client = make_client(integration("plain"))
    monkeypatch.setattr(health, "STORE_TIMEOUT_S", 0.5)
    client.app.hub.store.close()  # type: ignore[attr-defined]  # its writer thread is gone: nothing commits
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"success": False, "error": "the store did not commit within 0.5 s"}


def test_not_ready_before_start(make_client: Callable[..., TestClient]) -> None:
    client = make_client(integration("plain"))
    hub = client.app.hub  # type: ignore[attr-defined]
    hub.started = False
    try:
        reason = asyncio.run(not_ready(hub))
    finally:
        hub.started = True
    assert reason == "not started: the configuration is not loaded yet (or the server is stopping)"
