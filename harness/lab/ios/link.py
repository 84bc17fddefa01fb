"""The byte pipe a device port sees once usbmuxd has tunnelled a client to it.

After a ``Connect`` succeeds, usbmuxd turns the client's socket into a raw pipe to the device port
(``usbmuxd@1.1.1:src/client.c``: ``CLIENT_CONNECTED``). The lab never opens a second socket for that:
the usbmuxd connection's own streams are handed to the port's handler, together with any bytes the
client had already sent behind the ``Connect`` request.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable
from typing import Protocol

__all__ = ["Link", "PortHandler", "StreamLink"]

READ_CHUNK = 64 * 1024


class Link(Protocol):
    """One client connection to one device port."""

    async def read(self, n: int = READ_CHUNK) -> bytes:
        """Up to ``n`` bytes; ``b""`` once the client has closed."""
        ...

    def write(self, data: bytes) -> None: ...

    async def drain(self) -> None: ...

    def close(self) -> None: ...

    @property
    def closing(self) -> bool: ...

    @property
    def pending(self) -> int:
        """Bytes written but not yet handed to the network."""
        ...


PortHandler = Callable[[Link], Awaitable[None]]


class StreamLink:
    """A ``Link`` over asyncio streams, replaying ``prefix`` before reading the socket."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, prefix: bytes = b"") -> None:
        self._reader = reader
        self._writer = writer
        self._prefix = prefix

    async def read(self, n: int = READ_CHUNK) -> bytes:
        if self._prefix:
            data, self._prefix = self._prefix[:n], self._prefix[n:]
            return data
        try:
            data = await self._reader.read(n)
            self._quickack()
            return data
        except (ConnectionError, OSError):
            return b""

    def _quickack(self) -> None:
        """Clients such as pymobiledevice3's DTX write one message in two pieces; with delayed ACKs the second
        waits ~40 ms. Re-arming TCP_QUICKACK after each read (Linux clears it) keeps round trips sub-ms."""
        sock = self._writer.get_extra_info("socket")
        if sock is not None and hasattr(socket, "TCP_QUICKACK"):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)

    def write(self, data: bytes) -> None:
        if not self._writer.is_closing():
            self._writer.write(data)

    async def drain(self) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            await self._writer.drain()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._writer.close()

    @property
    def closing(self) -> bool:
        return self._writer.is_closing()

    @property
    def pending(self) -> int:
        return self._writer.transport.get_write_buffer_size()
