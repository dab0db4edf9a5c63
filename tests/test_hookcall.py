"""hookhub.hookcall: DirectHook calls a hook's implementations as pluggy does, and falls back when it must."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pluggy
import pytest

from hookhub.config import load_config
from hookhub.hookcall import DirectHook, PluginManager
from hookhub.hookspecs import hookimpl
from hookhub.hub import Hub
from hookhub.plugins import make_plugin_manager

from .conftest import integration

spec = pluggy.HookspecMarker("demo")
impl = pluggy.HookimplMarker("demo")


class Specs:
    @spec
    def seen(self, a, b, c):  # type: ignore[no-untyped-def]
        """A hook of three arguments."""

    @spec(firstresult=True)
    def first(self, a, b, c):  # type: ignore[no-untyped-def]
        """A firstresult hook."""


def plugin(tag: str, calls: list[str], **opts: bool) -> object:
    class Plugin:
        @impl(**opts)
        def seen(self, a, b, c):  # type: ignore[no-untyped-def]
            calls.append(tag)
            return f"{tag}:{a}{b}{c}"

        @impl
        def first(self, a, b, c):  # type: ignore[no-untyped-def]
            return None if tag == "skip" else tag

    return Plugin()


def manager(cls: type = PluginManager) -> pluggy.PluginManager:
    pm = cls("demo")
    pm.add_hookspecs(Specs)
    return pm


def both(pm: pluggy.PluginManager, name: str = "seen") -> tuple[DirectHook, object]:
    return DirectHook(pm, name, ("a", "b", "c")), getattr(pm.hook, name)


def test_same_results_and_order_as_pluggy() -> None:
    calls: list[str] = []
    pm = manager()
    for tag, opts in [("one", {}), ("last", {"trylast": True}), ("two", {}), ("first", {"tryfirst": True})]:
        pm.register(plugin(tag, calls, **opts))
    direct, hook = both(pm)
    assert direct.direct
    expected = hook(a=1, b=2, c=3)
    order = list(calls)
    calls.clear()
    assert direct(1, 2, 3) == expected == ["first:123", "two:123", "one:123", "last:123"]
    assert calls == order


def test_implementations_taking_fewer_arguments() -> None:
    pm = manager()

    class Partial:
        @impl
        def seen(self, c, a):  # type: ignore[no-untyped-def]
            return (c, a)

    pm.register(Partial())
    direct, hook = both(pm)
    assert direct(1, 2, 3) == hook(a=1, b=2, c=3) == [(3, 1)]
    assert direct.direct


def test_firstresult() -> None:
    pm = manager()
    for tag in ["late", "skip"]:
        pm.register(plugin(tag, []))
    direct, hook = both(pm, "first")
    assert direct(1, 2, 3) == hook(a=1, b=2, c=3) == "late"
    assert direct.direct


def test_plugins_registered_and_unregistered_later_are_seen() -> None:
    calls: list[str] = []
    pm = manager()
    direct, _ = both(pm)
    assert direct(1, 2, 3) == []
    late = plugin("late", calls)
    pm.register(late)
    assert direct(1, 2, 3) == ["late:123"]
    pm.unregister(late)
    assert direct(1, 2, 3) == []
    pm.register(plugin("blocked", calls), name="blocked")
    pm.set_blocked("blocked")
    assert direct(1, 2, 3) == []
    assert calls == ["late"]


def test_an_exception_stops_the_later_implementations_as_in_pluggy() -> None:
    calls: list[str] = []
    pm = manager()

    class Boom:
        @impl
        def seen(self, a, b, c):  # type: ignore[no-untyped-def]
            raise ValueError("boom")

    pm.register(plugin("before", calls))
    pm.register(Boom())
    direct, hook = both(pm)
    with pytest.raises(ValueError, match="boom"):
        hook(a=1, b=2, c=3)
    with pytest.raises(ValueError, match="boom"):
        direct(1, 2, 3)
    assert calls == []


def test_wrappers_go_through_pluggy() -> None:
    calls: list[str] = []
    pm = manager()
    pm.register(plugin("plain", calls))

    class Wrapper:
        @impl(wrapper=True)
        def seen(self, a, b, c):  # type: ignore[no-untyped-def]
            calls.append("wrap-in")
            result = yield
            calls.append("wrap-out")
            return result + ["wrapped"]

    pm.register(Wrapper())
    direct, _ = both(pm)
    assert not direct.direct
    assert direct(1, 2, 3) == ["plain:123", "wrapped"]
    assert calls == ["wrap-in", "plain", "wrap-out"]


def test_tracing_goes_through_pluggy_until_undone() -> None:
    calls: list[str] = []
    traced: list[str] = []
    pm = manager()
    pm.register(plugin("plain", calls))
    direct, _ = both(pm)
    assert direct.direct
    undo = pm.add_hookcall_monitoring(lambda name, impls, kwargs: traced.append(name),
                                      lambda outcome, name, impls, kwargs: None)
    assert direct(1, 2, 3) == ["plain:123"]
    assert traced == ["seen"] and not direct.direct
    undo()
    undo()  # twice: counted once
    assert direct(1, 2, 3) == ["plain:123"]
    assert traced == ["seen"] and direct.direct
    pm.trace.root.setwriter(lambda text: None)
    undo = pm.enable_tracing()
    assert not direct.direct
    undo()
    assert direct.direct


def test_an_implementation_asking_for_a_missing_argument_gets_pluggys_error() -> None:
    pm = manager()

    class Wants:
        @impl
        def seen(self, a, b, c):  # type: ignore[no-untyped-def]
            return a

    pm.register(Wants())
    direct = DirectHook(pm, "seen", ("a", "b"))
    assert not direct.direct
    with pytest.warns(UserWarning, match="'c'"), pytest.raises(pluggy.HookCallError):
        direct(1, 2)


def test_a_plain_pluggy_manager_uses_pluggys_path() -> None:
    calls: list[str] = []
    pm = manager(pluggy.PluginManager)
    pm.register(plugin("plain", calls))
    direct, hook = both(pm)
    assert not direct.direct
    assert direct(1, 2, 3) == hook(a=1, b=2, c=3) == ["plain:123"]


async def test_a_hubs_message_hook_is_direct_and_calls_every_plugin(write_config: Callable[..., Path]) -> None:
    seen: list[tuple[str, str | None]] = []

    class Recorder:
        @hookimpl
        def hookhub_message_posted(self, message: dict[str, Any], integration_id: str | None) -> None:
            seen.append((message["msg"], integration_id))

    hub = Hub(load_config(write_config(integration("a"))), pm=make_plugin_manager(extra=[Recorder()]))
    names = {i.plugin_name for i in hub.pm.hook.hookhub_message_posted.get_hookimpls()}
    assert {"metrics", "outgoing", "bridges"} < names
    assert isinstance(hub.pm, PluginManager) and hub.message_posted.direct
    await hub.start()
    try:
        hub.message_posted(hub, {"msg": "hello"}, "a")
    finally:
        await hub.stop()
    assert seen == [("hello", "a")]
    assert 'hookhub_messages_posted_total{integration="a"} 1.0' in hub.metrics.render().decode()
