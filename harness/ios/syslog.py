"""Capture an iPhone's log into a file and an ``EventStream`` while a test runs.

The stream comes from ``com.apple.os_trace_relay`` (what ``pymobiledevice3 syslog live`` reads: full
timestamps, subsystem and category), or from ``com.apple.syslog_relay`` when the phone does not offer
os_trace. Lines are written as ``pymobiledevice3 syslog live`` prints them (``format_line``'s text, decoded by
``_ostrace`` at 50,000+ lines a second), so a capture reads the same as a terminal session, and ``harness logs``
parses it.

When the stream ends while the driver has the phone away on purpose (a reboot, unplugged through its hub:
``stream.away``) the capture reconnects until it is back. Otherwise it asks usbmuxd at once: a phone no longer
listed is *lost* (``stream.lost``: every wait ends with DeviceLost); one still listed is reconnected, the lines
the relay sends again dropped.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import plistlib
import struct
from collections.abc import AsyncIterator

from pymobiledevice3.exceptions import ConnectionTerminatedError, InvalidServiceError
from pymobiledevice3.services.os_trace import (
    OS_TRACE_RELAY_MESSAGE_FILTER_ALL,
    OS_TRACE_RELAY_STREAM_FLAGS_DEFAULT,
    OsTraceService,
)
from pymobiledevice3.services.syslog import SyslogService
from pymobiledevice3.usbmux import list_devices

from harness.errors import HarnessError
from harness.ios._bridge import bridge
from harness.ios._ostrace import OsTraceDecoder
from harness.ios.transport import IOSTransport
from harness.logs.stream import EventStream

__all__ = ["SyslogCapture"]

log = logging.getLogger("harness.ios.syslog")

_IDLE_FLUSH_S = 0.2  # no line for this long: release what the parser holds for continuation lines
_RETRY_S = 0.5  # wait between reconnection attempts while the phone is away
_BATCH = 256  # reads (each a list of lines) fed to the stream at once
_READ_BYTES = 256 * 1024
_NOT_RUN = "its other cells in this run are not run"
_PROBE_S = 2.0  # a silent stream (a quiet phone, or a stopped usbmuxd): ask usbmuxd whether the phone is there
_ASK_MUX_S = 5.0  # usbmuxd answers a device list at once; a silent one is itself a loss


class SyslogCapture:
    def __init__(self, transport: IOSTransport, stream: EventStream) -> None:
        self.transport = transport
        self.stream = stream
        self.source: str | None = None  # "os_trace_relay" | "syslog_relay" once connected
        self._stopping = False
        self._task: concurrent.futures.Future[None] | None = None
        self._connected = asyncio.Event()  # bound to the bridge loop on first use (py3.10+)
        self._probed: tuple[str, str] | None = None  # what a probe of the silent stream found

    def start(self, timeout_s: float = 20.0) -> SyslogCapture:
        """Start reading; returns once the phone's log stream is open (so nothing after this is missed)."""
        task = self._task = bridge.submit(self._run())
        try:
            bridge.run(self._connected.wait(), timeout_s)
        except TimeoutError:
            error = task.exception() if task.done() else None
            if error is not None:
                raise error from None
            log.warning("[%s] syslog not connected after %g s; still trying", self.transport.name, timeout_s)
        return self

    def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            bridge.loop.call_soon_threadsafe(self._task.cancel)
        self.stream.close()

    async def _run(self) -> None:
        while not self._stopping:
            try:
                async for batch in self._batches():
                    self.stream.feed(batch)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self._stopping:
                    return
                self.transport.forget()
                if self.stream.away_for is None:
                    gone, self._probed = self._probed or await self._gone(), None
                    if gone is not None:
                        if not self._stopping:
                            self.stream.lost(*gone)
                            log.warning("[%s] %s: %s", self.transport.name, *gone)
                        return
                    self.stream.resuming()
                log.info("[%s] syslog stream ended (%r); reconnecting", self.transport.name, exc)
                await asyncio.sleep(_RETRY_S)

    async def _gone(self) -> tuple[str, str] | None:
        """How the phone is gone and what to do (usbmuxd no longer lists it, or is silent); None when it is listed."""
        where = self.transport.where
        try:
            listed = await asyncio.wait_for(list_devices(self.transport.usbmux_address), _ASK_MUX_S)
        except Exception as exc:  # refused, reset, silent: the link to every phone behind it is gone
            return "was cut off", f"{where} does not answer ({exc!r}): check it; {_NOT_RUN}"
        if any(device.matches_udid(self.transport.udid) for device in listed):
            return None
        return "disconnected", f"{where} no longer lists it: check its cable, hub port and Trust dialog; {_NOT_RUN}"

    async def _batches(self) -> AsyncIterator[list[str]]:
        queue: asyncio.Queue[list[str] | BaseException] = asyncio.Queue()
        reader = asyncio.ensure_future(self._read_into(queue))
        loop = asyncio.get_running_loop()
        heard = loop.time()
        try:
            while True:
                try:
                    first = await asyncio.wait_for(queue.get(), _IDLE_FLUSH_S)
                except TimeoutError:
                    self.stream.flush()
                    if loop.time() - heard > _PROBE_S and self.stream.away_for is None:
                        heard = loop.time()
                        self._probed = await self._gone()
                        if self._probed is not None:
                            raise HarnessError(f"the log stream went silent and the phone {self._probed[0]}") from None
                    continue
                heard = loop.time()
                items = [first]
                while len(items) < _BATCH and not queue.empty():
                    items.append(queue.get_nowait())
                error = next((i for i in items if isinstance(i, BaseException)), None)
                lines = [line for i in items if not isinstance(i, BaseException) for line in i]
                if lines:
                    yield lines
                if error is not None:
                    raise error
        finally:
            reader.cancel()

    async def _read_into(self, queue: asyncio.Queue[list[str] | BaseException]) -> None:
        try:
            lockdown = await self.transport.lockdown()
            try:
                async with OsTraceService(lockdown) as service:  # closed however the capture ends (a stop cancels)
                    await _start_activity(service)
                    self._opened("os_trace_relay")
                    await _records(service, queue)
            except InvalidServiceError:
                async with SyslogService(lockdown) as relay:
                    self._opened("syslog_relay")
                    async for line in relay.watch():
                        await queue.put([line if isinstance(line, str) else line.decode("utf-8", "replace")])
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            await queue.put(exc if isinstance(exc, Exception) else HarnessError(str(exc)))

    def _opened(self, source: str) -> None:
        self.source = source
        self._connected.set()


