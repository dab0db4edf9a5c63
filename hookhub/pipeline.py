"""The incoming webhook flow (DESIGN "Pieces and how data flows").

``receive`` is the whole path from a hook URL to a committed answer;
``process`` is the part that needs no store (used by ``hookhub test`` and the
dry-run replay); ``commit`` persists what ``process`` produced, messages,
logs and history together, before the caller is answered.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Mapping

from . import admission, redact, scriptstate
from .admission import Claim
from .bodies import ParsedBody, parse_body
from .records import HISTORY_MAX_HEADER_CHARS, HISTORY_MAX_HEADERS, LogRecord
from .errors import (HookhubError, MessageError, ScriptQuarantined, ScriptReturnedError, ScriptRunError,
                     ScriptUnavailable)
from .message import Draft, build_messages, stamp, store_rows
from .redact import MASK, SECRET_HEADERS
from .refusals import explain, shape_problem
from .registry import Integration
from .request import build_request
from .verifiers import VerificationFailed
from .store import (
    combine,
    new_id,
    op_insert_history,
    op_insert_logs,
    op_insert_messages,
)

if TYPE_CHECKING:  # pragma: no cover
    from .hub import Hub

log = logging.getLogger("hookhub.pipeline")

# Headers never stored in history (their values are secrets): :data:`hookhub.redact.SECRET_HEADERS`.



@dataclass
class Inbound:
    """An HTTP request to a hook URL, as plain data."""

    integration_id: str
    token: str
    method: str = "POST"
    path: str = ""
    query_string: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    user_id: str | None = None
    #: the header names are lower-case already (the ASGI fast path); saves copies
    headers_lower: bool = False

    def lower_headers(self) -> dict[str, str]:
        """The headers with lower-case names (the same dict when they already are)."""
        if self.headers_lower and isinstance(self.headers, dict):
            return self.headers
        return {k.lower(): v for k, v in self.headers.items()}


@dataclass
class Outcome:
    """What processing one webhook produced."""

    status: int
    body: dict[str, Any]
    drafts: list[Draft] = field(default_factory=list)
    logs: list[LogRecord] = field(default_factory=list)
    #: what the script returned (JSON), or None
    result: Any = None
    error: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    #: the body as text, decoded once by ``process`` and reused for history
    raw: str | None = None
    #: the script's whole Store when this call changed it
    store: dict[str, Any] | None = None
    #: the keys of the Store this call set (merged into the database with the rest, per key)
    store_changes: dict[str, Any] | None = None


def js_truthy(value: Any) -> bool:
    """JavaScript truthiness: ``{}`` and ``[]`` are truthy, ``0``, ``""``, ``None``, ``False`` are not."""
    if value is None or value is False:
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value == value and value != 0
    if isinstance(value, str):
        return value != ""
    return True


def script_request(integ: Integration, inbound: Inbound, parsed: ParsedBody, registry_user: dict[str, Any]) -> dict[str, Any]:
    params = {"integrationId": inbound.integration_id, "token": inbound.token}
    if inbound.user_id is not None:
        params["userId"] = inbound.user_id
    return build_request(
        path=inbound.path or f"/hooks/{inbound.integration_id}/{inbound.token}",
        query_string=inbound.query_string,
        url_params=params,
        headers=inbound.headers,
        content=parsed.content,
        content_raw=parsed.raw,
        body=parsed.body,
        user=registry_user,
    )


def _poster(hub: Hub, integ: Integration) -> dict[str, Any]:
    user = hub.registry.users.get(integ.config.username or "")
    if user is None:
        return {"_id": None, "name": None, "username": integ.config.username}
    return {"_id": user.user_id, "name": user.name or user.username, "username": user.username}


async def process(hub: Hub, integ: Integration, inbound: Inbound, *, sandbox_id: str | None = None) -> Outcome:
    """Run the script and build the messages; touches no store.

    :param sandbox_id: the sandbox id to call (default: the integration's;
        ``dryrun.dry_run`` uses a temporary one)
    """
    if inbound.method == "GET":
        parsed = ParsedBody({}, {}, "", "a GET request has no body")
    else:
        if inbound.headers_lower:
            media = inbound.headers.get("content-type", "")
        else:
            media = next((v for k, v in inbound.headers.items() if k.lower() == "content-type"), "")
        parsed = parse_body(inbound.body, media)
    logs: list[LogRecord] = []
    result: Any = None
    store: dict[str, Any] | None = None
    changes: dict[str, Any] | None = None
    ran = False  # the script answered: a refusal from here on is of its result
    try:
        if integ.compile_error is not None:
            logs.append(LogRecord("error", time.time(), f"script does not compile: {integ.compile_error}"))
            raise integ.compile_error
        if integ.spec is not None:
            request = script_request(integ, inbound, parsed, _poster(hub, integ))
            if hub.store.shared and scriptstate.uses_store(integ.spec.source):
                # other nodes may have changed it: start from what is committed
                committed = await scriptstate.load(hub.store, integ.id)
                if committed is not None:
                    hub.sandbox.restore_store(sandbox_id or integ.id, committed)
            call = await hub.sandbox.call(sandbox_id or integ.id, "process_incoming_request",
                                          {"request": request})
            logs.extend(call.logs)
            store = call.store
            changes = call.changes if call.changes is not None else call.store
            if not call.ok:
                hub.metrics.script_failed(integ.id, call)
                reason = call.reason or "the script failed"
                logs.append(LogRecord("error", time.time(), reason))
                if call.saturated and call.retry_after:
                    raise ScriptQuarantined(call.retry_after, reason)
                if call.saturated:
                    raise ScriptUnavailable(reason)
                raise ScriptRunError(reason)
            result = call.value
            ran = True
            outcome = interpret(hub, integ, result)
        else:
            if parsed.problem is not None:
                raise MessageError(parsed.problem)
            outcome = deliver(hub, integ, parsed.content, None, None)
    except HookhubError as exc:
        error = str(exc) if isinstance(exc, ScriptRunError) else None
        outcome = Outcome(exc.status, exc.body(), error=error, headers=dict(exc.headers))
        if isinstance(exc, MessageError):
            logs.append(LogRecord("error", time.time(), explain(exc, script=ran)))
        elif ran and isinstance(exc, ScriptRunError):
            logs.append(LogRecord("error", time.time(), f"the script's result was refused: {exc}"))
    else:
        for failure in outcome.body.get("responses") or ():
            # separateResponse: one destination refused, the others posted
            if isinstance(failure, dict) and "error" in failure:
                logs.append(LogRecord("warn", time.time(), f"not posted to {failure.get('channel')!r}: "
                                                           f"{failure['error']}"))
    outcome.logs = logs + outcome.logs
    outcome.result = result
    if inbound.method != "GET":
        outcome.raw = parsed.raw
    outcome.store = store
    outcome.store_changes = changes if store is not None else None
    return outcome


def interpret(hub: Hub, integ: Integration, result: Any) -> Outcome:
    """What a script's return value means (CONTRACT §5)."""
    if not js_truthy(result):
        return Outcome(200, {"success": True})
    if isinstance(result, dict) and "error" in result and js_truthy(result["error"]):
        err = result["error"]
        if isinstance(err, dict):
            raise ScriptReturnedError(err)
        raise ScriptReturnedError(err if isinstance(err, str) else str(err))
    problem = shape_problem(result)
    if problem is not None:
        raise ScriptRunError(problem)
    return deliver(hub, integ, result["content"], result.get("response"), result.get("user"))


