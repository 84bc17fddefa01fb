"""One adb stream (OPEN … CLSE) on the device side: ordered output with adb's flow control.

Classic adb flow control allows one WRTE in flight per stream: the next one waits for the
peer's OKAY. Commands write synchronously into ``send``; a pump task turns the bytes into
WRTE messages no larger than the negotiated max payload.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from harness.lab.android.codec import Command, Message

__all__ = ["Stream", "StreamClosed"]


class StreamClosed(Exception):
    """The peer closed the stream (CLSE) or the connection went away."""


class Stream:
    def __init__(self, local_id: int, remote_id: int, max_payload: int,
                 transmit: Callable[[Message], None]) -> None:
        self.local_id = local_id
        self.remote_id = remote_id
        self.max_payload = max_payload
        self._transmit = transmit
        self._outbox = bytearray()
        self._out_event = asyncio.Event()
        self._may_send = asyncio.Event()
        self._may_send.set()
        self._progress = asyncio.Event()
        self._inbox = bytearray()
        self._in_event = asyncio.Event()
        self.peer_closed = False
        self.closed = False
        self._pump: asyncio.Task[None] | None = None

    # -- output -------------------------------------------------------------------------------
    def send(self, data: bytes) -> None:
        if self.closed or self.peer_closed or not data:
            return
        self._outbox += data
        self._out_event.set()
        if self._pump is None:
            self._pump = asyncio.ensure_future(self._run_pump())

    async def _run_pump(self) -> None:
        while not (self.peer_closed or (self.closed and not self._outbox)):
            if not self._outbox:
                self._out_event.clear()
                await self._out_event.wait()
                continue
            await self._may_send.wait()
            if self.peer_closed:
                return
            chunk = bytes(self._outbox[: self.max_payload])
            del self._outbox[: len(chunk)]
            self._may_send.clear()
            self._transmit(Message(Command.WRTE, self.local_id, self.remote_id, chunk))

    async def drain(self) -> None:
        """Wait until every byte written so far has been sent and acknowledged."""
        while not self.peer_closed and (self._outbox or not self._may_send.is_set()):
            self._progress.clear()
            await self._progress.wait()

    def on_okay(self) -> None:
        self._may_send.set()
        self._progress.set()

    # -- input --------------------------------------------------------------------------------
    def on_write(self, data: bytes) -> None:
        self._inbox += data
        self._in_event.set()

    async def read_some(self) -> bytes:
        """Whatever the peer has sent, at least one byte; ``b""`` once the peer has closed."""
        while not self._inbox:
            if self.peer_closed:
                return b""
            self._in_event.clear()
            await self._in_event.wait()
        data = bytes(self._inbox)
        self._inbox.clear()
        return data

    async def read_exactly(self, count: int) -> bytes:
        while len(self._inbox) < count:
            if self.peer_closed:
                raise StreamClosed
            self._in_event.clear()
            await self._in_event.wait()
        data = bytes(self._inbox[:count])
        del self._inbox[:count]
        return data

    # -- closing ------------------------------------------------------------------------------
    def on_peer_close(self) -> None:
        self.peer_closed = True
        self._in_event.set()
        self._may_send.set()
        self._out_event.set()
        self._progress.set()

    async def close(self) -> None:
        """Flush what is queued, then send CLSE."""
        if self.closed:
            return
        await self.drain()
        self.closed = True
        self._out_event.set()
        if not self.peer_closed:
            self._transmit(Message(Command.CLSE, self.local_id, self.remote_id))
