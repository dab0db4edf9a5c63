"""Dry-run replay (hookhub/dryrun.py): the script on disk now, a fresh instance, a copy of the Store,
nothing changed: no Store write, no instance state advance in the live workers, no message, no
history or log row, no outgoing call."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from .conftest import AUTH, integration, messages
from .outgoing.conftest import outgoing, receiver  # noqa: F401 - the receiver fixture
from .outgoing.receiver import Receiver

COUNTER = """\
class Script:
    def __init__(self):
        self.calls = 0

    def process_incoming_request(self, request):
        self.calls += 1
        n = (Store.get("n") or 0) + 1
        Store.set("n", n)
        return {"content": {"text": f"VERSION call {self.calls} store {n}"}}
"""


def _state(client: TestClient, integration_id: str) -> tuple[Any, ...]:
    history = client.get(f"/api/v1/integrations/{integration_id}/history", headers=AUTH).json()["history"]
    logs = client.get(f"/api/v1/integrations/{integration_id}/logs", headers=AUTH).json()["logs"]
    return len(history), len(logs), [m["text"] for m in messages(client)]


@pytest.mark.parametrize("mode", ["process", "inprocess"])
def test_dry_run_changes_nothing_and_runs_the_file_as_edited(
        mode: str, tmp_path: Path, make_client: Callable[..., TestClient], receiver: Receiver) -> None:
    script = tmp_path / "counter.py"
    script.write_text(COUNTER.replace("VERSION", "v1"))
    client = make_client(
        integration("count", script_file=str(script)),
        outgoing("out", [receiver.url()], channel="#general"), mode=mode)
    hook = "/hooks/count/count-token"
    assert client.post(hook, json={}).status_code == 200
    receiver.wait_for(1)
    hid = client.get("/api/v1/integrations/count/history", headers=AUTH).json()["history"][0]["_id"]
    before = _state(client, "count")

    for _ in range(2):
        r = client.post(f"/api/v1/integrations/count/history/{hid}/replay?dry_run=1", headers=AUTH)
        assert r.status_code == 200, r.text
        body = r.json()
        # a fresh instance (call 1) with a copy of the committed Store (n=1)
        assert [m["text"] for m in body["new"]["messages"]] == ["v1 call 1 store 2"]
        assert body["new"]["store"] == {"n": 2}
        assert body["script"]["source"] == str(script) and body["script"]["same_as_loaded"] is True
        assert body["new"]["http"] == "disabled"
    assert _state(client, "count") == before

    # the live instance and the Store did not move: the next real message is call 2, store 2
    assert client.post(hook, json={}).status_code == 200
    assert messages(client)[0]["text"] == "v1 call 2 store 2"

    # edited on disk, not reloaded: the dry run runs the new text, live traffic the loaded one
    script.write_text(COUNTER.replace("VERSION", "v2"))
    os.utime(script, (1_700_000_000, 1_700_000_000))
    body = client.post(f"/api/v1/integrations/count/history/{hid}/replay?dry_run=1", headers=AUTH).json()
    assert [m["text"] for m in body["new"]["messages"]] == ["v2 call 1 store 3"]
    assert body["script"]["same_as_loaded"] is False
    assert body["script"]["mtime"] == "2023-11-14T22:13:20+00:00"
    assert body["script"]["sha256"] == hashlib.sha256(script.read_bytes()).hexdigest()
    assert client.post(hook, json={}).status_code == 200
    assert messages(client)[0]["text"] == "v1 call 3 store 3"

    # only the three real messages went out
    got = receiver.wait_for(3)
    assert sorted(g.json["text"] for g in got) == ["v1 call 1 store 1", "v1 call 2 store 2", "v1 call 3 store 3"]
    assert len(receiver.requests) == 3


def test_dry_run_reports_a_compile_error_of_the_edited_file(tmp_path: Path,
                                                             make_client: Callable[..., TestClient]) -> None:
    script = tmp_path / "s.py"
    script.write_text(COUNTER.replace("VERSION", "v1"))
    client = make_client(integration("count", script_file=str(script)))
    client.post("/hooks/count/count-token", json={})
    hid = client.get("/api/v1/integrations/count/history", headers=AUTH).json()["history"][0]["_id"]
    script.write_text("import os\nclass Script: pass\n")
    body = client.post(f"/api/v1/integrations/count/history/{hid}/replay?dry_run=1", headers=AUTH).json()
    assert body["new"]["status"] == 400 and body["new"]["response"]["error"] == "error-evaluating-script"
    assert 'import of "os" is not allowed' in body["new"]["logs"][0]["message"]
    assert body["script"]["same_as_loaded"] is False
    # live traffic keeps the loaded version
    assert client.post("/hooks/count/count-token", json={}).status_code == 200


def test_dry_run_function_for_callers(tmp_path: Path, make_client: Callable[..., TestClient]) -> None:
    """``dry_run(hub, integration, inbound)``: the core the admin UI calls."""
    from hookhub.dryrun import dry_run
    from hookhub.pipeline import Inbound

    client = make_client(integration("count", COUNTER.replace("VERSION", "inline")))
    hub = client.app.state.hub  # type: ignore[attr-defined]
    integ = hub.registry.integrations["count"]
    inbound = Inbound(integration_id="count", token="count-token", body=b"{}",
                      headers={"content-type": "application/json"})
    result = client.portal.call(dry_run, hub, integ, inbound)  # type: ignore[union-attr]
    assert result.outcome.status == 200 and result.store == {"n": 1}
    assert result.script.source.endswith("#integrations.count.script") and result.script.mtime is None
    assert result.script.same_as_loaded
    assert messages(client) == []
