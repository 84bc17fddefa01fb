"""The lab's Appium-compatible server: one asyncio HTTP/1.1 listener in front of ``Endpoint``.

Thin on purpose: bytes go through ``_http.RequestParser``, each request through ``Endpoint.handle`` on
the lab's event loop (the OS models are not thread-safe), JSON back with ``_http.response_bytes``.
Connections are kept alive as urllib3 (under selenium's RemoteConnection) expects; ``TCP_NODELAY`` is
set for the same reason as on the lab's adbd (shared/NOTES.md: Nagle + delayed ACK cost 40 ms a call).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
from typing import Any

from harness.lab.appium._endpoint import Endpoint
from harness.lab.appium._http import HttpError, RequestParser, response_bytes
from harness.lab.appium.ui.base import PhoneUI

__all__ = ["AppiumServer"]

log = logging.getLogger("harness.lab.appium")
_READ = 65536


class AppiumServer:
    def __init__(self, phones: list[PhoneUI], host: str = "127.0.0.1", port: int = 0, *,
                 relaxed_security: bool = False, base_path: str = "") -> None:
        self.endpoint = Endpoint(phones, relaxed_security=relaxed_security, base_path=base_path)
        self.host = host
        self.port = port
        self.base_path = base_path.rstrip("/")
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{self.base_path}"

    @property
    def phones(self) -> list[PhoneUI]:
        return list(self.endpoint.sessions.phones.values())

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])
        log.info("appium endpoint on %s for %s", self.url, ", ".join(p.name for p in self.phones))

    async def stop(self) -> None:
        self.endpoint.sessions.close_all()
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._writers.add(writer)
        parser = RequestParser()
        try:
            while data := await reader.read(_READ):
                try:
                    requests = parser.feed(data)
                except HttpError as exc:
                    writer.write(response_bytes(exc.status, json.dumps({"value": {"error": "invalid argument",
                                 "message": str(exc), "stacktrace": ""}}).encode(), keep_alive=False))
                    await writer.drain()
                    return
                for request in requests:
                    status, body = await self.endpoint.handle(request.method, request.path, request.body)
                    writer.write(response_bytes(status, _encode(body), keep_alive=request.keep_alive))
                    await writer.drain()
                    if not request.keep_alive:
                        return
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()


def _encode(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
