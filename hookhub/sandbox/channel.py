"""Messages between the server, the zygote and the workers.

A frame is a 4-byte big-endian length followed by that many bytes of UTF-8
JSON (one object).  Only JSON crosses: the server never unpickles anything a
worker sends, and decoding refuses ``NaN``/``Infinity`` and oversized frames.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
from typing import Any

_HEADER = struct.Struct(">I")

#: Largest frame accepted from a worker (results are capped well below this).
MAX_FRAME = 64 * 1024 * 1024


class ChannelError(Exception):
    """The peer closed the channel or sent something that is not a valid frame."""


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def encode(message: dict[str, Any]) -> bytes:
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
    return _HEADER.pack(len(body)) + body


def decode(body: bytes) -> dict[str, Any]:
    try:
        message = json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ChannelError(f"invalid frame: {type(exc).__name__}: {exc}") from None
    if not isinstance(message, dict):
        raise ChannelError("invalid frame: not a JSON object")
    return message


# -- blocking side (zygote, worker) ---------------------------------------


def _recv_exactly(sock: socket.socket, n: int) -> bytes:
    chunks = []
    while n:
        chunk = sock.recv(min(n, 1 << 20))
        if not chunk:
            raise ChannelError("channel closed")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def recv(sock: socket.socket, max_frame: int = MAX_FRAME) -> dict[str, Any]:
    (size,) = _HEADER.unpack(_recv_exactly(sock, _HEADER.size))
    if size > max_frame:
        raise ChannelError(f"frame of {size} bytes is larger than {max_frame}")
    return decode(_recv_exactly(sock, size))


def send(sock: socket.socket, message: dict[str, Any]) -> None:
    sock.sendall(encode(message))


# -- asyncio side (server) ---------------------------------------------------


async def read(reader: asyncio.StreamReader, max_frame: int = MAX_FRAME) -> dict[str, Any]:
    try:
        header = await reader.readexactly(_HEADER.size)
        (size,) = _HEADER.unpack(header)
        if size > max_frame:
            raise ChannelError(f"frame of {size} bytes is larger than {max_frame}")
        body = await reader.readexactly(size)
    except (asyncio.IncompleteReadError, ConnectionError) as exc:
        raise ChannelError("channel closed") from exc
    return decode(body)


async def write(writer: asyncio.StreamWriter, message: dict[str, Any]) -> None:
    await write_frame(writer, encode(message))


async def write_frame(writer: asyncio.StreamWriter, frame: bytes) -> None:
    """Send an already encoded frame (:func:`encode`)."""
    try:
        writer.write(frame)
        await writer.drain()
    except (ConnectionError, RuntimeError) as exc:
        raise ChannelError("channel closed") from exc
