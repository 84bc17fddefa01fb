"""What only the screen can do, on any phone an Appium 2 server drives (the lab's endpoint or a real one).

The verbs act as a user would where that is the point — ``force_quit_like_user`` goes through the app
switcher, ``open_app`` taps the launcher icon, ``grant_background_location`` answers the system's own
prompts — and use the drivers' ``mobile:`` methods where a test tool's shortcut is what is wanted
(``kill_app``, ``launch_app`` with arguments, ``background_app``, ``open_deep_link``).

How each system does it (English UI; ids are the same on every Android OEM build):
- Android app switcher: the recents key (KEYCODE_APP_SWITCH, 187), then an upward fling on the app's card
  (its content-description is the app's label), then Home. What the fling does is the OEM's: MIUI/HyperOS
  force-stop the app, a Pixel removes the task.
- iOS app switcher (Face ID phones): a drag up from the home indicator that rests before lifting, then a
  flick up on the app's card, then Home. This is the user's force-quit: iOS launches the app for nothing
  in the background (no BGTask, no fetch, no silent push) until the user opens it again.
- Location, Android 11+: the dialog's "While using the app", then the "Location permission" page the app's
  background request opens, "Allow all the time", Back. iOS 13.4+: "Allow While Using App", then the
  upgrade prompt's "Change to Always Allow".
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from enum import IntEnum
from pathlib import Path
from typing import Any

from harness.config import Config, DeviceConfig
from harness.errors import HarnessError, UiError
from harness.ui._diagnostics import parse_head, rows_from_source, rows_to_events
from harness.ui._gestures import drag, flick
from harness.ui._session import UiSession
from harness.ui._texts import ANDROID, IOS, PROBE_TITLE

__all__ = ["AppState", "UiDriver"]

KEY_HOME, KEY_APP_SWITCH = 3, 187
_BY_ID, _BY_A11Y, _BY_XPATH = "id", "accessibility id", "xpath"


class AppState(IntEnum):
    """Appium's ``queryAppState`` answer (appium-python-client ``ApplicationState``)."""

    NOT_INSTALLED = 0
    NOT_RUNNING = 1
    RUNNING_IN_BACKGROUND_SUSPENDED = 2
    RUNNING_IN_BACKGROUND = 3
    RUNNING_IN_FOREGROUND = 4


