"""The lab's Appium 2-compatible WebDriver endpoint over the virtual phones' UI models.

``AppiumServer(phones, host, port)`` serves W3C WebDriver as an Appium 2 server with the UiAutomator2 and
XCUITest drivers does, routing sessions by ``appium:udid`` to ``ui.AndroidPhoneUI`` / ``ui.IOSPhoneUI``
(built with ``phone_uis``). Pure parts: ``_http`` (framing), ``_caps`` (capability matching), ``_routes``,
``_xpath`` and ``_locators`` (element search), ``_actions`` (W3C pointer actions → gestures),
``ui/tree`` (page sources), ``ui/diagnostics`` (the probe's diagnostics rows). Drivers never import this
package; they reach it over HTTP with appium-python-client.
"""

from harness.lab.appium.server import AppiumServer
from harness.lab.appium.ui import phone_uis

__all__ = ["AppiumServer", "phone_uis"]
