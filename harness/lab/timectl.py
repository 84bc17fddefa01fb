"""The lab's time control: how the harness's waiting primitive moves a virtual lab phone's clock.

Under ``[lab] clock = "virtual"`` a lab phone's clock stands still while the harness acts. When the harness
waits (``EventStream.wait_for`` and the waits built on it), it asks this endpoint to *step* the phone: run its
scheduled events in time order, one event time at a time, until one of them logs a line (something the wait
may be waiting for) or the wait's deadline in device time is reached. Before answering, the step lets the
phone's outbound work finish (the app's wake report to the collector) and writes a marker line into the log
the harness captures, so the harness knows its capture holds everything the step produced once the marker
arrives. Drivers never use this channel, and real phones have none: it is the one seam between harness and
lab, for ``lab = true`` phones only.

Wire: one JSON object per line over TCP on ``[lab] time_port`` (loopback), one answer line per request::

    {"op": "step", "device": "pixel-8", "until": 1795856400.0}  ->  {"now": 1795853700.0, "marker": "step 17"}
    {"op": "now", "device": "pixel-8"}                          ->  {"now": 1795853700.0}
    anything wrong                                              ->  {"error": "unknown device 'x' (lab has: ...)"}
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from harness.lab.clock import VirtualClock
from harness.lab.tcp import TcpServer

__all__ = ["MARKER_TAG", "Steppable", "TimeControl"]

log = logging.getLogger("harness.lab.time")

MARKER_TAG = "LabClock"  # the tag (Android) / process (iOS) of the step markers in a lab phone's log
# Wall seconds a step waits for the phone's outbound work to finish: a wake report, or a phone back from a reboot
# reconnecting to the adb server (adb connect + wait-for-device, 20 s each at most on a loaded host).
_OUTBOUND_S = 45.0


@dataclass(frozen=True, slots=True)
class Steppable:
    """One lab phone as the time control sees it."""

    clock: VirtualClock
    logged: Callable[[], int]  # a count that grows with every line the phone logs
    mark: Callable[[str], None]  # writes a step marker into the captured log
    outbound: Callable[[], Collection[asyncio.Future[Any]]]  # requests the phone has in flight
    background: Callable[[float], None] = lambda _moved_s: None  # other apps' log for the device seconds moved


class TimeControl(TcpServer):
    label = "time control"

    def __init__(self, host: str, port: int) -> None:
        super().__init__(host, port)
        self.phones: dict[str, Steppable] = {}
        self._seq = itertools.count(1)

    def add(self, name: str, phone: Steppable) -> None:
        self.phones[name] = phone

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            try:
                answer = await self.handle(json.loads(line))
            except (ValueError, TypeError, KeyError) as exc:
                answer = {"error": f"bad request {line[:200]!r}: {exc}"}
            writer.write(json.dumps(answer).encode() + b"\n")
            await writer.drain()

    async def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        name = str(request["device"])
        phone = self.phones.get(name)
        if phone is None:
            return {"error": f"unknown device {name!r} (this lab's virtual clocks: {', '.join(self.phones) or 'none'})"}
        if request["op"] == "now":
            return {"now": phone.clock.now()}
        if request["op"] == "step":
            return await self._step(phone, float(request["until"]))
        return {"error": f"unknown op {request['op']!r} (step, now)"}

    async def _step(self, phone: Steppable, until: float) -> dict[str, Any]:
        await self._settle(phone)  # what the harness's last action started (a reboot going down) is done first
        before, start = phone.logged(), phone.clock.now()
        now = phone.clock.step(until, lambda: phone.logged() != before or _busy(phone))
        await self._settle(phone)
        phone.background(now - start)  # before the marker: a wait reads them where every run of this seed does
        marker = f"step {next(self._seq)} at {now:.3f}"
        phone.mark(marker)
        return {"now": now, "marker": marker}

    @staticmethod
    async def _settle(phone: Steppable) -> None:
        """Let the phone's outbound work finish (bounded), and what that work started in turn (a phone coming back
        from a reboot reconnects to the adb server), so what it delivered is there when the step ends."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _OUTBOUND_S
        while pending := [task for task in phone.outbound() if not task.done()]:
            left = deadline - loop.time()
            if left <= 0:
                log.warning("outbound work still running after %g s: %s", _OUTBOUND_S, pending)
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*pending, return_exceptions=True), left)


def _busy(phone: Steppable) -> bool:
    """The phone started outbound work (a reboot coming back up): the step ends so that work can finish."""
    return any(not task.done() for task in phone.outbound())
