"""Capture a phone's logcat (main, system, events, crash) for a whole test, streaming to waiters.

A reader thread holds one ``logcat`` stream open through the adb server and feeds an
``EventStream``; lines go to the capture file as they come, so a crash still leaves them.
``-v year`` gives full dates, so events land on the right day; ``-T <device epoch>`` starts at the
capture's start without clearing anyone's buffer. When the phone reboots the stream ends; the
reader reconnects once the phone is back and goes on from where it was (the new boot's buffers
hold only new lines).
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import threading
import time

from harness.android.transport import AdbTransport
from harness.errors import DeviceUnreachable, HarnessError
from harness.logs.stream import EventStream

__all__ = ["LogcatCapture"]

log = logging.getLogger("harness.android.logcat")
_QUIET_S = 0.05  # no bytes for this long: release the record the parser holds back
_RECONNECT_S = 180.0  # how long a rebooting phone may take to answer again
_RETRY_S = 0.25  # the phone is down: nothing to wait on but the next attempt
BUFFERS = "main,system,events,crash"


class LogcatCapture:
    def __init__(self, transport: AdbTransport, stream: EventStream) -> None:
        self.transport = transport
        self.stream = stream
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self.error: HarnessError | None = None
        self.reconnects = 0

    def start(self, timeout_s: float = 10.0) -> LogcatCapture:
        since = self.transport.shell("date +%s", timeout_s).strip()
        if not since.isdigit():
            raise DeviceUnreachable(self.transport.name, "date +%s", f"unexpected answer {since!r}")
        self._sock = self._open(f"{since}.000", timeout_s)
        self._thread = threading.Thread(target=self._read, name=f"logcat-{self.transport.name}", daemon=True)
        self._thread.start()
        return self

    def _open(self, since: str, timeout_s: float) -> socket.socket:
        conn = self.transport.device(timeout_s).create_connection(timeout=timeout_s)
        conn.send(f"shell:logcat -b {BUFFERS} -v threadtime -v year -T {since}")
        sock: socket.socket = conn.socket
        sock.settimeout(_QUIET_S)
        return sock

    def _read(self) -> None:
        try:
            while not self._stop.is_set() and self._sock is not None:
                self._pump(self._sock)
                if not self._stop.is_set():
                    self._sock = self._reopen()
        finally:
            self.stream.close()

    def _pump(self, sock: socket.socket) -> None:
        pending = b""
        while not self._stop.is_set():
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                self.stream.flush()
                continue
            except OSError:
                return
            if not chunk:
                return
            pending += chunk
            *lines, pending = pending.split(b"\n")
            if lines:
                self.stream.feed(line.decode("utf-8", "replace").rstrip("\r") for line in lines)
            try:
                idle = not pending and not select.select([sock], [], [], 0)[0]
            except (OSError, ValueError):
                return  # stop() closed the socket under us
            if idle:
                # logcat writes a multi-line message in one go: nothing more queued means the
                # record the parser holds back is complete, so waiters need not wait for _QUIET_S.
                self.stream.flush()

    def _reopen(self) -> socket.socket | None:
        """The stream ended (a reboot, a dropped connection): follow the phone when it is back."""
        deadline = time.monotonic() + _RECONNECT_S
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                if self.transport.shell("getprop sys.boot_completed", 5).strip() == "1":
                    self.reconnects += 1
                    return self._open("1.000", 10)  # from 1970: the new boot's buffers hold only new lines
            except HarnessError:
                pass
            self._stop.wait(_RETRY_S)
        if not self._stop.is_set():
            self.error = DeviceUnreachable(self.transport.name, "logcat", f"the log stream ended and the phone "
                                           f"did not come back within {_RECONNECT_S:.0f} s")
            log.warning("%s", self.error)
        return None

    def stop(self) -> None:
        self._stop.set()
        sock = self._sock  # the reader thread may swap it (reconnecting) while we stop
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        if self._thread is not None:
            self._thread.join(5)
