"""The typed registry of plugin services (hookhub.services)."""

from __future__ import annotations

from typing import Callable

import pytest
from starlette.testclient import TestClient

from hookhub.bridges import BRIDGES, BridgeService
from hookhub.outgoing import OUTGOING, OutgoingService

from hookhub.errors import RequestError
from hookhub.services import ServiceKey, Services
from tests.conftest import integration


class Counter:
    def __init__(self) -> None:
        self.n = 0


COUNTER: ServiceKey[Counter] = ServiceKey("counter")


def test_add_get_remove() -> None:
    services = Services()
    assert services.get(COUNTER) is None
    counter = Counter()
    services.add(COUNTER, counter)
    assert services.get(COUNTER) is counter
    assert services.require(COUNTER) is counter
    assert services.names() == ["counter"]
    assert services.remove(COUNTER) is counter
    assert services.get(COUNTER) is None
    assert services.remove(COUNTER) is None


def test_require_names_the_missing_service() -> None:
    with pytest.raises(RequestError) as info:
        Services().require(COUNTER)
    assert info.value.status == 400
    assert "'counter' service is not running" in str(info.value)
    assert "disable_plugins" in str(info.value)


def test_two_keys_with_one_name_are_a_plugin_bug() -> None:
    services = Services()
    services.add(COUNTER, Counter())
    with pytest.raises(ValueError, match="two services are named 'counter'"):
        services.add(ServiceKey[Counter]("counter"), Counter())
    # the same key again replaces the service (a restart of the plugin)
    again = Counter()
    services.add(COUNTER, again)
    assert services.require(COUNTER) is again


def test_a_started_hub_runs_the_default_services(make_client: Callable[..., TestClient]) -> None:
    client = make_client(integration("hook"))
    assert client.app.state.hub.services.names() == ["bridges", "outgoing"]
    assert isinstance(client.app.state.hub.services.require(OUTGOING), OutgoingService)
    assert isinstance(client.app.state.hub.services.require(BRIDGES), BridgeService)


def test_a_disabled_plugin_runs_no_service(make_client: Callable[..., TestClient]) -> None:
    client = make_client(integration("hook"), extra="disable_plugins: [outgoing]\n")
    assert client.app.state.hub.services.names() == ["bridges"]
    assert client.app.state.hub.services.get(OUTGOING) is None
