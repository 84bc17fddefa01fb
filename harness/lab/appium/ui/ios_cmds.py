"""The XCUITest driver's ``mobile:`` methods on a virtual iPhone, through ``contracts.IOSSystem``.

As appium-xcuitest-driver implements them over WebDriverAgent (``XCUIApplication``):

- ``launchApp {bundleId, arguments, environment}``: ``launch`` — a running instance is terminated first.
- ``activateApp {bundleId}``: ``activate`` — brought to the foreground, launched (without arguments) if
  it is not running.
- ``terminateApp {bundleId}``: ``terminate`` (a kill, not the user's force-quit); false if not running.
- ``queryAppState {bundleId}``: ``XCUIApplicationState``: 0 unknown (not installed), 1 not running,
  2 running in background suspended, 3 running in background, 4 running in foreground.
- ``backgroundApp {seconds}``: the Home button, then after ``seconds`` of the phone's time ``activate``
  again; negative stays in the background.
- ``pressButton {name}``: ``home``, ``volumeUp``, ``volumeDown`` (``XCUIDevice pressButton:``).
- ``deepLink {url, bundleId}``: the URL opened as a tap on a link does (``IOSSystem.open_url``).
- ``activeAppInfo``: the foreground app's ``{pid, bundleId, name, processArguments}`` (SpringBoard when
  no app is in front).
- ``setSimulatedLocation {latitude, longitude}``, ``getSimulatedLocation`` (``{latitude, longitude,
  altitude}``, nulls when none is set), ``resetSimulatedLocation``: ``XCUIDevice.location`` (iOS 16.4+,
  Xcode 14.3+); the phone reports that location to every app until reset [the argument error's wording is
  the lab's].
- ``lock {seconds}``, ``unlock``, ``isLocked``: WebDriverAgent's ``/wda/lock``, ``/wda/unlock`` and ``/wda/locked``
  (``XCUIDevice``): the side button (screen off, locked; with ``seconds`` > 0 unlocked again after that long, of
  the phone's time here as for ``backgroundApp``), the lock screen dismissed as its user does, and whether the
  phone is locked. WDA can only unlock a phone without a
  passcode [unverified: a lab iPhone is assumed to have none]; the model's unlock is the user's first unlock
  after a boot (``IOSSystem.unlock``).
- ``deviceInfo``: WebDriverAgent's ``/wda/device/info`` (``FBCustomCommands handleGetDeviceInfo``):
  ``currentLocale``, ``timeZone``, ``name`` (the owner's name for the phone), ``model`` (``UIDevice.model``:
  "iPhone"), ``uuid`` (WDA's ``identifierForVendor``: a stable UUID per phone here), ``userInterfaceIdiom`` (0, a
  phone), ``userInterfaceStyle``, ``isSimulator`` (false) and ``thermalState`` (0, nominal).
A refused launch reaches the client as ``unknown error`` with the phone's NSError text.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from harness.lab.appium._errors import WebDriverError
from harness.lab.appium.ui import ios_texts as t
from harness.lab.appium.ui.base import device_delay
from harness.lab.ios.contracts import LaunchRefused

if TYPE_CHECKING:
    from harness.lab.appium.ui.ios import IOSPhoneUI

__all__ = ["APP_STATES", "IOSCommands"]

APP_STATES = {"not_running": 1, "suspended": 2, "background": 3, "foreground": 4}
_BUTTONS = ("home", "volumeup", "volumedown")
SPRINGBOARD_PID = 58


class IOSCommands:
    def __init__(self, ui: IOSPhoneUI) -> None:
        self.ui = ui
        self.launched_with: dict[str, tuple[list[str], dict[str, str]]] = {}
        self.simulated: tuple[float, float] | None = None  # XCUIDevice.location (iOS 16.4+, Xcode 14.3+)

    def names(self) -> list[str]:
        return sorted(self._table())

    def _table(self) -> dict[str, Any]:
        return {"launchApp": self.launch_app, "activateApp": self.activate_app, "terminateApp": self.terminate_app,
                "queryAppState": self.query_app_state, "backgroundApp": self.background_app,
                "pressButton": self.press_button, "deepLink": self.deep_link, "activeAppInfo": self.active_app_info,
                "setSimulatedLocation": self.set_simulated_location,
                "getSimulatedLocation": self.get_simulated_location,
                "resetSimulatedLocation": self.reset_simulated_location,
                "lock": self.lock, "unlock": self.unlock, "isLocked": self.is_locked, "deviceInfo": self.device_info}

    async def run(self, command: str, args: dict[str, Any]) -> Any:
        handler = self._table().get(command)
        if handler is None:
            available = ", ".join(f"mobile: {name}" for name in self.names())
            raise WebDriverError("unsupported operation", f"Unsupported execute method 'mobile: {command}'. "
                                 f"Available methods are: {available}")
        return await handler(args)

    def _bundle(self, args: dict[str, Any]) -> str:
        bundle = args.get("bundleId") or args.get("appId")
        if not isinstance(bundle, str) or not bundle:
            raise WebDriverError("invalid argument", "'bundleId' argument is required")
        return bundle

    def _launch(self, bundle: str, arguments: list[str], environment: dict[str, str], *, kill: bool) -> int:
        try:
            pid = self.ui.system.launch(bundle, arguments=arguments, environment=environment, kill_existing=kill)
        except LaunchRefused as exc:
            raise WebDriverError("unknown error", str(exc)) from exc
        self.ui.switcher = False
        self.launched_with[bundle] = (arguments, environment)
        return pid

    async def launch_app(self, args: dict[str, Any]) -> None:
        arguments = args.get("arguments") or []
        environment = args.get("environment") or {}
        if not isinstance(arguments, list) or not isinstance(environment, dict):
            raise WebDriverError("invalid argument", "'arguments' must be an array and 'environment' an object")
        self._launch(self._bundle(args), [str(a) for a in arguments],
                     {str(k): str(v) for k, v in environment.items()}, kill=True)

    async def activate_app(self, args: dict[str, Any]) -> None:
        self._launch(self._bundle(args), [], {}, kill=False)

    async def terminate_app(self, args: dict[str, Any]) -> bool:
        pid = self.ui.system.pid_for_bundle(self._bundle(args))
        return bool(pid) and self.ui.system.kill(pid, 9)

    def state(self, bundle: str) -> int:
        if bundle not in self.ui.phone.apps:
            return 0
        return APP_STATES.get(self.ui.system.app_state(bundle), 1)

    async def query_app_state(self, args: dict[str, Any]) -> int:
        return self.state(self._bundle(args))

    async def background_app(self, args: dict[str, Any]) -> None:
        seconds = args.get("seconds")
        front = self.ui.foreground()
        self.ui.press_home()
        if front is None or seconds is None or float(seconds) < 0:
            return
        await device_delay(self.ui.phone.clock, float(seconds))
        self._launch(front, [], {}, kill=False)

    async def press_button(self, args: dict[str, Any]) -> None:
        name = str(args.get("name", "")).lower()
        if name not in _BUTTONS:
            raise WebDriverError("invalid argument", f"The button '{args.get('name')}' is unknown. Only the following "
                                 "button names are supported: home, volumeUp, volumeDown")
        if name == "home":
            self.ui.press_home()

    async def deep_link(self, args: dict[str, Any]) -> None:
        url = args.get("url")
        if not isinstance(url, str) or not url:
            raise WebDriverError("invalid argument", "'url' argument is required")
        try:
            self.ui.system.open_url(url)
        except LaunchRefused as exc:
            raise WebDriverError("unknown error", str(exc)) from exc
        self.ui.switcher = False

    async def set_simulated_location(self, args: dict[str, Any]) -> None:
        latitude, longitude = args.get("latitude"), args.get("longitude")
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (latitude, longitude)):
            raise WebDriverError("invalid argument", "Both 'latitude' and 'longitude' arguments must be numbers")
        self.simulated = (float(latitude), float(longitude))  # type: ignore[arg-type]
        self.ui.system.simulate_location(*self.simulated)

    async def get_simulated_location(self, _args: dict[str, Any]) -> dict[str, Any]:
        latitude, longitude = self.simulated if self.simulated is not None else (None, None)
        return {"latitude": latitude, "longitude": longitude, "altitude": None}

    async def reset_simulated_location(self, _args: dict[str, Any]) -> None:
        self.simulated = None
        self.ui.system.simulate_location(None)

    async def lock(self, args: dict[str, Any]) -> None:
        seconds = args.get("seconds")
        if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, int | float)):
            raise WebDriverError("invalid argument", "'seconds' must be a number")
        self.ui.system.lock()
        if seconds is not None and float(seconds) > 0:
            await device_delay(self.ui.phone.clock, float(seconds))
            self.ui.system.unlock()

    async def unlock(self, _args: dict[str, Any]) -> None:
        self.ui.system.unlock()

    async def is_locked(self, _args: dict[str, Any]) -> bool:
        return self.ui.system.locked

    async def active_app_info(self, _args: dict[str, Any]) -> dict[str, Any]:
        front = self.ui.foreground()
        if front is None:
            return {"pid": SPRINGBOARD_PID, "bundleId": t.SPRINGBOARD, "name": "",
                    "processArguments": {"env": {}, "args": []}}
        arguments, environment = self.launched_with.get(front, ([], {}))
        return {"pid": self.ui.system.pid_for_bundle(front), "bundleId": front, "name": self.ui.label(front),
                "processArguments": {"env": environment, "args": arguments}}

    async def start_session(self, caps: dict[str, Any]) -> None:
        bundle = caps.get("bundleId")
        if not isinstance(bundle, str) or not bundle:
            return
        if bundle not in self.ui.phone.apps:
            raise WebDriverError("unknown error", f"App with bundle identifier '{bundle}' unknown")
        if caps.get("autoLaunch", True) is False:
            return
        arguments = caps.get("processArguments", {}) if isinstance(caps.get("processArguments"), dict) else {}
        self._launch(bundle, [str(a) for a in arguments.get("args", [])],
                     {str(k): str(v) for k, v in arguments.get("env", {}).items()}, kill=True)

    async def device_info(self, _args: dict[str, Any]) -> dict[str, Any]:
        ident = self.ui.phone.ident
        return {"currentLocale": "en_US", "timeZone": ident.time_zone, "name": ident.device_name, "model": "iPhone",
                "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"wda-vendor:{ident.udid}")).upper(),
                "userInterfaceIdiom": 0, "userInterfaceStyle": "light", "isSimulator": False, "thermalState": 0}
