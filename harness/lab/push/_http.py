"""The gateway's HTTP server: HTTP/2 with prior knowledge (h2c) and HTTP/1.1 on one loopback port.

The first bytes decide: the HTTP/2 client preface (``PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n``, RFC 9113 §3.4)
selects HTTP/2, served with the ``h2`` state machine; anything else is HTTP/1.1, served with ``h11``.
Both are sans-I/O: this module only moves bytes between them and the socket. Requests go to one
handler, a plain function of ``Request`` → ``Response`` run on the lab's loop (the OS models are
not thread-safe). ``Request.connection`` is a dict that lives as long as the connection (APNs keeps
per-connection state: the first provider token and its key id).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h11

from harness.lab.tcp import TcpServer

__all__ = ["PREFACE", "HttpServer", "Request", "Response"]

log = logging.getLogger("harness.lab.push")

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
_READ = 65536


@dataclass
class Request:
    method: str
    path: str
    headers: list[tuple[str, str]]  # as received, lower-case names, duplicates kept
    body: bytes
    http2: bool
    connection: dict[str, Any] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    close: bool = False  # drop the connection instead of answering (e.g. APNs spoken over HTTP/1.1)


Handler = Callable[[Request], Response]


class HttpServer(TcpServer):
    label = "push gateway"

    def __init__(self, handler: Handler, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self.handler = handler

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        first = await _sniff(reader)
        if first.startswith(PREFACE):
            await _serve_h2(self.handler, first, reader, writer)
        elif first:
            await _serve_h1(self.handler, first, reader, writer)


async def _sniff(reader: asyncio.StreamReader) -> bytes:
    """Enough bytes to tell the HTTP/2 preface from an HTTP/1.1 request line."""
    data = b""
    while len(data) < len(PREFACE) and PREFACE.startswith(data):
        chunk = await reader.read(_READ)
        if not chunk:
            break
        data += chunk
    return data


def _call(handler: Handler, request: Request) -> Response:
    try:
        return handler(request)
    except Exception:
        log.exception("push gateway: handler failed for %s %s", request.method, request.path)
        return Response(500, [("content-type", "application/json")], b'{"reason":"InternalServerError"}')


async def _serve_h2(handler: Handler, first: bytes, reader: asyncio.StreamReader,
                    writer: asyncio.StreamWriter) -> None:
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
    conn.initiate_connection()
    state: dict[str, Any] = {}
    pending: dict[int, tuple[list[tuple[str, str]], bytearray]] = {}
    data = first
    while data:
        try:
            events = conn.receive_data(data)
        except h2.exceptions.ProtocolError:
            writer.write(conn.data_to_send())
            return
        for event in events:
            if isinstance(event, h2.events.RequestReceived):
                headers = [(str(k), str(v)) for k, v in event.headers or []]
                pending[event.stream_id or 0] = (headers, bytearray())
            elif isinstance(event, h2.events.DataReceived) and event.stream_id in pending:
                pending[event.stream_id][1].extend(event.data or b"")
                conn.acknowledge_received_data(event.flow_controlled_length or 0, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded) and event.stream_id in pending:
                headers, body = pending.pop(event.stream_id)
                _respond_h2(conn, event.stream_id, _call(handler, _h2_request(headers, bytes(body), state)))
            elif isinstance(event, h2.events.ConnectionTerminated):
                writer.write(conn.data_to_send())
                return
        writer.write(conn.data_to_send())
        await writer.drain()
        data = await reader.read(_READ)


def _h2_request(headers: list[tuple[str, str]], body: bytes, state: dict[str, Any]) -> Request:
    pseudo = {k: v for k, v in headers if k.startswith(":")}
    plain = [(k.lower(), v) for k, v in headers if not k.startswith(":")]
    return Request(pseudo.get(":method", ""), pseudo.get(":path", ""), plain, body, True, state)


def _respond_h2(conn: h2.connection.H2Connection, stream_id: int, response: Response) -> None:
    if response.close:
        conn.close_connection()
        return
    headers = [(":status", str(response.status)), *response.headers, ("content-length", str(len(response.body)))]
    conn.send_headers(stream_id, headers, end_stream=not response.body)
    if response.body:
        conn.send_data(stream_id, response.body, end_stream=True)


async def _serve_h1(handler: Handler, first: bytes, reader: asyncio.StreamReader,
                    writer: asyncio.StreamWriter) -> None:
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(first)
    state: dict[str, Any] = {}
    while True:
        request = await _h1_request(conn, reader, state)
        if request is None:
            return
        response = _call(handler, request)
        if response.close:
            return
        headers = [*response.headers, ("content-length", str(len(response.body)))]
        writer.write(conn.send(h11.Response(status_code=response.status, headers=headers)) or b"")
        writer.write(conn.send(h11.Data(data=response.body)) or b"")
        writer.write(conn.send(h11.EndOfMessage()) or b"")
        await writer.drain()
        if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
            return
        conn.start_next_cycle()


async def _h1_request(conn: h11.Connection, reader: asyncio.StreamReader, state: dict[str, Any]) -> Request | None:
    method, path, headers, body = "", "", [], bytearray()
    while True:
        try:
            event = conn.next_event()
        except h11.RemoteProtocolError:
            return None
        if event is h11.NEED_DATA:
            conn.receive_data(await reader.read(_READ))
            continue
        if isinstance(event, h11.Request):
            # HTTP/1.1 header bytes are opaque octets (RFC 9110 §5.5), not UTF-8: latin-1 maps every byte
            method, path = event.method.decode("latin-1"), event.target.decode("latin-1")
            headers = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in event.headers]
        elif isinstance(event, h11.Data):
            body.extend(event.data)
        elif isinstance(event, h11.EndOfMessage):
            return Request(method, path, headers, bytes(body), False, state)
        else:  # ConnectionClosed or PAUSED
            return None
