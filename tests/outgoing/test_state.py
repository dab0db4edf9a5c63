"""Outgoing integration state that outlives a restart (hookhub.outgoing.state)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from hookhub.config import load_config
from hookhub.hub import Hub
from hookhub.outgoing import state

from .conftest import outgoing


@pytest.fixture
def config_path(write_config: Callable[..., Path]) -> Path:
    return write_config(outgoing("out", ["http://127.0.0.1:9/"]), outgoing("other", ["http://127.0.0.1:9/"]))


@pytest.fixture
async def hub(config_path: Path) -> AsyncIterator[Hub]:
    hub = Hub(load_config(config_path))
    await hub.start()
    try:
        yield hub
    finally:
        await hub.stop()


async def test_a_disable_survives_a_restart(hub: Hub, config_path: Path) -> None:
    integ = hub.registry.integrations["out"]
    await state.disable(hub, integ, "the receiver answered 410 Gone", now=100.0)
    assert integ.config.enabled is False
    assert state.disabled_reasons(hub) == {"out": "the receiver answered 410 Gone"}
    again = Hub(load_config(config_path))
    await again.start()
    try:
        # the outgoing plugin applies the table at start-up
        assert again.registry.integrations["out"].config.enabled is False
        assert again.registry.integrations["other"].config.enabled is True
    finally:
        await again.stop()


async def test_enable_clears_the_row_but_the_yaml_has_the_last_word(hub: Hub) -> None:
    integ = hub.registry.integrations["out"]
    await state.disable(hub, integ, "410", now=1.0)
    assert await state.enable(hub, integ, now=2.0, yaml_enabled=True) is True
    assert integ.config.enabled is True and state.disabled_reasons(hub) == {}
    await state.disable(hub, integ, "410", now=3.0)
    assert await state.enable(hub, integ, now=4.0, yaml_enabled=False) is False
    assert integ.config.enabled is False and state.disabled_reasons(hub) == {}


async def test_apply_disabled_skips_integrations_no_longer_configured(hub: Hub) -> None:
    await hub.store.write(state.op_set_disabled("removed-since", True, "410", 1.0))
    await hub.store.write(state.op_set_disabled("other", True, "410", 1.0))
    reasons = state.apply_disabled(hub)
    assert set(reasons) == {"removed-since", "other"}
    assert hub.registry.integrations["other"].config.enabled is False


def test_set_enabled_replaces_the_immutable_model(write_config: Callable[..., Path]) -> None:
    hub = Hub(load_config(write_config(outgoing("out", ["http://127.0.0.1:9/"]))))
    integ = hub.registry.integrations["out"]
    before = integ.config
    state.set_enabled(integ, True)
    assert integ.config is before  # no change, no copy
    state.set_enabled(integ, False)
    assert integ.config is not before and before.enabled is True and integ.config.enabled is False
