"""Capture a phone's logcat (main, system, events, crash) for a whole test, streaming to waiters.

A reader thread holds one ``logcat`` stream open through the adb server and feeds an
``EventStream``; lines go to the capture file as they come, so a crash still leaves them.
``-v year`` gives full dates, so events land on the right day; ``-T <device epoch>`` starts at the
capture's start without clearing anyone's buffer.

When the stream ends, the reader looks at once at why. A reboot the driver announced (``stream.away``) is
followed: the reader reconnects once the phone is back and goes on from where it was (the new boot's buffers
hold only new lines). Otherwise it asks the adb server for the phone's state (a dead server the harness owns is
restarted on the way): a phone no longer listed, offline or unauthorized is *lost* (``stream.lost``), and every
wait on the stream ends with DeviceLost within a second; a phone still there has its logcat reopened with its
last lines again, so nothing logged meanwhile is missed.
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import threading
import time

from harness.android._recovery import _LOCKS as _RESTARTING  # held while a server is being restarted
from harness.android.transport import AdbTransport
from harness.errors import DeviceError, DeviceUnreachable, HarnessError
from harness.logs.stream import EventStream

__all__ = ["LogcatCapture"]

log = logging.getLogger("harness.android.logcat")
_QUIET_S = 0.05  # no bytes for this long: release the record the parser holds back
_RECONNECT_S = 180.0  # how long a rebooting phone may take to answer again
_RETRY_S = 0.25  # the phone is down: nothing to wait on but the next attempt
# A stopped (SIGSTOP) or hung adb server keeps the stream open and silent, like a quiet phone: after this long
# without a byte the reader asks the server (bounded) whether the phone is still there.
_PROBE_S = 2.0
BUFFERS = "main,system,events,crash"
_START_LINES = 200  # about a second of a busy phone's log, at the capture's start
_RESEND = 2000  # lines asked again when a dropped stream is reopened (the stream drops those it has)
# Linux's TCP_QUICKACK: the adb server writes to its clients with Nagle on, so a small write (a log line) that
# follows another within the client's delayed-ACK time (40 ms) waits for that ACK. Acking at once after each read
# delivers every line as it is written: the first lines of a capture came 40 ms late, and so did a step's marker.
_QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)
_STATES = {"missing": "disconnected", "offline": "went offline",
           "unauthorized": "became unauthorized (USB debugging was revoked)"}


def _ack_now(sock: socket.socket) -> None:
    """Ack what was read at once (a no-op where TCP_QUICKACK does not exist); the kernel drops back to delayed
    ACKs by itself, so this is asked again after every read."""
    if _QUICKACK is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)


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
        """Follow the phone's log from (about) now: its last ``_START_LINES`` lines, then every new one. By count,
        not ``-T <this second>``: a phone whose clock stood still (a virtual lab phone while the harness acts) can
        have thousands of lines in "this second", and what came before the capture is not the cell's anyway (its
        waits count from their marks).

        A virtual lab phone's capture starts at its last line: the earlier lines only teach the parser context (a
        work id's job, a run still open), and how many of the app's lines 200 lines reached back to depended on
        how much background log the host's wall clock had let the lab write, so the same seed gave two timelines.
        The app's running process is told to the stream by the driver (``pidof``) instead."""
        context = 1 if self.stream.stepper is not None else _START_LINES
        self._sock = self._open(str(context), timeout_s)
        self._thread = threading.Thread(target=self._read, name=f"logcat-{self.transport.name}", daemon=True)
        self._thread.start()
        return self

    def _open(self, since: str, timeout_s: float) -> socket.socket:
        conn = self.transport.device(timeout_s).create_connection(timeout=timeout_s)
        conn.send(f"shell:logcat -b {BUFFERS} -v threadtime -v year -T {since}")
        sock: socket.socket = conn.socket
        sock.settimeout(_QUIET_S)
        _ack_now(sock)  # the service's OKAY was read: its first lines are next
        return sock

    def _read(self) -> None:
        try:
            while not self._stop.is_set() and self._sock is not None:
                ended = self._sock
                probed = self._pump(ended)
                if not self._stop.is_set():
                    self._sock = self._reopen() if self.stream.away_for is not None else self._resume(probed)
                    ended.close()  # its stream is over (a reboot, a restarted server): not left to the collector
        except Exception as exc:  # a dead capture is a lost phone for the waits: they would see nothing
            if not self._stop.is_set():
                self.stream.lost(f"lost its log capture ({exc!r})")
            log.exception("[%s] the logcat reader died", self.transport.name)
        finally:
            self.stream.close()
            if self._sock is not None:  # one opened as stop() came: stop() closed the one it saw
                self._sock.close()

    def _pump(self, sock: socket.socket) -> str | None:
        """Feed the stream until it ends; returns the phone's state when a probe of a silent stream ended it."""
        pending = b""
        heard = time.monotonic()
        while not self._stop.is_set():
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                self.stream.flush()
                if time.monotonic() - heard > _PROBE_S and self.stream.away_for is None:
                    heard = time.monotonic()
                    state = self._state()  # its own bound: a busy server is not a stopped one
                    if state != "device":  # gone, or the server does not answer
                        return state
                continue
            except OSError:
                return None
            if not chunk:
                return None
            _ack_now(sock)
            heard = time.monotonic()
            pending += chunk
            *lines, pending = pending.split(b"\n")
            if lines:
                self.stream.feed(line.decode("utf-8", "replace").rstrip("\r") for line in lines)
            try:
                idle = not pending and not select.select([sock], [], [], 0)[0]
            except (OSError, ValueError):
                return None  # stop() closed the socket under us
            if idle:
                # logcat writes a multi-line message in one go: nothing more queued means the
                # record the parser holds back is complete, so waiters need not wait for _QUIET_S.
                self.stream.flush()
        return None

    def _resume(self, probed: str | None = None) -> socket.socket | None:
        """The stream ended with no reboot announced: the phone is lost unless adb still lists it as a device."""
        how = self._gone(probed)
        if how is None:
            try:
                self.stream.resuming(_RESEND)
                sock = self._open(str(_RESEND), 10)
                self.reconnects += 1
                return sock
            except HarnessError as exc:
                how = f"lost its log stream, which could not be reopened ({exc})"
        if not self._stop.is_set():
            self.stream.lost(how)
            log.warning("[%s] %s", self.transport.name, how)
        return None

    def _gone(self, probed: str | None = None) -> str | None:
        """Why the phone is gone, or None when adb lists it as a device (``probed``: its state, just asked)."""
        state = probed if probed is not None else self._state()
        lock = _RESTARTING.get(self.transport.port)
        if state != "device" and lock is not None and lock.locked():
            with lock:  # someone is restarting the server: it reconnects the phones before it lets go
                pass
            state = self._state()
        if state == "device":
            return None
        return _STATES.get(state, state if state.startswith("was cut off") else f"is in adb state {state!r}")

    def _state(self, timeout_s: float = 5.0) -> str:
        try:
            return self.transport.state(timeout_s)
        except HarnessError as exc:
            why = exc.problem if isinstance(exc, DeviceError) else str(exc)
            return f"was cut off: its adb server {self.transport.server} stopped answering ({why})"

    def _reopen(self) -> socket.socket | None:
        """The stream ended during a reboot the driver announced: follow the phone when it is back."""
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
            self.stream.lost(f"did not come back within {_RECONNECT_S:.0f} s ({self.stream.away_for})")
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
