"""Frames between the server and the workers: JSON only, bounded."""

from __future__ import annotations

import asyncio
import socket

import pytest

from hookhub.sandbox import channel


def test_round_trip_over_a_socket() -> None:
    a, b = socket.socketpair()
    with a, b:
        channel.send(a, {"op": "call", "kwargs": {"text": "é" * 1000, "n": [1, 2.5, None, True]}})
        assert channel.recv(b) == {"op": "call", "kwargs": {"text": "é" * 1000, "n": [1, 2.5, None, True]}}


@pytest.mark.parametrize("body", [
    b'{"v": NaN}', b'{"v": Infinity}', b"[1, 2]", b"\xff\xfe", b"{" * 100000, b'{"a": ' + b"[" * 100000,
])
def test_anything_but_a_json_object_is_refused(body: bytes) -> None:
    with pytest.raises(channel.ChannelError, match="invalid frame"):
        channel.decode(body)


def test_encoding_refuses_nan() -> None:
    with pytest.raises(ValueError):
        channel.encode({"v": float("nan")})


def test_oversized_and_truncated_frames() -> None:
    a, b = socket.socketpair()
    with a, b:
        a.sendall((1000).to_bytes(4, "big") + b"{}")
        with pytest.raises(channel.ChannelError, match="larger than 100"):
            channel.recv(b, max_frame=100)
    a, b = socket.socketpair()
    with b:
        a.sendall((10).to_bytes(4, "big") + b"{}")
        a.close()
        with pytest.raises(channel.ChannelError, match="channel closed"):
            channel.recv(b)


@pytest.mark.parametrize("message", [
    {"op": "call", "kwargs": {"text": "é☃" * 100, "n": [1, -2.5, None, True, False], "deep": {"a": {"b": []}}}},
    {"big": 2**70, "neg": -(2**64)},  # beyond orjson: written by the standard library, read back exactly
    {"u": "\u2028\x00\x1f"},
])
def test_fast_frames_round_trip_exactly(message: dict[str, object]) -> None:
    a, b = socket.socketpair()
    with a, b:
        a.sendall(channel.encode_finite(message))
        assert channel.recv(b) == message


def test_fast_frames_are_marked_and_the_reader_checks_them() -> None:
    frame = channel.encode_finite({"v": 1})
    assert frame[0] & 0x80 and channel.decode(frame[4:], fast=True) == {"v": 1}
    assert not channel.encode_finite({"big": 2**70})[0] & 0x80  # the standard library's frame
    for body in (b'{"v": NaN}', b"[1]", b"\xff", b'{"a": ' + b"[" * 100000):
        with pytest.raises(channel.ChannelError, match="invalid frame"):
            channel.decode(body, fast=True)


# -- the server's end: WorkerChannel ------------------------------------------


class FakeTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []
        self.reading = True
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written.append(bytes(data))

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True


def fake_channel() -> tuple[channel.WorkerChannel, FakeTransport]:
    chan, transport = channel.WorkerChannel(), FakeTransport()
    chan.connection_made(transport)
    return chan, transport


async def test_a_frame_split_across_chunks_is_read_once_whole() -> None:
    chan, _ = fake_channel()
    frame = channel.encode_finite({"op": "result", "value": "é" * 1000})
    reply = chan.read()
    # inside and right after the header, then mid-body
    chunks = [frame[:1], frame[1:3], frame[3:4], frame[4:5], frame[5:700], frame[700:-1], frame[-1:]]
    for chunk in chunks[:-1]:
        chan.data_received(chunk)
        assert not reply.done()
    chan.data_received(chunks[-1])
    assert reply.done() and reply.result() == {"op": "result", "value": "é" * 1000}


async def test_several_frames_in_one_chunk_are_read_in_order() -> None:
    chan, _ = fake_channel()
    first = chan.read()
    data = channel.encode({"n": 1}) + channel.encode_finite({"n": 2}) + channel.encode({"n": 3})[:6]
    chan.data_received(data)
    assert first.result() == {"n": 1}
    assert (await chan.read()) == {"n": 2}  # already here: no wait
    third = chan.read()
    assert not third.done()
    chan.data_received(channel.encode({"n": 3})[6:])
    assert (await third) == {"n": 3}


async def test_frames_arriving_with_no_reader_wait_for_the_next_one() -> None:
    chan, _ = fake_channel()
    chan.data_received(channel.encode({"op": "ready"}))
    assert (await chan.read()) == {"op": "ready"}


@pytest.mark.parametrize("encoder", [channel.encode, channel.encode_finite])
async def test_orjson_marked_and_standard_library_frames(encoder: object) -> None:
    message = {"op": "result", "value": {"t": "é☃\u2028", "n": [1, -2.5, None, True], "big": 2**70}}
    frame = encoder(message)  # type: ignore[operator]
    chan, _ = fake_channel()
    reply = chan.read()
    chan.data_received(frame)
    assert (await reply) == message


