"""``reverse:`` forwarding in the virtual adbd: the phone listens, the host's adb server connects out.

``adb reverse tcp:X tcp:Y`` makes the adb server open the device service ``reverse:forward:tcp:X;tcp:Y``.
adbd (``adb/daemon/services.cpp:reverse_service`` → ``adb/adb.cpp:handle_forward_request``, the
``!ADB_HOST`` branches) answers on that stream, without the host's extra "connect" OKAY:

- ``forward:[norebind:]<local>;<remote>`` → ``OKAY`` (plus a length-prefixed port for ``tcp:0``), or
  ``FAIL`` + ``bad forward: <spec>`` / ``cannot rebind existing socket`` / ``cannot bind listener: …``;
- ``killforward:<local>`` → ``OKAY``, or ``FAIL`` + ``listener '<local>' not found``;
- ``killforward-all`` → ``OKAY``;
- ``list-forward`` → a length-prefixed list of ``<serial> <local> <remote>\\n``
  (``adb/adb_listeners.cpp:format_listeners``; adbd's serial for a TCP host is ``host-<fd>``).

When something on the phone connects to a listened port, adbd opens a stream *to the host*
(``adb/adb_listeners.cpp:listener_event_func`` → ``connect_to_remote``): ``OPEN(local-id, 0, "tcp:Y")``;
the server connects to its own ``tcp:Y`` and answers ``OKAY`` (or ``CLSE`` if nothing listens).
Listeners belong to the adb connection that made them and vanish with it (``listener_disconnect``).
Here "something on the phone" is the OS model (the app calling its collector): ``ReverseTable.connect``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from harness.lab.android.streams import Stream

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = ["HostLink", "ReverseListener", "ReverseTable", "reverse_of", "reverse_service"]

OPEN_TIMEOUT_S = 10.0


class HostLink(Protocol):
    """The adb connection a listener was made on: it can open a stream to the host's adb server."""

    serial: str  # how adbd names the host transport in list-forward, e.g. "host-19"

    async def open_to_host(self, destination: str, timeout_s: float) -> Stream:
        """OPEN(local-id, 0, destination); the host's OKAY opens it, its CLSE raises ConnectionRefusedError."""
        ...


@dataclass
class ReverseListener:
    local: str  # on the phone, e.g. "tcp:8765"
    remote: str  # on the host, e.g. "tcp:41234"
    link: HostLink


class ReverseTable:
    """The phone's reverse listeners (adbd's ``listener_list`` entries made through ``reverse:``)."""

    def __init__(self) -> None:
        self.listeners: dict[str, ReverseListener] = {}
        self._next_free_port = 35_117  # what tcp:0 resolves to (the kernel's pick on a phone)

    def forward(self, link: HostLink, local: str, remote: str, no_rebind: bool) -> tuple[str | None, int]:
        """Install a listener: (FAIL message or None, the port ``tcp:0`` resolved to or 0)."""
        if not _valid_spec(local):
            return f"cannot bind listener: unknown local portname '{local}'", 0
        resolved = 0
        if local == "tcp:0":
            while f"tcp:{self._next_free_port}" in self.listeners:
                self._next_free_port += 1
            resolved = self._next_free_port
            local = f"tcp:{resolved}"
        if local in self.listeners and no_rebind:
            return "cannot rebind existing socket", 0
        self.listeners[local] = ReverseListener(local, remote, link)
        return None, resolved

    def remove(self, local: str) -> bool:
        return self.listeners.pop(local, None) is not None

    def remove_all(self) -> None:
        self.listeners.clear()

    def drop_link(self, link: HostLink) -> None:
        """The adb connection went away: its listeners go with it."""
        for local in [k for k, v in self.listeners.items() if v.link is link]:
            del self.listeners[local]

    def listing(self) -> str:
        return "".join(f"{item.link.serial} {item.local} {item.remote}\n" for item in self.listeners.values())

    async def connect(self, port: int, timeout_s: float = OPEN_TIMEOUT_S) -> Stream:
        """A connection to ``127.0.0.1:<port>`` on the phone; ConnectionRefusedError when nothing listens."""
        listener = self.listeners.get(f"tcp:{port}")
        if listener is None:
            raise ConnectionRefusedError(f"connect to 127.0.0.1:{port}: nothing listens (no adb reverse)")
        return await listener.link.open_to_host(listener.remote, timeout_s)


def _valid_spec(spec: str) -> bool:
    kind, _, rest = spec.partition(":")
    if kind == "tcp":
        return rest.isdigit() and 0 <= int(rest) < 65536
    return kind in ("localabstract", "localreserved", "localfilesystem", "local") and bool(rest)


def reverse_of(dev: AndroidDevice) -> ReverseTable | None:
    """The phone's reverse table, set by the adbd serving it (None when no adbd serves the device)."""
    table = getattr(dev, "adb_reverse", None)
    return table if isinstance(table, ReverseTable) else None


def _protocol_string(text: str) -> bytes:
    data = text.encode()
    return f"{len(data):04x}".encode() + data


def _fail(text: str) -> bytes:
    return b"FAIL" + _protocol_string(text)


def reverse_service(table: ReverseTable, link: HostLink, command: str,
                    stream: Stream) -> Callable[[], Awaitable[None]]:
    """The coroutine answering ``reverse:<command>`` on ``stream`` (handle_forward_request, daemon side)."""

    async def serve() -> None:
        stream.send(_answer(table, link, command))

    return serve


def _answer(table: ReverseTable, link: HostLink, command: str) -> bytes:
    if command == "list-forward":
        return _protocol_string(table.listing())
    if command == "killforward-all":
        table.remove_all()
        return b"OKAY"
    if command.startswith("killforward:"):
        local = command[len("killforward:"):]
        if not local or ";" in local:
            return _fail(f"bad killforward: {local}")
        return b"OKAY" if table.remove(local) else _fail(f"listener '{local}' not found")
    if command.startswith("forward:"):
        spec = command[len("forward:"):]
        no_rebind = spec.startswith("norebind:")
        spec = spec[len("norebind:"):] if no_rebind else spec
        pieces = spec.split(";")
        if len(pieces) != 2 or not pieces[0] or not pieces[1] or pieces[1].startswith("*"):
            return _fail(f"bad forward: {spec}")
        error, resolved = table.forward(link, pieces[0], pieces[1], no_rebind)
        if error:
            return _fail(error)
        return b"OKAY" + (_protocol_string(str(resolved)) if resolved else b"")
    return _fail("not a reverse forwarding command")


async def wait_open(future: asyncio.Future[Stream], timeout_s: float, destination: str) -> Stream:
    """Await the host's answer to a device-side OPEN."""
    try:
        return await asyncio.wait_for(future, timeout_s)
    except TimeoutError:
        raise ConnectionRefusedError(f"the adb server did not answer OPEN {destination!r} "
                                     f"within {timeout_s:g} s") from None
