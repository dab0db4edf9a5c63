"""Integration state that outlives a restart: an outgoing integration disabled by a 410 answer.

The state lives in the ``integration_state`` table and is applied to the
registry at start-up, so ``GET /api/v1/integrations`` shows ``enabled:
false`` and no call is made until an admin re-enables it
(``POST /api/v1/integrations/{id}/enable``).  An integration disabled in YAML
stays disabled whatever the table says.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from .. import schema
from ..registry import Integration

if TYPE_CHECKING:  # pragma: no cover
    from ..hub import Hub


def set_enabled(integ: Integration, enabled: bool) -> None:
    """Change the runtime view of an integration (the YAML model is immutable: replace it)."""
    if integ.config.enabled != enabled:
        integ.config = integ.config.model_copy(update={"enabled": enabled})


def op_set_disabled(integration_id: str, disabled: bool, reason: str | None, now: float) -> Any:
    """Record in ``integration_state`` that ``integration_id`` is disabled (with
    ``reason``, at ``now``), or delete its row when ``disabled`` is False."""
    t = schema.integration_state

    def run(conn: Connection) -> None:
        conn.execute(delete(t).where(t.c.integration_id == integration_id))
        if disabled:
            conn.execute(insert(t), [{"integration_id": integration_id, "disabled": True, "reason": reason,
                                      "updated_at": now}])
    return run


def disabled_reasons(hub: Hub) -> dict[str, str | None]:
    """Integrations disabled at runtime, by id (synchronous: start-up only)."""
    t = schema.integration_state
    rows = hub.store.read_now(lambda c: list(c.execute(select(t).where(t.c.disabled.is_(True)))))
    return {r.integration_id: r.reason for r in rows}


def apply_disabled(hub: Hub) -> dict[str, str | None]:
    """Disable, in the registry, the integrations the database says are disabled."""
    reasons = disabled_reasons(hub)
    for integration_id in reasons:
        integ = hub.registry.integrations.get(integration_id)
        if integ is not None:
            set_enabled(integ, False)
    return reasons


async def disable(hub: Hub, integ: Integration, reason: str, now: float) -> None:
    """Disable ``integ`` now (a 410 answer) and persist it with ``reason``, so that a restart keeps it disabled."""
    set_enabled(integ, False)
    await hub.store.write(op_set_disabled(integ.id, True, reason, now))


async def enable(hub: Hub, integ: Integration, now: float, *, yaml_enabled: bool) -> bool:
    """Clear a runtime disable; returns whether the integration is now enabled."""
    await hub.store.write(op_set_disabled(integ.id, False, None, now))
    set_enabled(integ, yaml_enabled)
    return yaml_enabled
