"""``harness doctor``: what this machine lacks to drive phones, and the fix for each problem."""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import socket
import subprocess
from dataclasses import dataclass

from rich.markup import escape

from harness.android.transport import server_devices
from harness.cli._common import DevicesOpt, exits, load, make_console
from harness.cli._doctor_app import app_checks
from harness.config import Config
from harness.errors import AppiumUnreachable, ConfigError, DeviceError, HarnessError
from harness.labctl import state_dir
from harness.pool import leases
from harness.usbhub import CambrionixClient

__all__ = ["doctor_cmd"]

console = make_console()


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def _binary(name: str, version_args: list[str], package: str) -> Check:
    path = shutil.which(name)
    if path is None:
        return Check(name, False, "not on PATH", f"apt-get install {package} (or run `make test`, which installs it)")
    try:
        out = subprocess.run([path, *version_args], capture_output=True, text=True, timeout=10, check=False)
        first = (out.stdout or out.stderr).strip().splitlines()
        return Check(name, True, f"{path} ({first[0] if first else 'version unknown'})")
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Check(name, False, f"{path} does not run: {exc}", f"reinstall {package}")


def _library(dist: str, module_hint: str) -> Check:
    try:
        return Check(dist, True, importlib.metadata.version(dist))
    except importlib.metadata.PackageNotFoundError:
        return Check(dist, False, "not installed", f"pip install {dist} (or `make test`); used for {module_hint}")


def _adb_server(address: str) -> Check:
    host, _, port = address.rpartition(":")
    try:
        listed = server_devices(host, int(port), timeout_s=3)
    except HarnessError:
        return Check(f"adb server {address}", False, "does not answer",
                     f"`adb -P {port} start-server`, or `harness lab up --detach` for the lab's server")
    return Check(f"adb server {address}", True, f"{len(listed)} device(s) listed")


def _usbmuxd(address: str | None) -> Check:
    if address is None:
        path = "/var/run/usbmuxd"
        ok = os.path.exists(path)
        return Check("usbmuxd", ok, path if ok else f"{path} missing",
                     "" if ok else "apt-get install usbmuxd and plug the iPhone in, or set usbmux = host:port")
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=2):
            return Check(f"usbmuxd {address}", True, "reachable")
    except OSError as exc:
        return Check(f"usbmuxd {address}", False, f"not reachable ({exc.strerror or exc})",
                     "start the lab (`harness lab up --detach`) or expose usbmuxd over TCP on the lab host")


def _usb_hub(address: str, names: list[str]) -> Check:
    """The hub API service the power verbs use answers ``cbrx_discover``."""
    try:
        hubs = CambrionixClient(address, names[0], timeout_s=3).call("cbrx_discover", ["local"])
    except DeviceError as exc:
        return Check(f"usb hub API {address}", False, exc.problem, exc.fix or "check usb_hub in devices.toml")
    if not hubs:
        return Check(f"usb hub API {address}", False, "the service sees no hub",
                     "check the hub's USB cable to this host and its power supply")
    return Check(f"usb hub API {address}", True, f"hub(s) {', '.join(map(str, hubs))} (for {', '.join(names)})")


def _appium(url: str, names: list[str]) -> Check:
    """The Appium server the UI verbs use answers ``/status`` (W3C) and says it is ready."""
    from harness.ui import appium_status  # noqa: PLC0415 - Appium's client loads only when an Appium server is checked

    try:
        status = appium_status(url, names[0], timeout_s=3)
    except AppiumUnreachable as exc:
        return Check(f"appium {url}", False, exc.problem, exc.fix)
    version = (status.get("build") or {}).get("version", "?")
    if not status.get("ready"):
        return Check(f"appium {url}", False, f"Appium {version} not ready: {status.get('message', '')}",
                     "wait for it to finish starting, or restart it")
    return Check(f"appium {url}", True, f"Appium {version} ready (for {', '.join(names)})")


def _appium_urls(cfg: Config) -> dict[str, list[str]]:
    """Appium URL → the devices that use it (``appium_url``, or the lab's endpoint for lab phones)."""
    from harness.ui import appium_url_for  # noqa: PLC0415 - Appium's client loads only when an Appium server is checked

    urls: dict[str, list[str]] = {}
    for dev in cfg.devices:
        try:
            urls.setdefault(appium_url_for(cfg, dev), []).append(dev.name)
        except ConfigError:
            continue  # a real phone without appium_url: the UI verbs are not used on it
    return urls


def _busy(cfg: Config) -> set[str]:
    """Phones a run holds now (their leases): the app checks launch the app, so they leave those alone."""
    try:
        return {lease.device for lease in leases(state_dir(cfg) / "pool") if lease.state != "expired"}
    except (OSError, HarnessError):
        return set()


@exits
def doctor_cmd(devices: str = DevicesOpt) -> None:
    """Check adb, the adb servers, usbmuxd, the Appium servers, the USB hubs, the client libraries and, per phone,
    the app (installed, debuggable, its log lines and tasks on a launch); print each fix."""
    cfg = load(devices)
    checks = [
        _binary("adb", ["version"], "adb"),
        _binary("ideviceinfo", ["--version"], "libimobiledevice-utils"),
        _library("pure-python-adb", "the Android driver"),
        _library("pymobiledevice3", "the iOS driver"),
        _library("Appium-Python-Client", "UI automation"),
    ]
    checks += [_adb_server(a) for a in sorted({d.adb_server for d in cfg.devices if d.platform == "android"})]
    ios = {d.usbmux or "" for d in cfg.devices if d.platform == "ios"}
    checks += [_usbmuxd(a or None) for a in sorted(ios)]
    checks += [_appium(url, names) for url, names in sorted(_appium_urls(cfg).items())]
    hubs: dict[str, list[str]] = {}
    for dev in cfg.devices:
        if dev.usb_hub:
            hubs.setdefault(dev.usb_hub, []).append(dev.name)
    checks += [_usb_hub(address, names) for address, names in sorted(hubs.items())]
    checks += [Check(c.name, c.ok, c.detail, c.fix) for c in app_checks(cfg, _busy(cfg))]
    problems = 0
    for check in checks:
        mark = "[green]ok[/]  " if check.ok else "[red]FAIL[/]"
        console.print(f"{mark} {escape(check.name)}: {escape(check.detail)}")  # device text is never markup
        if not check.ok:
            problems += 1
            console.print(f"      fix: {escape(check.fix)}")
    console.print(f"{problems} problem(s)" if problems else "all checks passed")
    if problems:
        raise SystemExit(1)