async def test_each_kind_of_frame_is_decoded_by_its_own_reader() -> None:
    chan, _ = fake_channel()
    reply = chan.read()
    chan.data_received((5 | 1 << 31).to_bytes(4, "big") + b'{"a":')  # marked orjson, body not JSON
    with pytest.raises(channel.ChannelError, match="invalid frame"):
        await reply
    chan, _ = fake_channel()
    body = b'{"v": NaN}'  # the standard library's frame: NaN refused
    chan.data_received(len(body).to_bytes(4, "big") + body)
    with pytest.raises(channel.ChannelError, match="invalid frame"):
        await chan.read()


async def test_an_oversized_frame_is_refused_before_its_body_and_breaks_the_channel() -> None:
    chan, transport = fake_channel()
    reply = chan.read(max_frame=100)
    chan.data_received((101).to_bytes(4, "big"))  # the header alone is enough
    with pytest.raises(channel.ChannelError, match="frame of 101 bytes is larger than 100"):
        await reply
    assert not transport.reading, "nothing after a bad frame is read"
    chan.data_received(b"x" * 101)
    with pytest.raises(channel.ChannelError, match="larger than 100"):
        await chan.read()
    chan, _ = fake_channel()  # marked frames are measured without their mark
    chan.data_received(channel.encode_finite({"v": "x" * 100}))
    with pytest.raises(channel.ChannelError, match="larger than 10"):
        await chan.read(max_frame=10)


async def test_connection_lost_mid_frame_fails_the_waiting_call() -> None:
    chan, _ = fake_channel()
    reply = chan.read()
    chan.data_received(channel.encode({"op": "result"})[:7])
    chan.connection_lost(None)
    with pytest.raises(channel.ChannelError, match="channel closed"):
        await reply
    with pytest.raises(channel.ChannelError, match="channel closed"):
        chan.write(channel.encode({"op": "call"}))


async def test_frames_sent_before_the_end_are_still_read() -> None:
    chan, _ = fake_channel()
    chan.data_received(channel.encode({"op": "fatal"}))
    chan.connection_lost(None)
    assert (await chan.read()) == {"op": "fatal"}
    with pytest.raises(channel.ChannelError, match="channel closed"):
        await chan.read()


async def test_time_out_fails_the_current_reader_only() -> None:
    chan, _ = fake_channel()
    chan.time_out()  # nobody waits: nothing happens
    reply = chan.read()
    chan.time_out()
    with pytest.raises(TimeoutError):
        await reply
    chan.data_received(channel.encode({"n": 1}))
    assert (await chan.read()) == {"n": 1}


async def test_a_cancelled_reader_leaves_the_frame_to_the_next_one() -> None:
    chan, _ = fake_channel()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(chan.read(), 0.01)
    chan.data_received(channel.encode({"n": 1}))
    assert (await chan.read()) == {"n": 1}


async def test_one_reader_at_a_time() -> None:
    chan, _ = fake_channel()
    chan.read()
    with pytest.raises(RuntimeError):
        chan.read()


async def test_a_worker_sending_unasked_stops_being_read() -> None:
    chan, transport = fake_channel()
    chunk = channel.encode({"v": "x" * 100_000})
    while transport.reading:
        chan.data_received(chunk)
    assert len(chan._buffer) <= channel._IDLE_BUFFER + len(chunk)
    sent = len(chan._buffer) // len(chunk)
    for _ in range(sent):
        assert (await chan.read()) == {"v": "x" * 100_000}
        assert not transport.reading, "frames already here are read first"
    waiting = chan.read()
    assert transport.reading, "a reader that has to wait resumes reading"
    chan.data_received(chunk)
    assert (await waiting) == {"v": "x" * 100_000}


async def test_over_a_socket_pair_with_flow_control() -> None:
    a, b = socket.socketpair()
    chan = await channel.connect(a)
    try:
        chan.write(channel.encode({"op": "ping"}))
        assert not chan.writing_paused
        await chan.drain()
        assert await asyncio.to_thread(channel.recv, b) == {"op": "ping"}
        channel.send(b, {"op": "pong"})
        assert (await asyncio.wait_for(chan.read(), 5)) == {"op": "pong"}

        big = {"op": "call", "value": "x" * (8 << 20)}  # far beyond the socket's buffer
        chan.write(channel.encode_finite(big))
        assert chan.writing_paused
        echo = asyncio.create_task(asyncio.to_thread(lambda: channel.send(b, channel.recv(b))))
        await asyncio.wait_for(chan.drain(), 10)
        assert (await asyncio.wait_for(chan.read(), 10)) == big
        await echo

        b.close()
        with pytest.raises(channel.ChannelError, match="channel closed"):
            await asyncio.wait_for(chan.read(), 5)
    finally:
        chan.close()
        b.close()


async def test_a_peer_that_stops_reading_fails_the_drain_when_it_closes() -> None:
    a, b = socket.socketpair()
    chan = await channel.connect(a)
    try:
        chan.write(channel.encode({"v": "x" * (8 << 20)}))
        assert chan.writing_paused
        drain = asyncio.ensure_future(chan.drain())
        await asyncio.sleep(0.01)
        assert not drain.done()
        b.close()
        with pytest.raises(channel.ChannelError, match="channel closed"):
            await asyncio.wait_for(drain, 5)
    finally:
        chan.close()
