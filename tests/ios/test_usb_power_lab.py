"""Taking a virtual iPhone off USB power and back, through the real clients: the harness's Cambrionix API client
switches the phone's hub port, pymobiledevice3 sees usbmuxd's ``Detached``/``Attached``, lockdownd's battery domain
says whether it is on external power, and the Appium client is refused while the phone has no data link.
``mobile: lock`` locks the phone, and the ``ui`` driver unlocks what it locked when it closes."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest
from pymobiledevice3.usbmux import list_devices

from harness.errors import CommandFailed, DeviceUnreachable, HarnessError
from harness.ios import IOSDriver
from harness.ios._bridge import bridge
from harness.lab.runner import LAB_HUB_SERIAL
from harness.ui import UiDriver
from harness.usbhub import CambrionixClient, HubPort
from tests.labkit import RunningLab, free_port

PHONE = "iphone-15"


def _listed(lab: RunningLab, udid: str) -> bool:
    devices = bridge.run(list_devices(f"127.0.0.1:{lab.cfg.lab.usbmuxd_port}"), 10)
    return any(d.serial == udid for d in devices)


def _hub(lab: RunningLab) -> CambrionixClient:
    return CambrionixClient(f"127.0.0.1:{lab.cfg.lab.hub_port}", "test")


def test_unplug_switches_the_port_off_and_plug_brings_the_phone_back(ios_lab: RunningLab) -> None:
    dev = ios_lab.cfg.device(PHONE)
    assert dev.udid is not None
    driver = IOSDriver.for_device(ios_lab.cfg, dev)
    assert driver.battery()["ExternalConnected"] is True
    assert driver.usb_port_mode() == "s"
    phone = ios_lab.iphone(PHONE)

    driver.unplug()
    try:
        assert not _listed(ios_lab, dev.udid)
        assert ios_lab.call(lambda: phone.charging) is False
        port = _hub(ios_lab).find(dev.udid.replace("-", ""))
        assert port is None  # an unpowered port has no USB data: the hub sees no device on it
        assert driver.usb_port_mode() == "o"
        with pytest.raises(DeviceUnreachable, match=PHONE):
            driver.values()
    finally:
        driver.plug()
    assert _listed(ios_lab, dev.udid)
    assert driver.battery()["ExternalConnected"] is True
    assert driver.os_version == dev.os_version
    assert [h.verb for h in driver.history[-2:]] == ["unplug", "plug"]


def test_unplug_for_a_span_returns_on_usb_after_that_much_phone_time(ios_lab: RunningLab) -> None:
    driver = IOSDriver.for_device(ios_lab.cfg, ios_lab.cfg.device(PHONE))
    before = driver.device_time()
    driver.unplug(for_s=3600)
    after = driver.device_time()
    assert before is not None and after is not None
    assert after - before >= 3600  # the phone's clock ran on while it was away
    assert driver.usb_port_mode() == "s"


def test_restore_plugs_back_a_phone_a_test_left_unplugged(ios_lab: RunningLab) -> None:
    dev = ios_lab.cfg.device(PHONE)
    driver = IOSDriver.for_device(ios_lab.cfg, dev)
    driver.unplug()
    assert driver.restore() == []
    assert dev.udid is not None and _listed(ios_lab, dev.udid)


def test_the_hub_port_can_be_named_in_devices_toml(ios_lab: RunningLab) -> None:
    dev = ios_lab.cfg.device("iphone-12")
    assert dev.udid is not None
    found = _hub(ios_lab).find(dev.udid.replace("-", ""))
    assert isinstance(found, HubPort)
    named = dataclasses.replace(dev, usb_hub_port=f"{found.hub}:{found.port}")
    driver = IOSDriver.for_device(ios_lab.cfg, named)
    driver.unplug(for_s=60)
    assert driver.history[-1].command == f"plug ({found} sync)"


def test_appium_cannot_reach_an_unplugged_iphone_and_lock_is_undone_at_close(ios_lab: RunningLab) -> None:
    dev = ios_lab.cfg.device(PHONE)
    driver = IOSDriver.for_device(ios_lab.cfg, dev)
    ui = UiDriver(ios_lab.cfg, dev)
    phone = ios_lab.iphone(PHONE)
    try:
        ui.lock()
        assert ui.is_locked()
        driver.unplug()
        try:
            with pytest.raises(HarnessError, match="Could not proxy command"):
                ui.is_locked()
        finally:
            driver.plug()
        assert ui.is_locked()  # unplugging does not unlock
    finally:
        ui.close()
    assert ios_lab.call(lambda: phone.system.locked) is False  # type: ignore[union-attr]


def test_without_a_hub_unplug_says_what_to_configure(ios_lab: RunningLab) -> None:
    dev = dataclasses.replace(ios_lab.cfg.device(PHONE), usb_hub=None)
    with pytest.raises(CommandFailed, match="usb_hub") as info:
        IOSDriver.for_device(ios_lab.cfg, dev).unplug()
    assert PHONE in str(info.value)


def test_an_unreachable_hub_api_names_the_phone_and_the_address(ios_lab: RunningLab) -> None:
    address = f"127.0.0.1:{free_port()}"
    dev = dataclasses.replace(ios_lab.cfg.device(PHONE), usb_hub=address)
    with pytest.raises(DeviceUnreachable) as info:
        IOSDriver.for_device(ios_lab.cfg, dev).unplug()
    assert PHONE in str(info.value) and address in str(info.value)


def test_doctor_finds_the_hub_api(ios_lab: RunningLab, tmp_path: Path) -> None:
    dev = ios_lab.cfg.device(PHONE)
    path = tmp_path / "devices.toml"
    path.write_text(DOCTOR_TOML.format(udid=dev.udid, mux=ios_lab.cfg.lab.usbmuxd_port, hub=ios_lab.cfg.lab.hub_port))
    out = subprocess.run([sys.executable, "-m", "harness.cli", "doctor", "--devices", str(path)],
                         capture_output=True, text=True, timeout=60, check=False).stdout
    assert f"ok   usb hub API 127.0.0.1:{ios_lab.cfg.lab.hub_port}: hub(s) {LAB_HUB_SERIAL} (for desk-iphone)" in out
    assert ios_lab.call(ios_lab.thread.lab.status)["usb_hub"] == f"127.0.0.1:{ios_lab.cfg.lab.hub_port}"


DOCTOR_TOML = """
[[device]]
name = "desk-iphone"
platform = "ios"
oem = "apple"
model = "iPhone15,4"
os_version = "18.1"
udid = "{udid}"
usbmux = "127.0.0.1:{mux}"
usb_hub = "127.0.0.1:{hub}"
"""
