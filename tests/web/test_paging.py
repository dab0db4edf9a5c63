"""``?limit=`` (hookhub/web/paging.py): one rule and one message for every list endpoint."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from hookhub.errors import RequestError
from hookhub.web.paging import parse_limit

from ..conftest import AUTH, integration

Client = Callable[..., TestClient]


@pytest.mark.parametrize(("raw", "value"), [(None, 50), ("1", 1), ("1000", 1000), ("007", 7)])
def test_a_valid_limit(raw: str | None, value: int) -> None:
    assert parse_limit(raw, 50) == value


@pytest.mark.parametrize("raw", ["0", "-1", "1001", "ten", "", "1.5", "1e3"])
def test_an_invalid_limit_is_a_400_naming_the_range(raw: str) -> None:
    with pytest.raises(RequestError) as info:
        parse_limit(raw, 50)
    assert info.value.status == 400
    assert str(info.value) == "limit must be an integer between 1 and 1000"


@pytest.mark.parametrize("path", ["/api/v1/channels/general/messages", "/api/v1/integrations/plain/logs",
                                  "/api/v1/integrations/plain/history", "/api/v1/deliveries"])
def test_every_list_endpoint_uses_it(make_client: Client, path: str) -> None:
    client = make_client(integration("plain"))
    r = client.get(path, params={"limit": "0"}, headers=AUTH)
    assert r.status_code == 400
    assert r.json() == {"success": False, "error": "limit must be an integer between 1 and 1000"}
    assert client.get(path, params={"limit": "2"}, headers=AUTH).status_code == 200
