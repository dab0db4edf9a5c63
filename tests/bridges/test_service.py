"""Bridges end to end: messages posted in hookhub arrive at a real HTTP server standing in for each platform."""

from __future__ import annotations

import time

from hookhub.bridges import BRIDGES

from tests.conftest import AUTH, integration
from tests.outgoing.conftest import deliveries, post, stop
from tests.outgoing.receiver import FakeClock, Receiver, wait_until

ATTACHMENT = {"title": "build #7", "text": "all green", "color": "good"}


def bridges(*entries: str) -> str:
    return "bridges:\n" + "".join(entries)


def bridge(name: str, type: str, url: str, channels: str = '["#general"]', **extra: str) -> str:
    lines = [f"  - name: {name}", f"    type: {type}", f"    url: {url}", f"    channels: {channels}",
             "    allow_private: true"]
    lines += [f"    {k}: {v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


def _row(client, message_id: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """The (first) delivery of a message, or an empty dict while it is being queued."""
    rows = deliveries(client, message_id=message_id)
    return rows[0] if rows else {}


def _delivered(client, message_id: str, count: int = 1) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    return wait_until(lambda: (rows := deliveries(client, message_id=message_id)) and len(rows) >= count
                      and all(r["status"] == "delivered" for r in rows) and rows, what="delivered")


def test_each_platform_gets_its_format(start_hub, receiver: Receiver) -> None:
    receiver.default = (200, {}, b"ok")
    client = start_hub(integration("in"), extra=bridges(
        bridge("slack", "slack", receiver.url("/services/T/B/x")),
        bridge("mm", "mattermost", receiver.url("/hooks/mm")),
        bridge("discord", "discord", receiver.url("/api/webhooks/1/tok")),
        bridge("rc", "rocketchat", receiver.url("/hooks/rc/token")),
        bridge("rcrest", "rocketchat-rest", receiver.url(""), user_id="U1", auth_token="T0K", channel='"#announce"'),
        bridge("generic", "json", receiver.url("/in"), headers="{X-Key: k}"),
        bridge("other", "slack", receiver.url("/never"), channels='["#notifications"]'),
    ))
    message = post(client, "Deploy finished", attachments=[ATTACHMENT])
    post(client, "a direct message is never bridged", "@alice")
    by_path = {r.path: r for r in receiver.wait_for(6)}
    rows = _delivered(client, message["_id"], 6)
    assert sorted(r["target"] for r in rows) == ["discord", "generic", "mm", "rc", "rcrest", "slack"]
    assert by_path["/services/T/B/x"].json["attachments"][0]["title"] == "build #7"
    assert by_path["/hooks/mm"].json["text"] == "Deploy finished"
    assert by_path["/api/webhooks/1/tok"].json["embeds"][0]["color"] == 0x2EB886
    assert by_path["/hooks/rc/token"].json["attachments"] == [ATTACHMENT]
    rest = by_path["/api/v1/chat.postMessage"]
    assert rest.headers["x-user-id"] == "U1" and rest.headers["x-auth-token"] == "T0K"
    assert rest.json["channel"] == "#announce"
    assert by_path["/in"].headers["x-key"] == "k" and by_path["/in"].json["message"]["_id"] == message["_id"]
    time.sleep(0.2)
    assert "/never" not in {r.path for r in receiver.requests} and len(receiver.requests) == 6


def test_text_limit_end_to_end(start_hub, receiver: Receiver) -> None:
    receiver.default = (204, {}, b"")
    client = start_hub(integration("in"), extra=bridges(
        bridge("d", "discord", receiver.url("/api/webhooks/1/t"), max_text_chars="1000")))
    message = post(client, "w" * 1500)
    got = receiver.wait_for(1)[0].json
    assert len(got["content"]) == 1000 and got["content"].endswith("…")
    _delivered(client, message["_id"])


def test_429_blocks_the_target_until_retry_after(start_hub, receiver: Receiver, clock: FakeClock) -> None:
    receiver.answer(429, {"message": "rate limited"}, {"Retry-After": "20"})
    client = start_hub(integration("in"), clock=clock, extra=bridges(bridge("s", "slack", receiver.url("/s"))))
    first = post(client, "first")
    receiver.wait_for(1)
    second = post(client, "second")  # must wait too: the whole target is blocked
    wait_until(lambda: _row(client, first["_id"]).get("last_status") == 429, what="429 noted")
    time.sleep(0.3)
    assert len(receiver.requests) == 1
    row = deliveries(client, message_id=first["_id"])[0]
    assert row["status"] == "pending" and row["tries"] == 0
    clock.advance(20)
    client.hub.services.require(BRIDGES).outbox.wake()
    got = receiver.wait_for(3)
    assert [r.json["text"] for r in got[1:]] == ["first", "second"]
    _delivered(client, second["_id"])


def test_proactive_rate_limit(start_hub, receiver: Receiver) -> None:
    client = start_hub(integration("in"), extra=bridges(
        bridge("s", "slack", receiver.url("/s"), rate_limit="{calls: 2, per_seconds: 1}")))
    started = time.monotonic()
    for i in range(4):
        post(client, f"m{i}")
    got = receiver.wait_for(4)
    assert got[2].at - got[0].at >= 0.9, [r.at - started for r in got]
    assert sorted(r.json["text"] for r in got) == ["m0", "m1", "m2", "m3"]


def test_5xx_retried_with_backoff_then_4xx_fails(start_hub, receiver: Receiver, clock: FakeClock) -> None:
    receiver.answer(502, "bad gateway")
    receiver.answer(404, "no_service")
    client = start_hub(integration("in"), clock=clock, extra=bridges(bridge("s", "slack", receiver.url("/s"))))
    message = post(client, "x")
    wait_until(lambda: _row(client, message["_id"]).get("tries") == 1, what="a retry")
    row = deliveries(client, message_id=message["_id"])[0]
    assert row["status"] == "pending" and row["last_status"] == 502 and "bad gateway" in row["last_error"]
    clock.advance(1)
    client.hub.services.require(BRIDGES).outbox.wake()
    wait_until(lambda: _row(client, message["_id"]).get("status") == "failed", what="failed")
    row = deliveries(client, message_id=message["_id"])[0]
    assert row["last_status"] == 404 and row["attempts"] == 2


def test_restart_keeps_pending_bridge_deliveries(start_hub, receiver: Receiver, clock: FakeClock) -> None:
    receiver.answer(503, "maintenance")
    extra = bridges(bridge("s", "slack", receiver.url("/s")))
    client = start_hub(integration("in"), clock=clock, extra=extra)
    message = post(client, "keep me")
    wait_until(lambda: _row(client, message["_id"]).get("tries") == 1, what="a retry")
    stop(client)
    again = start_hub(integration("in"), clock=clock, extra=extra)
    clock.advance(1)
    again.hub.services.require(BRIDGES).outbox.wake()
    assert receiver.wait_for(2)[1].json["text"] == "keep me"
    _delivered(again, message["_id"])


def test_secrets_never_in_the_deliveries_api(start_hub, receiver: Receiver) -> None:
    receiver.default = (500, {}, b"failure at /hooks/secret-path-123")
    client = start_hub(integration("in"), extra=bridges(
        bridge("rc", "rocketchat-rest", receiver.url("/"), user_id="U1", auth_token="T0K-secret",
               channel='"#x"', retry_count="0"),
        bridge("s", "slack", receiver.url("/hooks/secret-path-123"), retry_count="0")))
    message = post(client, "x")
    wait_until(lambda: all(r["status"] == "failed" for r in deliveries(client, message_id=message["_id"]))
               and len(deliveries(client, message_id=message["_id"])) == 2, what="failed")
    text = client.get(f"/api/v1/deliveries?message_id={message['_id']}", headers=AUTH).text
    assert "secret-path-123" not in text and "T0K-secret" not in text


def test_bridge_config_errors(write_config) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from hookhub.config import load_config
    from hookhub.errors import ConfigError

    path = write_config(integration("in"), extra=bridges(
        bridge("a", "rocketchat-rest", "https://chat.test", channels='["#nope"]'),
        bridge("a", "teams", "https://x.test")))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    text = str(info.value)
    assert "bridges[1].type" in text
    path = write_config(integration("in"), extra=bridges(
        bridge("a", "rocketchat-rest", "https://chat.test", channels='["#nope"]'),
        bridge("a", "slack", "https://x.test")))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    text = str(info.value)
    for expected in ("bridges[0].channels[0]", "bridges[0].user_id", "bridges[0].auth_token", "bridges[0].channel",
                     "bridges[1].name"):
        assert expected in text, text
