"""The admin token check (hookhub/web/auth.py), shared by the API, /metrics, outgoing routes and plugins."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from hookhub.web.auth import bearer_matches

from ..conftest import ADMIN, integration

Client = Callable[..., TestClient]


@pytest.mark.parametrize(("header", "ok"), [
    ("Bearer s3cret", True),
    ("bearer s3cret", True),
    ("Bearer  s3cret ", True),
    ("Bearer s3cre", False),
    ("Bearer s3crett", False),
    ("Basic s3cret", False),
    ("s3cret", False),
    ("", False),
    ("Bearer \udcff", False),  # not encodable as UTF-8 without surrogatepass: refused, no crash
])
def test_bearer_matches(header: str, ok: bool) -> None:
    assert bearer_matches(header, b"s3cret") is ok


def test_no_configured_token_means_nobody_is_admin() -> None:
    assert bearer_matches("Bearer ", b"") is False
    assert bearer_matches("Bearer anything", b"") is False


@pytest.mark.parametrize("path", ["/api/v1/integrations", "/api/v1/deliveries", "/metrics"])
def test_every_admin_route_answers_401_without_the_token(make_client: Client, path: str) -> None:
    client = make_client(integration("plain"))
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {ADMIN}"}):
        r = client.get(path, headers=headers)
        assert r.status_code == 401, (path, headers)
        assert r.json()["success"] is False
    r = client.get(path, headers={"Authorization": f"Bearer {ADMIN}"})
    assert r.status_code == 200, r.text
