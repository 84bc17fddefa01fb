"""`harness doctor` checks the configured Appium servers' /status; `harness lab status` reports the endpoint."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

from harness.lab.runner import write_state
from tests.labkit import ROOT, RunningLab, private_devices_toml

DEVICES = """
[[device]]
name = "farm-pixel"
platform = "android"
oem = "google"
model = "Pixel 8"
os_version = "15"
serial = "{serial}"
adb_server = "127.0.0.1:{adb}"
appium_url = "{appium}"

[[device]]
name = "farm-iphone"
platform = "ios"
oem = "apple"
model = "iPhone15,4"
os_version = "18.1"
udid = "00008120-001A2C3E0E90201E"
usbmux = "127.0.0.1:{mux}"
appium_url = "http://127.0.0.1:{dead}"
"""


def harness(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True, timeout=90,
                          check=False, cwd=ROOT)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_doctor_checks_each_appium_server(lab: RunningLab, tmp_path: Path) -> None:
    dead = _closed_port()
    path = tmp_path / "devices.toml"
    path.write_text(DEVICES.format(serial=lab.serial("pixel-8"), adb=lab.adb_port, appium=lab.appium_url,
                                   mux=lab.cfg.lab.usbmuxd_port, dead=dead))
    out = harness("doctor", "--devices", str(path)).stdout
    assert f"ok   appium {lab.appium_url}: Appium 2." in out and "ready (for farm-pixel)" in out
    assert f"FAIL appium http://127.0.0.1:{dead}: no Appium server answers /status" in out
    assert "fix: start Appium 2" in out


def test_lab_status_reports_the_appium_endpoint(lab: RunningLab, tmp_path: Path) -> None:
    status = lab.call(lab.thread.lab.status)
    assert status["appium"] == lab.appium_url
    write_state(tmp_path / "state", status)  # what `harness lab up` writes once the lab is up
    toml = private_devices_toml(tmp_path / "state")
    (tmp_path / "devices.toml").write_text(toml)
    shown = harness("lab", "status", "--json", "--devices", str(tmp_path / "devices.toml"))
    assert json.loads(shown.stdout)["appium"] == lab.appium_url
    text = harness("lab", "status", "--devices", str(tmp_path / "devices.toml")).stdout
    assert f"appium endpoint {lab.appium_url}" in text
    assert f"usb hub API 127.0.0.1:{lab.cfg.lab.hub_port}" in text and "usbmuxd 127.0.0.1:" in text
