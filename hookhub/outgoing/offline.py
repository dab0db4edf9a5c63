"""Outgoing scripts offline: ``hookhub test`` for outgoing integrations.

:func:`run` hands a message (a JSON fixture) to ``prepare_outgoing_request``
exactly as a posted message would be (the same default request, trigger word
and reply rules, :meth:`OutgoingService.prepare`), and, when a response
fixture is given, hands that response to ``process_outgoing_response``.
Nothing is sent and nothing is stored: no receiver or stub server is needed.

A message fixture is a message document or a part of one: ``{"text": "!deploy
api", "channel": "#general", "u": {"username": "ann"}}`` (missing fields get
test values).  A response fixture is ``{"status_code": 200, "headers": {...},
"content": ...}``, or any other JSON value, taken as the body of a 200 answer.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..records import LogRecord
from ..errors import HookhubError
from ..engines.outlines import javascript_outline, python_outline
from ..message import Draft
from ..ids import iso
from ..toolkit import load_fixture
from . import payload
from ..delivery.http import Reply
from ..delivery.outbox import Delivery
from .replies import reply_drafts
from ..delivery.retry import SUCCESS
from .service import Attempt, OutgoingService
from .triggers import matches, room_of

if TYPE_CHECKING:  # pragma: no cover
    from ..hub import Hub
    from ..registry import Integration
    from ..toolkit import ScriptRunner

__all__ = ["OutgoingOutcome", "as_json", "is_outgoing_script", "load_response", "message_from", "render", "run",
           "test_outgoing"]

TEST_MESSAGE_ID = "offline-message"


@dataclass
class OutgoingOutcome:
    """What the outgoing script did with one message (and one response)."""

    #: would-send | replied | cancelled | not-triggered | error | stopped | answered
    step: str
    #: the request that would be sent (secrets masked), when there is one
    request: dict[str, Any] | None = None
    #: what prepare_outgoing_request returned
    result: Any = None
    #: the response given to process_outgoing_response, and what it returned
    response: dict[str, Any] | None = None
    response_result: Any = None
    replies: list[Draft] = field(default_factory=list)
    logs: list[LogRecord] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the message triggered the script and nothing failed (any step but ``error``/``not-triggered``)."""
        return self.step not in ("error", "not-triggered")


def message_from(data: Any, hub: Hub, integ: Integration) -> dict[str, Any]:
    """A message document for ``data`` (a fixture), with test values for what it leaves out."""
    if not isinstance(data, dict):
        raise ValueError("a message fixture is a JSON object such as {\"text\": \"!deploy api\"}")
    channels = [c for c in integ.config.channel if c.startswith(("#", "@"))]
    channel = str(data.get("channel") or (channels[0] if channels else "#general"))
    poster = integ.config.username or (hub.config.users[0].username if hub.config.users else "hookhub.test")
    message: dict[str, Any] = {"_id": TEST_MESSAGE_ID, "ts": iso(time.time()), "text": "",
                               "u": {"_id": poster, "username": poster, "name": poster}, **data}
    message["text"] = str(data.get("text") if data.get("text") is not None else data.get("msg") or "")
    message["channel"] = channel[1:] if channel.startswith("#") else channel
    return message


def load_response(data: Any) -> Reply:
    """A response fixture as the reply of the receiver."""
    if isinstance(data, dict) and "status_code" in data:
        content = data.get("content")
        headers = {str(k).lower(): str(v) for k, v in (data.get("headers") or {}).items()}
        status = data["status_code"]
        if not isinstance(status, int):
            raise ValueError("status_code of the response fixture must be a number such as 200")
    else:
        content, headers, status = data, {"content-type": "application/json"}, 200
    raw = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    if isinstance(content, str) and "json" in headers.get("content-type", ""):
        try:
            content = json.loads(content)
        except ValueError:
            pass
    return Reply(status_code=status, headers=headers, content_raw=raw, content=content,
                 error=None if status in SUCCESS else f"the receiver answered {status}")


