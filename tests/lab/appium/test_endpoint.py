"""The lab's WebDriver endpoint driven by appium-python-client 6 and by raw HTTP (for the error bodies)."""

from __future__ import annotations

import base64
import io
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image
from selenium import webdriver
from selenium.common.exceptions import (
    InvalidArgumentException,
    InvalidSessionIdException,
    NoSuchElementException,
    StaleElementReferenceException,
    WebDriverException,
)
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.remote.client_config import ClientConfig
from selenium.webdriver.remote.remote_connection import RemoteConnection

from harness.lab.appium import AppiumServer
from tests.lab.appium.conftest import PKG, caps_for, raw, remote
from tests.labkit import RunningLab

LAB_PHONES = ["pixel-8", "xiaomi-13", "oppo-find-x6", "samsung-s23", "huawei-p60", "iphone-12", "iphone-15"]
SIZES = {"pixel-8": (1080, 2400), "iphone-15": (1179, 2556), "iphone-12": (1170, 2532)}


@pytest.fixture
def session(appium_lab: RunningLab, request: pytest.FixtureRequest) -> Iterator[Any]:
    name = getattr(request, "param", "oppo-find-x6")
    driver = remote(appium_lab, name)
    try:
        yield driver
    finally:
        driver.quit()
        if appium_lab.cfg.device(name).platform == "android":
            appium_lab.shell(name, f"am force-stop {PKG}; input keyevent 3")


def new_session(lab: RunningLab, caps: dict[str, Any]) -> tuple[int, Any]:
    return raw(lab, "POST", "/session", {"capabilities": {"alwaysMatch": caps, "firstMatch": [{}]}})


def test_status_is_appium_2s(appium_lab: RunningLab) -> None:
    status, body = raw(appium_lab, "GET", "/status")
    assert status == 200
    assert body["value"]["ready"] is True
    assert body["value"]["message"] == "The server is ready to accept new connections"
    assert body["value"]["build"]["version"].startswith("2.")


@pytest.mark.parametrize("name", LAB_PHONES)
def test_a_session_on_every_lab_phone(appium_lab: RunningLab, name: str) -> None:
    driver = remote(appium_lab, name)
    try:
        dev = appium_lab.cfg.device(name)
        assert driver.caps["udid"] == dev.ident
        assert driver.caps["platformVersion"] == dev.os_version
        assert driver.query_app_state(PKG) in (1, 2, 3, 4)
        root = ET.fromstring(driver.page_source.split("\n", 1)[1])
        assert root.tag == ("hierarchy" if dev.platform == "android" else "XCUIElementTypeApplication")
        png = Image.open(io.BytesIO(base64.b64decode(driver.get_screenshot_as_base64())))
        assert png.format == "PNG"
        if name in SIZES:
            assert png.size == SIZES[name]
        assert driver.get_window_size()["width"] in (1080, 393, 390)
    finally:
        driver.quit()
    status, body = raw(appium_lab, "GET", f"/session/{driver.session_id}/source")
    assert (status, body["value"]["error"]) == (404, "invalid session id")


@pytest.mark.parametrize(("method", "path", "body", "status", "error"), [
    ("GET", "/wd/hub/status", None, 404, "unknown command"),
    ("POST", "/session/nope/element", {"using": "id", "value": "x"}, 404, "invalid session id"),
    ("DELETE", "/session/nope", None, 404, "invalid session id"),
    ("POST", "/session", b"{not json", 400, "invalid argument"),
    ("POST", "/session", {"capabilities": {"alwaysMatch": {"platformName": "Android"}}}, 400, "invalid argument"),
    ("POST", "/session", {"capabilities": {"alwaysMatch": {"platformName": "Android",
                                                           "appium:automationName": "Espresso"}}}, 500,
     "unknown error"),
])
def test_w3c_error_bodies(appium_lab: RunningLab, method: str, path: str, body: Any, status: int, error: str) -> None:
    got, reply = raw(appium_lab, method, path, body)
    assert (got, reply["value"]["error"]) == (status, error)
    assert reply["value"]["message"] and reply["value"]["stacktrace"].split(":")[0].endswith("Error")


def test_missing_automation_name_is_what_appium_2_says(appium_lab: RunningLab) -> None:
    status, body = new_session(appium_lab, {"platformName": "Android", "appium:udid": "127.0.0.1:1"})
    assert (status, body["value"]["message"]) == (400, "'automationName' can't be blank")


