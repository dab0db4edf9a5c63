"""The UI's guard, forms, error pages and headers, in process (the browser tests cover the pages)."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from hookhub.web.app import make_app
from hookhub.config import load_config
from hookhub.hub import Hub
from hookhub.ui.web import MAX_FORM_BYTES, next_target
from tests.conftest import AUTH

from .conftest import login


def test_pages_redirect_to_the_login_page_and_come_back(ui: TestClient) -> None:
    answer = ui.get("/ui/integrations/s/logs?level=warn", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/ui/login?next=%2Fui%2Fintegrations%2Fs%2Flogs%3Flevel%3Dwarn"
    page = ui.get(answer.headers["location"])
    assert 'name="next" value="/ui/integrations/s/logs?level=warn"' in page.text
    assert ui.get("/ui", follow_redirects=False).headers["location"] == "/ui/"


def test_login_sets_the_cookie_only_for_the_admin_token(ui: TestClient) -> None:
    wrong = ui.post("/ui/login", data={"token": "nope"}, follow_redirects=False)
    assert wrong.status_code == 401 and "set-cookie" not in wrong.headers
    assert "not the admin token" in wrong.text
    right = ui.post("/ui/login", data={"token": "test-admin-token", "next": "//evil.example/"},
                    follow_redirects=False)
    assert right.status_code == 303 and right.headers["location"] == "/ui/"
    cookie = right.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/ui" in cookie
    assert "test-admin-token" not in cookie


def test_next_target_stays_inside_the_ui() -> None:
    assert next_target("/ui/channels/general") == "/ui/channels/general"
    for bad in ("https://evil.example/", "//evil.example", "/ui//evil.example", "/api/v1/x", "/ui\\..", None, 3):
        assert next_target(bad) == "/ui/"


def test_every_page_answers_html_with_security_headers(ui: TestClient) -> None:
    login(ui)
    for path in ("/ui/", "/ui/integrations/s", "/ui/integrations/s/logs", "/ui/integrations/s/test",
                 "/ui/outgoing", "/ui/channels", "/ui/channels/general"):
        answer = ui.get(path)
        assert answer.status_code == 200, (path, answer.text)
        assert answer.headers["content-type"].startswith("text/html")
        assert answer.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
        assert answer.headers["x-frame-options"] == "DENY"


def test_errors_are_html_pages_with_their_status(ui: TestClient) -> None:
    login(ui)
    missing = ui.get("/ui/integrations/nope")
    assert missing.status_code == 404 and "integration &#39;nope&#39; not found" in missing.text
    assert ui.get("/ui/integrations/s/logs?level=loud").status_code == 400
    assert ui.get("/ui/channels/nowhere").status_code == 404
    assert ui.get("/ui/integrations/s/history/nope").status_code == 404
    assert ui.get("/ui/outgoing?status=odd").status_code == 400


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


def test_logout_needs_the_csrf_token_and_clears_the_cookie(ui: TestClient) -> None:
    csrf = login(ui)
    assert ui.post("/ui/logout", data={}).status_code == 403
    out = ui.post("/ui/logout", data={"csrf": csrf}, follow_redirects=False)
    assert out.status_code == 303 and 'hookhub_ui=""' in out.headers["set-cookie"]


def test_without_an_admin_token_nobody_logs_in(tmp_path: Path) -> None:
    config = tmp_path / "hookhub.yaml"
    config.write_text("storage: {url: sqlite:///data/h.db}\nsandbox: {mode: inprocess}\n"
                      "users: [{username: u}]\nchannels: [{name: general}]\nintegrations: []\n", encoding="utf-8")
    with TestClient(make_app(Hub(load_config(config)))) as client:
        assert "Set <code>admin.token</code>" in client.get("/ui/login").text
        refused = client.post("/ui/login", data={"token": ""}, follow_redirects=False)
        assert refused.status_code == 403 and "set-cookie" not in refused.headers
        assert client.get("/ui/", follow_redirects=False).status_code == 303


def test_the_api_bearer_token_keeps_working_and_ui_cookies_are_no_api_credential(ui: TestClient) -> None:
    login(ui)
    assert ui.get("/api/v1/integrations").status_code == 401
    assert ui.get("/api/v1/integrations", headers=AUTH).status_code == 200
