"""The UI's pages (hookhub.ui.pages), in process: every page, its headers, its errors (the browser tests cover rendering)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from starlette.testclient import TestClient

from hookhub.config import load_config
from hookhub.hub import Hub
from hookhub.outgoing import OUTGOING
from hookhub.ui.pages import enabled, script_lines
from tests.conftest import integration

from .conftest import login


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


def test_script_lines_and_enabled(write_config: Callable[..., Path]) -> None:
    hub = Hub(load_config(write_config(integration("s", "class Script:\n    pass\n"), integration("p"))))
    assert script_lines(hub.registry.integrations["s"]) == ["class Script:", "    pass"]
    assert script_lines(hub.registry.integrations["p"]) == []
    assert enabled(hub, hub.registry.integrations["p"]) is True  # the outgoing service is not running: YAML decides


def test_an_integration_disabled_at_runtime_shows_disabled(make_client: Callable[..., TestClient]) -> None:
    client = make_client(integration("out", type="outgoing", urls="[http://127.0.0.1:9/]", channel="[]"))
    hub = client.app.state.hub  # type: ignore[attr-defined]
    hub.services.require(OUTGOING).disabled["out"] = "410"
    assert enabled(hub, hub.registry.integrations["out"]) is False