def test_an_unprefixed_udid_is_refused_and_opens_no_session(appium_lab: RunningLab) -> None:
    # Appium 2 answers 400 before any driver runs; Appium 1 (and the lab before) dropped it and took another phone.
    server = appium_lab.thread.lab.appium
    assert server is not None
    before = set(server.endpoint.sessions.active)
    caps = {"platformName": "Android", "appium:automationName": "UiAutomator2", "udid": "127.0.0.1:1"}
    status, body = new_session(appium_lab, caps)
    assert (status, body["value"]["error"]) == (400, "invalid argument")
    assert body["value"]["message"] == ("All non-standard capabilities should have a vendor prefix. The following "
                                        "capabilities did not have one: udid")
    assert body["value"]["stacktrace"].startswith("InvalidArgumentError: All non-standard")
    assert set(server.endpoint.sessions.active) == before


def test_selenium_sending_an_unprefixed_udid_gets_invalid_argument(appium_lab: RunningLab) -> None:
    # Selenium's own client sends capability names as given (appium-python-client's AppiumOptions would add the
    # prefix itself), so this is what a WebdriverIO or Java user with "udid" in their caps meets.

    options = ArgOptions()
    for name, value in {"platformName": "Android", "appium:automationName": "UiAutomator2",
                        "udid": appium_lab.cfg.device("xiaomi-13").serial}.items():
        options.set_capability(name, value)
    with pytest.raises(InvalidArgumentException, match="The following capabilities did not have one: udid"):
        connection = RemoteConnection(client_config=ClientConfig(appium_lab.appium_url, timeout=30))
        webdriver.Remote(connection, options=options)


def test_unknown_udid(appium_lab: RunningLab) -> None:
    with pytest.raises(WebDriverException, match=r"Device 127\.0\.0\.1:9 was not in the list of connected devices"):
        remote(appium_lab, "pixel-8", **{"appium:udid": "127.0.0.1:9"})
    caps = caps_for(appium_lab, "iphone-15", **{"appium:udid": "00008101-0000000000000000"})
    status, body = new_session(appium_lab, caps)
    assert status == 500 and body["value"]["error"] == "unknown error"
    assert "Unknown device or simulator UDID: '00008101-0000000000000000'" in body["value"]["message"]


def test_a_busy_phone_refuses_a_second_session(appium_lab: RunningLab) -> None:
    first = remote(appium_lab, "samsung-s23")
    try:
        status, body = new_session(appium_lab, caps_for(appium_lab, "samsung-s23"))
        assert (status, body["value"]["error"]) == (500, "session not created")
        assert first.session_id in body["value"]["message"]
    finally:
        first.quit()
    second = remote(appium_lab, "samsung-s23")
    second.quit()


@pytest.mark.parametrize("session", ["oppo-find-x6"], indirect=True)
def test_elements_on_the_launcher_and_in_the_app(appium_lab: RunningLab, session: Any) -> None:
    session.execute_script("mobile: pressKey", {"keycode": 3})
    icon = session.find_element("accessibility id", "Courier")
    assert icon.get_attribute("package") == "com.android.launcher"  # ColorOS's launcher
    assert icon.text == "Courier" and icon.tag_name == "android.widget.TextView"
    assert icon.rect["width"] > 0 and icon.is_displayed() and icon.is_enabled()
    icon.click()
    assert session.query_app_state(PKG) == 4
    with pytest.raises(StaleElementReferenceException):
        icon.click()  # the launcher is gone
    deny = session.find_element("id", "com.android.permissioncontroller:id/permission_deny_button")
    assert deny.text == "Don\u2019t allow"
    same = session.find_element("-android uiautomator", 'new UiSelector().text("Don\u2019t allow")')
    assert same.id == deny.id
    assert len(session.find_elements("xpath", "//android.widget.Button")) == 3
    deny.click()
    entry = session.find_element("xpath", '//*[@content-desc="Background task probe"]')
    assert entry.find_element("xpath", ".//android.widget.TextView").text == "Background task probe"
    with pytest.raises(NoSuchElementException):
        session.find_element("id", "com.android.permissioncontroller:id/permission_deny_button")
    entry.click()
    assert session.find_element("xpath", '//*[starts-with(@text, "Refresh (")]').text.endswith("events)")


@pytest.mark.parametrize("session", ["oppo-find-x6"], indirect=True)
def test_no_such_element_and_implicit_wait(appium_lab: RunningLab, session: Any) -> None:
    session.implicitly_wait(0.3)
    with pytest.raises(NoSuchElementException):
        session.find_element("accessibility id", "no such thing")
    assert session.find_elements("accessibility id", "no such thing") == []
    status, body = raw(appium_lab, "POST", f"/session/{session.session_id}/element",
                       {"using": "accessibility id", "value": "no such thing"})
    assert (status, body["value"]["error"]) == (404, "no such element")
    status, body = raw(appium_lab, "POST", f"/session/{session.session_id}/element", {"using": "css", "value": "a"})
    assert (status, body["value"]["error"]) == (400, "invalid selector")


