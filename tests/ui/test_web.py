"""The UI's guard, forms, error pages and headers, in process (the browser tests cover the pages)."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from hookhub.web.app import make_app
from hookhub.config import load_config
from hookhub.hub import Hub
from hookhub.ui.web import next_target
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
