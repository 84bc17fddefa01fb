"""``com.apple.dt.simulatelocation``: the developer disk image's location override (iOS ≤ 16).

What pymobiledevice3's ``DtSimulateLocation`` and libimobiledevice's ``idevicesetlocation`` send on a fresh
service connection: a big-endian u32 mode, ``0`` to start then two length-prefixed (u32 BE) decimal strings,
latitude and longitude; ``1`` to stop. The phone answers nothing; the client may leave the connection open.
``SimulateLocationDecoder`` is the pure part: bytes in, ``Command``s out.
"""

from __future__ import annotations

import logging
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.lab.ios.link import Link

if TYPE_CHECKING:
    from harness.lab.ios.device import VirtualIPhone

__all__ = ["SIMULATE_LOCATION", "Command", "SimulateLocationDecoder", "SimulateLocationError",
           "serve_simulate_location"]

log = logging.getLogger("harness.lab.ios.simulate_location")

SIMULATE_LOCATION = "com.apple.dt.simulatelocation"
START, STOP = 0, 1
_U32 = struct.Struct(">I")
_MAX_FIELD = 64  # a decimal coordinate is a few dozen bytes at most


class SimulateLocationError(Exception):
    """The client sent something this service does not understand; the phone drops the connection."""


@dataclass(frozen=True, slots=True)
class Command:
    latitude: float | None  # None: stop simulating
    longitude: float | None = None


class SimulateLocationDecoder:
    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[Command]:
        self._buf += data
        out: list[Command] = []
        while (command := self._next()) is not None:
            out.append(command)
        return out

    def _next(self) -> Command | None:
        if len(self._buf) < 4:
            return None
        (mode,) = _U32.unpack_from(self._buf)
        if mode == STOP:
            del self._buf[:4]
            return Command(None)
        if mode != START:
            raise SimulateLocationError(f"unknown mode {mode}")
        fields: list[str] = []
        pos = 4
        for _ in range(2):
            if len(self._buf) < pos + 4:
                return None
            (length,) = _U32.unpack_from(self._buf, pos)
            if length > _MAX_FIELD:
                raise SimulateLocationError(f"a coordinate of {length} bytes")
            if len(self._buf) < pos + 4 + length:
                return None
            fields.append(bytes(self._buf[pos + 4 : pos + 4 + length]).decode("ascii", "replace"))
            pos += 4 + length
        del self._buf[:pos]
        try:
            return Command(float(fields[0]), float(fields[1]))
        except ValueError as exc:
            raise SimulateLocationError(f"not a coordinate: {fields}") from exc


async def serve_simulate_location(device: VirtualIPhone, link: Link) -> None:
    decoder = SimulateLocationDecoder()
    try:
        while data := await link.read():
            for command in decoder.feed(data):
                if device.system is not None:
                    device.system.simulate_location(command.latitude, command.longitude)
    except SimulateLocationError as exc:
        log.warning("[%s] simulatelocation: dropping connection: %s", device.name, exc)
    finally:
        link.close()
