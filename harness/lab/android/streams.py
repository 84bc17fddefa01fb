"""One adb stream (OPEN … CLSE) on the device side: ordered output with adb's flow control.

Classic adb flow control allows one WRTE in flight per stream: the next one waits for the
peer's OKAY. With ``delayed_ack`` (both banners offer it) a stream has a window instead: the OPEN's
arg1 / the OKAY answering an OPEN grant bytes, each WRTE spends its length (the last may overshoot, so the
window can go negative), and each later OKAY carries a 4-byte signed delta that gives bytes back
(packages/modules/adb ``sockets.cpp``, ``adb.cpp`` A_OKAY).

Commands write synchronously into ``send``; the bytes leave as WRTE messages no larger than the
negotiated max payload when the connection flushes (``emit``), so everything a command writes in one
go travels in one WRTE, and the OKAY/WRTE/CLSE of a command that finishes at
once share one TCP write. No task runs per stream: the connection calls ``emit`` when it flushes.

Closing: CLSE follows the last WRTE without waiting for its OKAY (the adb server flushes a closed
socket's queued data before closing it, ``local_socket_close``); real adbd reads its service's EOF only
after that OKAY, which costs a round trip and changes no byte the host sees.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from harness.lab.android.codec import Command, Message

__all__ = ["Stream", "StreamClosed"]


class StreamClosed(Exception):
    """The peer closed the stream (CLSE) or the connection went away."""


class Stream:
    __slots__ = ("_closing", "_in_flight", "_inbox", "_outbox", "_receiver", "_transmit", "_unacked", "_waiters",
                 "_wake", "_window", "closed", "local_id", "max_payload", "peer_closed", "remote_id")

    def __init__(self, local_id: int, remote_id: int, max_payload: int,
                 transmit: Callable[[Message], None], wake: Callable[[Stream], None],
                 window: int | None = None) -> None:
        self.local_id = local_id
        self.remote_id = remote_id
        self.max_payload = max_payload
        self._transmit = transmit
        self._wake = wake  # asks the connection to call ``emit`` at its next flush
        self._outbox = bytearray()
        self._in_flight = False  # classic: a WRTE awaits the peer's OKAY
        self._window = window  # delayed_ack: bytes the peer still takes; None: classic flow control
        self._unacked = 0  # delayed_ack: bytes sent and not yet given back
        self._closing = False
        self._inbox = bytearray()
        self._receiver: Callable[[bytes], None] | None = None
        self._waiters: list[asyncio.Future[None]] = []
        self.peer_closed = False
        self.closed = False

    # -- output -------------------------------------------------------------------------------
    def send(self, data: bytes) -> None:
        if self._closing or self.peer_closed or not data:
            return
        self._outbox += data
        if self._may_send():
            self._wake(self)

    def _may_send(self) -> bool:
        return not self._in_flight if self._window is None else self._window > 0

    def emit(self) -> None:
        """Transmit what flow control allows now (one WRTE, or as many as the window takes), then CLSE once
        closing and nothing is left."""
        if self.peer_closed or self.closed:
            return
        while self._outbox and self._may_send():
            self._transmit(Message(Command.WRTE, self.local_id, self.remote_id, self._take_chunk()))
        if self._closing and not self._outbox:
            self.closed = True
            self._transmit(Message(Command.CLSE, self.local_id, self.remote_id))
        self._notify()

    def _take_chunk(self) -> bytes:
        if len(self._outbox) <= self.max_payload:
            chunk = bytes(self._outbox)
            self._outbox.clear()
        else:
            chunk = bytes(self._outbox[: self.max_payload])
            del self._outbox[: len(chunk)]
        if self._window is None:
            self._in_flight = True
        else:
            self._window -= len(chunk)
            self._unacked += len(chunk)
        return chunk

    def _flushable(self) -> bool:
        """Whether the next ``emit`` sends everything queued."""
        if not self._outbox:
            return True
        if self._window is None:
            return not self._in_flight and len(self._outbox) <= self.max_payload
        before_last = (len(self._outbox) - 1) // self.max_payload * self.max_payload
        return self._window - before_last > 0

    async def drain(self) -> None:
        """Wait until every byte written so far has been sent and acknowledged."""
        while not self.peer_closed and (self._outbox or self._in_flight or self._unacked > 0):
            await self._wait()

    def on_okay(self, delta: int | None = None) -> None:
        """The peer's OKAY: classic (``delta`` None) frees the one WRTE in flight; delayed_ack gives bytes back."""
        if self._window is None:
            self._in_flight = False
        else:
            self._window += delta or 0
            self._unacked -= delta or 0
        if self._outbox or self._closing:
            self._wake(self)
        self._notify()

    def grant(self, window: int) -> None:
        """delayed_ack: the window the peer's OKAY to our OPEN granted."""
        self._window = window
        if self._outbox:
            self._wake(self)

    # -- input --------------------------------------------------------------------------------
    def on_write(self, data: bytes) -> None:
        if self._receiver is not None:
            self._receiver(data)
            return
        self._inbox += data
        self._notify()

    def set_receiver(self, receiver: Callable[[bytes], None] | None) -> None:
        """Hand every byte the peer sends to ``receiver`` as it arrives (``b""`` at the peer's close), instead
        of keeping it for ``read_some``/``read_exactly``."""
        self._receiver = receiver
        if receiver is None:
            return
        if self._inbox:
            receiver(bytes(self._inbox))
            self._inbox.clear()
        if self.peer_closed:
            receiver(b"")

    async def read_some(self) -> bytes:
        """Whatever the peer has sent, at least one byte; ``b""`` once the peer has closed."""
        while not self._inbox:
            if self.peer_closed:
                return b""
            await self._wait()
        data = bytes(self._inbox)
        self._inbox.clear()
        return data

    async def read_exactly(self, count: int) -> bytes:
        while len(self._inbox) < count:
            if self.peer_closed:
                raise StreamClosed
            await self._wait()
        data = bytes(self._inbox[:count])
        del self._inbox[:count]
        return data

    # -- closing ------------------------------------------------------------------------------
    def on_peer_close(self) -> None:
        self.peer_closed = True
        if self._receiver is not None:
            self._receiver(b"")
        self._notify()

    async def close(self) -> None:
        """CLSE after what is queued: returns once no more than the next flush's WRTE is left to send."""
        if self._closing:
            return
        self._closing = True
        self._wake(self)
        while not (self.peer_closed or self.closed or self._flushable()):
            await self._wait()

    # -- waiting ------------------------------------------------------------------------------
    async def _wait(self) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(future)
        await future

    def _notify(self) -> None:
        if not self._waiters:
            return
        for future in self._waiters:
            if not future.done():
                future.set_result(None)
        self._waiters.clear()
