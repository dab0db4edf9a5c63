"""What a reload can apply at once and what needs a restart.

:func:`settings_plan` compares two configurations key by key: a limit read on
every request or call (timeouts, sizes, retention, the admin token) is applied
live; what was fixed at start-up (the listening address, the store URL, the
worker pool, plugins) keeps its old value until a restart, and the reload
answer and the log say so.  A key not listed here is treated as needing a
restart (the safe side): add it to :data:`LIVE` once it is read live.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

from .config import Config

__all__ = ["LIVE", "SettingsPlan", "settings_plan"]

#: keys of each section that take effect without a restart
LIVE: dict[str, frozenset[str]] = {
    "server": frozenset({"max_body_bytes", "max_message_chars", "public_url"}),
    "storage": frozenset({"history_max_entries", "history_max_age_days"}),
    # sandbox limits reach the workers with each script's spec
    "sandbox": frozenset({"timeout_ms", "memory_mb", "max_output_bytes", "concurrency", "queue"}),
    "admin": frozenset({"token", "username"}),
}
#: top-level keys compared as a whole; none of them is applied live
_RESTART_KEYS = ("plugins_dir", "disable_plugins")


@dataclass
class SettingsPlan:
    """The configuration to switch to, and what its settings changes mean."""

    config: Config
    applied: list[str] = field(default_factory=list)
    restart: list[str] = field(default_factory=list)


def _shown(value: Any) -> str:
    if isinstance(value, SecretStr):
        return "(secret)"
    return repr(value) if isinstance(value, str) else str(value)


def settings_plan(old: Config, new: Config) -> SettingsPlan:
    """Changes of ``server``, ``storage``, ``sandbox``, ``admin`` and plugin settings.

    The returned ``config`` is *new* with every restart-only key set back to
    its running value, so the running process stays consistent.
    """
    plan = SettingsPlan(new)
    updates: dict[str, Any] = {}
    for section, live in LIVE.items():
        before, after = getattr(old, section), getattr(new, section)
        keep: dict[str, Any] = {}
        for key in type(after).model_fields:
            was, now = getattr(before, key), getattr(after, key)
            if was == now:
                continue
            name = f"{section}.{key}"
            if isinstance(was, SecretStr) or isinstance(now, SecretStr):
                change = f"{name}: changed"
            else:
                change = f"{name}: {_shown(was)} -> {_shown(now)}"
            if key in live:
                plan.applied.append(f"{change} (applied)")
            else:
                plan.restart.append(f"{name}: needs a restart to take effect (still {_shown(was)} until then)")
                keep[key] = was
        if keep:
            updates[section] = after.model_copy(update=keep)
    for key in _RESTART_KEYS:
        if getattr(old, key) != getattr(new, key):
            plan.restart.append(f"{key}: needs a restart to take effect")
            updates[key] = getattr(old, key)
    if updates:
        plan.config = new.model_copy(update=updates)
    return plan