async def run(hub: Hub, integ: Integration, message_data: Any, response_data: Any = None) -> OutgoingOutcome:
    """Run the outgoing integration ``integ`` on one message (and response) without sending anything."""
    service = OutgoingService(hub)
    message = message_from(message_data, hub, integ)
    room = room_of(message, hub.registry)
    match = matches(integ.config, message, room, hub.registry)
    if match is None:
        words = ", ".join(integ.config.trigger_words) or "(none)"
        return OutgoingOutcome("not-triggered", error=(
            f"the message does not trigger integration {integ.id!r} (event {integ.config.event or 'sendMessage'}, "
            f"channel filters {list(integ.config.channel) or ['all_public_channels']}, trigger words {words}): "
            "change its text or channel"))
    url_index = 0 if integ.config.urls else None
    delivery = Delivery(id="offline", kind="outgoing", target=integ.id, message_id=message["_id"],
                        event="sendMessage", status="pending", tries=0, attempts=0, next_attempt_at=0.0,
                        created_at=time.time(), payload={
                            "message": message, "url_index": url_index, "trigger_word": match.trigger_word,
                            "room": {"kind": room.kind, "name": room.name, "id": room.id, "private": room.private}})
    attempt = Attempt(delivery, time.perf_counter())
    try:
        opts = await service.prepare(integ, delivery, attempt)
    except HookhubError as exc:  # a reply that cannot be posted
        opts, attempt.step, attempt.error = None, "error", str(exc.error if isinstance(exc.error, str) else exc)
    secrets = service.secrets_of(integ, opts)
    outcome = OutgoingOutcome(attempt.step, result=attempt.result, replies=list(attempt.drafts),
                              logs=list(attempt.logs), error=attempt.error)
    if opts is None:
        return outcome
    outcome.step = "would-send"
    outcome.request = payload.history_request(opts, secrets)
    if response_data is None:
        return outcome
    reply = load_response(response_data)
    outcome.response = reply.to_script()
    spec = integ.spec
    if spec is None or integ.outline is None or not integ.outline.defines("process_outgoing_response"):
        if reply.status_code in SUCCESS and isinstance(reply.content, dict) and (
                reply.content.get("text") or reply.content.get("attachments")):
            outcome.replies.extend(reply_drafts(hub, integ, reply.content, message, room, outcome.logs))
        outcome.step = "answered"
        return outcome
    call = await hub.sandbox.call(integ.id, "process_outgoing_response",
                                  {"request": opts, "response": reply.to_script()})
    outcome.logs.extend(call.logs)
    if not call.ok:
        outcome.step, outcome.error = "error", f"process_outgoing_response: {call.reason or 'failed'}"
        return outcome
    outcome.response_result = payload.mask_value(call.value, secrets)
    outcome.step = "answered"
    if call.value is False:
        outcome.step = "stopped"
    elif isinstance(call.value, dict) and isinstance(call.value.get("content"), dict):
        try:
            outcome.replies.extend(reply_drafts(hub, integ, call.value["content"], message, room, outcome.logs))
        except HookhubError as exc:
            outcome.step, outcome.error = "error", str(exc.error if isinstance(exc.error, str) else exc)
    return outcome


def render(outcome: OutgoingOutcome) -> str:
    """A readable report of an outgoing run."""
    lines = [f"step: {outcome.step}"]
    if outcome.error:
        lines.append(f"error: {outcome.error}")
    if outcome.result is not None:
        lines += ["prepare_outgoing_request returned:", json.dumps(outcome.result, ensure_ascii=False, indent=2)]
    if outcome.request is not None:
        lines += ["would send:", json.dumps(outcome.request, ensure_ascii=False, indent=2)]
    if outcome.response is not None:
        lines.append(f"given response: HTTP {outcome.response['status_code']}")
    if outcome.response_result is not None:
        lines += ["process_outgoing_response returned:",
                  json.dumps(outcome.response_result, ensure_ascii=False, indent=2)]
    for record in outcome.logs:
        lines.append(f"[{record.level}] {record.message}")
    for draft in outcome.replies:
        lines.append(f"--- reply to {draft.destination.label} as {draft.doc.get('alias') or draft.doc['u']['username']}")
        if draft.doc.get("text"):
            lines.append(str(draft.doc["text"]))
    if not outcome.replies:
        lines.append("(no reply posted)")
    return "\n".join(lines)


def as_json(outcome: OutgoingOutcome) -> dict[str, Any]:
    """The outcome as JSON data (``hookhub test --json``)."""
    return {"step": outcome.step, "error": outcome.error, "result": outcome.result, "request": outcome.request,
            "response": outcome.response, "response_result": outcome.response_result,
            "replies": [{"destination": d.destination.label, **d.doc} for d in outcome.replies],
            "logs": [r.to_json() for r in outcome.logs]}


def is_outgoing_script(script: Path) -> bool:
    """Whether a script file is an outgoing one (it has an outgoing method and no process_incoming_request)."""
    try:
        source = script.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    outline = javascript_outline(source) if script.suffix == ".js" else python_outline(source)
    has = {m: outline.defines(m) for m in
           ("prepare_outgoing_request", "process_outgoing_response", "process_incoming_request")}
    return (has["prepare_outgoing_request"] or has["process_outgoing_response"]) and not has["process_incoming_request"]


def _json_file(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read the {what} {path}: {exc}") from None
    except ValueError as exc:
        raise ValueError(f"the {what} {path} is not JSON: {exc}") from None


def test_outgoing(runner: ScriptRunner, script: Path | None, fixture: str, *, config: Path | None = None,
                  integration: str | None = None, response: Path | None = None) -> OutgoingOutcome:
    """``hookhub test`` for an outgoing script or integration: ``fixture`` is the message, ``response``
    the receiver's answer (optional).  Raises ``ValueError``/``FileNotFoundError`` for bad input."""
    hub, ident = runner.hub_for(script, config=config, integration=integration, kind="outgoing")
    integ = hub.registry.integrations[ident]
    if integ.compile_error is not None:
        return OutgoingOutcome("error", error=f"the script does not compile: {integ.compile_error}")
    script_path = hub.registry.script_path(integ) or script
    body, _name = load_fixture(script_path, fixture)
    try:
        message = json.loads(body)
    except ValueError as exc:
        raise ValueError(f"the message fixture {fixture} is not JSON: {exc}") from None
    answer = _json_file(response, "response fixture") if response is not None else None
    return runner.wait(run(hub, integ, message, answer))
