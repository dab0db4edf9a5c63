"""The worker pool behind the real app: what a caller and an admin see."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from starlette.testclient import TestClient

from hookhub.sandbox.pool import WorkerPool
from tests.conftest import AUTH, integration
from tests.sandbox.test_pool import LOOP

ECHO = """
class Script:
    def process_incoming_request(self, request):
        return {'content': {'text': 'neighbour: ' + str(request.content.text)}}
"""

SLOW = """
import time
class Script:
    def process_incoming_request(self, request):
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            pass
        return {'content': {'text': 'slow'}}
"""


def post(client: TestClient, integration_id: str, body: dict[str, Any]) -> Any:
    return client.post(f"/hooks/{integration_id}/{integration_id}-token", json=body)


def logs(client: TestClient, integration_id: str) -> list[str]:
    response = client.get(f"/api/v1/integrations/{integration_id}/logs", headers=AUTH)
    assert response.status_code == 200, response.text
    return [entry["message"] for entry in response.json()["logs"]]


def pool_of(client: TestClient) -> WorkerPool:
    hub = client.app.state.hub  # type: ignore[attr-defined]
    assert isinstance(hub.sandbox, WorkerPool)
    return hub.sandbox  # type: ignore[no-any-return]


def test_a_runaway_script_answers_400_and_the_neighbour_keeps_answering(make_client: Callable[..., TestClient]) -> None:
    client = make_client(integration("runaway", LOOP, timeout_ms=1500), integration("neighbour", ECHO),
                         mode="process")
    assert post(client, "neighbour", {"text": "warm"}).status_code == 200
    answers: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: answers.update(runaway=post(client, "runaway", {})))
    thread.start()
    time.sleep(0.1)
    started = time.monotonic()
    response = post(client, "neighbour", {"text": "hi"})
    elapsed = time.monotonic() - started
    thread.join()
    assert response.status_code == 200 and response.json() == {"success": True}
    # it did not wait for the runaway (1.5 s) and answered at interactive speed even on a loaded machine
    assert elapsed < 0.5, elapsed
    assert answers["runaway"].status_code == 400
    assert answers["runaway"].json() == {"success": False, "error": "error-running-script"}
    assert any("timed out after 1500 ms" in m for m in logs(client, "runaway"))


def test_a_crashed_worker_is_logged_on_the_integration(make_client: Callable[..., TestClient]) -> None:
    client = make_client(integration("victim", LOOP, timeout_ms=5000), integration("neighbour", ECHO),
                         mode="process")
    pool = pool_of(client)
    answers: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: answers.update(victim=post(client, "victim", {})))
    thread.start()
    time.sleep(0.5)
    for pid in pool.pids:
        os.kill(pid, signal.SIGSEGV)
    thread.join()
    assert answers["victim"].status_code == 400
    assert answers["victim"].json()["error"] == "error-running-script"
    assert any("SIGSEGV" in m and "replaced" in m for m in logs(client, "victim"))
    for _ in range(50):
        if len(pool.pids) == 2:
            break
        time.sleep(0.05)
    assert post(client, "neighbour", {"text": "after"}).status_code == 200


def test_a_saturated_integration_answers_503(make_client: Callable[..., TestClient]) -> None:
    client = make_client(integration("busy", SLOW, concurrency=1, queue=0), mode="process")
    assert post(client, "busy", {}).status_code == 200  # instance created
    codes: list[int] = []
    threads = [threading.Thread(target=lambda: codes.append(post(client, "busy", {}).status_code))
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200, 503, 503]
