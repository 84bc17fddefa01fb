"""`harness doctor` names each problem with its fix and fails when there is one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.labkit import free_port

CONFIG = """
[[device]]
name = "desk-pixel"
platform = "android"
oem = "google"
model = "Pixel 8"
os_version = "15"
serial = "37281FDJH000AB"
adb_server = "127.0.0.1:{adb}"

[[device]]
name = "desk-iphone"
platform = "ios"
oem = "apple"
model = "iPhone15,4"
os_version = "18.1"
udid = "00008120-001A2C3E0E90201E"
usbmux = "127.0.0.1:{mux}"
usb_hub = "127.0.0.1:{hub}"
"""


def test_doctor_names_problems_and_fixes(tmp_path: Path) -> None:
    path = tmp_path / "devices.toml"
    path.write_text(CONFIG.format(adb=free_port(), mux=free_port(), hub=free_port()))
    result = subprocess.run([sys.executable, "-m", "harness.cli", "doctor", "--devices", str(path)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1
    out = result.stdout
    assert "ok   adb:" in out and "ok   pure-python-adb" in out
    assert "FAIL adb server 127.0.0.1:" in out and "start-server" in out
    assert "FAIL usbmuxd 127.0.0.1:" in out and "fix:" in out
    assert "FAIL usb hub API 127.0.0.1:" in out and "CambrionixApiService" in out
    assert "3 problem(s)" in out