def deliver(hub: Hub, integ: Integration, content: dict[str, Any], response: dict[str, Any] | None,
            user: Any) -> Outcome:
    warnings: list[str] = []
    drafts, failures = build_messages(content, integ.config, hub.registry, user_override=user,
                                      max_chars=hub.config.server.max_message_chars, warnings=warnings)
    now = time.time()
    stamp(drafts, now)
    notes = [LogRecord("warn", now, f"message field {w}") for w in warnings]
    if content.get("separateResponse"):
        responses = [{"channel": d.destination.label, "message": d.doc} for d in drafts] + failures
        body = {**(response or {}), "success": bool(drafts), "responses": responses}
        return Outcome(200 if drafts else 400, body, drafts=drafts, logs=notes)
    return Outcome(200, {**(response or {}), "success": True}, drafts=drafts, logs=notes)


def history_request(inbound: Inbound, parsed_raw: str | None = None,
                    secret_headers: frozenset[str] = SECRET_HEADERS) -> dict[str, Any]:
    """The request as stored in history: no token, no secret headers or query values, bounded headers."""
    headers: dict[str, str] = {}
    for k, v in inbound.lower_headers().items():
        if len(headers) == HISTORY_MAX_HEADERS:
            headers["…"] = f"{len(inbound.headers) - HISTORY_MAX_HEADERS} more header(s) not kept"
            break
        if k in secret_headers:
            v = MASK
        elif len(v) > HISTORY_MAX_HEADER_CHARS:
            v = f"{v[:HISTORY_MAX_HEADER_CHARS]}… ({len(v)} characters, cut)"
        headers[k[:HISTORY_MAX_HEADER_CHARS]] = v
    return {
        "method": inbound.method,
        "path": f"/hooks/{inbound.integration_id}/{MASK}",
        "query_string": redact.mask_query_string(inbound.query_string),
        "headers": headers,
        "body": parsed_raw if parsed_raw is not None else inbound.body.decode("utf-8", "replace"),
    }


