"""``harness devices``: the configured pool with each phone's live state, read from the phone."""

from __future__ import annotations

import json
import re
import socket
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from harness.android.transport import AdbTransport, server_devices
from harness.cli._common import DevicesOpt, exits, load, make_console
from harness.cli._lab import print_leases
from harness.config import Config, DeviceConfig
from harness.errors import HarnessError

__all__ = ["devices_cmd"]

console = make_console()


def _android_state(dev: DeviceConfig, servers: dict[str, dict[str, str] | str]) -> dict[str, Any]:
    host, port = dev.adb_host_port
    listed = servers.get(dev.adb_server)
    if listed is None:
        try:
            listed = server_devices(host, port, timeout_s=3)
        except HarnessError as exc:
            listed = str(exc)
        servers[dev.adb_server] = listed
    if isinstance(listed, str):
        return {"state": "no adb server", "detail": f"no adb server at {dev.adb_server}"}
    state = listed.get(dev.serial or "", "missing")
    info: dict[str, Any] = {"state": {"device": "connected"}.get(state, state)}
    if state == "device":
        info.update(_read_live(dev, host, port))
    return info


def _read_live(dev: DeviceConfig, host: str, port: int) -> dict[str, Any]:
    transport = AdbTransport(dev.name, dev.serial or "", host, port, default_timeout_s=5)
    try:
        out = transport.shell("getprop ro.build.version.release; dumpsys battery | grep -E '^  level:'")
    except HarnessError as exc:
        return {"state": "unresponsive", "detail": str(exc)}
    lines = out.splitlines()
    level = re.search(r"level:\s*(\d+)", out)
    return {"os_version": lines[0].strip() if lines else None, "battery": int(level.group(1)) if level else None}


def _ios_state(dev: DeviceConfig) -> dict[str, Any]:
    if not dev.usbmux:
        return {"state": "unknown", "detail": "no usbmux address configured"}
    host, _, port = dev.usbmux.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=2):
            return {"state": "usbmuxd reachable"}
    except OSError:
        note = "the lab is not running (`harness lab up --detach`)" if dev.lab else f"no usbmuxd at {dev.usbmux}"
        return {"state": "not served" if dev.lab else "unreachable", "detail": note}


def collect(cfg: Config) -> list[dict[str, Any]]:
    servers: dict[str, dict[str, str] | str] = {}
    rows = []
    for dev in cfg.devices:
        live = _android_state(dev, servers) if dev.platform == "android" else _ios_state(dev)
        rows.append({"name": dev.name, "platform": dev.platform, "oem": dev.oem, "model": dev.model,
                     "configured_os": dev.os_version, "id": dev.ident, "lab": dev.lab, **live})
    return rows


@exits
def devices_cmd(devices: str = DevicesOpt, as_json: bool = typer.Option(False, "--json")) -> None:
    """List the configured devices with their live state (connected / offline / unauthorized / …)."""
    cfg = load(devices)
    rows = collect(cfg)
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    table = Table("name", "platform", "oem", "model", "state", "OS", "battery", "id")
    for row in rows:
        colour = "green" if row["state"] == "connected" else "yellow"
        battery = f"{row['battery']}%" if row.get("battery") is not None else ""
        cells = (row["name"], row["platform"], row["oem"], row["model"], row["state"],
                 str(row.get("os_version") or row["configured_os"]), battery, row["id"])
        # Text, not str: rich would read a name or id like "[b]x" as markup and eat it
        table.add_row(*(Text(str(c), style=colour if i == 4 else "") for i, c in enumerate(cells)))
    console.print(table)

    print_leases(cfg)
