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
from typing import Any, NoReturn, cast

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


#: one decoder for every frame (``json.loads`` with an option builds a new one per call)
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


def encode(message: dict[str, Any]) -> bytes:
    """A frame: the 4-byte length, then ``message`` as compact UTF-8 JSON (``json``); ValueError for NaN/Infinity."""
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
    return _HEADER.pack(len(body)) + body


def encode_finite(message: dict[str, Any]) -> bytes:
    """:func:`encode` for messages known to hold finite numbers only (a NaN would become ``null``)."""
    try:
        body = orjson.dumps(message)
    except TypeError:
        return encode(message)
    return _HEADER.pack(len(body) | _FAST) + body


def decode(body: bytes | bytearray, fast: bool = False) -> dict[str, Any]:
    """The message of a frame's body (``fast``: written by :func:`encode_finite`)."""
    try:
        if fast:
            message = orjson.loads(body)
        else:
            message = _DECODER.decode(body.decode("utf-8"))
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
    """Block until the next message arrives on ``sock``; ChannelError when the socket
    closes or the frame is larger than ``max_frame`` bytes or not a JSON object."""
    (word,) = _HEADER.unpack(_recv_exactly(sock, _HEADER.size))
    size = word & ~_FAST
    if size > max_frame:
        raise ChannelError(f"frame of {size} bytes is larger than {max_frame}")
    return decode(_recv_exactly(sock, size), fast=bool(word & _FAST))


def send(sock: socket.socket, message: dict[str, Any]) -> None:
    """Write ``message`` to ``sock`` as one :func:`encode` frame, blocking until all of it is sent."""
    sock.sendall(encode(message))


# -- asyncio side (server) ---------------------------------------------------

#: Bytes a worker may send while no call is reading before the server stops reading.
_IDLE_BUFFER = 1 << 20