@pytest.mark.parametrize("session", ["pixel-8"], indirect=True)
def test_android_mobile_methods(appium_lab: RunningLab, session: Any) -> None:
    assert session.terminate_app(PKG) is False  # not running
    session.activate_app(PKG)
    assert session.query_app_state(PKG) == 4
    pid = session.execute_script("mobile: shell", {"command": "pidof", "args": [PKG]}).strip()
    assert pid == appium_lab.shell("pixel-8", f"pidof {PKG}").stdout.strip()
    both = session.execute_script("mobile: shell", {"command": "ls /nope", "includeStderr": True})
    assert "No such file" in both["stderr"]
    session.background_app(-1)
    assert session.query_app_state(PKG) == 3
    session.background_app(5)  # five seconds of the phone's time, then back
    assert session.query_app_state(PKG) == 4
    assert session.execute_script("mobile: getCurrentPackage") == PKG
    session.execute_script("mobile: deepLink", {"url": "courier://orders/42", "package": PKG})
    assert session.query_app_state(PKG) == 4
    assert session.terminate_app(PKG) is True
    assert session.query_app_state(PKG) == 1
    assert "Force stopping com.example.courier" in appium_lab.adb("pixel-8", "logcat", "-d").stdout
    assert session.query_app_state("com.example.nothing") == 0
    with pytest.raises(WebDriverException, match="Unsupported execute method 'mobile: fingerprint'"):
        session.execute_script("mobile: fingerprint", {"fingerprintId": 1})


def test_shell_needs_relaxed_security(appium_lab: RunningLab) -> None:
    assert appium_lab.thread.lab.appium is not None
    strict = AppiumServer(appium_lab.thread.lab.appium.phones, "127.0.0.1", 0)  # the same phones, default security
    appium_lab.run(strict.start())
    try:
        driver = remote(appium_lab, "xiaomi-13", url=strict.url)
        try:
            with pytest.raises(WebDriverException, match="Potentially insecure feature 'adb_shell'"):
                driver.execute_script("mobile: shell", {"command": "echo", "args": ["hi"]})
        finally:
            driver.quit()
    finally:
        appium_lab.run(strict.stop())


def test_an_idle_session_ends_after_its_new_command_timeout(appium_lab: RunningLab) -> None:
    short: dict[str, Any] = {"appium:newCommandTimeout": 1}
    driver = remote(appium_lab, "iphone-12", **short)
    server = appium_lab.thread.lab.appium
    assert server is not None
    deadline = time.monotonic() + 15
    # Any request would restart the timeout, so watch the server's session table (state only) until it ends.
    while driver.session_id in server.endpoint.sessions.active:
        assert time.monotonic() < deadline, "the session outlived its newCommandTimeout"
        time.sleep(0.1)
    with pytest.raises(InvalidSessionIdException):
        driver.page_source  # noqa: B018
    remote(appium_lab, "iphone-12").quit()  # the phone is free again


@pytest.mark.parametrize("session", ["iphone-15"], indirect=True)
def test_xcuitest_mobile_methods(appium_lab: RunningLab, session: Any) -> None:
    session.execute_script("mobile: launchApp", {"bundleId": PKG, "arguments": ["--bgprobe-run-task", "refresh-feed"],
                                                 "environment": {"LAB": "1"}})
    info = session.execute_script("mobile: activeAppInfo")
    assert info["bundleId"] == PKG and info["pid"] > 0
    assert info["processArguments"] == {"args": ["--bgprobe-run-task", "refresh-feed"], "env": {"LAB": "1"}}
    assert session.query_app_state(PKG) == 4
    session.execute_script("mobile: pressButton", {"name": "home"})
    assert session.query_app_state(PKG) in (2, 3)
    assert session.execute_script("mobile: activeAppInfo")["bundleId"] == "com.apple.springboard"
    session.activate_app(PKG)
    assert session.execute_script("mobile: activeAppInfo")["pid"] == info["pid"]  # brought back, not relaunched
    session.execute_script("mobile: deepLink", {"url": "courier://orders/7", "bundleId": PKG})
    assert session.query_app_state(PKG) == 4
    assert session.terminate_app(PKG) is True
    assert session.query_app_state(PKG) == 1
    assert session.terminate_app(PKG) is False
    assert session.query_app_state("com.example.nothing") == 0
    with pytest.raises(WebDriverException, match="OSStatus error -10814"):
        session.execute_script("mobile: deepLink", {"url": "nohandler://x", "bundleId": PKG})
    with pytest.raises(WebDriverException, match="Unsupported execute method 'mobile: shell'"):
        session.execute_script("mobile: shell", {"command": "ls"})


