"""Where harness.ui connects and what it asks for, from devices.toml (pure), and how a dead server fails."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Iterator

import pytest

from harness.config import Config, load_config
from harness.errors import AppiumUnreachable, ConfigError
from harness.ui import UiDriver, appium_status, appium_url_for, capabilities_for
from tests.labkit import ROOT


@pytest.fixture(scope="module")
def cfg() -> Config:
    return load_config(ROOT / "devices.toml")


def test_lab_phones_use_the_labs_endpoint_and_real_ones_their_own(cfg: Config) -> None:
    assert appium_url_for(cfg, cfg.device("pixel-8")) == f"http://127.0.0.1:{cfg.lab.appium_port}"
    real = dataclasses.replace(cfg.device("pixel-8"), lab=False, appium_url="http://farm-3:4723/")
    assert appium_url_for(cfg, real) == "http://farm-3:4723"
    with pytest.raises(ConfigError, match="appium_url"):
        appium_url_for(cfg, dataclasses.replace(real, appium_url=None))


def test_uiautomator2_capabilities(cfg: Config) -> None:
    dev = dataclasses.replace(cfg.device("xiaomi-13"), serial="127.0.0.1:6522", adb_server="127.0.0.1:5137")
    assert capabilities_for(cfg, dev) == {
        "platformName": "Android", "appium:automationName": "UiAutomator2", "appium:udid": "127.0.0.1:6522",
        "appium:appPackage": "com.example.courier", "appium:noReset": True, "appium:autoLaunch": False,
        "appium:dontStopAppOnReset": True, "appium:newCommandTimeout": 300, "appium:adbPort": 5137}
    remote = dataclasses.replace(dev, adb_server="lab-host-3:5037")
    caps = capabilities_for(cfg, remote)
    assert caps["appium:remoteAdbHost"] == "lab-host-3" and "appium:adbPort" not in caps
    with pytest.raises(ConfigError, match="serial"):
        capabilities_for(cfg, dataclasses.replace(dev, serial=None))


def test_xcuitest_capabilities(cfg: Config) -> None:
    assert capabilities_for(cfg, cfg.device("iphone-15")) == {
        "platformName": "iOS", "appium:automationName": "XCUITest", "appium:udid": "00008120-001A2C3E0E90201E",
        "appium:bundleId": "com.example.courier", "appium:noReset": True, "appium:autoLaunch": False,
        "appium:newCommandTimeout": 300}


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) but never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(4)
        yield int(sock.getsockname()[1])


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_dead_server_is_a_clear_error_naming_the_url_device_and_fix(cfg: Config) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    dev = dataclasses.replace(cfg.device("pixel-8"), appium_url=url, serial="127.0.0.1:6521")
    ui = UiDriver(cfg, dev)
    with pytest.raises(AppiumUnreachable) as err:
        ui.app_state()
    assert err.value.url == url and err.value.device == "pixel-8"
    assert url in str(err.value) and "start Appium 2" in str(err.value) and "Connection refused" in str(err.value)


def test_a_server_that_never_answers_fails_within_the_status_timeout(cfg: Config, silent_port: int) -> None:
    url = f"http://127.0.0.1:{silent_port}"
    with pytest.raises(AppiumUnreachable, match="timed out") as err:
        appium_status(url, "iphone-15", timeout_s=0.5)
    assert err.value.url == url
