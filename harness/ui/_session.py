"""One Appium session per device through appium-python-client, opened on first use and closed at teardown.

Every request is bounded: ``AppiumClientConfig(timeout=…)`` sets urllib3's connect and read timeout, and
urllib3 does not retry (a dead server is reported at once, not after three attempts). Before the first
session the server's ``/status`` is read with a short timeout, so a dead or wrong URL fails fast with the
URL, the device and the fix. Errors are translated at this boundary: connection problems →
``AppiumUnreachable``, slow replies → ``DeviceTimeout``, WebDriver errors → ``UiError`` (original kept
as ``__cause__``). A session the server ended (``newCommandTimeout``) is reopened once, transparently.
"""

from __future__ import annotations

import contextlib
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any, TypeVar

from harness.config import Config, DeviceConfig
from harness.errors import AppiumUnreachable, DeviceTimeout, UiError
from harness.ui._config import appium_url_for, capabilities_for

__all__ = ["UiSession", "appium_status"]

T = TypeVar("T")
_FIX = "start Appium 2 (`appium --port 4723`, drivers uiautomator2/xcuitest installed) or fix appium_url; " \
       "for lab phones `harness lab up --detach`"


def appium_status(url: str, device: str = "appium", timeout_s: float = 5.0) -> dict[str, Any]:
    """``GET <url>/status`` (the W3C status Appium answers); raises AppiumUnreachable when it does not."""
    try:
        with urllib.request.urlopen(f"{url}/status", timeout=timeout_s) as reply:
            body = json.loads(reply.read() or b"{}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise AppiumUnreachable(device, url, f"no Appium server answers /status ({reason})", _FIX) from exc
    value = body.get("value") if isinstance(body, dict) else None
    if not isinstance(value, dict) or "ready" not in value:
        raise AppiumUnreachable(device, url, f"/status is not an Appium/W3C status reply: {str(body)[:200]}", _FIX)
    return value


class UiSession:
    def __init__(self, cfg: Config, dev: DeviceConfig, *, timeout_s: float = 60.0, status_timeout_s: float = 5.0
                 ) -> None:
        self.device = dev.name
        self.platform = dev.platform
        self.url = appium_url_for(cfg, dev)
        self.capabilities = capabilities_for(cfg, dev)
        self.timeout_s = timeout_s
        self.status_timeout_s = status_timeout_s
        self._driver: Any = None

    @property
    def open(self) -> bool:
        return self._driver is not None

    def driver(self) -> Any:
        """The appium-python-client ``WebDriver``, creating the session on first use."""
        if self._driver is None:
            self._driver = self._create()
        return self._driver

    def _create(self) -> Any:
        from appium import webdriver  # noqa: PLC0415 - Appium's client (selenium) loads only when a session opens
        from appium.options.common.base import AppiumOptions  # noqa: PLC0415 - Appium's client (selenium) loads only when a session opens
        from appium.webdriver.client_config import AppiumClientConfig  # noqa: PLC0415 - Appium's client (selenium) loads only when a session opens

        appium_status(self.url, self.device, self.status_timeout_s)
        options = AppiumOptions().load_capabilities(dict(self.capabilities))
        config = AppiumClientConfig(self.url, timeout=self.timeout_s, keep_alive=True,
                                    init_args_for_pool_manager={"init_args_for_pool_manager": {"retries": False}})
        return self._guard("new session", lambda: webdriver.Remote(self.url, options=options, client_config=config))

    def call(self, what: str, fn: Callable[[Any], T]) -> T:
        """``fn(driver)`` with errors translated; reopens the session once if the server ended it."""
        from selenium.common.exceptions import InvalidSessionIdException  # noqa: PLC0415 - selenium loads only when a session opens

        driver = self.driver()
        try:
            return self._guard(what, lambda: fn(driver))
        except UiError as exc:
            if not isinstance(exc.__cause__, InvalidSessionIdException):
                raise
        self._driver = None
        fresh = self.driver()
        return self._guard(what, lambda: fn(fresh))

    def execute(self, method: str, args: dict[str, Any] | None = None) -> Any:
        """A ``mobile:`` execute method (``terminateApp``, ``pressKey`` …) with its arguments."""
        return self.call(f"mobile: {method}", lambda d: d.execute_script(f"mobile: {method}", args or {}))

    def _guard(self, what: str, fn: Callable[[], T]) -> T:
        import urllib3  # noqa: PLC0415 - selenium's transport loads only when a session opens
        from selenium.common.exceptions import WebDriverException  # noqa: PLC0415 - selenium loads only when a session opens

        try:
            return fn()
        except WebDriverException as exc:
            text = (exc.msg or type(exc).__name__).strip().splitlines()[0]
            raise UiError(self.device, f"{what} ({self.url})", text[:400], _hint(text)) from exc
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise DeviceTimeout(self.device, f"{what} ({self.url})", f"no reply within {self.timeout_s:g} s",
                                "is the Appium server or the phone stuck? see the Appium log") from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise AppiumUnreachable(self.device, self.url, f"{what}: {type(exc).__name__}: {exc}", _FIX) from exc

    def close(self) -> None:
        """End the session (``DELETE /session/:id``); errors are ignored: the server may be gone."""
        driver, self._driver = self._driver, None
        if driver is not None:
            with contextlib.suppress(Exception):  # the server may have died: nothing left to end
                driver.quit()

    def __enter__(self) -> UiSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _hint(message: str) -> str:
    if "in use by session" in message:
        return "another run holds a session on this phone; end it or wait for its newCommandTimeout"
    if "not in the list of connected devices" in message or "Unknown device" in message:
        return "the Appium server does not see this phone: check the serial/udid and its adb server / usbmuxd"
    if "Could not find a driver" in message:
        return "install the driver: `appium driver install uiautomator2` / `appium driver install xcuitest`"
    if "adb_shell" in message:
        return "start Appium with `--allow-insecure adb_shell` (or --relaxed-security)"
    return "see the Appium server log for the command"
