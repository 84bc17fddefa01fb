"""A virtual adbd: one asyncio TCP server per virtual phone, in front of an ``AndroidDevice``.

Google's adb server connects to it as to a phone in Wi-Fi debugging (``adb connect host:port``).
No AUTH is needed over TCP from the server's side; the server's CNXN is answered with ours, whose
banner carries the product properties ``adb devices -l`` shows and the features we implement.
Every socket sets TCP_NODELAY: without it small OKAY/WRTE/CLSE writes cost ~40 ms each
(shared/NOTES.md).

Speed: outgoing messages are gathered and written once per batch of incoming ones (or once per loop turn
for output a service produces later), and a service starts inside the batch that opened it: a command that
needs no waiting (``echo``, ``getprop``, ``dumpsys``…) runs to its end there, so its OKAY, WRTE and CLSE
leave in one write, with no task created (``_start``).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import socket
import struct
from collections.abc import Awaitable, Callable, Coroutine, Generator
from typing import Any

from harness.lab.android import devtools
from harness.lab.android.codec import (
    A_VERSION,
    INITIAL_DELAYED_ACK_BYTES,
    MAX_PAYLOAD,
    Command,
    Decoder,
    Message,
    ProtocolError,
    encode,
)
from harness.lab.android.device import AndroidDevice
from harness.lab.android.reverse import ReverseTable, reverse_service, wait_open
from harness.lab.android.services import RebootRequest, open_service
from harness.lab.android.sockets import PhoneSockets
from harness.lab.android.streams import Stream

__all__ = ["FEATURES", "AdbdServer"]

log = logging.getLogger("harness.lab.adbd")

# adbd's supported_features() (packages/modules/adb/transport.cpp, Android 14/15), in its order, minus what
# this adbd does not implement: track_app (the app-tracking proto service), sendrecv_v2_brotli / _lz4 / _zstd
# (compressed sync; without them a client sends sendrecv_v2 uncompressed), openscreen_mdns,
# devicetracker_proto_format, devraw, app_info, server_status, track_mdns (host-side or unmodelled
# services). delayed_ack comes last, as adbd appends it (a device always offers it; an adb server only in
# burst mode, ADB_BURST_MODE=1). The adb server uses the intersection with its list.
FEATURES = ("shell_v2", "cmd", "stat_v2", "ls_v2", "fixed_push_mkdir", "apex", "abb", "fixed_push_symlink_timestamp",
            "abb_exec", "remount_shell", "sendrecv_v2", "sendrecv_v2_dry_run_send", "delayed_ack")
_DELTA = struct.Struct("<i")  # a delayed_ack OKAY's payload: bytes given back (signed)


class _Connection(asyncio.Protocol):
    """One adb server's connection: a protocol, so received bytes are handled in the loop's read callback."""

    def __init__(self, server: AdbdServer) -> None:
        self.server = server
        self.dev = server.dev
        self.transport: asyncio.Transport | None = None
        self.decoder = Decoder()
        self.streams: dict[int, Stream] = {}
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self.max_payload = MAX_PAYLOAD
        self.online = False
        self._next_id = 1
        self._checksum = False
        # adbd names a TCP host transport "host-<fd>" (daemon/transport_local.cpp); list-forward shows it
        self.serial = f"host-{next(server.fds)}"
        self._opening: dict[int, asyncio.Future[Stream]] = {}  # device-side OPENs awaiting the host's answer
        self._out: list[bytes] = []  # encoded messages not yet written
        self._dirty: dict[Stream, None] = {}  # streams with output to emit at the next flush, in order
        self._in_batch = False  # handling received messages: data_received flushes at the end
        self._flush_due = False  # a flush is scheduled for the next loop turn
        self.delayed_ack = False  # both banners offer delayed_ack: streams have windows, OKAYs carry deltas

    def transmit(self, msg: Message) -> None:
        self._out.append(encode(msg, with_checksum=self._checksum))
        if not (self._in_batch or self._flush_due):
            self._schedule_flush()

    def wake(self, stream: Stream) -> None:
        self._dirty[stream] = None
        if not (self._in_batch or self._flush_due):
            self._schedule_flush()

    def _schedule_flush(self) -> None:
        if not (self._in_batch or self._flush_due):
            self._flush_due = True
            asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        self._flush_due = True  # what the streams transmit now goes out with this write
        try:
            while self._dirty:
                dirty, self._dirty = self._dirty, {}
                for stream in dirty:
                    stream.emit()
                    if stream.closed:  # its CLSE is out: the host's later messages for it find nothing
                        self.streams.pop(stream.local_id, None)
        finally:
            self._flush_due = False
        if self._out:
            data = b"".join(self._out)
            self._out.clear()
            if self.transport is not None and not self.transport.is_closing():
                self.transport.write(data)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.connections.add(self)

    def data_received(self, data: bytes) -> None:
        self._in_batch = True
        try:
            for msg in self.decoder.feed(data):
                self._handle(msg)
        except ProtocolError as exc:
            log.warning("[%s] dropping connection: %s", self.dev.name, exc)
            self.drop()
            return
        finally:
            self._in_batch = False
        self.flush()

    def connection_lost(self, exc: Exception | None) -> None:
        self.drop()
        self.server.connections.discard(self)

    def drop(self) -> None:
        self.server.reverse.drop_link(self)
        for future in self._opening.values():
            if not future.done():
                future.set_exception(ConnectionRefusedError("the adb connection went away"))
        self._opening.clear()
        for stream in self.streams.values():
            stream.on_peer_close()
        for task in self.tasks.values():
            task.cancel()
        self.streams.clear()
        self.tasks.clear()
        self._dirty.clear()
        if self.transport is not None:
            self.transport.close()

    def _handle(self, msg: Message) -> None:
        if msg.command == Command.CNXN:
            self._connect(msg)
        elif not self.online:
            return
        elif msg.command == Command.OPEN:
            self._open(msg)
        elif msg.command in (Command.OKAY, Command.WRTE, Command.CLSE):
            self._stream_message(msg)

    def _connect(self, msg: Message) -> None:
        for stream_id in list(self.tasks):
            self.tasks.pop(stream_id).cancel()
        self.streams.clear()
        self._dirty.clear()
        self.max_payload = min(MAX_PAYLOAD, msg.arg1) if msg.arg1 else MAX_PAYLOAD
        self._checksum = msg.arg0 < A_VERSION
        self.delayed_ack = "delayed_ack" in _host_features(msg.data)
        self.online = True
        self.transmit(Message(Command.CNXN, A_VERSION, MAX_PAYLOAD, self.server.banner().encode()))

    def _open(self, msg: Message) -> None:
        remote_id = msg.arg0
        service = msg.data.rstrip(b"\x00").decode(errors="replace")
        local_id = self._next_id
        self._next_id += 1
        window = msg.arg1  # delayed_ack: what the host lets us send; classic: 0
        stream = Stream(local_id, remote_id, self.max_payload, self.transmit, self.wake,
                        window if self.delayed_ack else None)
        runner: Callable[[], Awaitable[None]] | None
        if not self.dev.booted or self.delayed_ack != bool(window):  # adb.cpp A_OPEN: arg1 matches the banners
            runner = None
        elif service.startswith("reverse:"):
            runner = reverse_service(self.server.reverse, self, service[len("reverse:"):], stream)
        elif service.startswith(("tcp:", "local")):
            runner = self.server.sockets.connector(service, stream)
        else:
            runner = open_service(self.dev, service, stream)
        if runner is None:
            log.info("[%s] refusing service %r", self.dev.name, service)
            self.transmit(Message(Command.CLSE, 0, remote_id))
            return
        self.streams[local_id] = stream
        self.transmit(Message(Command.OKAY, local_id, remote_id, self._grant()))
        task = _start(self._serve(stream, runner))
        if task is not None:
            self.tasks[local_id] = task

    async def _serve(self, stream: Stream, runner: Callable[[], object]) -> None:
        """Run the service, then close its stream. The stream stays in ``streams`` until its CLSE leaves (``flush``):
        until then the host may still write to it (``adb shell``'s close-stdin packet after a shell that already
        exited), and adbd takes such a WRTE as its socket does, not as one for an unknown stream."""
        try:
            await runner()  # type: ignore[misc]
            await stream.close()
        except RebootRequest as req:
            await stream.close()
            self.server.request_reboot(req.target)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("[%s] service failed", self.dev.name)
            await stream.close()
        finally:
            self.tasks.pop(stream.local_id, None)

    async def open_to_host(self, destination: str, timeout_s: float) -> Stream:
        """A stream the device opens to the host (a reverse listener accepted a connection)."""
        if not self.online:
            raise ConnectionRefusedError("the adb connection is not online")
        local_id = self._next_id
        self._next_id += 1
        stream = Stream(local_id, 0, self.max_payload, self.transmit, self.wake, 0 if self.delayed_ack else None)
        future: asyncio.Future[Stream] = asyncio.get_running_loop().create_future()
        self._opening[local_id] = future
        self.streams[local_id] = stream
        window = INITIAL_DELAYED_ACK_BYTES if self.delayed_ack else 0
        self.transmit(Message(Command.OPEN, local_id, window, destination.encode() + b"\x00"))
        try:
            return await wait_open(future, timeout_s, destination)
        except BaseException:
            self.streams.pop(local_id, None)
            raise
        finally:
            self._opening.pop(local_id, None)

    def _answer_open(self, msg: Message) -> bool:
        """The host's OKAY / CLSE for a device-side OPEN; False when ``msg`` is about another stream."""
        future = self._opening.get(msg.arg1)
        if future is None:
            return False
        stream = self.streams[msg.arg1]
        if msg.command == Command.OKAY:
            stream.remote_id = msg.arg0
            if self.delayed_ack:
                stream.grant(self._delta(msg) or 0)
            if not future.done():
                future.set_result(stream)
        else:
            self.streams.pop(msg.arg1, None)
            stream.on_peer_close()
            if not future.done():
                future.set_exception(ConnectionRefusedError("the adb server refused the connection (nothing "
                                                            "listens on the host side of the reverse)"))
        return True

    def _grant(self) -> bytes:
        """The payload of our OKAY to a host's OPEN: the window we give it (delayed_ack), else nothing."""
        return _DELTA.pack(INITIAL_DELAYED_ACK_BYTES) if self.delayed_ack else b""

    def _delta(self, msg: Message) -> int | None:
        """A delayed_ack OKAY's 4-byte delta (adb.cpp A_OKAY takes a payload of 4 bytes or none)."""
        if self.delayed_ack and len(msg.data) == _DELTA.size:
            return int(_DELTA.unpack(msg.data)[0])
        if msg.data:
            log.warning("[%s] OKAY with a %d-byte payload ignored", self.dev.name, len(msg.data))
        return None

    def _stream_message(self, msg: Message) -> None:
        if msg.command != Command.WRTE and self._answer_open(msg):
            return
        stream = self.streams.get(msg.arg1)
        if stream is None:  # adb.cpp handle_packet: an OKAY, WRTE or CLSE for no local socket is dropped unanswered
            return
        if msg.command == Command.OKAY:
            stream.on_okay(self._delta(msg))
        elif msg.command == Command.WRTE:
            stream.on_write(msg.data)  # consumed at once: the whole length goes back
            ack = _DELTA.pack(len(msg.data)) if self.delayed_ack else b""
            self.transmit(Message(Command.OKAY, stream.local_id, stream.remote_id, ack))
        else:
            stream.on_peer_close()
            task = self.tasks.pop(stream.local_id, None)
            self.streams.pop(stream.local_id, None)
            if task is not None and not task.done():
                task.cancel()


