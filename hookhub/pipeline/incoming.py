"""The incoming path: a hook URL called, as one line through the stages.

``receive``: admission (:mod:`.admission`: lookup, rate limit, quarantine,
signature, delivery-id claim) → processing (:mod:`.processing`: the script,
the messages) → posting (:mod:`.posting`: one transaction, then announce).
Every request that got past the lookup leaves a history entry.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from ..errors import HookhubError, VerificationFailed
from ..records import LogRecord
from ..registry import Integration
from ..ids import new_id
from ..store import WriteOp
from .. import scriptstate
from . import admission, posting
from .admission import Claim
from .inbound import Inbound, Outcome, history_request, secret_headers
from .processing import process

if TYPE_CHECKING:  # pragma: no cover
    from ..hub import Hub

__all__ = ["commit", "incoming_post", "receive", "record"]

log = logging.getLogger("hookhub.pipeline")


async def receive(hub: Hub, inbound: Inbound) -> Outcome:
    """A hook URL was called: admit, process, post, answer (the answer is sent after the commit)."""
    started = time.perf_counter()
    try:
        integ, rate = await admission.admit(hub, inbound)
    except HookhubError as exc:
        return Outcome(exc.status, exc.body(), headers=dict(exc.headers))
    request_id = new_id()
    inbound = inbound.lowered()
    headers = inbound.lower_headers()
    try:
        admission.verify(hub, integ, headers, inbound.body)
    except VerificationFailed as exc:
        hub.metrics.signature_failed(integ.id)
        reason = f"signature verification failed: {exc}"
        outcome = Outcome(401, {"success": False, "error": reason}, error=reason,
                          logs=[LogRecord("warn", time.time(), reason)])
        await commit(hub, integ, inbound, outcome, started, request_id)
        return outcome
    delivery_header = integ.config.delivery_header
    delivery_id = headers.get(delivery_header.lower()) if delivery_header else None
    if delivery_id is not None:
        dedupe = integ.config.dedupe
        window = dedupe.window_s if dedupe else 3600
        decided = await admission.claim(hub.store, integ.id, delivery_id, request_id, window_s=window,
                                        lease_s=dedupe.lease_s if dedupe else 60.0,
                                        wait_s=dedupe.wait_s if dedupe else 5.0)
        if decided is not Claim.WON:
            if decided is Claim.DUPLICATE:
                hub.metrics.duplicate(integ.id)
            outcome = _not_admitted(decided, delivery_id)
            await commit(hub, integ, inbound, outcome, started, request_id)
            return outcome
    try:
        source = integ.spec.source if integ.spec is not None else None
        async with hub.script_sections.section(integ.id, source, shared=hub.store.shared):
            # a batch being committed may wait a little for this request's write; not while it waits
            # for the section above, which the request holding it gives back only after its commit
            with hub.store.expecting():
                outcome = await process(hub, integ, inbound)
                if rate is not None:
                    outcome.headers.update(rate.headers())
                await commit(hub, integ, inbound, outcome, started, request_id, delivery_id,
                             claimed=delivery_id is not None)
    except BaseException:
        if delivery_id is not None:  # give the claim back so that the sender's retry is processed
            await asyncio.shield(_release(hub, integ.id, delivery_id, request_id))
        raise
    posting.announce(hub, outcome.drafts, integ.id)
    return outcome


def _not_admitted(decided: Claim, delivery_id: str) -> Outcome:
    if decided is Claim.DUPLICATE:
        return Outcome(200, {"success": True, "duplicate": True},
                       logs=[LogRecord("info", time.time(), f"duplicate delivery {delivery_id} ignored")])
    reason = (f"delivery {delivery_id} is being processed by another request; retry later "
              "(dedupe.wait_s elapsed)")
    return Outcome(409, {"success": False, "error": reason}, error=reason, headers={"Retry-After": "5"},
                   logs=[LogRecord("warn", time.time(), reason)])


async def _release(hub: Hub, integration_id: str, delivery_id: str, token: str) -> None:
    try:
        await admission.release(hub.store, integration_id, delivery_id, token)
    except Exception:  # noqa: BLE001 - the claim then expires after dedupe.lease_s
        log.exception("integration %s: could not release the claim of delivery %s", integration_id, delivery_id)


def incoming_post(integ: Integration, inbound: Inbound, outcome: Outcome, started: float, request_id: str,
                  delivery_id: str | None = None, *, claimed: bool = False) -> posting.Post:
    """The :class:`~.posting.Post` of an incoming run: its messages, logs and history entry, its Store
    changes and the settling of its delivery claim, for one transaction."""
    history = {
        "id": request_id, "integration_id": integ.id, "kind": "incoming", "step": None,
        "request": history_request(inbound, outcome.raw, secret_headers(integ)), "result": outcome.result,
        "status": outcome.status, "response": outcome.body, "error": outcome.error,
        "duration_ms": round((time.perf_counter() - started) * 1000, 3),
        "delivery_id": delivery_id,
    }
    extra: list[WriteOp] = []
    if outcome.store_changes:
        extra.append(scriptstate.op_merge(integ.id, outcome.store_changes))
    if delivery_id is not None and claimed:
        # the claim is settled in the same transaction as the messages: exactly once
        extra.append(admission.op_settle(integ.id, delivery_id, request_id, success=outcome.status < 300,
                                         now=time.time()))
    return posting.Post(integ.id, outcome.drafts, history=history, logs=outcome.logs, extra=extra)


async def commit(hub: Hub, integ: Integration, inbound: Inbound, outcome: Outcome, started: float,
                 request_id: str, delivery_id: str | None = None, *, claimed: bool = False) -> None:
    """Persist messages, logs and the history entry in one transaction (announcing is the caller's)."""
    await hub.store.write(incoming_post(integ, inbound, outcome, started, request_id, delivery_id,
                                        claimed=claimed).op())


async def record(hub: Hub, integ: Integration, inbound: Inbound, outcome: Outcome, started: float,
                 request_id: str) -> None:
    """Commit an incoming run outside a request (a replay, a run from the UI), then announce its messages."""
    await posting.post(hub, incoming_post(integ, inbound, outcome, started, request_id))
