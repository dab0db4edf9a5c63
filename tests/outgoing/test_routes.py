"""The outgoing plugin's routes (hookhub.outgoing.routes): /api/v1/deliveries and /api/v1/integrations/{id}/enable."""

from __future__ import annotations

from collections.abc import Callable

from starlette.testclient import TestClient

from hookhub.outgoing import OUTGOING
from tests.conftest import AUTH

from .conftest import outgoing, post, wait_delivery, wait_history
from .receiver import Receiver


def test_both_routes_need_the_admin_token(start_hub: Callable[..., TestClient]) -> None:
    client = start_hub(outgoing("out", ["http://127.0.0.1:9/"]))
    for method, path in [("GET", "/api/v1/deliveries"), ("POST", "/api/v1/integrations/out/enable")]:
        r = client.request(method, path)
        assert (r.status_code, r.json()) == (401, {"success": False, "error": "unauthorized"})
        r = client.request(method, path, headers={"Authorization": "Bearer wrong"})
        assert r.status_code == 401


def test_deliveries_are_listed_and_filtered(start_hub: Callable[..., TestClient], receiver: Receiver) -> None:
    client = start_hub(outgoing("out", [receiver.url()]))
    message = post(client, "hello")
    wait_delivery(client, message["_id"], "delivered")
    rows = client.get("/api/v1/deliveries", headers=AUTH, params={"status": "delivered", "kind": "outgoing"})
    [row] = rows.json()["deliveries"]
    assert row["message_id"] == message["_id"] and row["kind"] == "outgoing" and row["status"] == "delivered"
    assert client.get("/api/v1/deliveries", headers=AUTH, params={"status": "failed"}).json()["deliveries"] == []
    assert client.get("/api/v1/deliveries", headers=AUTH, params={"kind": "bridge"}).json()["deliveries"] == []


def test_bad_filters_are_400_naming_the_choices(start_hub: Callable[..., TestClient]) -> None:
    client = start_hub(outgoing("out", ["http://127.0.0.1:9/"]))
    for params, error in [({"status": "lost"}, "status must be one of: "),
                          ({"kind": "carrier-pigeon"}, "kind must be outgoing or bridge"),
                          ({"limit": "0"}, "limit must be an integer between 1 and 1000")]:
        r = client.get("/api/v1/deliveries", headers=AUTH, params=params)
        assert r.status_code == 400 and r.json()["error"].startswith(error), r.json()


def test_enable_an_integration_disabled_by_a_410(start_hub: Callable[..., TestClient], receiver: Receiver) -> None:
    client = start_hub(outgoing("out", [receiver.url()]))
    receiver.answer(410, {"error": "gone"})
    post(client, "gone?")
    assert wait_history(client, "out", 1)[0]["step"] == "disabled"
    hub = client.hub  # type: ignore[attr-defined]
    assert hub.registry.integrations["out"].config.enabled is False
    r = client.post("/api/v1/integrations/out/enable", headers=AUTH)
    assert r.status_code == 200 and r.json()["integration"]["enabled"] is True and "note" not in r.json()
    assert "out" not in hub.services.require(OUTGOING).disabled


def test_enable_keeps_the_yaml_word_and_404s_unknown_ids(start_hub: Callable[..., TestClient]) -> None:
    client = start_hub(outgoing("out", ["http://127.0.0.1:9/"], enabled=False))
    r = client.post("/api/v1/integrations/out/enable", headers=AUTH)
    assert r.json()["note"] == "the integration stays disabled: it has enabled: false in the YAML file"
    assert r.json()["integration"]["enabled"] is False
    r = client.post("/api/v1/integrations/nope/enable", headers=AUTH)
    assert (r.status_code, r.json()["error"]) == (404, "integration 'nope' not found")
