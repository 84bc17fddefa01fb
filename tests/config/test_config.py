"""devices.toml: the shipped file loads; bad input names the file, the device and the key (exit 2)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness.config import load_config
from harness.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
GOOD = """
[lab]
adb_server_port = 5999
[app]
android_package = "com.example.app"
[[app.task]]
name = "sync"
kind = "background-task"
[[device]]
name = "p8"
platform = "android"
oem = "google"
model = "Pixel 8"
os_version = "15"
serial = "ABC123"
"""


def test_shipped_devices_toml_describes_the_default_lab() -> None:
    cfg = load_config(ROOT / "devices.toml")
    names = [d.name for d in cfg.devices]
    assert names[:6] == ["pixel-8", "xiaomi-13", "oppo-find-x6", "samsung-s23", "iphone-12", "iphone-15"]
    pixel = cfg.device("pixel-8")
    assert (pixel.platform, pixel.oem, pixel.os_version, pixel.lab) == ("android", "google", "15", True)
    assert pixel.serial == f"127.0.0.1:{pixel.lab_port}"
    assert pixel.adb_server == f"127.0.0.1:{cfg.lab.adb_server_port}"
    assert cfg.device("iphone-15").udid
    assert cfg.device("iphone-15").usb_hub == f"127.0.0.1:{cfg.lab.hub_port}"  # lab iPhones sit on the lab's hub
    assert pixel.usb_hub is None
    assert cfg.app.task("sync-orders").interval_min == 15


def test_real_device_defaults_to_the_local_adb_server(tmp_path: Path) -> None:
    path = tmp_path / "d.toml"
    path.write_text(GOOD)
    cfg = load_config(path)
    dev = cfg.device("p8")
    assert (dev.adb_server, dev.lab, cfg.clock_rate(dev)) == ("127.0.0.1:5037", False, 1.0)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace('platform = "android"', 'platform = "symbian"'),
         "device 'p8': unknown platform 'symbian'"),
        (lambda t: t.replace('oem = "google"', 'oem = "nokla"'), "device 'p8': unknown oem 'nokla'"),
        (lambda t: t.replace('model = "Pixel 8"\n', ""), "device 'p8': missing key 'model'"),
        (lambda t: t.replace('serial = "ABC123"\n', ""), "device 'p8': missing key 'serial'"),
        (lambda t: t.replace('serial = "ABC123"\n', "lab = true\n"), "device 'p8': missing key 'lab_port'"),
        (lambda t: t.replace('os_version = "15"', "os_version = 15"), "key 'os_version' must be a str"),
        (lambda t: t.replace("adb_server_port = 5999", 'adb_server_port = "x"'),
         "[lab]: key 'adb_server_port' must be an integer"),
        (lambda t: t + t[t.index("[[device]]"):], "device 'p8': duplicate name"),
        (lambda t: t + t[t.index("[[device]]"):].replace('"p8"', '"p9"'), "device 'p9': duplicate serial 'ABC123'"),
        (lambda t: t.replace('name = "p8"', 'name = "p8"\ncolour = "red"'), "device 'p8': unknown key 'colour'"),
        (lambda t: t.replace('kind = "background-task"', 'kind = "cron"'), "unknown kind 'cron'"),
        (lambda t: t.replace("[lab]", "[lab"), "syntax"),
        (lambda t: t.replace('serial = "ABC123"', 'serial = "ABC123"\nusb_hub = "hub.local"'),
         "device 'p8': key 'usb_hub' must be host:port, got 'hub.local'"),
        (lambda t: t.replace('serial = "ABC123"', 'serial = "ABC123"\nusb_hub = "h:43424"\nusb_hub_port = "3"'),
         "device 'p8': key 'usb_hub_port' must be HUBSERIAL:N, got '3'"),
        (lambda t: t.replace('serial = "ABC123"', 'serial = "ABC123"\nusb_hub_port = "000000897FD0505A:3"'),
         "device 'p8': key 'usb_hub_port' needs 'usb_hub'"),
    ],
)
def test_bad_input_names_file_device_and_key(tmp_path: Path, edit, message: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "devices.toml"
    path.write_text(edit(GOOD))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in str(info.value)
    assert message in str(info.value)


def test_cli_exits_2_on_bad_config_and_says_why(tmp_path: Path) -> None:
    path = tmp_path / "devices.toml"
    path.write_text(GOOD.replace('oem = "google"', 'oem = "nokla"'))
    result = subprocess.run([sys.executable, "-m", "harness.cli", "devices", "--devices", str(path)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "unknown oem 'nokla'" in result.stderr and str(path) in result.stderr


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")
