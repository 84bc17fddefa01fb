"""The hub API service's TCP port (``CambrionixApiService`` listens on localhost:43424): a thin asyncio shell.

Framing is ``framing`` (raw JSON values back to back, or one HTTP GET), the methods are the service's
``handle``. A connection that starts with ``GET `` is served as HTTP (Cambrionix Hub API manual §3.3), any
other as raw JSON-RPC, where one socket may carry any number of requests. A misbehaving client only ever
loses its own connection.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Protocol

from harness.lab.hub.framing import (
    HTTP_PREFIX,
    Garbage,
    JsonStream,
    http_json,
    http_response,
    loads,
    parse_http_get,
)
from harness.lab.hub.rpc import parse_error_response
from harness.lab.tcp import TcpServer

__all__ = ["HubServer", "RpcHandler"]

log = logging.getLogger("harness.lab.hub")

_READ = 64 * 1024


class RpcHandler(Protocol):
    def handle(self, request: object) -> dict[str, Any] | None: ...


class HubServer(TcpServer):
    """Serves ``service`` (a ``CambrionixService`` or a single ``CambrionixHub``) on ``host:port`` (0: any)."""

    label = "hub API"

    def __init__(self, service: RpcHandler, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self.service = service

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        first = await _sniff(reader)
        if first.startswith(HTTP_PREFIX):
            await self._serve_http(first, reader, writer)
        elif first:
            await self._serve_raw(first, reader, writer)

    async def _serve_raw(self, first: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        stream = JsonStream()
        data = first
        while data:
            for value in stream.feed(data):
                reply = parse_error_response() if isinstance(value, Garbage) else self.service.handle(value)
                if reply is not None:
                    writer.write(json.dumps(reply).encode())
            await writer.drain()
            data = await reader.read(_READ)

    async def _serve_http(self, first: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        data = first
        try:
            while (request := parse_http_get(data)) is None:
                more = await reader.read(_READ)
                if not more:
                    return
                data += more
        except ValueError as exc:
            log.info("hub API: bad HTTP request: %s", exc)
            writer.write(http_response(b"", 400))
            await writer.drain()
            return
        value = loads(http_json(request))
        reply = parse_error_response() if isinstance(value, Garbage) else self.service.handle(value)
        writer.write(http_response(json.dumps(reply).encode() if reply is not None else b""))
        await writer.drain()


async def _sniff(reader: asyncio.StreamReader) -> bytes:
    """Enough bytes to tell ``GET `` from a raw JSON request."""
    data = b""
    while len(data) < len(HTTP_PREFIX) and HTTP_PREFIX.startswith(data):
        chunk = await reader.read(_READ)
        if not chunk:
            break
        data += chunk
    return data