def secret_headers(integ: Integration) -> frozenset[str]:
    """The headers of ``integ``'s requests never stored: the built-in names and its ``verify.header``."""
    verify = integ.config.verify
    return redact.secret_header_names([verify.header]) if verify is not None and verify.header else SECRET_HEADERS


async def commit(hub: Hub, integ: Integration, inbound: Inbound, outcome: Outcome, started: float,
                 request_id: str, delivery_id: str | None = None, *, claimed: bool = False) -> None:
    """Persist messages, logs and the history entry in one transaction."""
    now = time.time()
    rows = store_rows(outcome.drafts, integ.id, now)
    history = {
        "id": request_id, "integration_id": integ.id, "ts": now, "kind": "incoming", "step": None,
        "request": history_request(inbound, outcome.raw, secret_headers(integ)), "result": outcome.result,
        "status": outcome.status, "response": outcome.body,
        "message_ids": [r["id"] for r in rows], "error": outcome.error,
        "duration_ms": round((time.perf_counter() - started) * 1000, 3),
        "delivery_id": delivery_id,
    }
    ops = [op_insert_messages(rows), op_insert_logs(integ.id, request_id, outcome.logs),
           op_insert_history(history)]
    if outcome.store_changes:
        ops.append(scriptstate.op_merge(integ.id, outcome.store_changes))
    if delivery_id is not None and claimed:
        # the claim is settled in the same transaction as the messages: exactly once
        ops.append(admission.op_settle(integ.id, delivery_id, request_id, success=outcome.status < 300, now=now))
    await hub.store.write(combine(*ops))


async def receive(hub: Hub, inbound: Inbound) -> Outcome:
    """A hook URL was called: look up, verify, run, commit, answer."""
    started = time.perf_counter()
    try:
        integ = hub.registry.lookup(inbound.integration_id, inbound.token)
        rate = await hub.rate_limits.hit(integ.id)
        hub.check_quarantine(integ)
    except HookhubError as exc:
        return Outcome(exc.status, exc.body(), headers=dict(exc.headers))
    request_id = new_id()
    headers = inbound.lower_headers()
    if not inbound.headers_lower:
        inbound = replace(inbound, headers=headers, headers_lower=True)
    try:
        hub.verify(integ, headers, inbound.body)
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
            outcome = await process(hub, integ, inbound)
            if rate is not None:
                outcome.headers.update(rate.headers())
            await commit(hub, integ, inbound, outcome, started, request_id, delivery_id,
                         claimed=delivery_id is not None)
    except BaseException:
        if delivery_id is not None:  # give the claim back so that the sender's retry is processed
            await asyncio.shield(_release(hub, integ.id, delivery_id, request_id))
        raise
    for draft in outcome.drafts:
        hub.pm.hook.hookhub_message_posted(hub=hub, message=draft.doc, integration_id=integ.id)
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
