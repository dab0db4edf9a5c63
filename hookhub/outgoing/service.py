"""The outgoing-integration service of one hub: triggers, attempts, retries, history.

A posted message is matched against every outgoing integration
(:mod:`.triggers`); each match becomes one delivery per URL in the durable
outbox (:mod:`.outbox`).  An *attempt* then runs, in order:

1. the default body (CONTRACT §7) and ``prepare_outgoing_request`` when the
   script defines it (nothing returned cancels; ``{"message": {...}}`` posts
   a reply; an object with ``url`` and ``method`` is what gets sent);
2. the HTTP call under the egress policy (:mod:`.http`);
3. ``process_outgoing_response`` when defined (``False`` stops,
   ``{"content": {...}}`` posts a message, anything else falls through);
4. default handling: 200/201/202 succeed (a JSON answer with ``text`` or
   ``attachments`` is posted as a reply); 410 with a body disables the
   integration (persisted); other failures are retried per
   :mod:`.retry`, with the delay strategy of the integration.

Every attempt leaves one history entry (``kind: "outgoing"``) whose ``step``
says how it ended:

===================================  ==============================================
``cancelled``                        prepare_outgoing_request returned nothing
``replied``                          it returned only a ``message`` (posted)
``sent``                             the receiver answered 200/201/202
``process-outgoing-response``        process_outgoing_response stopped or posted
``disabled``                         410 with a body: the integration is disabled
``retry-scheduled``                  failed; the next attempt is queued
``failed``                           4xx refused on purpose: not retried
``failed-and-retry-count-exceeded``  failed after ``retry_count`` retries
``failed-and-not-configured-to-retry`` failed with ``retry_failed_calls: false``
``error``                            script error, refused URL, unpostable reply
``deferred``                         the script's sandbox slots were busy: tried again in 1 s
===================================  ==============================================
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from ..records import LogRecord
from ..errors import HookhubError
from ..message import Draft
from ..pipeline import js_truthy
from ..pipeline.posting import Post, announce
from ..registry import Integration, Registry
from ..services import ServiceKey
from ..ids import new_id
from ..delivery import http, retry
from ..delivery.outbox import CANCELLED, DELIVERED, FAILED, PENDING, Clock, Delivery, Outbox, Verdict, with_idempotency_key
from ..delivery.queue import item_key
from . import events, payload, state
from .replies import reply_drafts
from .triggers import OutgoingIndex, Room, channel_matches, matches, room_of

if TYPE_CHECKING:  # pragma: no cover
    from ..hub import Hub

log = logging.getLogger("hookhub.outgoing")

DEFAULT_TIMEOUT_MS = 20_000
#: wait before trying again when the integration's script slots are all busy
SATURATED_DELAY_S = 1.0
KIND = "outgoing"


@dataclass
class Attempt:
    """What one attempt did, for its history entry."""

    delivery: Delivery
    started: float
    history_id: str = field(default_factory=new_id)
    step: str = "error"
    request: dict[str, Any] | None = None
    result: Any = None
    status: int | None = None
    response: dict[str, Any] | None = None
    error: str | None = None
    logs: list[LogRecord] = field(default_factory=list)
    drafts: list[Draft] = field(default_factory=list)
    #: the sandbox had no free slot for the script
    saturated: bool = False


class OutgoingService:
    """Outgoing integrations of one hub (created by the default plugin at start-up)."""

    def __init__(self, hub: Hub, *, clock: Clock = time.time) -> None:
        self.hub = hub
        self.clock = clock
        self.outbox = Outbox(hub.store, KIND, self.attempt, clock=lambda: self.clock(),
                             items_for=self.deliveries_for, lease_s=hub.config.storage.outbox_lease_s,
                             sweep_s=hub.config.storage.outbox_sweep_s,
                             keep_s=hub.config.storage.history_max_age_days * 86400)
        self.outbox.on_settled = hub.metrics.delivery
        self.yaml_enabled = {i.id: i.config.enabled for i in hub.registry.integrations.values()}
        #: users and channels as of the last (re)load, to derive room and user events
        self.directory = events.snapshot(hub.config)
        #: outgoing integrations by channel, so that a message costs O(candidates), not O(integrations)
        self._index: OutgoingIndex | None = None
        #: integrations disabled at runtime (a 410 answer), by id → reason; persisted in the database
        self.disabled: dict[str, str | None] = {}

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> None:
        """Disable again the integrations a 410 disabled (persisted), then start the outbox
        worker (after a crash, first queue the calls of recent messages that were never queued)."""
        self.disabled = state.apply_disabled(self.hub)
        self.outbox.start()

    def reloaded(self) -> None:
        """The configuration was reloaded: re-apply persisted disabled states, fire room and user events."""
        self.yaml_enabled = {i.id: i.config.enabled for i in self.hub.registry.integrations.values()}
        for integration_id in self.disabled:
            integ = self.hub.registry.integrations.get(integration_id)
            if integ is not None:
                state.set_enabled(integ, False)
        directory = events.snapshot(self.hub.config)
        happened = events.changes(self.directory, directory)
        self.directory = directory
        items = [item for event in happened for item in self.event_items(event)]
        if items:
            self.outbox.enqueue_soon(items)

    def event_items(self, event: events.Event) -> list[dict[str, Any]]:
        """One outbox item per (integration listening to this room/user event, URL)."""
        registry = self.hub.registry
        items: list[dict[str, Any]] = []
        for integ in registry.integrations.values():
            cfg = integ.config
            if cfg.type != "outgoing" or not cfg.enabled or (cfg.event or "sendMessage") != event.name:
                continue
            if event.room is not None and not channel_matches(list(cfg.channel), event.room, registry):
                continue
            room = None if event.room is None else {"kind": event.room.kind, "name": event.room.name,
                                                    "id": event.room.id, "private": event.room.private}
            indexes: list[int | None] = list(range(len(cfg.urls))) or [None]
            for index in indexes:
                items.append({"target": integ.id, "message_id": None, "event": event.name,
                              "payload": {"event": event.name, "data": event.data, "room": room,
                                          "url_index": index}})
        return items

    def stop(self) -> None:
        """Stop the outbox worker and record a clean shutdown; pending calls stay queued for the next start."""
        self.outbox.stop()

    # -- triggering ------------------------------------------------------------

    def index(self, registry: Registry) -> OutgoingIndex:
        """The index of ``registry``'s outgoing integrations (rebuilt when a reload replaced the registry)."""
        if self._index is None or self._index.registry is not registry:
            self._index = OutgoingIndex(registry)
        return self._index

    def deliveries_for(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        """One outbox item per (matching integration, URL)."""
        registry = self.hub.registry
        outgoing = self.index(registry)
        if not outgoing.anywhere and not outgoing.by_channel:  # no outgoing integration: nothing to match
            return []
        room = room_of(message, registry)
        items: list[dict[str, Any]] = []
        for integ in outgoing.candidates(room):
            match = matches(integ.config, message, room, registry)
            if match is None:
                continue
            indexes: list[int | None] = list(range(len(integ.config.urls))) or [None]
            for index in indexes:
                items.append({"target": integ.id, "message_id": message.get("_id"), "event": "sendMessage",
                              "key": item_key(integ.id, message.get("_id"), "sendMessage", index),
                              "payload": {"message": message, "url_index": index,
                                          "trigger_word": match.trigger_word}})
        return items

    def on_message(self, message: dict[str, Any]) -> None:
        """A message was committed: queue the calls it triggers (never blocks)."""
        items = self.deliveries_for(message)
        if items:
            self.outbox.enqueue_soon(items)

    # -- one attempt -------------------------------------------------------------

    def _script(self, integ: Integration, method: str) -> bool:
        return (integ.spec is not None and integ.compile_error is None and integ.outline is not None
                and integ.outline.defines(method))

    def secrets_of(self, integ: Integration, opts: dict[str, Any] | None = None) -> list[str]:
        """The secrets masked in ``integ``'s history and errors: its token, the passwords in its ``urls`` and, from
        the request ``opts`` a script prepared, the ``auth`` value (and its password part) and the URL's password."""
        found = [payload.token_of(integ.config) or ""]
        for url in integ.config.urls:
            parsed = httpx.URL(url)
            if parsed.password:
                found.append(parsed.password)
        if opts:
            auth = opts.get("auth")
            if isinstance(auth, str) and auth:
                found.append(auth)
                if ":" in auth:
                    found.append(auth.split(":", 1)[1])
            target = opts.get("url")
            if isinstance(target, str):
                try:
                    if httpx.URL(target).password:
                        found.append(httpx.URL(target).password)
                except (httpx.InvalidURL, TypeError):
                    pass
        return [s for s in found if s]

    def allow_hosts(self, integ: Integration) -> list[str]:
        """The integration's ``http.allow_hosts`` plus the hosts of its configured ``urls``."""
        hosts = list(integ.config.http.allow_hosts)
        for url in integ.config.urls:
            try:
                host = httpx.URL(url).host
            except (httpx.InvalidURL, TypeError):
                continue
            if host:
                hosts.append(host)
        return hosts

    def room_for(self, delivery: Delivery) -> Room | None:
        """The room a delivery concerns (replies go there by default), or None for a user event."""
        data = delivery.payload
        if data.get("event", "sendMessage") == "sendMessage":
            return room_of(data.get("message") or {}, self.hub.registry)
        room = data.get("room")
        if not isinstance(room, dict):
            return None
        return Room(str(room["kind"]), str(room["name"]), str(room["id"]), bool(room["private"]))

    async def prepare(self, integ: Integration, delivery: Delivery, run: Attempt,
                      sandbox_id: str | None = None) -> dict[str, Any] | None:
        """The request to send (after the script), or None when there is nothing to send.

        :param sandbox_id: the sandbox id to call (a dry run's fresh instance; default: the integration's)
        """
        data = delivery.payload
        message = data.get("message") or {}
        room = self.room_for(delivery)
        index = data.get("url_index")
        url = integ.config.urls[index] if isinstance(index, int) and index < len(integ.config.urls) else None
        site_url = self.hub.config.server.public_url
        if data.get("event", "sendMessage") == "sendMessage" and room is not None:
            body = payload.default_body(integ.config, message, room, data.get("trigger_word"), site_url)
        else:
            body = events.event_body(payload.token_of(integ.config), data.get("data") or {}, site_url)
        opts = payload.script_request(url, body)
        if not self._script(integ, "prepare_outgoing_request"):
            return opts
        call = await self.hub.sandbox.call(sandbox_id or integ.id, "prepare_outgoing_request", {"request": opts})
        run.logs.extend(call.logs)
        if not call.ok:
            reason = call.reason or "prepare_outgoing_request failed"
            run.logs.append(LogRecord("error", time.time(), reason))
            run.step, run.error = "error", f"prepare_outgoing_request: {reason}"
            run.saturated = call.saturated
            return None
        result = call.value
        run.result = payload.mask_value(result, self.secrets_of(integ, result if isinstance(result, dict) else None))
        if not js_truthy(result):
            run.step = "cancelled"
            return None
        if not isinstance(result, dict):
            run.step, run.error = "error", "prepare_outgoing_request must return an object, None or False"
            return None
        if result.get("message") is not None:
            run.drafts.extend(reply_drafts(self.hub, integ, result["message"], message, room, run.logs))
            run.step = "replied"
        if not result.get("url") or not result.get("method"):
            if run.step != "replied":
                run.step, run.error = "cancelled", "prepare_outgoing_request returned no url and method"
            return None
        return dict(result)

    async def attempt(self, delivery: Delivery) -> Verdict:
        """Handle one delivery from the outbox."""
        integ = self.hub.registry.integrations.get(delivery.target)
        if integ is None:
            return Verdict(CANCELLED, attempted=False, error=f"integration {delivery.target!r} is no longer configured")
        if not integ.config.enabled:
            return Verdict(CANCELLED, attempted=False, error=f"integration {integ.id!r} is disabled")
        run = Attempt(delivery, time.perf_counter())
        try:
            verdict = await self._attempt(integ, delivery, run)
        except HookhubError as exc:  # e.g. a reply that cannot be posted
            run.step, run.error = "error", str(exc.error if isinstance(exc.error, str) else exc)
            run.drafts = []
            verdict = Verdict(FAILED, last_status=run.status, error=run.error)
        if run.step != "deferred":  # busy scripts are not an attempt worth a history entry
            self._record(integ, run, verdict)
        return verdict

    async def _attempt(self, integ: Integration, delivery: Delivery, run: Attempt) -> Verdict:
        message = delivery.payload.get("message") or {}
        room = self.room_for(delivery)
        opts = await self.prepare(integ, delivery, run)
        if opts is None:
            if run.saturated:  # the integration's scripts are all busy: try again soon, not a failure
                run.step = "deferred"
                return Verdict(PENDING, next_attempt_at=self.clock() + SATURATED_DELAY_S, attempted=False,
                               error=run.error)
            if run.step == "error":
                return Verdict(FAILED, error=run.error)
            if run.step == "replied":
                return Verdict(DELIVERED)
            return Verdict(CANCELLED, error=run.error)
        secrets = self.secrets_of(integ, opts)
        run.request = payload.history_request(opts, secrets)
        run.request["message_id"] = message.get("_id")
        if not opts.get("url"):
            run.step, run.error = "error", "no url: set urls: or return url from prepare_outgoing_request"
            return Verdict(FAILED, error=run.error)
        timeout_ms = opts.get("timeout")
        if not isinstance(timeout_ms, (int, float)) or isinstance(timeout_ms, bool) or timeout_ms <= 0:
            timeout_ms = DEFAULT_TIMEOUT_MS
        given = opts.get("headers")
        headers = with_idempotency_key(given if isinstance(given, dict) else {}, run.delivery.id)
        params = opts.get("params") if isinstance(opts.get("params"), dict) else None
        auth = opts.get("auth") if isinstance(opts.get("auth"), str) and opts.get("auth") else None
        reply = await http.send(str(opts.get("method") or "POST"), str(opts["url"]),
                                allow_hosts=self.allow_hosts(integ), allow_private=integ.config.http.allow_private,
                                headers=headers, data=opts.get("data"), auth=auth, params=params,
                                timeout_s=float(timeout_ms) / 1000.0)
        run.status = reply.status_code
        run.response = payload.mask_value({"status_code": reply.status_code,
                                           "headers": payload.mask_headers(reply.headers),
                                           "content": reply.content_raw[:64 * 1024]}, secrets)
        run.error = payload.mask_value(reply.error, secrets)
        if reply.refused:
            run.step = "error"
            return Verdict(FAILED, error=run.error)

        if self._script(integ, "process_outgoing_response"):
            call = await self.hub.sandbox.call(integ.id, "process_outgoing_response",
                                               {"request": opts, "response": reply.to_script()})
            run.logs.extend(call.logs)
            if not call.ok:
                reason = call.reason or "process_outgoing_response failed"
                run.logs.append(LogRecord("error", time.time(), reason))
            else:
                result = call.value
                if result is False:
                    run.step = "process-outgoing-response"
                    return self._final(reply)
                if isinstance(result, dict) and isinstance(result.get("content"), dict):
                    run.result = payload.mask_value(result, secrets)
                    run.drafts.extend(reply_drafts(self.hub, integ, result["content"], message, room, run.logs))
                    run.step = "process-outgoing-response"
                    return self._final(reply)

        status = reply.status_code
        if status in retry.SUCCESS:
            run.step = "sent"
            content = reply.content
            if isinstance(content, dict) and (content.get("text") or content.get("attachments")):
                run.drafts.extend(reply_drafts(self.hub, integ, content, message, room, run.logs))
            return Verdict(DELIVERED, last_status=status)
        if status == 410 and reply.content_raw.strip():
            run.step = "disabled"
            reason = f"the receiver answered 410 Gone at {payload.mask_url(opts['url'])}"
            await state.disable(self.hub, integ, reason, self.clock())
            self.disabled[integ.id] = reason
            run.logs.append(LogRecord("error", time.time(), f"integration disabled: {reason}; re-enable it with "
                                                              f"POST /api/v1/integrations/{integ.id}/enable"))
            return Verdict(FAILED, last_status=status, error="410 Gone: integration disabled")
        error = run.error or f"the receiver answered {status}"
        cfg = integ.config
        if not retry.retryable(status, client_errors=cfg.retry_client_errors):
            run.step = "failed"
            return Verdict(FAILED, last_status=status, error=error)
        if not cfg.retry_failed_calls:
            run.step = "failed-and-not-configured-to-retry"
            return Verdict(FAILED, last_status=status, error=error)
        if delivery.tries >= cfg.retry_count:
            run.step = "failed-and-retry-count-exceeded"
            return Verdict(FAILED, last_status=status, error=error)
        wait_s = retry.delay_ms(cfg.retry_delay, delivery.tries) / 1000.0
        asked = http.retry_after(reply.headers, self.clock()) if status is not None else None
        if asked is not None:
            wait_s = max(wait_s, asked)
        run.step = "retry-scheduled"
        run.result = {"retry_in_ms": round(wait_s * 1000), "tries": delivery.tries + 1}
        return Verdict(PENDING, next_attempt_at=self.clock() + wait_s, tries=delivery.tries + 1,
                       last_status=status, error=error)

    @staticmethod
    def _final(reply: http.Reply) -> Verdict:
        if reply.status_code in retry.SUCCESS:
            return Verdict(DELIVERED, last_status=reply.status_code)
        return Verdict(FAILED, last_status=reply.status_code, error=reply.error or "stopped by process_outgoing_response")

    def _record(self, integ: Integration, run: Attempt, verdict: Verdict) -> None:
        """History entry, logs and replies, committed with the delivery's new state; after the commit the
        replies trigger their own hooks."""
        request = run.request or {"message_id": (run.delivery.payload.get("message") or {}).get("_id")}
        request = {**request, "delivery_id": run.delivery.id, "attempt": run.delivery.attempts + 1}
        entry = {
            "id": run.history_id, "integration_id": integ.id, "kind": KIND, "step": run.step,
            "request": request, "result": run.result, "status": run.status, "response": run.response,
            "error": run.error, "duration_ms": round((time.perf_counter() - run.started) * 1000, 3),
            "delivery_id": run.delivery.id,
        }
        verdict.ops.extend(Post(integ.id, run.drafts, history=entry, logs=run.logs).ops(time.time()))
        verdict.after.append(lambda: announce(self.hub, run.drafts, integ.id))


#: the running service in ``hub.services`` (added by the plugin at start-up, removed at shutdown)
OUTGOING: ServiceKey[OutgoingService] = ServiceKey("outgoing")
