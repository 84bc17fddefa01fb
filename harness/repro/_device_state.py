"""What a bug bundle reads from the phone after a failing run: properties, OEM settings, a bug report.

Android: ``getprop`` and ``settings list global|secure|system`` (the OEM profile switches live there,
docs/oem-profiles.md), through the same adb server the drivers use (``adb_server`` of the device,
remote or local). ``adb bugreport`` is Google's client (adb/bugreport.cpp: ``bugreportz -v``, then
``bugreportz -p``, then a sync pull); the harness runs the ``adb`` binary against the device's adb
server with ``-H``/``-P``. iOS: lockdown's ``GetValue`` values through pymobiledevice3.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from harness.android import AndroidDriver
from harness.config import Config, DeviceConfig
from harness.errors import HarnessError

__all__ = ["BUGREPORT_TIMEOUT_S", "device_files", "take_bugreport"]

_READ_TIMEOUT_S = 20.0
BUGREPORT_TIMEOUT_S = 600.0  # a real phone's dumpstate takes one to several minutes


def device_files(cfg: Config, dev: DeviceConfig) -> dict[str, str]:
    """name → text: the phone's properties and settings now (an unreachable phone says so in the text)."""
    if dev.platform == "ios":
        return {"lockdown-values.json": _ios_values(cfg, dev)}
    drv = AndroidDriver.for_device(cfg, dev, timeout_s=_READ_TIMEOUT_S)
    commands = {"getprop.txt": "getprop", "settings-global.txt": "settings list global",
                "settings-secure.txt": "settings list secure", "settings-system.txt": "settings list system"}
    files = {}
    for name, command in commands.items():
        try:
            files[name] = drv.transport.shell(command, _READ_TIMEOUT_S)
        except HarnessError as exc:
            files[name] = f"could not read `{command}`: {exc}\n"
    return files


def _ios_values(cfg: Config, dev: DeviceConfig) -> str:
    from harness.ios import IOSDriver  # noqa: PLC0415 - pymobiledevice3 loads only for an iPhone

    try:
        return json.dumps(IOSDriver.for_device(cfg, dev, timeout_s=_READ_TIMEOUT_S).values(), indent=1,
                          default=str) + "\n"
    except HarnessError as exc:
        return f"could not read the lockdown values: {exc}\n"


def take_bugreport(dev: DeviceConfig, dest: Path, timeout_s: float = BUGREPORT_TIMEOUT_S) -> str | None:
    """``adb bugreport DEST`` for an Android phone; None when it worked, else what went wrong."""
    if dev.platform != "android":
        return f"{dev.name} is not an Android phone: no adb bugreport"
    adb = shutil.which("adb")
    if adb is None:
        return "the `adb` binary is not on PATH (apt-get install adb)"
    host, port = dev.adb_host_port
    cmd = [adb, "-H", host, "-P", str(port), "-s", dev.serial or "", "bugreport", str(dest)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        return f"`{' '.join(cmd)}` did not finish within {timeout_s:.0f} s"
    if done.returncode != 0 or not dest.exists():
        return f"`{' '.join(cmd)}` exited {done.returncode}: {(done.stderr or done.stdout).strip()[-500:]}"
    return None
