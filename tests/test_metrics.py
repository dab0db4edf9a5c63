"""GET /metrics: per-integration series, sandbox, store and outbox, label bounds, protection."""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
from collections.abc import Callable

from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from tests.conftest import AUTH, integration
from tests.outgoing.conftest import outgoing, post, receiver, start_hub, wait_delivery  # noqa: F401 - fixtures
from tests.outgoing.receiver import Receiver, wait_until

FAILING = """
class Script:
    def process_incoming_request(self, request):
        raise ValueError("no")
"""
LOOPING = """
class Script:
    def process_incoming_request(self, request):
        while True:
            pass
"""


def samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of GET /metrics, by (name, sorted labels)."""
    response = client.get("/metrics", headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


def value(client: TestClient, name: str, **labels: str) -> float:
    return samples(client).get((name, tuple(sorted(labels.items()))), 0.0)


def test_webhooks_by_integration_and_status_with_durations(make_client: Callable[..., TestClient]) -> None:
    client = make_client(integration("plain"), integration("broken", FAILING))
    for _ in range(3):
        assert client.post("/hooks/plain/plain-token", json={"text": "hi"}).status_code == 200
    assert client.post("/hooks/plain/wrong-token", json={"text": "hi"}).status_code == 404
    assert client.post("/hooks/broken/broken-token", json={}).status_code == 400
    got = samples(client)
    assert got[("hookhub_webhooks_total", (("integration", "plain"), ("status", "200")))] == 3
    assert got[("hookhub_webhooks_total", (("integration", "plain"), ("status", "404")))] == 1
    assert got[("hookhub_webhooks_total", (("integration", "broken"), ("status", "400")))] == 1
    assert got[("hookhub_webhook_duration_seconds_count", (("integration", "plain"),))] == 4
    assert got[("hookhub_webhook_duration_seconds_sum", (("integration", "plain"),))] > 0
    assert got[("hookhub_script_errors_total", (("integration", "broken"),))] == 1
    assert got[("hookhub_messages_posted_total", (("integration", "plain"),))] == 3
    # the store's group commit reported its batches
    assert got[("hookhub_store_write_batch_size_count", ())] >= 5
    assert got[("hookhub_store_commit_seconds_count", ())] >= 5


def test_label_values_are_integration_ids_never_user_input(make_client: Callable[..., TestClient]) -> None:
    client = make_client(integration("plain"))
    for evil in ("evil-1", "x" * 100, "ünïcode", "a.b"):
        client.post(f"/hooks/{evil}/token", json={"text": "hi"})
    client.get("/hooks/another/one/two")
    text = client.get("/metrics", headers=AUTH).text
    labels = set(re.findall(r'integration="([^"]*)"', text))
    assert labels <= {"plain", "_unknown", "_api"}, labels
    assert value(client, "hookhub_webhooks_total", integration="_unknown", status="404") == 5


def test_protected_by_the_admin_token_unless_public(make_client: Callable[..., TestClient]) -> None:
    client = make_client(integration("plain"))
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).json() == {
        "success": False, "error": "unauthorized"}
    assert client.get("/metrics", headers=AUTH).status_code == 200


def test_metrics_public(make_client: Callable[..., TestClient], write_config: Callable[..., object]) -> None:
    client = make_client(integration("plain"))
    hub = client.app.hub  # type: ignore[attr-defined]
    hub.config = hub.config.model_copy(update={"server": hub.config.server.model_copy(
        update={"metrics_public": True})})
    response = client.get("/metrics")
    assert response.status_code == 200 and "hookhub_webhooks_total" in response.text


def test_signature_failures_and_duplicates(make_client: Callable[..., TestClient]) -> None:
    client = make_client(integration("gh", verify="{type: github, secret: s3cr3t-value}",
                                     dedupe="{window_s: 600}"))
    body = b'{"text": "hi"}'
    good = "sha256=" + hmac.new(b"s3cr3t-value", body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": good, "X-GitHub-Delivery": "d-1"}
    assert client.post("/hooks/gh/gh-token", content=body, headers=headers).status_code == 200
    assert client.post("/hooks/gh/gh-token", content=body, headers=headers).json()["duplicate"] is True
    bad = {**headers, "X-Hub-Signature-256": "sha256=" + "0" * 64, "X-GitHub-Delivery": "d-2"}
    assert client.post("/hooks/gh/gh-token", content=body, headers=bad).status_code == 401
    got = samples(client)
    assert got[("hookhub_duplicates_total", (("integration", "gh"),))] == 1
    assert got[("hookhub_signature_failures_total", (("integration", "gh"),))] == 1
    assert got[("hookhub_messages_posted_total", (("integration", "gh"),))] == 1


def test_api_posts_count_under_api(make_client: Callable[..., TestClient]) -> None:
    client = make_client(integration("plain"))
    response = client.post("/api/v1/chat.postMessage", json={"channel": "#general", "text": "x"}, headers=AUTH)
    assert response.status_code == 200
    assert value(client, "hookhub_messages_posted_total", integration="_api") == 1


def test_sandbox_workers_timeouts_replacements_and_saturation(make_client: Callable[..., TestClient]) -> None:
    client = make_client(integration("loop", LOOPING, timeout_ms=300),
                         integration("slow", LOOPING, timeout_ms=1000, concurrency=1, queue=0), mode="process")
    assert value(client, "hookhub_sandbox_workers") == 2
    assert value(client, "hookhub_sandbox_workers_busy") == 0
    # a script that never stops: the worker stops it at its timeout (or is killed and replaced)
    assert client.post("/hooks/loop/loop-token", json={}).status_code == 400
    assert value(client, "hookhub_script_timeouts_total", integration="loop") == 1
    # a call of slow holds its only slot until its timeout; the next is refused (queue: 0)
    results: list[int] = []
    first = threading.Thread(target=lambda: results.append(client.post("/hooks/slow/slow-token", json={}).status_code))
    first.start()
    wait_until(lambda: value(client, "hookhub_sandbox_workers_busy") == 1, 5, "a busy worker")
    assert client.post("/hooks/slow/slow-token", json={}).status_code == 503
    first.join()
    assert results == [400]
    assert value(client, "hookhub_sandbox_saturations_total", integration="slow") == 1
    assert value(client, "hookhub_sandbox_workers_busy") == 0


def test_worker_replacements_are_counted(make_client: Callable[..., TestClient]) -> None:
    client = make_client(integration("plain"), mode="process")
    pool = client.app.hub.sandbox  # type: ignore[attr-defined]
    import os
    import signal
    os.kill(pool.pids[0], signal.SIGKILL)
    wait_until(lambda: value(client, "hookhub_sandbox_worker_replacements_total") == 1, 10, "a replacement")
    wait_until(lambda: value(client, "hookhub_sandbox_workers") == 2, 10, "two live workers again")


def test_outgoing_attempts_latency_and_queue(start_hub: Callable[..., TestClient], receiver: Receiver) -> None:
    client = start_hub(outgoing("out", [receiver.url()], retry_delay="powers-of-two"))
    receiver.answer(500, {"error": "busy"})
    message = post(client, "hello")
    wait_until(lambda: value(client, "hookhub_delivery_attempts_total", kind="outgoing", target="out",
                             outcome="retry") == 1, 10, "a retry")
    assert value(client, "hookhub_delivery_retries_pending", kind="outgoing") == 1
    assert value(client, "hookhub_deliveries_queued", kind="outgoing") == 0
    wait_delivery(client, message["_id"], "delivered", timeout=15)
    # counted just after the delivery's row is committed (which the API may show first)
    wait_until(lambda: value(client, "hookhub_delivery_attempts_total", kind="outgoing", target="out",
                             outcome="delivered") == 1, 10, "a delivered attempt")
    got = samples(client)
    assert got[("hookhub_delivery_attempts_total", (("kind", "outgoing"), ("outcome", "delivered"),
                                                    ("target", "out")))] == 1
    assert got[("hookhub_delivery_latency_seconds_count", (("kind", "outgoing"), ("target", "out")))] == 1
    assert got[("hookhub_delivery_latency_seconds_sum", (("kind", "outgoing"), ("target", "out")))] >= 1.0
    assert got[("hookhub_delivery_retries_pending", (("kind", "outgoing"),))] == 0


def test_a_reload_binds_new_integrations(make_client: Callable[..., TestClient], write_config) -> None:
    client = make_client(integration("plain"))
    write_config(integration("plain"), integration("added"))
    assert client.post("/api/v1/reload", headers=AUTH).json()["changes"] == ["added added"]
    assert client.post("/hooks/added/added-token", json={"text": "hi"}).status_code == 200
    assert value(client, "hookhub_webhooks_total", integration="added", status="200") == 1
    assert value(client, "hookhub_webhooks_total", integration="_unknown", status="200") == 0


def test_docs_list_every_series_with_its_labels(make_client: Callable[..., TestClient]) -> None:
    """docs/operations.md has one table row per metric family, naming its labels."""
    from pathlib import Path

    client = make_client(integration("plain"))
    client.post("/hooks/plain/plain-token", json={"text": "hi"})
    text = client.get("/metrics", headers=AUTH).text
    families = {f.name: f for f in text_string_to_metric_families(text) if f.name.startswith("hookhub_")}
    doc = (Path(__file__).resolve().parent.parent / "docs" / "operations.md").read_text(encoding="utf-8")
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `(hookhub_\w+)` \| \w+ \| ([^|]*) \|", doc, re.M)}
    exposed = {name + ("_total" if f.type == "counter" else "") for name, f in families.items()}
    assert exposed == set(rows), (exposed ^ set(rows))
    for name, family in families.items():
        labels = {k for s in family.samples for k in s.labels if k not in ("le", "quantile")}
        documented = set(re.findall(r"`(\w+)`", rows[name + ("_total" if family.type == "counter" else "")]))
        assert labels <= documented, (name, labels, documented)


def test_prepare_multiprocess_makes_a_folder_per_run(tmp_path) -> None:
    """What ``hookhub serve --workers N`` does before its processes start: a fresh folder in the
    environment (inherited by the processes), file-backed values, the folder removed at exit."""
    import os
    import subprocess
    import sys

    code = (
        "import os, sys\n"
        "import prometheus_client\n"  # imported before the variable is set: switched anyway
        "from hookhub import metrics\n"
        "path = metrics.prepare_multiprocess()\n"
        "m = metrics.Metrics()\n"
        "m.webhook('x', 200, 0.01)\n"
        "print(path, os.environ['PROMETHEUS_MULTIPROC_DIR'] == path, m.files, sorted(os.listdir(path)))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    path, same, files, listing = out.stdout.split(" ", 3)
    assert same == "True" and files == "True"
    assert "counter_" in listing and "histogram_" in listing
    assert not os.path.exists(path)  # removed when the parent exited
