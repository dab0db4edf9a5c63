"""The access log (hookhub/web/accesslog.py): one line per request, token masked."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from hookhub.web.accesslog import masked_path
from tests.conftest import AUTH, integration


@pytest.mark.parametrize(("path", "expected"), [
    ("/hooks/github/t0ken", ("/hooks/github/••••", "github")),
    ("/hooks/github/rocket.cat/t0ken", ("/hooks/github/••••", "github")),
    ("/hooks/github/t0ken/", ("/hooks/github/••••", "github")),
    ("/hooks/github", ("/hooks/github", "github")),
    ("/api/v1/integrations", ("/api/v1/integrations", None)),
    ("/x\nFAKE LINE", ("/x\\nFAKE LINE", None)),
])
def test_masked_path(path: str, expected: tuple[str, str | None]) -> None:
    assert masked_path(path) == expected


def test_one_line_per_request(make_client: Callable[..., TestClient], caplog: pytest.LogCaptureFixture) -> None:
    client = make_client(integration("plain"))
    with caplog.at_level(logging.INFO, logger="hookhub.access"):
        client.post("/hooks/plain/plain-token", json={"text": "hi"})
        client.post("/hooks/nobody/some-token", json={"text": "hi"})
        client.get("/api/v1/integrations", headers=AUTH)
        client.get("/api/v1/nothing")
    records = [r for r in caplog.records if r.name == "hookhub.access"]
    assert [(r.method, r.path, r.status, r.integration) for r in records] == [  # type: ignore[attr-defined]
        ("POST", "/hooks/plain/••••", 200, "plain"),
        ("POST", "/hooks/nobody/••••", 404, None),
        ("GET", "/api/v1/integrations", 200, None),
        ("GET", "/api/v1/nothing", 404, None),
    ]
    assert records[0].getMessage().startswith("POST /hooks/plain/•••• 200 ")
    assert records[0].getMessage().endswith("ms integration=plain")
    assert all("token" not in r.getMessage() for r in records)


def test_access_log_off(make_client: Callable[..., TestClient], caplog: pytest.LogCaptureFixture) -> None:
    client = make_client(integration("plain"), extra="")
    client.app.access_log = None  # type: ignore[attr-defined]  # what server.access_log: false builds
    with caplog.at_level(logging.INFO, logger="hookhub.access"):
        assert client.post("/hooks/plain/plain-token", json={"text": "hi"}).status_code == 200
    assert not [r for r in caplog.records if r.name == "hookhub.access"]
