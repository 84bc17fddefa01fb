"""Sockets listening on the phone, reached through adbd's ``tcp:`` and ``local*:`` services (``adb forward``).

``adb forward tcp:X tcp:Y`` makes the adb server open ``tcp:Y`` on the device for every connection to host
port X; adbd connects to the phone's ``localhost:Y`` (``daemon/services.cpp`` → ``socket_spec_connect``)
and answers OKAY, or CLSE when nothing listens, so the host's connection closes. ``localabstract:NAME``,
``localreserved:NAME``, ``localfilesystem:PATH`` and ``local:NAME`` (= localreserved on a device,
``socket_spec.cpp``) reach Unix sockets the same way.

What listens on a lab phone:

- ``localabstract:chrome_devtools_remote``: Chrome's DevTools HTTP endpoint, which Chrome for Android
  opens while USB debugging is on (``devtools.py``); this is what ``chrome://inspect`` forwards to;
- every ``tcp:`` port an ``adb reverse`` listens on: a real phone's adbd listens on its loopback for
  those, so a forward to that port goes out again through the reverse to the host.

The modelled app (a React Native / Expo build) listens on nothing: its debugger and Metro connections go
from the phone to the host through ``adb reverse``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from harness.lab.android.reverse import ReverseTable
from harness.lab.android.streams import Stream

__all__ = ["PhoneSockets", "splice"]

Accept = Callable[[Stream], Awaitable[None]]  # serves one accepted connection, then returns
_KINDS = {"tcp": "tcp", "localabstract": "localabstract", "localreserved": "localreserved",
          "localfilesystem": "localfilesystem", "local": "localreserved"}
_LOOPBACK = ("localhost", "127.0.0.1", "::1", "")


def normalize(spec: str) -> str | None:
    """``tcp:8080``, ``tcp:localhost:8080`` → ``tcp:8080``; ``local:x`` → ``localreserved:x``; None if not a socket."""
    kind, _, rest = spec.partition(":")
    if kind not in _KINDS or not rest:
        return None
    if kind == "tcp":
        host, _, port = rest.rpartition(":")
        if host not in _LOOPBACK or not port.isdigit():
            return None  # the lab phone has no network beyond its loopback
        return f"tcp:{int(port)}"
    return f"{_KINDS[kind]}:{rest}"


class PhoneSockets:
    """The phone's listening sockets by normalized spec, plus the ports its ``adb reverse`` listeners hold."""

    def __init__(self, reverse: ReverseTable) -> None:
        self._listeners: dict[str, Accept] = {}
        self.reverse = reverse

    def listen(self, spec: str, accept: Accept) -> None:
        key = normalize(spec)
        if key is None:
            raise ValueError(f"not a phone socket: {spec!r}")
        self._listeners[key] = accept

    def unlisten(self, spec: str) -> None:
        self._listeners.pop(normalize(spec) or spec, None)

    def connector(self, service: str, stream: Stream) -> Callable[[], Awaitable[None]] | None:
        """What serves a ``tcp:``/``local*:`` OPEN on ``stream``; None when nothing listens (adbd's CLSE)."""
        key = normalize(service)
        if key is None:
            return None
        accept = self._listeners.get(key)
        if accept is not None:
            return lambda: accept(stream)
        if key.startswith("tcp:") and key in self.reverse.listeners:
            port = int(key[len("tcp:"):])
            return lambda: _through_reverse(self.reverse, port, stream)
        return None


async def _through_reverse(reverse: ReverseTable, port: int, stream: Stream) -> None:
    try:
        out = await reverse.connect(port)
    except ConnectionRefusedError:
        return  # the host refused: the accepted connection closes
    try:
        await splice(stream, out)
    finally:
        await out.close()


async def splice(a: Stream, b: Stream) -> None:
    """Copy bytes both ways until either side closes."""

    async def pump(src: Stream, dst: Stream) -> None:
        while chunk := await src.read_some():
            dst.send(chunk)
            if dst.peer_closed:
                return
        await dst.drain()

    tasks = [asyncio.ensure_future(pump(a, b)), asyncio.ensure_future(pump(b, a))]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
