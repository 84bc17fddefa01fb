"""Capture a phone's logcat (main, system, events, crash) for a whole test, streaming to waiters.

A reader thread holds one ``logcat`` stream open through the adb server and feeds an
``EventStream``; lines go to the capture file as they come, so a crash still leaves them.
``-v year`` gives full dates, so events land on the right day; ``-T <device epoch>`` starts at the
capture's start without clearing anyone's buffer.
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import threading

from harness.android.transport import AdbTransport
from harness.errors import DeviceUnreachable, HarnessError
from harness.logs.stream import EventStream

__all__ = ["LogcatCapture"]

log = logging.getLogger("harness.android.logcat")
_QUIET_S = 0.05  # no bytes for this long: release the record the parser holds back
BUFFERS = "main,system,events,crash"


class LogcatCapture:
    def __init__(self, transport: AdbTransport, stream: EventStream) -> None:
        self.transport = transport
        self.stream = stream
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self.error: HarnessError | None = None

    def start(self, timeout_s: float = 10.0) -> LogcatCapture:
        since = self.transport.shell("date +%s", timeout_s).strip()
        if not since.isdigit():
            raise DeviceUnreachable(self.transport.name, "date +%s", f"unexpected answer {since!r}")
        device = self.transport.device(timeout_s)
        conn = device.create_connection(timeout=timeout_s)
        conn.send(f"shell:logcat -b {BUFFERS} -v threadtime -v year -T {since}.000")
        self._sock = conn.socket
        self._thread = threading.Thread(target=self._read, name=f"logcat-{self.transport.name}", daemon=True)
        self._thread.start()
        return self

    def _read(self) -> None:
        sock = self._sock
        assert sock is not None
        sock.settimeout(_QUIET_S)
        pending = b""
        try:
            while not self._stop.is_set():
                try:
                    chunk = sock.recv(65536)
                except TimeoutError:
                    self.stream.flush()
                    continue
                if not chunk:
                    break
                pending += chunk
                *lines, pending = pending.split(b"\n")
                if lines:
                    self.stream.feed(line.decode("utf-8", "replace").rstrip("\r") for line in lines)
                if not pending and not select.select([sock], [], [], 0)[0]:
                    # logcat writes a multi-line message in one go: nothing more queued means the
                    # record the parser holds back is complete, so waiters need not wait for _QUIET_S.
                    self.stream.flush()
        except OSError as exc:
            if not self._stop.is_set():
                self.error = DeviceUnreachable(self.transport.name, "logcat", f"the log stream broke: {exc}")
                log.warning("%s", self.error)
        finally:
            self.stream.close()

    def stop(self) -> None:
        self._stop.set()
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
            self._sock.close()
        if self._thread is not None:
            self._thread.join(5)
