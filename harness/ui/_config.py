"""Where a device's Appium server is and what a session on it asks for, from ``devices.toml``. Pure.

- URL: the device's ``appium_url``; a lab phone without one uses the lab's endpoint
  ``http://<[lab] host>:<[lab] appium_port>``. A real phone needs ``appium_url`` (an Appium 2 server with
  the UiAutomator2 / XCUITest driver, e.g. ``http://127.0.0.1:4723``).
- Capabilities (W3C, ``appium:`` prefixed as Appium 2 requires): ``platformName``, ``automationName``
  (``UiAutomator2`` / ``XCUITest``), ``udid`` (adb serial / UDID), the app (``appPackage`` / ``bundleId``),
  ``noReset`` (never clear the app's data), ``autoLaunch: false`` (UiAutomator2 would otherwise start the
  app at session start and, without ``dontStopAppOnReset``, force-stop it first), and
  ``newCommandTimeout`` (the server ends an idle session after it; the session is reopened on the next
  verb). Android phones behind an adb server other than the local default get ``adbPort`` and
  ``remoteAdbHost`` so the Appium server uses the same adb server as the harness.
"""

from __future__ import annotations

from typing import Any

from harness.config import Config, DeviceConfig
from harness.errors import ConfigError

__all__ = ["NEW_COMMAND_TIMEOUT_S", "appium_url_for", "capabilities_for"]

NEW_COMMAND_TIMEOUT_S = 300
_LOCAL = ("127.0.0.1", "localhost", "::1")


def appium_url_for(cfg: Config, dev: DeviceConfig) -> str:
    if dev.appium_url:
        return dev.appium_url.rstrip("/")
    if dev.lab:
        return f"http://{cfg.lab.host}:{cfg.lab.appium_port}"
    raise ConfigError(cfg.path, f"device {dev.name}", "no appium_url for a UI verb",
                      'set appium_url = "http://<host>:4723" (an Appium 2 server that sees this phone)')


def capabilities_for(cfg: Config, dev: DeviceConfig) -> dict[str, Any]:
    caps: dict[str, Any] = {"appium:noReset": True, "appium:autoLaunch": False,
                            "appium:newCommandTimeout": NEW_COMMAND_TIMEOUT_S}
    if dev.platform == "android":
        if not dev.serial:
            raise ConfigError(cfg.path, f"device {dev.name}", "no serial for the Appium session",
                              "set serial to what `adb devices` lists")
        caps.update({"platformName": "Android", "appium:automationName": "UiAutomator2", "appium:udid": dev.serial,
                     "appium:dontStopAppOnReset": True})
        if cfg.app.android_package:
            caps["appium:appPackage"] = cfg.app.android_package
        host, port = dev.adb_host_port
        if port != 5037:
            caps["appium:adbPort"] = port
        if host not in _LOCAL:
            caps["appium:remoteAdbHost"] = host
        return caps
    if not dev.udid:
        raise ConfigError(cfg.path, f"device {dev.name}", "no udid for the Appium session",
                          "set udid to what `idevice_id -l` lists")
    caps.update({"platformName": "iOS", "appium:automationName": "XCUITest", "appium:udid": dev.udid})
    if cfg.app.ios_bundle_id:
        caps["appium:bundleId"] = cfg.app.ios_bundle_id
    return caps
