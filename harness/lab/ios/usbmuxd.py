"""A virtual usbmuxd over TCP, in front of any number of ``VirtualIPhone`` s.

Clients find it through ``USBMUXD_SOCKET_ADDRESS=127.0.0.1:PORT``: pymobiledevice3 splits the value on
``":"`` and uses TCP (``pmd3:usbmux.py:MuxConnection._resolve_usbmux_address``); libusbmuxd 2.0.2
accepts ``host:port`` (``libusbmuxd.c:connect_usbmuxd_socket``). ``host:port`` is the only form both
parse the same way.

Each connection is a short request/reply exchange (pymobiledevice3 opens a fresh one, plus a ReadBUID
probe, for nearly every call), a ``Listen`` event stream (idevicesyslog waits for the Attached event
before it starts: ``limd@1.3.0:tools/idevicesyslog.c:device_event_cb``) or, after ``Connect``, a raw pipe
to a device port. Replies echo the request's tag; events carry tag 0 (``client.c:notify_device_add``).
pymobiledevice3 rejects a reply with another tag (``BinaryMuxConnection._receive_response``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterable
from typing import Any

from harness.lab.ios.codec import MuxDecoder, MuxResult, ProtocolError, encode_mux_result
from harness.lab.ios.device import VirtualIPhone
from harness.lab.ios.link import StreamLink
from harness.lab.ios.mux import MuxClient, MuxHost, OpenTunnel, Reply

__all__ = ["UsbmuxdServer"]

log = logging.getLogger("harness.lab.ios.usbmuxd")


class _Connection:
    def __init__(self, server: UsbmuxdServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.server = server
        self.reader = reader
        self.writer = writer
        self.client: MuxClient = server.mux.open_client()
        self.tunnel_device: int | None = None

    @property
    def listening(self) -> bool:
        return self.client.listening

    def send(self, data: bytes) -> None:
        if data and not self.writer.is_closing():
            self.writer.write(data)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()

    async def run(self) -> None:
        decoder = MuxDecoder()
        try:
            while data := await self.reader.read(64 * 1024):
                decoder.feed(data)
                while (packet := decoder.next_packet()) is not None:
                    if self.listening:  # client.c: a command in LISTEN state gets BADCOMMAND, then close
                        self.send(encode_mux_result(packet.tag, MuxResult.BADCOMMAND, self.client.proto_version))
                        return
                    action = self.server.mux.handle(packet, self.client)
                    if isinstance(action, OpenTunnel):
                        await self._tunnel(action, decoder.rest())
                        return
                    self.send(action.data)
                    if isinstance(action, Reply) and action.paired_device_id is not None:
                        self.server.broadcast({"MessageType": "Paired", "DeviceID": action.paired_device_id})
                await self.writer.drain()
        except ProtocolError as exc:  # client.c: too long or too short a packet drops the client
            log.warning("usbmuxd: dropping client: %s", exc)
        except (ConnectionError, OSError):
            pass
        finally:
            self.close()
            self.server.mux.close_client(self.client)

    async def _tunnel(self, action: OpenTunnel, pending: bytes) -> None:
        self.send(action.data)
        await self.writer.drain()
        self.tunnel_device = action.device_id
        try:
            await action.handler(StreamLink(self.reader, self.writer, pending))
        except asyncio.CancelledError:
            raise
        except Exception:  # a service bug must not take usbmuxd down with it
            log.exception("usbmuxd: device port handler failed")


class UsbmuxdServer:
    """Serves ``devices`` on ``host:port`` (``port=0`` picks a free port). ``attach``/``detach`` plug
    phones in and out while it runs, with Attached/Detached events to every ``Listen`` client."""

    def __init__(self, devices: Iterable[VirtualIPhone] = (), host: str = "127.0.0.1", port: int = 0,
                 *, buid: str | None = None) -> None:
        self.host = host
        self.port = port
        self.mux = MuxHost(buid)
        self._server: asyncio.Server | None = None
        self._connections: set[_Connection] = set()
        for device in devices:
            self.mux.attach(device)

    @property
    def address(self) -> str:
        """The value for ``USBMUXD_SOCKET_ADDRESS``."""
        return f"{self.host}:{self.port}"

    @property
    def devices(self) -> list[VirtualIPhone]:
        return [att.device for att in self.mux.attached.values()]

    def phone(self, key: str) -> VirtualIPhone:
        """An attached phone by devices.toml name or UDID (dashes optional)."""
        for device in self.devices:
            if key in (device.name, device.udid) or key.replace("-", "") == device.udid.replace("-", ""):
                return device
        attached = ", ".join(f"{d.name} ({d.udid})" for d in self.devices) or "none"
        raise KeyError(f"virtual usbmuxd {self.address}: no phone {key!r} attached (attached: {attached})")

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.host, self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("usbmuxd listening on %s with %d phone(s)", self.address, len(self.mux.attached))

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        self.disconnect_all()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 2)
        self._server = None

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        if sock is not None:  # small replies otherwise wait ~40 ms for delayed ACKs
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = _Connection(self, reader, writer)
        self._connections.add(conn)
        try:
            await conn.run()
        finally:
            self._connections.discard(conn)

    # -- plugging phones in and out -------------------------------------------------------------
    def attach(self, device: VirtualIPhone) -> int:
        """Plug ``device`` in; returns its DeviceID and tells every Listen client."""
        known = {att.device_id for att in self.mux.attached.values()}
        att = self.mux.attach(device)
        if att.device_id not in known:
            self.broadcast(self.mux.attached_plist(att))
        return att.device_id

    def detach(self, device: VirtualIPhone) -> None:
        """Pull the cable: Detached to listeners, and every open tunnel to the phone drops."""
        att = self.mux.detach(device)
        if att is None:
            return
        self.broadcast({"MessageType": "Detached", "DeviceID": att.device_id})
        for conn in list(self._connections):
            if conn.tunnel_device == att.device_id:
                conn.close()

    def broadcast(self, event: dict[str, Any]) -> None:
        """Tell every Listen client, each in its own protocol version."""
        for conn in list(self._connections):
            if conn.listening:
                conn.send(self.mux.event(event, conn.client.proto_version))

    def disconnect_all(self) -> None:
        """Drop every client connection (listeners and tunnels); the server keeps listening."""
        for conn in list(self._connections):
            conn.close()
