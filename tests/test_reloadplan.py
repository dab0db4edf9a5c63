"""What a reload applies at once and what waits for a restart (hookhub.reloadplan)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from hookhub.config import Config, load_config
from hookhub.reloadplan import LIVE, settings_plan

from .conftest import integration


def config_with(write_config: Callable[..., Path], old: str, new: str) -> Config:
    path = write_config(integration("a"))
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    return load_config(path)


def test_no_change_no_plan(write_config: Callable[..., Path]) -> None:
    config = load_config(write_config(integration("a")))
    plan = settings_plan(config, config)
    assert (plan.applied, plan.restart, plan.config) == ([], [], config)


def test_a_live_limit_is_applied(write_config: Callable[..., Path]) -> None:
    old = load_config(write_config(integration("a")))
    new = config_with(write_config, "max_body_bytes: 4096", "max_body_bytes: 8192")
    plan = settings_plan(old, new)
    assert plan.applied == ["server.max_body_bytes: 4096 -> 8192 (applied)"] and plan.restart == []
    assert plan.config.server.max_body_bytes == 8192


def test_a_start_up_setting_keeps_its_running_value(write_config: Callable[..., Path]) -> None:
    old = load_config(write_config(integration("a")))
    new = config_with(write_config, "workers: 2", "workers: 3")
    plan = settings_plan(old, new)
    assert plan.restart == ["sandbox.workers: needs a restart to take effect (still 2 until then)"]
    assert plan.config.sandbox.workers == 2  # the running pool stays consistent
    assert plan.applied == []


def test_secrets_are_never_shown(write_config: Callable[..., Path]) -> None:
    old = load_config(write_config(integration("a")))
    new = config_with(write_config, "token: test-admin-token", "token: rotated-admin-token")
    plan = settings_plan(old, new)
    assert plan.applied == ["admin.token: changed (applied)"]
    assert "rotated" not in repr(plan.applied + plan.restart)


def test_plugin_settings_need_a_restart(write_config: Callable[..., Path]) -> None:
    old = load_config(write_config(integration("a")))
    path = write_config(integration("a"), extra="disable_plugins: [bridges]\n")
    plan = settings_plan(old, load_config(path))
    assert plan.restart == ["disable_plugins: needs a restart to take effect"]
    assert plan.config.disable_plugins == old.disable_plugins


def test_the_live_keys_exist_in_the_schema() -> None:
    for section, keys in LIVE.items():
        fields = set(type(getattr(Config, "model_fields")[section].default_factory()).model_fields)  # type: ignore[misc]
        assert keys <= fields, (section, keys - fields)
