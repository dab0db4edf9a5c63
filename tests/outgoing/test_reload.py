"""Reloading the YAML file (hookhub_config_reloaded): runtime state of outgoing integrations and bridges."""

from __future__ import annotations

import time

from tests.conftest import AUTH, integration

from .conftest import outgoing, post, wait_history
from .receiver import Receiver


def _enabled(client) -> dict[str, bool]:  # type: ignore[no-untyped-def]
    return {i["id"]: i["enabled"] for i in client.get("/api/v1/integrations", headers=AUTH).json()["integrations"]}


def test_a_410_disable_survives_a_reload(start_hub, write_config, receiver: Receiver) -> None:  # type: ignore[no-untyped-def]
    receiver.answer(410, {"error": "gone"})
    integ = outgoing("out", [receiver.url()])
    client = start_hub(integ)
    post(client, "x")
    assert wait_history(client, "out", 1)[0]["step"] == "disabled"
    write_config(integ, integration("added"))
    response = client.post("/api/v1/reload", headers=AUTH)
    assert response.status_code == 200 and "added added" in response.json()["changes"]
    assert _enabled(client)["out"] is False
    post(client, "y")
    time.sleep(0.4)
    assert len(receiver.requests) == 1
    assert client.post("/api/v1/integrations/out/enable", headers=AUTH).json()["integration"]["enabled"] is True
    post(client, "z")
    assert receiver.wait_for(2)[1].json["text"] == "z"


def test_a_bridge_added_by_reload_forwards(start_hub, write_config, receiver: Receiver) -> None:  # type: ignore[no-untyped-def]
    client = start_hub(integration("in"))
    post(client, "before")
    bridge = ("bridges:\n  - {name: s, type: slack, url: '%s', channels: ['#general'], allow_private: true}\n"
              % receiver.url("/s"))
    write_config(integration("in"), extra=bridge)
    assert client.post("/api/v1/reload", headers=AUTH).status_code == 200
    post(client, "after")
    assert receiver.wait_for(1)[0].json["text"] == "after"
    time.sleep(0.3)
    assert len(receiver.requests) == 1