# ``OsTraceService.syslog`` only returns from the StartActivity handshake with the first log entry, so on a
# quiet phone the capture could not tell "open" from "waiting". These two are that generator's halves
# (``pmd3:services/os_trace.py:OsTraceService.syslog``): the handshake, then the records.
async def _start_activity(service: OsTraceService) -> None:
    await service.connect()
    await service.service.send_plist({"Request": "StartActivity", "MessageFilter": OS_TRACE_RELAY_MESSAGE_FILTER_ALL,
                                      "Pid": -1, "StreamFlags": OS_TRACE_RELAY_STREAM_FLAGS_DEFAULT})
    (length_length,) = struct.unpack("<I", await service.service.recvall(4))
    length = int((await service.service.recvall(length_length))[::-1].hex(), 16)
    response = plistlib.loads(await service.service.recvall(length))
    if response.get("Status") != "RequestSuccessful":
        raise HarnessError(f"the phone refused the log stream: {response}")


async def _records(service: OsTraceService, queue: asyncio.Queue[list[str] | BaseException]) -> None:
    """The records after the handshake, as lines, a read's worth at a time (``_ostrace.OsTraceDecoder``: one
    struct call a record, where pymobiledevice3's ``parse_syslog_entry`` builds dataclasses and enums)."""
    decoder = OsTraceDecoder()
    while True:
        data = await service.service.recv_any(_READ_BYTES)
        if not data:
            raise ConnectionTerminatedError("the phone closed the os_trace stream")
        lines = decoder.feed(data)
        if lines:
            await queue.put(lines)
