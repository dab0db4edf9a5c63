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
