"""The hub (hookhub.hub): wiring, start-up and shutdown, reload."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from hookhub.config import load_config
from hookhub.errors import ConfigError
from hookhub.hookspecs import hookimpl
from hookhub.hub import Hub
from hookhub.plugins import make_plugin_manager
from hookhub.scriptstate import op_merge

from .conftest import integration

COUNTER = """
class Script:
    def process_incoming_request(self, request):
        Store.set("n", (Store.get("n") or 0) + 1)
        return None
"""


class Recorder:
    def __init__(self) -> None:
        self.calls: list[str] = []

    @hookimpl
    def hookhub_startup(self, hub: Any) -> None:
        self.calls.append(f"startup store_open={hub.store.engine is not None}")

    @hookimpl
    def hookhub_shutdown(self, hub: Any) -> None:
        self.calls.append("shutdown")

    @hookimpl
    def hookhub_config_reloaded(self, hub: Any, changes: list[str]) -> None:
        self.calls.append(f"reloaded {changes}")


async def test_start_and_stop_are_idempotent_and_call_the_plugins(write_config: Callable[..., Path]) -> None:
    recorder = Recorder()
    hub = Hub(load_config(write_config(integration("a"))), pm=make_plugin_manager(extra=[recorder]))
    await hub.start()
    await hub.start()
    assert hub.started and recorder.calls == ["startup store_open=True"]
    rows = hub.store.read_now(lambda c: [r[0] for r in c.exec_driver_sql("SELECT username FROM users")])
    assert sorted(rows) == ["alice", "bob", "rocket.cat"]  # the directory is mirrored into the store
    await hub.stop()
    await hub.stop()
    assert not hub.started and recorder.calls == ["startup store_open=True", "shutdown"]


async def test_a_scripts_store_is_restored_at_start_up(write_config: Callable[..., Path]) -> None:
    config = load_config(write_config(integration("count", COUNTER)))
    first = Hub(config)
    await first.start()
    await first.store.write(op_merge("count", {"n": 41}))
    await first.stop()
    second = Hub(config)
    await second.start()
    try:
        assert second.sandbox.store_of("count") == {"n": 41}
    finally:
        await second.stop()


def test_an_unknown_verifier_type_stops_the_hub_being_built(write_config: Callable[..., Path]) -> None:
    config = load_config(write_config(integration("v", verify="{type: nonsense, secret: s}")))
    with pytest.raises(ConfigError, match="unknown verifier type 'nonsense'"):
        Hub(config)


async def test_reload_reports_added_changed_removed(write_config: Callable[..., Path], tmp_path: Path) -> None:
    recorder = Recorder()
    path = write_config(integration("keep"), integration("gone"), integration("edit", channel="#general"))
    hub = Hub(load_config(path), pm=make_plugin_manager(extra=[recorder]))
    await hub.start()
    try:
        write_config(integration("keep"), integration("edit", channel="#notifications"), integration("new"))
        changes = await hub.reload_file()
        assert sorted(changes) == ["added new", "changed edit", "removed gone"]
        assert sorted(hub.registry.integrations) == ["edit", "keep", "new"]
        assert recorder.calls[-1] == f"reloaded {changes}"
        assert hub.last_reload["changes"] == changes
    finally:
        await hub.stop()


async def test_an_invalid_reload_changes_nothing(write_config: Callable[..., Path]) -> None:
    path = write_config(integration("a"))
    hub = Hub(load_config(path))
    await hub.start()
    try:
        before = hub.registry
        path.write_text(path.read_text(encoding="utf-8") + "  - id: [broken\n", encoding="utf-8")
        with pytest.raises(ConfigError):
            await hub.reload_file()
        assert hub.registry is before
    finally:
        await hub.stop()


async def test_a_script_that_does_not_compile_is_reported_by_reload(write_config: Callable[..., Path]) -> None:
    path = write_config(integration("a", COUNTER))
    hub = Hub(load_config(path))
    await hub.start()
    try:
        write_config(integration("a", "class Script(:\n"))
        changes = await hub.reload_file()
        assert "changed a" in changes
        assert any(c.startswith("integration a: disabled, its script does not compile") for c in changes)
        assert "a" in hub.last_reload["compile_errors"]
    finally:
        await hub.stop()


async def test_a_served_hub_freezes_its_start_up_heap_and_a_reload_lets_the_old_one_go(
        write_config: Callable[..., Path]) -> None:
    """``hookhub serve`` sets ``freeze_heap``: after start-up the live objects are frozen (full collections
    skip them); after a reload the old registry is collected, not kept frozen for ever."""
    import gc
    import weakref

    path = write_config(integration("a"))
    plain = Hub(load_config(path))
    await plain.start()
    try:
        assert gc.get_freeze_count() == 0  # tests, library users: the collector as Python sets it
    finally:
        await plain.stop()
    hub = Hub(load_config(path))
    hub.freeze_heap = True
    await hub.start()
    try:
        assert gc.get_freeze_count() > 1000
        hub.registry.cycle = [hub.registry]  # type: ignore[attr-defined]  # only the cyclic collector frees it
        old = weakref.ref(hub.registry)
        write_config(integration("a"), integration("b"))
        assert await hub.reload_file() == ["added b"]
        assert old() is None  # unfrozen, collected, and the new heap frozen again
        assert gc.get_freeze_count() > 1000
    finally:
        await hub.stop()
        gc.unfreeze()
