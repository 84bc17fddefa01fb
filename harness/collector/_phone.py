"""Pointing a phone's app at the collector: ``adb reverse`` on Android, and the probe's config file.

``adb reverse tcp:<device port> tcp:<collector port>`` goes through the adb server as the device service
``reverse:forward:tcp:X;tcp:Y`` (two statuses: the server's "connected" OKAY, then adbd's own OKAY or
FAIL + message; ``adb/client/commandline.cpp`` forward/reverse block, ``adb/adb.cpp:handle_forward_request``).
pure-python-adb's ``Device.reverse`` writes ``tcp:X:tcp:Y`` (a colon where adbd wants ``;``), so the
request is made here on a raw ppadb connection. It works the same on every phone, real or virtual.

The probe reads ``files/bgprobe-collector.json`` (Android, written with ``run-as``; a debuggable build
is needed, as for the probe's ring buffer) or ``Documents/bgprobe-collector.json`` (iOS) at each wake:
``{"url": …, "token": …, "device": …}``.
"""

from __future__ import annotations

import json
import shlex

from harness.android.transport import AdbTransport
from harness.errors import CommandFailed, DeviceUnreachable, HarnessError

__all__ = ["CONFIG_FILE", "adb_reverse", "app_config", "remove_adb_reverse", "reverse_listed", "reverse_problem",
           "write_android_config"]

CONFIG_FILE = "bgprobe-collector.json"


def _reverse_request(transport: AdbTransport, request: str, timeout_s: float) -> None:
    device = transport.device()
    try:
        conn = device.create_connection(timeout=timeout_s)
        with conn:
            conn.send(request)  # the first status: the adb server reached adbd
            conn.check_status()  # the second: adbd's answer (FAIL carries the reason)
    except RuntimeError as exc:
        raise CommandFailed(transport.name, request, str(exc).replace("ERROR: ", ""),
                            "see `adb reverse --list`; on a real phone the port may be in use by another app") from exc
    except OSError as exc:
        raise DeviceUnreachable(transport.name, request, f"adb server {transport.server}: {exc}",
                                "is the phone still listed by `adb devices`?") from exc


def adb_reverse(transport: AdbTransport, device_port: int, host_port: int, timeout_s: float = 10.0) -> None:
    """``adb reverse tcp:<device_port> tcp:<host_port>``: the phone's loopback port reaches the host's."""
    _reverse_request(transport, f"reverse:forward:tcp:{device_port};tcp:{host_port}", timeout_s)


def reverse_listed(transport: AdbTransport, timeout_s: float = 10.0) -> dict[str, str]:
    """``adb reverse --list``: the phone's reversed ports, local → remote (``{"tcp:8765": "tcp:39133"}``). adbd
    answers ``reverse:list-forward`` with the listing alone, after the server's OKAY (``adb/adb.cpp:
    handle_forward_request``: its OKAY is ``#if ADB_HOST``); a row is ``<serial> <local> <remote>``."""
    text = transport.query("reverse:list-forward", timeout_s)
    return {parts[1]: parts[2] for line in text.splitlines() if len(parts := line.split()) >= 3}


def reverse_problem(transport: AdbTransport, device_port: int, host_port: int) -> str | None:
    """Why the phone's reports cannot reach the collector now, or None: a reverse lives as long as the adb
    connection that made it, so an adb server restart, a reconnect or a reboot drops it silently."""
    local, remote = f"tcp:{device_port}", f"tcp:{host_port}"
    try:
        listed = reverse_listed(transport)
    except HarnessError as exc:
        return f"its `adb reverse` could not be read ({exc})"
    if listed.get(local) != remote:
        now = f"now {listed[local]}" if local in listed else "no longer listed"
        return f"its `adb reverse {local} {remote}` to the collector was lost ({now}: the adb server restarted, or " \
               "the phone reconnected or rebooted)"
    return None


def remove_adb_reverse(transport: AdbTransport, device_port: int, timeout_s: float = 10.0) -> None:
    """``adb reverse --remove tcp:<device_port>``."""
    _reverse_request(transport, f"reverse:killforward:tcp:{device_port}", timeout_s)


def app_config(url: str, token: str, device: str) -> str:
    """The probe's collector config (one JSON line)."""
    return json.dumps({"url": url, "token": token, "device": device}, separators=(",", ":"))


def write_android_config(transport: AdbTransport, package: str, url: str, token: str, device: str) -> None:
    """Write ``files/bgprobe-collector.json`` into the app's data with ``run-as`` (debuggable builds)."""
    text = app_config(url, token, device)
    command = f"run-as {package} sh -c {shlex.quote(f'echo {shlex.quote(text)} > files/{CONFIG_FILE}')}"
    result = transport.run(command)
    if result.exit_code != 0:
        raise CommandFailed(transport.name, f"run-as {package} (write {CONFIG_FILE})",
                            f"exit {result.exit_code}: {result.output.strip()[-200:]}",
                            "the app must be a debuggable build to accept run-as", exit_code=result.exit_code)