class UiDriver:
    def __init__(self, cfg: Config, dev: DeviceConfig, session: UiSession | None = None, *,
                 prompt_timeout_s: float = 10.0) -> None:
        self.name = dev.name
        self.platform = dev.platform
        self.session = session or UiSession(cfg, dev)
        self.app_name = cfg.app.name
        app_id = cfg.app.app_id(dev.platform)
        if not app_id:
            key = "android_package" if dev.platform == "android" else "ios_bundle_id"
            raise HarnessError(f"{cfg.path}: [app] has no {key}")
        self.app_id = app_id
        self.prompt_timeout_s = prompt_timeout_s
        self.locked_by_us = False  # lock() left the phone locked: close() unlocks it for the next test

    def close(self) -> None:
        """Unlock the phone if ``lock()`` left it locked, then end the session."""
        if self.locked_by_us:
            with contextlib.suppress(HarnessError):  # a phone that went away keeps its lock: nothing to undo
                self.unlock()
        self.session.close()

    # -- plumbing -----------------------------------------------------------------------------------
    def _app(self) -> dict[str, str]:
        return {"appId": self.app_id, "bundleId": self.app_id}  # both keys, as appium-python-client sends

    def _find(self, by: str, value: str, timeout_s: float = 0.0) -> list[Any]:
        """Elements matching now, or within ``timeout_s`` (the server's implicit wait does the waiting)."""
        def search(driver: Any) -> list[Any]:
            driver.implicitly_wait(timeout_s)
            try:
                return list(driver.find_elements(by, value))
            finally:
                driver.implicitly_wait(0)

        return self.session.call(f"find {by}={value!r}", search)

    def _click(self, element: Any, what: str) -> None:
        self.session.call(f"click {what}", lambda _d: element.click())

    def _tag(self, element: Any) -> str:
        return str(self.session.call("element tag", lambda _d: element.tag_name))

    def _actions(self, payload: dict[str, Any], what: str) -> None:
        self.session.call(what, lambda d: d.execute("actions", payload))

    def _size(self) -> tuple[int, int]:
        size = self.session.call("window size", lambda d: d.get_window_size())
        return int(size["width"]), int(size["height"])

    def _home(self) -> None:
        if self.platform == "android":
            self.session.execute("pressKey", {"keycode": KEY_HOME})
        else:
            self.session.execute("pressButton", {"name": "home"})

    # -- app control ------------------------------------------------------------------------------
    def app_state(self) -> AppState:
        return AppState(int(self.session.execute("queryAppState", self._app())))

    def kill_app(self) -> bool:
        """Terminate the app as a test tool does (``am force-stop`` / XCUITest ``terminate``): not a user's
        force-quit. True if it was running."""
        return bool(self.session.execute("terminateApp", self._app()))

    def launch_app(self, arguments: Sequence[str] = (), environment: Mapping[str, str] | None = None) -> None:
        """Launch the app, restarting it if running (iOS ``mobile: launchApp`` with launch arguments and
        environment — the probe's run-task trigger). Android has no launch arguments; use a deep link."""
        if self.platform == "ios":
            self.session.execute("launchApp", {"bundleId": self.app_id, "arguments": list(arguments),
                                               "environment": dict(environment or {})})
            return
        if arguments or environment:
            raise UiError(self.name, "launch_app", "Android apps take no launch arguments through Appium",
                          "trigger the probe with open_deep_link('<scheme>://bgprobe/run-task?task=<task>')")
        self.session.execute("activateApp", self._app())

    def open_app(self) -> None:
        """Open the app as the user does: Home, then its icon (``activateApp`` if no icon is on screen)."""
        self._home()
        icons = [e for e in self._find(_BY_A11Y, self.app_name, 2.0) if self._tag(e) != "XCUIElementTypeOther"]
        if icons:
            self._click(icons[0], f"the {self.app_name} icon")
        else:
            self.session.execute("activateApp", self._app())

    def background_app(self, seconds: float = -1) -> None:
        """Home; with ``seconds`` ≥ 0 the driver brings the app back after that long (phone time)."""
        self.session.execute("backgroundApp", {"seconds": seconds})

    def open_deep_link(self, url: str) -> None:
        key = "package" if self.platform == "android" else "bundleId"
        self.session.execute("deepLink", {"url": url, key: self.app_id})

    # -- the lock screen ----------------------------------------------------------------------------
    def unlock(self) -> None:
        """Dismiss the lock screen as the phone's user does (``mobile: unlock``; on an iPhone, WebDriverAgent's
        unlock, which works only without a passcode). After a reboot this is the first unlock, after which iOS
        lets the data-protected app run in the background again."""
        self.session.execute("unlock", {})
        self.locked_by_us = False

    def is_locked(self) -> bool:
        return bool(self.session.execute("isLocked", {}))

    def lock(self, seconds: float | None = None) -> None:
        """Press the side button: screen off and locked (``mobile: lock``; WebDriverAgent's ``/wda/lock``). With
        ``seconds`` the driver unlocks again after that long; without, the phone stays locked. A locked phone
        left alone is what iOS calls idle: BGProcessingTasks run then."""
        self.session.execute("lock", {} if seconds is None else {"seconds": seconds})
        self.locked_by_us = seconds is None or seconds <= 0

    # -- the app switcher -------------------------------------------------------------------------
    def force_quit_like_user(self) -> None:
        """Swipe the app's card away in the app switcher, as its user does."""
        width, height = self._size()
        if self.platform == "android":
            self.session.execute("pressKey", {"keycode": KEY_APP_SWITCH})
        else:
            # up from the home indicator, resting at mid-screen: the switcher (a flick would go home)
            self._actions(drag(width // 2, height - 5, width // 2, height * 55 // 100, move_ms=600, hold_ms=500),
                          "open the app switcher")
        cards = [e for e in self._find(_BY_A11Y, self.app_name, self.prompt_timeout_s)
                 if self._tag(e) != "XCUIElementTypeIcon"]
        if not cards:
            self._home()
            raise UiError(self.name, "force_quit_like_user", f"no card for {self.app_name} in the app switcher",
                          "open the app first (open_app); the switcher lists apps the user has used")
        rect = self.session.call("card rect", lambda _d: cards[0].rect)
        x, y = int(rect["x"] + rect["width"] // 2), int(rect["y"] + rect["height"] // 2)
        self._actions(flick(x, y, x, max(10, y - height * 6 // 10)), "swipe the card away")
        self._home()

    # -- location permission ----------------------------------------------------------------------
    def grant_background_location(self) -> None:
        """Open the app and answer its location prompts with the choices that allow background location."""
        self.open_app()
        if self.platform == "android":
            first = self._prompt([ANDROID["dialog_foreground"], ANDROID["radio_always"]])
            if first[0] == ANDROID["dialog_foreground"]:
                self._click(first[1], "While using the app")
                first = self._prompt([ANDROID["radio_always"]])
            self._click(first[1], "Allow all the time")
            self._click(self._prompt([ANDROID["back"]], by=_BY_A11Y)[1], "Back")
            return
        first = self._prompt([IOS["while_using"], IOS["always"]], by=_BY_A11Y)
        if first[0] == IOS["while_using"]:
            self._click(first[1], IOS["while_using"])
            first = self._prompt([IOS["always"]], by=_BY_A11Y)
        self._click(first[1], IOS["always"])

    def deny_location(self) -> None:
        """Open the app and refuse its location prompt (``Don’t allow`` / ``Don’t Allow``)."""
        self.open_app()
        if self.platform == "android":
            found = self._prompt([ANDROID["dialog_deny"], ANDROID["radio_deny"]])
            self._click(found[1], "Don’t allow")
            if found[0] == ANDROID["radio_deny"]:
                self._click(self._prompt([ANDROID["back"]], by=_BY_A11Y)[1], "Back")
            return
        self._click(self._prompt([IOS["dont_allow"]], by=_BY_A11Y)[1], IOS["dont_allow"])

    def _prompt(self, keys: list[str], by: str = _BY_ID) -> tuple[str, Any]:
        """The first of ``keys`` on screen within the prompt timeout (one search for all of them)."""
        attr = {_BY_ID: "@resource-id", _BY_A11Y: "@content-desc" if self.platform == "android" else "@name"}[by]
        xpath = " | ".join(f'//*[{attr}="{key}"]' for key in keys)
        found = self._find(_BY_XPATH, xpath, self.prompt_timeout_s)
        if not found:
            raise UiError(self.name, "location prompt", f"none of {keys} appeared within "
                          f"{self.prompt_timeout_s:g} s", "the app asks for location when it starts without it; "
                          "if it was answered before, change it in Settings or reinstall the app")
        element = found[0]
        name = "resource-id" if by == _BY_ID else ("content-desc" if self.platform == "android" else "name")
        value = self.session.call("prompt attribute", lambda _d: element.get_attribute(name))
        return str(value), element

    # -- reading the screen -----------------------------------------------------------------------
    def diagnostics(self, max_pages: int = 30) -> list[dict[str, str]]:
        """The probe's diagnostics screen, refreshed and scrolled through: its events, newest first."""
        if self.app_state() != AppState.RUNNING_IN_FOREGROUND:
            self.open_app()
        source = self.page_source()
        _rows, refresh = rows_from_source(source, self.platform)
        if refresh is None:
            if "com.android.permissioncontroller" in source or "XCUIElementTypeAlert" in source:
                raise UiError(self.name, "diagnostics", "a system permission prompt covers the app",
                              "answer it first: grant_background_location() or deny_location()")
            entry = self._find(_BY_A11Y, PROBE_TITLE, self.prompt_timeout_s)
            if not entry:
                raise UiError(self.name, "diagnostics", f"no '{PROBE_TITLE}' control on the app's screen",
                              "show <BgProbeDiagnostics> behind a control labelled 'Background task probe'")
            self._click(entry[0], PROBE_TITLE)
        button = self._find(_BY_XPATH, '//*[starts-with(@text,"Refresh (")]' if self.platform == "android"
                            else '//*[starts-with(@name,"Refresh (")]', self.prompt_timeout_s)
        if not button:
            raise UiError(self.name, "diagnostics", "the diagnostics screen has no Refresh button", "")
        self._click(button[0], "Refresh")
        return self._read_rows(max_pages)

    def _read_rows(self, max_pages: int) -> list[dict[str, str]]:
        width, height = self._size()
        seen: dict[str, dict[str, str]] = {}
        for _page in range(max_pages):
            rows, refresh = rows_from_source(self.page_source(), self.platform)
            new = 0
            for texts in rows:
                if parse_head(texts[0]) is not None and texts[0] not in seen:
                    seen[texts[0]] = rows_to_events(texts)[0]
                    new += 1
            total = int(refresh.split("(")[1].split()[0]) if refresh else len(seen)
            if len(seen) >= total or (new == 0 and _page > 0):
                break
            self._actions(flick(width // 2, height * 80 // 100, width // 2, height * 35 // 100), "scroll the list")
        return list(seen.values())

    def page_source(self) -> str:
        return str(self.session.call("page source", lambda d: d.page_source))

    def screenshot(self, path: str | Path) -> Path:
        """Save what the screen shows now (PNG) for the report."""
        png = self.session.call("screenshot", lambda d: d.get_screenshot_as_png())
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(png)
        return target
