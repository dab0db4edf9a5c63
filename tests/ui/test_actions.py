"""The UI's form actions (hookhub.ui.actions), in process: CSRF, bounded forms, script test, replay, retry."""

from __future__ import annotations

from starlette.testclient import TestClient

from hookhub.ui.web import MAX_FORM_BYTES
from tests.conftest import AUTH

from .conftest import login


def test_posts_need_the_csrf_token_a_form_body_and_a_bounded_size(ui: TestClient) -> None:
    csrf = login(ui)
    assert ui.post("/ui/integrations/s/test", data={"payload": "{}"}).status_code == 403
    assert ui.post("/ui/integrations/s/test", data={"payload": "{}", "csrf": csrf + "x"}).status_code == 403
    assert ui.post("/ui/integrations/s/test", json={"payload": "{}", "csrf": csrf}).status_code == 415
    big = ui.post("/ui/integrations/s/test", data={"payload": "x" * (MAX_FORM_BYTES + 1), "csrf": csrf})
    assert big.status_code == 413
    ok = ui.post("/ui/integrations/s/test", data={"payload": '{"n": 5}', "csrf": csrf})
    assert ok.status_code == 200 and "n=5" in ok.text


def test_script_test_is_a_dry_run_and_shows_the_error(ui: TestClient) -> None:
    csrf = login(ui)
    failed = ui.post("/ui/integrations/s/test", data={"payload": '{"boom": 1}', "headers": "X-Event: a",
                                                      "csrf": csrf})
    assert failed.status_code == 200
    assert "ValueError: boom" in failed.text and "<strong>line 5</strong>" in failed.text
    bad_headers = ui.post("/ui/integrations/s/test", data={"payload": "{}", "headers": "no colon", "csrf": csrf})
    assert bad_headers.status_code == 400 and "headers line 1" in bad_headers.text
    assert ui.get("/api/v1/integrations/s/history", headers=AUTH).json()["history"] == []
    assert ui.get("/api/v1/integrations/s/logs", headers=AUTH).json()["logs"] == []


def test_replay_from_the_ui_dry_then_real(ui: TestClient) -> None:
    assert ui.post("/hooks/s/s-token", json={"n": 1}).status_code == 200
    (entry,) = ui.get("/api/v1/integrations/s/history", headers=AUTH).json()["history"]
    csrf = login(ui)
    dry = ui.post(f"/ui/integrations/s/history/{entry['_id']}/replay", data={"mode": "dry", "csrf": csrf})
    assert dry.status_code == 200 and "Same answer and messages" in dry.text
    assert len(ui.get("/api/v1/integrations/s/history", headers=AUTH).json()["history"]) == 1
    assert ui.post(f"/ui/integrations/s/history/{entry['_id']}/replay",
                   data={"mode": "other", "csrf": csrf}).status_code == 400
    real = ui.post(f"/ui/integrations/s/history/{entry['_id']}/replay", data={"mode": "real", "csrf": csrf})
    assert real.status_code == 200 and "Replayed: new history entry" in real.text
    assert len(ui.get("/api/v1/integrations/s/history", headers=AUTH).json()["history"]) == 2
    assert [m["text"] for m in ui.get("/api/v1/channels/general/messages", headers=AUTH).json()["messages"]] == [
        "n=1", "n=1"]


def test_retry_of_an_unknown_delivery_is_404(ui: TestClient) -> None:
    csrf = login(ui)
    assert ui.post("/ui/deliveries/nope/retry", data={"csrf": csrf}).status_code == 404
