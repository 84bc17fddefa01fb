"""``process_control = "tunnel"``: the iOS driver launching and killing the app over iphone-15's iOS 17.4+
tunnel, through a real ``pymobiledevice3 remote tunneld`` attached to the lab's usbmuxd.

tunneld makes its tunnel with a kernel TUN device, so the tests that need it run only where this process
may create one (root and ``/dev/net/tun``); the error-path test runs everywhere.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.errors import CommandFailed, DeviceUnreachable
from harness.ios import IOSDriver
from harness.ios.process import TunnelControl
from harness.lab.ios.device import VirtualIPhone
from tests.labkit import RunningLab, free_port

PMD3 = str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "pymobiledevice3")
TUNNELD_READY_S = 60.0


def _tunnel_driver(lab: RunningLab, name: str, tunneld: tuple[str, int]) -> IOSDriver:
    driver = IOSDriver.for_device(lab.cfg, dataclasses.replace(lab.cfg.device(name), process_control="tunnel"))
    assert isinstance(driver.control, TunnelControl)
    driver.control.tunneld = tunneld
    return driver


def _phone(lab: RunningLab, name: str) -> VirtualIPhone:
    phones: list[VirtualIPhone] = lab.thread.call(lambda: list(lab.thread.lab.usbmuxd.devices))  # type: ignore[union-attr]
    return next(p for p in phones if p.name == name)


def test_no_tunneld_is_one_line_naming_the_phone_the_verb_and_the_fix(ios_lab: RunningLab) -> None:
    driver = _tunnel_driver(ios_lab, "iphone-15", ("127.0.0.1", free_port()))
    with pytest.raises(DeviceUnreachable) as info:
        driver.launch()
    err = info.value
    assert err.device == "iphone-15" and err.command.startswith("tunnel launch ")
    assert "no tunneld answers on 127.0.0.1:" in err.problem and "pymobiledevice3 remote tunneld" in err.fix
    assert "\n" not in str(err) and "Traceback" not in str(err)


def _can_make_a_tun() -> bool:
    if os.geteuid() != 0 or not os.access("/dev/net/tun", os.R_OK | os.W_OK):
        return False
    try:
        from pytun_pmd3 import TunTapDevice  # type: ignore[import-untyped]  # noqa: PLC0415 - optional: only where a TUN device can be opened

        TunTapDevice().close()  # creating one needs CAP_NET_ADMIN, not only the device node
    except Exception:
        return False
    return True


def _tunnels(port: int) -> dict[str, list[dict[str, object]]]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as answer:
        listing: dict[str, list[dict[str, object]]] = json.load(answer)
        return listing


def _wait_for_tunnel(port: int, udid: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + TUNNELD_READY_S
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if udid in _tunnels(port):
                return
        except (urllib.error.URLError, OSError, ValueError):
            pass  # tunneld is still starting
        time.sleep(0.2)  # polling tunneld's HTTP listing: it has no way to push "tunnel up"
    output = proc.stdout.read() if proc.poll() is not None and proc.stdout else ""
    pytest.fail(f"tunneld on port {port} listed no tunnel to {udid} within {TUNNELD_READY_S:g} s: {output[-1500:]}")


@pytest.fixture(scope="module")
def tunneld(ios_lab: RunningLab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """``pymobiledevice3 remote tunneld`` watching only the lab's usbmuxd, on a port of its own."""
    if not _can_make_a_tun():
        pytest.skip("tunneld needs a kernel TUN device: run as root with /dev/net/tun and CAP_NET_ADMIN")
    port = free_port()
    usbmux = f"127.0.0.1:{ios_lab.cfg.lab.usbmuxd_port}"
    udid = ios_lab.cfg.device("iphone-15").udid
    assert udid is not None
    env = {**os.environ, "HOME": str(tmp_path_factory.mktemp("tunneld-home"))}
    proc = subprocess.Popen([PMD3, "remote", "tunneld", "--host", "127.0.0.1", "--port", str(port), "--no-usb",
                             "--no-wifi", "--no-mobdev2", "--protocol", "tcp", "--usbmux-address", usbmux],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_for_tunnel(port, udid, proc)
        yield "127.0.0.1", port
    finally:
        proc.terminate()
        try:
            proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate(timeout=10)


def test_launch_pid_and_kill_over_the_tunnel(ios_lab: RunningLab, tunneld: tuple[str, int]) -> None:
    phone = _phone(ios_lab, "iphone-15")
    ios_lab.thread.call(setattr, phone, "developer_image_mounted", True)
    try:
        driver = _tunnel_driver(ios_lab, "iphone-15", tunneld)
        pid = driver.launch()
        assert pid > 0 and driver.pid() == pid
        assert driver.kill() is True
        assert driver.pid() == 0
    finally:
        ios_lab.thread.call(setattr, phone, "developer_image_mounted", False)


def test_tunnel_without_the_developer_image_says_to_mount_it(ios_lab: RunningLab, tunneld: tuple[str, int]) -> None:
    driver = _tunnel_driver(ios_lab, "iphone-15", tunneld)
    with pytest.raises(CommandFailed) as info:
        driver.launch()
    assert info.value.device == "iphone-15" and "com.apple.instruments.dtservicehub" in info.value.problem
    assert "mounter auto-mount" in info.value.fix and "\n" not in str(info.value)


def test_a_phone_tunneld_has_no_tunnel_to_is_named(ios_lab: RunningLab, tunneld: tuple[str, int]) -> None:
    driver = _tunnel_driver(ios_lab, "iphone-12", tunneld)  # iOS below 17.4: no CoreDeviceProxy, no tunnel
    with pytest.raises(DeviceUnreachable) as info:
        driver.launch()
    assert info.value.device == "iphone-12" and "has no tunnel to this phone" in info.value.problem
