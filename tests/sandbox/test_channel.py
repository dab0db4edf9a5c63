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


async def test_asyncio_side() -> None:
    a, b = socket.socketpair()
    reader, writer = await asyncio.open_unix_connection(sock=a)
    try:
        await channel.write(writer, {"op": "ping"})
        assert channel.recv(b) == {"op": "ping"}
        channel.send(b, {"op": "pong"})
        assert await channel.read(reader) == {"op": "pong"}
        b.sendall((1 << 30).to_bytes(4, "big"))
        with pytest.raises(channel.ChannelError, match="larger than"):
            await channel.read(reader, max_frame=1024)
        b.close()
        with pytest.raises(channel.ChannelError, match="channel closed"):
            await channel.read(reader)
    finally:
        writer.close()


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


async def test_fast_frames_over_asyncio_streams() -> None:
    a, b = socket.socketpair()
    reader, writer = await asyncio.open_connection(sock=a)
    try:
        b.sendall(channel.encode_finite({"op": "result", "value": "x" * 100000}))
        assert (await channel.read(reader)) == {"op": "result", "value": "x" * 100000}
        with pytest.raises(channel.ChannelError, match="larger than 10"):
            b.sendall(channel.encode_finite({"op": "result", "value": "x" * 100}))
            await channel.read(reader, max_frame=10)
    finally:
        writer.close()
        b.close()