def _host_features(banner: bytes) -> list[str]:
    """The features of a host's CNXN banner ``host::features=a,b``, split as adbd splits them (parse_banner,
    StringToFeatureSet: no trimming, so a trailing NUL sticks to the last feature)."""
    pieces = banner.decode(errors="replace").split(":")
    if len(pieces) < 3:
        return []
    for prop in pieces[2].split(";"):
        key, _, value = prop.partition("=")
        if key == "features":
            return value.split(",")
    return []


def _start(coro: Coroutine[Any, Any, None]) -> asyncio.Task[None] | None:
    """Run ``coro`` now, up to its first real wait; a task continues it from there (None if it finished).

    Python 3.12's eager tasks, for 3.11: most services end without waiting, and a task per stream would
    cost a loop turn and its bookkeeping on every shell round trip."""
    try:
        pending = coro.send(None)
    except StopIteration:
        return None
    return asyncio.ensure_future(_continue(coro, pending))


async def _continue(coro: Coroutine[Any, Any, None], pending: Any) -> None:
    await _Resumed(coro, pending)


class _Resumed:
    """Awaiting this resumes ``coro``, which last yielded ``pending`` (a future) to whoever drives it."""

    def __init__(self, coro: Coroutine[Any, Any, None], pending: Any) -> None:
        self.coro, self.pending = coro, pending

    def __await__(self) -> Generator[Any, Any, None]:
        coro, pending = self.coro, self.pending
        while True:
            try:
                try:
                    sent = yield pending
                except BaseException as exc:  # cancellation and the like go on into the coroutine
                    pending = coro.throw(exc)
                else:
                    pending = coro.send(sent)
            except StopIteration:
                return


