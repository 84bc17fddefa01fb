"""The lab's TCP servers share one shape: an instance bound to ``host:port`` (0: any free port), its address
known once started, every open connection closed on stop. Subclasses implement ``serve`` for one connection."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket

__all__ = ["TcpServer"]

log = logging.getLogger(__name__)


class TcpServer:
    label = "lab server"  # names the server in the lab log

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.port = host, port
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.host, self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("%s listening on %s", self.label, self.address)

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 2)
        self._server = None

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        if sock is not None:  # small replies otherwise wait ~40 ms for delayed ACKs
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._writers.add(writer)
        try:
            await self.serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except Exception:  # one bad client must not take the server down
            log.exception("%s: connection failed", self.label)
        finally:
            self._writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()