class WorkerChannel(asyncio.Protocol):
    """The server's end of a worker's channel: frames parsed as they arrive, no streams.

    One call at a time owns a worker, so there is at most one reader: :meth:`read`
    hands it a future that :meth:`data_received` resolves as soon as a whole frame
    is in.  A frame larger than the reader's ``max_frame`` or not JSON breaks the
    channel for good; so does the worker closing it (the reader gets
    :class:`ChannelError`).  :meth:`time_out` fails whoever waits right now with
    :class:`TimeoutError` (a ``loop.call_at`` timer; cheaper than ``asyncio.timeout``).
    """

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._max_frame = MAX_FRAME
        self._waiter: asyncio.Future[dict[str, Any]] | None = None
        self._drain_waiter: asyncio.Future[None] | None = None
        #: why the channel is unusable (a frame too large or not JSON); None while it is fine
        self._broken: str | None = None
        self._closed = False
        self._reading_paused = False
        self._writing_paused = False

    # -- protocol callbacks --------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport to the worker: :meth:`write` sends on it, reading is paused and resumed on it."""
        # (uvloop's transports have the methods of asyncio.Transport without deriving from it)
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        """Buffer ``data`` and hand a whole frame to the waiting reader; with no reader and
        more than 1 MiB buffered, stop reading from the socket until :meth:`read` is called."""
        self._buffer += data
        if self._waiter is not None:
            self._deliver()
        if self._waiter is None and len(self._buffer) > _IDLE_BUFFER:
            self._pause_reading()  # nobody reads: leave the rest in the socket

    def connection_lost(self, exc: Exception | None) -> None:
        """Mark the channel closed: the reader still gets the frames already
        buffered, then ChannelError, as does a pending :meth:`drain`."""
        self._closed = True
        self._deliver()  # frames already here are still read, then "channel closed"
        self._fail_drain(ChannelError("channel closed"))

    def pause_writing(self) -> None:
        """The transport's buffer passed its high-water mark: set :attr:`writing_paused`."""
        self._writing_paused = True

    def resume_writing(self) -> None:
        """The transport's buffer drained: clear :attr:`writing_paused` and wake a pending :meth:`drain`."""
        self._writing_paused = False
        waiter, self._drain_waiter = self._drain_waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # -- the server's side -----------------------------------------------

    def read(self, max_frame: int = MAX_FRAME) -> asyncio.Future[dict[str, Any]]:
        """The next message, refusing frames larger than ``max_frame`` bytes."""
        if self._waiter is not None and not self._waiter.done():
            raise RuntimeError("the channel already has a reader")
        self._max_frame = max_frame
        waiter = self._waiter = self._loop.create_future()
        self._deliver()
        if self._waiter is not None and self._reading_paused:
            self._reading_paused = False
            assert self._transport is not None
            self._transport.resume_reading()
        return waiter

    def write(self, frame: bytes) -> None:
        """Send an encoded frame (:func:`encode`); then await :meth:`drain` if :attr:`writing_paused`."""
        if self._closed or self._transport is None or self._transport.is_closing():
            raise ChannelError("channel closed")
        self._transport.write(frame)

    async def send(self, frame: bytes) -> None:
        """:meth:`write` ``frame``, then wait for the transport to drain when it holds too much."""
        self.write(frame)
        if self._writing_paused:
            await self.drain()

    @property
    def writing_paused(self) -> bool:
        """The transport holds more than its high-water mark of unsent bytes."""
        return self._writing_paused

    async def drain(self) -> None:
        """Wait until the transport has sent enough of what was written."""
        if not self._writing_paused:
            return
        if self._closed:
            raise ChannelError("channel closed")
        self._drain_waiter = self._loop.create_future()
        await self._drain_waiter

    def time_out(self) -> None:
        """Fail the reader or drainer waiting right now with :class:`TimeoutError` (for ``loop.call_at``)."""
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(TimeoutError())
        self._fail_drain(TimeoutError())

    def close(self) -> None:
        """Close the transport (the worker's end sees the channel close); no-op before the connection is made."""
        if self._transport is not None:
            self._transport.close()

    # -- internals -------------------------------------------------------

    def _deliver(self) -> None:
        """Resolve the waiting reader if a whole frame is here, or the channel is broken or closed."""
        waiter = self._waiter
        if waiter is None:
            return
        if waiter.done():  # its call was cancelled: a frame stays for the next reader
            self._waiter = None
            return
        try:
            message = self._take()
            if message is None:
                if not self._closed:
                    return  # wait for more
                raise ChannelError("channel closed")
        except ChannelError as exc:
            self._waiter = None
            waiter.set_exception(exc)
            return
        self._waiter = None
        waiter.set_result(message)

    def _take(self) -> dict[str, Any] | None:
        """The first whole frame of the buffer, decoded (None: not all of it is here yet)."""
        if self._broken is not None:
            raise ChannelError(self._broken)
        buffer = self._buffer
        if len(buffer) < _HEADER.size:
            return None
        (word,) = _HEADER.unpack_from(buffer)
        size = word & ~_FAST
        if size > self._max_frame:
            self._break(f"frame of {size} bytes is larger than {self._max_frame}")
        end = _HEADER.size + size
        if len(buffer) < end:
            return None
        body = buffer[_HEADER.size:end]
        del buffer[:end]
        try:
            return decode(body, fast=bool(word & _FAST))
        except ChannelError as exc:
            self._break(str(exc))

    def _break(self, reason: str) -> NoReturn:
        """A bad frame: nothing after it can be trusted; stop reading for good."""
        self._broken = reason
        self._buffer.clear()
        self._pause_reading()
        raise ChannelError(reason)

    def _pause_reading(self) -> None:
        if self._transport is not None and not self._closed and not self._reading_paused:
            self._reading_paused = True
            self._transport.pause_reading()

    def _fail_drain(self, exc: Exception) -> None:
        waiter, self._drain_waiter = self._drain_waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)


async def connect(sock: socket.socket) -> WorkerChannel:
    """Wrap the server's end of a worker's socket pair in a :class:`WorkerChannel`."""
    _, protocol = await asyncio.get_running_loop().create_unix_connection(WorkerChannel, sock=sock)
    return protocol
