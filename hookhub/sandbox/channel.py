"""Messages between the server, the zygote and the workers.

A frame is a 4-byte big-endian length followed by that many bytes of UTF-8
JSON (one object).  Only JSON crosses: the server never unpickles anything a
worker sends, and decoding refuses ``NaN``/``Infinity`` and oversized frames.

Two writers share the format.  :func:`encode` is the standard library's JSON
and refuses ``NaN``/``Infinity``.  :func:`encode_finite` is orjson (several
times faster; for messages whose numbers are finite by construction, such as
requests parsed by :mod:`hookhub.bodies`) and marks its frames with the top
bit of the length, so that the reader uses orjson too; anything orjson cannot
write exactly (integers beyond 64 bits, non-string keys) falls back to
:func:`encode`, whose frames are read back by the standard library, exactly.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
from typing import Any

import orjson

_HEADER = struct.Struct(">I")
#: top bit of the length: the frame was written by orjson (read it back with orjson)
_FAST = 1 << 31

#: Largest frame accepted from a worker (results are capped well below this).
MAX_FRAME = 64 * 1024 * 1024


class ChannelError(Exception):
    """The peer closed the channel or sent something that is not a valid frame."""


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def encode(message: dict[str, Any]) -> bytes:
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
    return _HEADER.pack(len(body)) + body


def encode_finite(message: dict[str, Any]) -> bytes:
    """:func:`encode` for messages known to hold finite numbers only (a NaN would become ``null``)."""
    try:
        body = orjson.dumps(message)
    except TypeError:
        return encode(message)
    return _HEADER.pack(len(body) | _FAST) + body


def decode(body: bytes, fast: bool = False) -> dict[str, Any]:
    """The message of a frame's body (``fast``: written by :func:`encode_finite`)."""
    try:
        if fast:
            message = orjson.loads(body)
        else:
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
    (word,) = _HEADER.unpack(_recv_exactly(sock, _HEADER.size))
    size = word & ~_FAST
    if size > max_frame:
        raise ChannelError(f"frame of {size} bytes is larger than {max_frame}")
    return decode(_recv_exactly(sock, size), fast=bool(word & _FAST))


def send(sock: socket.socket, message: dict[str, Any]) -> None:
    sock.sendall(encode(message))


# -- asyncio side (server) ---------------------------------------------------


async def read(reader: asyncio.StreamReader, max_frame: int = MAX_FRAME) -> dict[str, Any]:
    try:
        header = await reader.readexactly(_HEADER.size)
        (word,) = _HEADER.unpack(header)
        size = word & ~_FAST
        if size > max_frame:
            raise ChannelError(f"frame of {size} bytes is larger than {max_frame}")
        body = await reader.readexactly(size)
    except (asyncio.IncompleteReadError, ConnectionError) as exc:
        raise ChannelError("channel closed") from exc
    return decode(body, fast=bool(word & _FAST))


async def write(writer: asyncio.StreamWriter, message: dict[str, Any]) -> None:
    await write_frame(writer, encode(message))


async def write_frame(writer: asyncio.StreamWriter, frame: bytes) -> None:
    """Send an already encoded frame (:func:`encode`)."""
    try:
        writer.write(frame)
        await writer.drain()
    except (ConnectionError, RuntimeError) as exc:
        raise ChannelError("channel closed") from exc
