"""The lab's use of Google's ``adb``: a private server on the lab's port, and ``adb connect``.

This is how a lab technician attaches Wi-Fi phones too; nothing here is lab-only protocol.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import shutil
import socket
import subprocess

from harness.errors import LabError

__all__ = ["CONNECT_WORKERS", "Connector", "adb_binary", "adb_run", "connect", "disconnect", "ensure_server",
           "kill_server", "reconnect_offline", "server_running"]

_TIMEOUT_S = 20.0
CONNECT_WORKERS = 16  # phones connecting at once: each is two short-lived adb clients and a handshake
log = logging.getLogger("harness.lab")


def adb_binary() -> str:
    path = shutil.which("adb")
    if path is None:
        raise LabError("the `adb` binary is not on PATH; install it with `apt-get install adb` (Debian) "
                       "or Android's platform-tools, or run `make demo`, which installs it")
    return path


def adb_run(port: int, *args: str, timeout_s: float = _TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    cmd = [adb_binary(), "-P", str(port), *args]
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        raise LabError(f"`{' '.join(cmd)}` did not finish within {timeout_s:.0f} s") from exc


def server_running(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def ensure_server(port: int) -> None:
    """Start an adb server on ``port`` unless one already answers there."""
    result = adb_run(port, "start-server")
    if result.returncode != 0:
        raise LabError(f"could not start an adb server on port {port}: {result.stderr.strip()} "
                       f"(is another program using port {port}? change [lab] adb_server_port)")


def kill_server(port: int) -> None:
    adb_run(port, "kill-server")


def connect(port: int, serial: str, online_within_s: float = _TIMEOUT_S) -> None:
    """``adb connect``, then wait until the server has finished its handshake with the phone: ``connect`` returns
    while the phone is still ``offline``, and a harness that asks it then would find it unusable.

    Both are asked of the server on its socket, as the ``adb`` client asks them (``host:connect:`` and
    ``host-serial:<serial>:wait-for-any-device``, adb's SERVICES.TXT), not through two ``adb`` processes per
    phone: a 200-phone lab spawned 400 of them to start."""
    try:
        with _request(port, f"host:connect:{serial}", _TIMEOUT_S) as sock:
            text = _text(sock)
    except (OSError, LabError) as exc:
        raise LabError(f"adb (server port {port}) could not connect to {serial}: {exc}") from exc
    if "connected to" not in text:  # "connected to h:p", "already connected to h:p"; else why it failed
        raise LabError(f"adb (server port {port}) could not connect to {serial}: {text}")
    try:
        with _request(port, f"host-serial:{serial}:wait-for-any-device", online_within_s) as sock:
            _okay(sock)  # the second OKAY: the phone is online
    except (OSError, LabError):
        log.warning("adb (server port %d): %s still not online %g s after `adb connect`", port, serial,
                    online_within_s)


def _request(port: int, service: str, timeout_s: float) -> socket.socket:
    """A host request to the adb server on its socket: the request's length in 4 hex digits, the request, then
    OKAY (or FAIL and why); the socket stays open for what the service answers."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout_s)
    try:
        sock.sendall(f"{len(service):04x}{service}".encode())
        _okay(sock)
    except BaseException:
        sock.close()
        raise
    return sock


def _okay(sock: socket.socket) -> None:
    status = _read(sock, 4)
    if status == b"FAIL":
        raise LabError(_text(sock))
    if status != b"OKAY":
        raise LabError(f"the adb server answered {status!r}, not OKAY or FAIL")


def _text(sock: socket.socket) -> str:
    """A length-prefixed answer (4 hex digits, then the text)."""
    return _read(sock, int(_read(sock, 4), 16)).decode(errors="replace")


def _read(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise LabError("the adb server closed the connection")
        data += chunk
    return data


def disconnect(port: int, serial: str) -> None:
    adb_run(port, "disconnect", serial)


def reconnect_offline(port: int) -> None:
    """Ask the server to retry offline devices now instead of after its back-off."""
    adb_run(port, "reconnect", "offline")


class Connector:
    """``adb connect`` (and the wait until online) for each lab phone the moment it listens, ``workers`` at a time
    on threads, while the lab's loop builds the next phones: a lab's start takes the longer of the two, not their
    sum (200 phones one after the other took over a minute)."""

    def __init__(self, port: int, loop: asyncio.AbstractEventLoop, workers: int = CONNECT_WORKERS) -> None:
        self.port = port
        self.loop = loop
        self._pool = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="adb-connect")
        self._pending: list[asyncio.Future[None]] = []

    def connect(self, serial: str) -> None:
        self._pending.append(self.loop.run_in_executor(self._pool, connect, self.port, serial))

    async def wait(self) -> None:
        """Every phone connected and online, or the first failure."""
        await asyncio.gather(*self._pending)

    def close(self) -> None:
        """No more connects: those not started are dropped (the running ones end within their timeouts)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
