"""History of outgoing attempts and replay (with and without dry_run)."""

from __future__ import annotations

from tests.conftest import AUTH

from .conftest import deliveries, outgoing, post, wait_history
from .receiver import Receiver, wait_until


def test_replay_sends_the_stored_call_again(start_hub, receiver: Receiver) -> None:
    client = start_hub(outgoing("out", [receiver.url()]))
    message = post(client, "replay me")
    entry = wait_history(client, "out", 1)[0]
    response = client.post(f"/api/v1/integrations/out/history/{entry['_id']}/replay", headers=AUTH)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["dry_run"] is False and body["old"]["step"] == "sent"
    got = receiver.wait_for(2)
    assert got[1].json["text"] == "replay me" and got[1].json["message_id"] == message["_id"]
    wait_until(lambda: any(d["_id"] == body["delivery_id"] and d["status"] == "delivered"
                           for d in deliveries(client, message_id=message["_id"])), what="replayed delivery")


def test_dry_run_uses_the_current_script_and_sends_nothing(start_hub, receiver: Receiver) -> None:
    client = start_hub(outgoing("out", [receiver.url()], token="tok-123"))
    post(client, "hello")
    entry = wait_history(client, "out", 1)[0]
    # the operator edits the script, then checks what it would send now
    script = """
    class Script:
        def prepare_outgoing_request(self, request):
            console.log("preparing", request.data.text)
            return {"url": request.url, "method": "POST", "data": {"shout": request.data.text.upper(),
                    "token": request.data.token}}
    """
    hub = client.hub
    from hookhub.config import load_config
    from hookhub.registry import build_integration
    from tests.conftest import BASE

    config_path = hub.config.base_dir / "hookhub.yaml"
    config_path.write_text(BASE.replace("{mode}", "inprocess") + outgoing("out", [receiver.url()], script,
                                                                          token="tok-123"), encoding="utf-8")
    config = load_config(config_path)
    integ = build_integration(config, config.integrations[0], hub.engines)
    hub.registry.integrations["out"] = integ
    client.portal.call(hub.load_script, integ)

    response = client.post(f"/api/v1/integrations/out/history/{entry['_id']}/replay?dry_run=1", headers=AUTH)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["dry_run"] is True
    assert body["old"]["request"]["data"]["text"] == "hello"
    assert body["new"]["step"] == "would-send"
    assert body["new"]["request"]["data"] == {"shout": "HELLO", "token": "••••"}
    assert any("preparing hello" in line["message"] for line in body["new"]["logs"])
    assert "tok-123" not in response.text
    assert len(receiver.requests) == 1


def test_history_entries_name_their_delivery_and_attempt(start_hub, receiver: Receiver) -> None:
    receiver.answer(400, {"error": "no"})
    client = start_hub(outgoing("out", [receiver.url()]))
    message = post(client, "x")
    entry = wait_history(client, "out", 1)[0]
    [delivery] = deliveries(client, message_id=message["_id"])
    assert entry["request"]["delivery_id"] == delivery["_id"] and entry["request"]["attempt"] == 1
    assert entry["request"]["message_id"] == message["_id"]
    assert entry["response"]["status_code"] == 400 and entry["duration_ms"] > 0
    assert delivery["kind"] == "outgoing" and delivery["target"] == "out"


def test_deliveries_api_needs_the_admin_token(start_hub, receiver: Receiver) -> None:
    client = start_hub(outgoing("out", [receiver.url()]))
    assert client.get("/api/v1/deliveries").status_code == 401
    assert client.get("/api/v1/deliveries?status=weird", headers=AUTH).status_code == 400
    assert client.post("/api/v1/integrations/nope/enable", headers=AUTH).status_code == 404


OUT_COUNTER = """\
class Script:
    def __init__(self):
        self.calls = 0

    def prepare_outgoing_request(self, request):
        self.calls += 1
        n = (Store.get("n") or 0) + 1
        Store.set("n", n)
        return {"url": request.url, "method": "POST", "data": {"text": f"VERSION call {self.calls} store {n}"}}
"""


def test_dry_run_is_dry_and_runs_the_file_as_edited(start_hub, receiver: Receiver, tmp_path) -> None:  # type: ignore[no-untyped-def]
    script = tmp_path / "out.py"
    script.write_text(OUT_COUNTER.replace("VERSION", "v1"))
    client = start_hub(outgoing("out", [receiver.url()], script_file=str(script), script_enabled=True))
    post(client, "one")
    assert receiver.wait_for(1)[0].json == {"text": "v1 call 1 store 1"}
    entry = wait_history(client, "out", 1)[0]
    for _ in range(2):
        body = client.post(f"/api/v1/integrations/out/history/{entry['_id']}/replay?dry_run=1", headers=AUTH).json()
        assert body["new"]["request"]["data"] == {"text": "v1 call 1 store 2"}  # fresh instance, Store copy
        assert body["script"]["source"] == str(script) and body["script"]["same_as_loaded"] is True
    post(client, "two")
    assert receiver.wait_for(2)[1].json == {"text": "v1 call 2 store 2"}  # nothing moved
    script.write_text(OUT_COUNTER.replace("VERSION", "v2"))
    entry = wait_history(client, "out", 2)[0]
    body = client.post(f"/api/v1/integrations/out/history/{entry['_id']}/replay?dry_run=1", headers=AUTH).json()
    assert body["new"]["request"]["data"] == {"text": "v2 call 1 store 3"}
    assert body["script"]["same_as_loaded"] is False
    assert len(receiver.requests) == 2
