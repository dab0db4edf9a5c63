"""Processing, the pipeline's second stage: run the script, build the messages; touches no store.

:func:`process` is used by the incoming path, ``hookhub test``, the dry-run
replay and the UI's runs; :func:`interpret` reads a script's return value
(CONTRACT §5); :func:`deliver` turns message content into stamped drafts.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .. import scriptstate
from ..bodies import ParsedBody, parse_body
from ..errors import (HookhubError, MessageError, ScriptQuarantined, ScriptReturnedError, ScriptRunError,
                      ScriptUnavailable)
from ..message import build_messages, stamp
from ..records import LogRecord
from ..refusals import explain, shape_problem
from ..registry import Integration
from ..request import build_request
from .inbound import Inbound, Outcome

if TYPE_CHECKING:  # pragma: no cover
    from ..hub import Hub

__all__ = ["deliver", "interpret", "js_truthy", "process", "script_request"]


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
    """The ``request`` object a script receives (CONTRACT §4)."""
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


def poster(hub: Hub, integ: Integration) -> dict[str, Any]:
    """The ``request.user`` of a script: the integration's poster as the registry knows it."""
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
            request = script_request(integ, inbound, parsed, poster(hub, integ))
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
    """The stamped drafts of message ``content`` and the answer (``separateResponse``: one per destination)."""
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