class AdbdServer:
    """Serves one virtual phone on ``host:port``; ``port=0`` picks a free port."""

    def __init__(self, dev: AndroidDevice, host: str = "127.0.0.1", port: int = 0,
                 on_back: Callable[[AdbdServer], None] | None = None) -> None:
        self.dev = dev
        self.host = host
        self.port = port
        self.on_back = on_back
        self._server: asyncio.Server | None = None
        self.connections: set[_Connection] = set()
        self._reboot_task: asyncio.Task[None] | None = None
        self.fds = itertools.count(19)
        self.reverse = ReverseTable()
        self.sockets = PhoneSockets(self.reverse)
        self.sockets.listen(devtools.SOCKET, devtools.serve_devtools)  # Chrome, installed on every lab phone
        dev.adb_reverse = self.reverse  # type: ignore[attr-defined]  # the OS model reaches it via reverse_of(dev)

    def banner(self) -> str:
        props = self.dev.props
        return (f"device::ro.product.name={props['ro.product.name']};ro.product.model={props['ro.product.model']};"
                f"ro.product.device={props['ro.product.device']};features={','.join(FEATURES)}")

    @property
    def serial(self) -> str:
        return f"{self.host}:{self.port}"

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Connection(self), self.host, self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for conn in list(self.connections):
                conn.drop()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
            self._server = None

    def disconnect_all(self) -> None:
        """Drop every adb connection as a pulled cable would; the server keeps listening."""
        for conn in list(self.connections):
            conn.drop()

    def request_reboot(self, target: str) -> None:
        log.info("[%s] reboot%s", self.dev.name, f" {target}" if target else "")
        self._reboot_task = self._outbound(asyncio.ensure_future(self._reboot()))

    def _outbound(self, task: asyncio.Task[None]) -> asyncio.Task[None]:
        """Work a virtual clock's step waits for before it moves the clock (harness/lab/timectl.py)."""
        self.dev.outbound.add(task)
        task.add_done_callback(self.dev.outbound.discard)
        return task

    async def _reboot(self) -> None:
        await self.stop()
        self.dev.shutdown()
        loop = asyncio.get_running_loop()

        def come_back() -> None:
            self._reboot_task = self._outbound(loop.create_task(self._come_back()))

        self.dev.clock.call_later(self.dev.ident.boot_delay_s, come_back)

    async def _come_back(self) -> None:
        self.dev.boot()
        await self.start()
        if self.on_back is not None:
            self.on_back(self)