@pytest.mark.parametrize("session", ["pixel-8"], indirect=True)
def test_recents_cards_and_the_python_clients_swipe(appium_lab: RunningLab, session: Any) -> None:
    session.activate_app(PKG)
    pid = appium_lab.shell("pixel-8", f"pidof {PKG}").stdout.strip()
    session.execute_script("mobile: pressKey", {"keycode": 3})
    session.find_element("accessibility id", "Settings").click()
    session.execute_script("mobile: pressKey", {"keycode": 187})
    cards = session.find_elements("xpath", '//*[@resource-id="com.google.android.apps.nexuslauncher:id/snapshot"]/..')
    assert [c.get_attribute("content-desc") for c in cards] == ["Settings", "Courier"]
    older = cards[1].rect  # the card before the front one peeks in from the left
    x = older["x"] + older["width"] // 2
    session.swipe(x, 1200, x, 300, 150)
    assert appium_lab.shell("pixel-8", f"pidof {PKG}").code == 1
    assert f"Killing {pid}:{PKG}/" in appium_lab.adb("pixel-8", "logcat", "-d").stdout
    left = session.find_elements("xpath", '//*[@resource-id="com.google.android.apps.nexuslauncher:id/snapshot"]/..')
    assert [c.get_attribute("content-desc") for c in left] == ["Settings"]
    session.find_element("accessibility id", "Settings").click()  # a tap on a card opens its app
    assert session.execute_script("mobile: getCurrentPackage") == "com.android.settings"


@pytest.mark.parametrize("session", ["huawei-p60"], indirect=True)
def test_orientation_log_types_current_activity_and_device_info_on_android(appium_lab: RunningLab,
                                                                          session: Any) -> None:
    assert session.orientation == "PORTRAIT"
    assert session.log_types == ["logcat", "bugreport", "server"]  # appium-android-driver's supportedLogTypes
    session.execute_script("mobile: pressKey", {"keycode": 3})
    assert session.current_activity == ".unihome.UniHomeLauncher"  # the launcher is focused
    session.activate_app(PKG)
    assert session.current_activity == ".MainActivity"  # com.example.courier/.MainActivity, as dumpsys shows it
    info = session.execute_script("mobile: deviceInfo")
    props = {k: appium_lab.shell("huawei-p60", f"getprop {k}").stdout.strip()
             for k in ("ro.product.manufacturer", "ro.product.model", "ro.product.brand", "ro.build.version.release",
                       "ro.build.version.sdk")}
    assert (info["manufacturer"], info["model"], info["brand"]) == (
        props["ro.product.manufacturer"], props["ro.product.model"], props["ro.product.brand"]) == (
        "HUAWEI", "LNA-AL00", "HUAWEI")
    assert (info["platformVersion"], info["apiVersion"]) == (props["ro.build.version.release"],
                                                             props["ro.build.version.sdk"])
    assert isinstance(info["displayDensity"], int) and info["realDisplaySize"] == "1080x2400"
    assert len(info["androidId"]) == 16 and int(info["androidId"], 16) >= 0
    assert {"carrierName", "networks", "locale", "timeZone", "bluetooth"} <= info.keys()
    assert session.execute_script("mobile: deviceInfo")["androidId"] == info["androidId"]  # stable


@pytest.mark.parametrize("session", ["iphone-15"], indirect=True)
def test_orientation_log_types_and_device_info_on_an_iphone(session: Any) -> None:
    assert session.orientation == "PORTRAIT"
    assert session.log_types == ["syslog", "crashlog", "performance", "safariConsole", "safariNetwork", "server"]
    info = session.execute_script("mobile: deviceInfo")
    assert info["model"] == "iPhone" and info["isSimulator"] is False and info["userInterfaceIdiom"] == 0
    assert {"currentLocale", "timeZone", "name", "uuid", "userInterfaceStyle", "thermalState"} <= info.keys()
    with pytest.raises(WebDriverException, match="Unsupported execute method 'mobile: getCurrentActivity'"):
        session.execute_script("mobile: getCurrentActivity")  # UiAutomator2's, not XCUITest's
