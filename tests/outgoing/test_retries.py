"""Retries with Rocket.Chat's delay strategies, driven by an injectable clock; restart during a backoff."""

from __future__ import annotations

import time

import pytest

from hookhub.outgoing import OUTGOING

from .conftest import deliveries, outgoing, post, stop, wait_delivery, wait_history
from .receiver import FakeClock, Receiver, wait_until


def _advance(client, clock: FakeClock, seconds: float) -> None:  # type: ignore[no-untyped-def]
    clock.advance(seconds)
    client.hub.services.require(OUTGOING).outbox.wake()


def _pending(client, message_id: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    return wait_until(lambda: next((d for d in deliveries(client, message_id=message_id)
                                    if d["status"] == "pending" and d["tries"] > 0), None),
                      what="a pending retry")


@pytest.mark.parametrize(("strategy", "delays_ms"), [
    ("powers-of-ten", [100, 1_000, 10_000, 100_000]),
    ("powers-of-two", [2_000, 4_000, 8_000, 16_000]),
    ("increments-of-two", [2_000, 4_000, 6_000, 8_000]),
])
def test_each_strategy_waits_then_gives_up(start_hub, receiver: Receiver, clock: FakeClock, strategy: str,
                                           delays_ms: list[int]) -> None:
    receiver.default = (500, {}, b"boom")
    client = start_hub(outgoing("out", [receiver.url()], retry_delay=strategy), clock=clock)
    message = post(client, "x")
    for attempt, delay in enumerate(delays_ms, start=1):
        receiver.wait_for(attempt)
        entries = wait_history(client, "out", attempt)
        assert entries[0]["step"] == "retry-scheduled"
        assert entries[0]["result"] == {"retry_in_ms": delay, "tries": attempt}
        scheduled_at = clock.now
        # not a millisecond early ...
        _advance(client, clock, delay / 1000 - 0.001)
        time.sleep(0.15)
        assert len(receiver.requests) == attempt
        # ... and on time
        clock.now = scheduled_at + delay / 1000
        client.hub.services.require(OUTGOING).outbox.wake()
    receiver.wait_for(5)  # the first call and retry_count (4) retries
    entries = wait_history(client, "out", 5)
    assert entries[0]["step"] == "failed-and-retry-count-exceeded"
    delivery = wait_delivery(client, message["_id"], "failed")
    assert delivery["tries"] == 4 and delivery["last_status"] == 500
    _advance(client, clock, 10**7)
    time.sleep(0.2)
    assert len(receiver.requests) == 5


def test_success_after_a_retry(start_hub, receiver: Receiver, clock: FakeClock) -> None:
    receiver.answer(503, "busy")
    client = start_hub(outgoing("out", [receiver.url()]), clock=clock)
    message = post(client, "x")
    _pending(client, message["_id"])
    _advance(client, clock, 0.1)
    receiver.wait_for(2)
    wait_delivery(client, message["_id"], "delivered")
    steps = [e["step"] for e in wait_history(client, "out", 2)]
    assert steps == ["sent", "retry-scheduled"]


def test_network_errors_are_retried(start_hub, clock: FakeClock) -> None:
    client = start_hub(outgoing("out", ["http://127.0.0.1:9/nothing-listens"], retry_count=1), clock=clock)
    message = post(client, "x")
    pending = _pending(client, message["_id"])
    assert pending["last_status"] is None and pending["last_error"]
    _advance(client, clock, 0.1)
    wait_delivery(client, message["_id"], "failed")
    assert wait_history(client, "out", 2)[0]["step"] == "failed-and-retry-count-exceeded"


def test_no_retry_when_not_configured(start_hub, receiver: Receiver, clock: FakeClock) -> None:
    receiver.default = (500, {}, b"")
    client = start_hub(outgoing("out", [receiver.url()], retry_failed_calls=False), clock=clock)
    post(client, "x")
    assert wait_history(client, "out", 1)[0]["step"] == "failed-and-not-configured-to-retry"


def test_other_4xx_are_not_retried_unless_asked(start_hub, receiver: Receiver, clock: FakeClock) -> None:
    receiver.default = (404, {}, b"no such hook")
    client = start_hub(outgoing("out", [receiver.url()]), clock=clock)
    message = post(client, "x")
    assert wait_history(client, "out", 1)[0]["step"] == "failed"
    assert wait_delivery(client, message["_id"], "failed")["last_status"] == 404
    _advance(client, clock, 10**6)
    time.sleep(0.2)
    assert len(receiver.requests) == 1  # the receiver said no on purpose: not hammered (Rocket.Chat #12224)


def test_retry_client_errors_retries_4xx_as_rocket_chat_does(start_hub, receiver: Receiver, clock: FakeClock) -> None:
    receiver.default = (400, {}, b"bad")
    client = start_hub(outgoing("out", [receiver.url()], retry_client_errors=True, retry_count=1), clock=clock)
    message = post(client, "x")
    assert _pending(client, message["_id"])["last_status"] == 400
    _advance(client, clock, 0.1)
    receiver.wait_for(2)
    wait_delivery(client, message["_id"], "failed")
    assert wait_history(client, "out", 2)[0]["step"] == "failed-and-retry-count-exceeded"


def test_429_retry_after_is_honoured(start_hub, receiver: Receiver, clock: FakeClock) -> None:
    receiver.answer(429, "slow down", {"Retry-After": "30"})
    client = start_hub(outgoing("out", [receiver.url()]), clock=clock)
    message = post(client, "x")
    pending = _pending(client, message["_id"])
    assert pending["last_status"] == 429
    scheduled_at = clock.now
    _advance(client, clock, 29)  # powers-of-ten would have retried after 0.1 s
    time.sleep(0.2)
    assert len(receiver.requests) == 1
    _advance(client, clock, scheduled_at + 30 - clock.now)
    receiver.wait_for(2)


def test_restart_during_backoff_delivers_the_pending_call(start_hub, receiver: Receiver, clock: FakeClock) -> None:
    receiver.answer(500, "down for maintenance")
    integ = outgoing("out", [receiver.url()], retry_delay="powers-of-two")
    client = start_hub(integ, clock=clock)
    message = post(client, "survive the restart")
    _pending(client, message["_id"])
    stop(client)

    again = start_hub(integ, clock=clock)
    time.sleep(0.2)
    assert len(receiver.requests) == 1  # still backing off: 2 s have not passed
    _advance(again, clock, 2)
    got = receiver.wait_for(2)
    assert got[1].json["text"] == "survive the restart"
    wait_delivery(again, message["_id"], "delivered")
    time.sleep(0.2)
    assert len(receiver.requests) == 2


def test_after_a_crash_recent_messages_without_deliveries_are_queued(start_hub, receiver: Receiver) -> None:
    import time as _time

    from sqlalchemy import delete

    from hookhub import schema
    from hookhub.store import op_insert_messages

    integ = outgoing("out", [receiver.url()])
    client = start_hub(integ)
    delivered = post(client, "delivered before the crash")
    receiver.wait_for(1)
    wait_delivery(client, delivered["_id"], "delivered")
    hub = client.hub
    stop(client)
    # What a crash between a message's commit and its deliveries' commit leaves behind:
    # a message without deliveries, and no clean-shutdown marker.
    doc = {**delivered, "_id": "lostmessage000001", "text": "committed, never queued"}
    hub.store.open()
    hub.store.write_now(op_insert_messages([{"id": doc["_id"], "ts": _time.time(), "room": "#general",
                                             "integration_id": None, "doc": doc}]))
    hub.store.write_now(lambda conn: conn.execute(delete(schema.outbox_state)))
    hub.store.close()

    again = start_hub(integ)
    got = receiver.wait_for(2)
    assert got[1].json["text"] == "committed, never queued"
    wait_delivery(again, "lostmessage000001", "delivered")
    time.sleep(0.3)
    assert len(receiver.requests) == 2  # the message delivered before the crash is not sent again
