"""A lab with its Appium-compatible endpoint in relaxed-security mode, and clients for it."""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from appium import webdriver
from appium.options.common.base import AppiumOptions
from appium.webdriver.client_config import AppiumClientConfig

from tests.labkit import RunningLab, test_config

PKG = "com.example.courier"


@pytest.fixture(scope="session")
def appium_lab() -> Iterator[RunningLab]:
    """Every lab phone (four Android, two iPhones); ``mobile: shell`` allowed, as ``--relaxed-security``."""
    if shutil.which("adb") is None:
        pytest.fail("the `adb` binary is missing: run `make test` (it installs Debian's adb) or apt-get install adb")
    cfg = test_config()
    running = RunningLab(cfg, appium_relaxed_security=True)
    running.thread.start()
    try:
        yield running
    finally:
        running.thread.stop()
        subprocess.run(["adb", "-P", str(cfg.lab.adb_server_port), "kill-server"], capture_output=True, timeout=20,
                       check=False)


def caps_for(lab: RunningLab, name: str, **extra: Any) -> dict[str, Any]:
    dev = lab.cfg.device(name)
    caps: dict[str, Any]
    if dev.platform == "android":
        caps = {"platformName": "Android", "appium:automationName": "UiAutomator2", "appium:udid": dev.serial,
                "appium:appPackage": PKG}
    else:
        caps = {"platformName": "iOS", "appium:automationName": "XCUITest", "appium:udid": dev.udid,
                "appium:bundleId": PKG}
    caps.update({"appium:noReset": True, "appium:autoLaunch": False})
    caps.update({k if ":" in k or k == "platformName" else f"appium:{k}": v for k, v in extra.items()})
    return caps


def remote(lab: RunningLab, name: str, url: str | None = None, **extra: Any) -> Any:
    """An appium-python-client session on lab phone ``name`` (through ``url``, the lab's endpoint by default)."""
    url = url or lab.appium_url
    options = AppiumOptions().load_capabilities(caps_for(lab, name, **extra))
    return webdriver.Remote(url, options=options, client_config=AppiumClientConfig(url, timeout=30))


def raw(lab: RunningLab, method: str, path: str, body: object | bytes | None = None) -> tuple[int, Any]:
    """One HTTP request with the stdlib client: the status and the decoded JSON body."""
    conn = http.client.HTTPConnection(lab.cfg.lab.host, lab.cfg.lab.appium_port, timeout=30)
    try:
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        conn.request(method, path, body=data, headers={"Content-Type": "application/json"} if data else {})
        reply = conn.getresponse()
        return reply.status, json.loads(reply.read() or b"null")
    finally:
        conn.close()
