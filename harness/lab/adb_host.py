"""The lab's use of Google's ``adb``: a private server on the lab's port, and ``adb connect``.

This is how a lab technician attaches Wi-Fi phones too; nothing here is lab-only protocol.
"""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess

from harness.errors import LabError

__all__ = ["adb_binary", "adb_run", "connect", "disconnect", "ensure_server", "kill_server", "reconnect_offline",
           "server_running"]

_TIMEOUT_S = 20.0
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
    while the phone is still ``offline``, and a harness that asks it then would find it unusable."""
    result = adb_run(port, "connect", serial)
    text = (result.stdout + result.stderr).strip()
    if "connected to" not in text:
        raise LabError(f"adb (server port {port}) could not connect to {serial}: {text}")
    try:
        adb_run(port, "-s", serial, "wait-for-device", timeout_s=online_within_s)
    except LabError:
        log.warning("adb (server port %d): %s still not online %g s after `adb connect`", port, serial,
                    online_within_s)


def disconnect(port: int, serial: str) -> None:
    adb_run(port, "disconnect", serial)


def reconnect_offline(port: int) -> None:
    """Ask the server to retry offline devices now instead of after its back-off."""
    adb_run(port, "reconnect", "offline")
