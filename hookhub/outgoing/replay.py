"""Replaying an outgoing history entry (``POST /api/v1/integrations/{id}/history/{hid}/replay``).

Without ``dry_run`` the stored delivery (triggering message, URL, trigger
word) is queued again as a new delivery and the answer names it, so its
progress can be followed with ``GET /api/v1/deliveries``.  With
``dry_run=1`` the script as it is on disk now runs ``prepare_outgoing_request``
on the same message, in a fresh instance with a copy of the ``Store``
(:func:`hookhub.dryrun.fresh_instance`), and the request it would send is
returned next to the old one; nothing is sent, posted or stored.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from .. import schema
from ..dryrun import fresh_instance
from ..errors import HookhubError, NotFound
from ..registry import Integration
from . import payload
from ..delivery.outbox import Delivery
from .service import OUTGOING, Attempt

if TYPE_CHECKING:  # pragma: no cover
    from ..hub import Hub


async def _delivery(hub: Hub, delivery_id: str) -> Delivery | None:
    t = schema.deliveries
    rows = await hub.store.read(lambda c: list(c.execute(select(t).where(t.c.id == delivery_id))))
    return Delivery.from_row(rows[0]) if rows else None


async def replay(hub: Hub, integ: Integration, entry: dict[str, Any], dry_run: bool) -> dict[str, Any]:
    """Replay the outgoing history ``entry`` of ``integ``: queue its stored delivery again (the
    answer names the new one) or, with ``dry_run``, return the request the script on disk would
    send now next to the old one. Raises ``NotFound`` when the delivery is no longer stored."""
    service = hub.services.require(OUTGOING)
    delivery_id = (entry.get("request") or {}).get("delivery_id")
    delivery = await _delivery(hub, delivery_id) if isinstance(delivery_id, str) else None
    if delivery is None:
        raise NotFound(f"the delivery of history entry {entry['_id']!r} is no longer stored; it cannot be replayed")
    old = {"step": entry.get("step"), "request": entry.get("request"), "status": entry.get("status"),
           "response": entry.get("response"), "error": entry.get("error")}
    if dry_run:
        run = Attempt(delivery, time.perf_counter())
        # the script as on disk now, in a fresh instance with a copy of the Store (hookhub.dryrun)
        async with fresh_instance(hub, integ) as fresh:
            try:
                if fresh.integration.compile_error is not None:
                    opts, run.step = None, "error"
                    run.error = f"script does not compile: {fresh.integration.compile_error}"
                else:
                    opts = await service.prepare(fresh.integration, delivery, run, sandbox_id=fresh.sandbox_id)
            except HookhubError as exc:
                opts, run.step, run.error = None, "error", str(exc.error)
        secrets = service.secrets_of(integ, opts)
        new = {
            "step": "would-send" if opts is not None else run.step,
            "request": payload.history_request(opts, secrets) if opts is not None else None,
            "result": run.result, "error": run.error,
            "replies": [payload.mask_value(d.doc, secrets) for d in run.drafts],
            "logs": [r.to_api() for r in run.logs],
            "script": fresh.version.to_json(),
        }
        return {"success": True, "dry_run": True, "script": fresh.version.to_json(), "old": old, "new": new}
    ids = await service.outbox.enqueue([{"target": integ.id, "message_id": delivery.message_id,
                                         "event": delivery.event, "payload": delivery.payload}])
    return {"success": True, "dry_run": False, "old": old, "delivery_id": ids[0]}
