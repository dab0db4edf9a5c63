"""Onward delivery: each message of a bridged channel goes to the bridge's chat platform.

Deliveries go through the durable outbox (``kind: "bridge"``, ``target``:
the bridge name), so a restart loses nothing and every message is delivered
at least once.  Per bridge:

* a proactive rate limit (``rate_limit: {calls, per_seconds}``, through the
  ``limits`` library) delays deliveries instead of sending them early;
* a 429 answer blocks the whole target until its ``Retry-After`` (seconds or
  an HTTP date; Discord's JSON ``retry_after`` too) and re-queues the
  delivery without counting it as a failure;
* other failures (network errors, timeouts, 5xx, 408) are retried with
  exponential backoff (1 s, 2 s, 4 s, ... up to ``max_delay_s``) at most
  ``retry_count`` times; other 4xx answers (bad payload, unknown channel,
  revoked webhook) fail at once.

The state of every delivery (status, tries, last HTTP status and error) is
listed by ``GET /api/v1/deliveries?message_id=...``.  Secrets (webhook URLs,
tokens) never appear there or in logs.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

import httpx
from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from ..config import BridgeConfig
from ..delivery import http, retry
from ..delivery.outbox import (
    CANCELLED,
    DELIVERED,
    FAILED,
    PENDING,
    Clock,
    Delivery,
    Outbox,
    Verdict,
    with_idempotency_key,
)
from ..delivery.queue import item_key
from ..redact import mask_value
from ..services import ServiceKey
from .render import render

if TYPE_CHECKING:  # pragma: no cover
    from ..hub import Hub

log = logging.getLogger("hookhub.bridges")

KIND = "bridge"
#: a delivery deferred by 429 answers this many times is given up
MAX_ATTEMPTS = 50


class BridgeService:
    """The bridges of one hub (created by the default plugin at start-up)."""

    def __init__(self, hub: Hub, *, clock: Clock = time.time) -> None:
        self.hub = hub
        self.clock = clock
        self.bridges: dict[str, BridgeConfig] = {b.name: b for b in hub.config.bridges}
        self.outbox = Outbox(hub.store, KIND, self.attempt, clock=lambda: self.clock(), items_for=self.items_for,
                             lease_s=hub.config.storage.outbox_lease_s,
                             sweep_s=hub.config.storage.outbox_sweep_s,
                             keep_s=hub.config.storage.history_max_age_days * 86400)
        self.outbox.on_settled = hub.metrics.delivery
        self.blocked_until: dict[str, float] = {}
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._limits = {b.name: RateLimitItemPerSecond(b.rate_limit.calls, b.rate_limit.per_seconds)
                        for b in self.bridges.values() if b.rate_limit}

    def start(self) -> None:
        """Start the outbox worker (after a crash it first queues the deliveries recent messages never got)."""
        self.outbox.start()

    def reloaded(self) -> None:
        """Pick up added, changed and removed bridges (queued deliveries of a removed one are cancelled)."""
        self.bridges = {b.name: b for b in self.hub.config.bridges}
        self._limits = {b.name: RateLimitItemPerSecond(b.rate_limit.calls, b.rate_limit.per_seconds)
                        for b in self.bridges.values() if b.rate_limit}
        if self.bridges and not self.outbox.running:
            self.outbox.start(recover=False)

    def stop(self) -> None:
        """Stop the outbox worker and record a clean shutdown; pending deliveries stay queued for the next start."""
        self.outbox.stop()

    def targets_for(self, message: dict[str, Any]) -> list[str]:
        """Names of the enabled bridges forwarding the message's channel."""
        if not self.bridges:
            return []
        label = str(message.get("channel") or "")
        if label.startswith("@"):
            return []
        return [b.name for b in self.bridges.values() if b.enabled and f"#{label}" in b.channels]

    def items_for(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        """The outbox items of ``message``: one delivery per bridge forwarding its channel, keyed to be queued once."""
        return [{"target": name, "message_id": message.get("_id"), "event": "message",
                 "key": item_key(name, message.get("_id"), "message"),
                 "payload": {"message": message}} for name in self.targets_for(message)]

    def secrets_of(self, bridge: BridgeConfig) -> list[str]:
        """The secret values of ``bridge``'s settings, masked in delivery errors: the
        webhook URL and its path, the URL's password, the auth token and the header values."""
        found = [bridge.url.get_secret_value()]
        parsed = httpx.URL(found[0])
        found.append(parsed.path)  # Slack/Discord webhook paths are the secret
        if parsed.password:
            found.append(parsed.password)
        if bridge.auth_token:
            found.append(bridge.auth_token.get_secret_value())
        found.extend(v.get_secret_value() for v in bridge.headers.values())
        return [s for s in found if s and s != "/"]

    async def attempt(self, delivery: Delivery) -> Verdict:
        """Deliver one queued message to its bridge (the outbox handler): 2xx is delivered; the bridge's rate limit
        or a 429 defers it without counting a try (429s fail it after :data:`MAX_ATTEMPTS`); retryable failures
        back off up to ``retry_count`` times, other answers fail; a removed or disabled bridge cancels it."""
        bridge = self.bridges.get(delivery.target)
        if bridge is None or not bridge.enabled:
            return Verdict(CANCELLED, attempted=False, error=f"bridge {delivery.target!r} is not configured")
        now = self.clock()
        blocked = self.blocked_until.get(bridge.name, 0.0)
        if blocked > now:
            return Verdict(PENDING, next_attempt_at=blocked, attempted=False)
        item = self._limits.get(bridge.name)
        if item is not None and not self._limiter.hit(item, bridge.name):
            reset = self._limiter.get_window_stats(item, bridge.name).reset_time
            return Verdict(PENDING, next_attempt_at=now + max(0.05, reset - time.time()), attempted=False)

        request = render(bridge, delivery.payload.get("message") or {})
        host = httpx.URL(request.url).host
        reply = await http.send(request.method, request.url, allow_hosts=[host], allow_private=bridge.allow_private,
                                headers=with_idempotency_key(request.headers, delivery.id), data=request.body,
                                timeout_s=bridge.timeout_ms / 1000)
        secrets = [secret for b in self.bridges.values() for secret in self.secrets_of(b)]
        error = mask_value(reply.error, secrets) if reply.error else None
        status = reply.status_code
        if status is not None and 200 <= status < 300:
            return Verdict(DELIVERED, last_status=status)
        if reply.refused:
            return Verdict(FAILED, error=error)
        snippet = mask_value(reply.content_raw[:200], secrets)
        error = error or f"{bridge.type} answered {status}: {snippet}".rstrip(": ")
        if status == 429:
            wait_s = http.retry_after(reply.headers, now)
            if wait_s is None and isinstance(reply.content, dict):
                asked = reply.content.get("retry_after")  # Discord: seconds in the JSON body
                wait_s = float(asked) if isinstance(asked, (int, float)) else None
            wait_s = 1.0 if wait_s is None else wait_s
            self.blocked_until[bridge.name] = now + wait_s
            if delivery.attempts + 1 >= MAX_ATTEMPTS:
                return Verdict(FAILED, last_status=status, error=f"{error} (rate limited {MAX_ATTEMPTS} times)")
            return Verdict(PENDING, next_attempt_at=now + wait_s, last_status=status, error=error)
        if not retry.retryable(status):
            return Verdict(FAILED, last_status=status, error=error)
        if delivery.tries >= bridge.retry_count:
            return Verdict(FAILED, last_status=status, error=f"{error} (gave up after {delivery.tries} retries)")
        wait_s = min(bridge.max_delay_s, 2.0 ** delivery.tries)
        return Verdict(PENDING, next_attempt_at=now + wait_s, tries=delivery.tries + 1, last_status=status,
                       error=error)


#: the running service in ``hub.services`` (added by the plugin at start-up, removed at shutdown)
BRIDGES: ServiceKey[BridgeService] = ServiceKey("bridges")
