"""The UiAutomator2 driver's ``mobile:`` methods on a virtual Android phone.

Each does what appium-android-driver / appium-adb run on a real phone, through the phone's own shell so
the OS model sees the same commands and logs the same lines:

- ``terminateApp {appId}``: ``queryAppState``; not running → false, else ``am force-stop`` → true.
- ``activateApp {appId}``: ``monkey -p <pkg> -c android.intent.category.LAUNCHER 1`` (appium-adb's
  ``activateApp`` path for a launcher app).
- ``queryAppState {appId}``: 0 not installed, 1 not running, 4 when its window has focus, else 3
  (appium-adb never reports 2 on Android).
- ``backgroundApp {seconds}``: HOME (``input keyevent 3``), then after ``seconds`` of the phone's time the
  app again; a negative value leaves it in the background.
- ``deepLink {url, package}``: ``am start -W -a android.intent.action.VIEW -d <url> [<package>]``.
- ``pressKey {keycode}``: a key event injected through the UI (BACK reaches the top window first).
- ``shell {command, args, includeStderr}``: only when the server runs with relaxed security
  (``adb_shell`` is an insecure feature in Appium 2).
- ``getCurrentPackage``: the package on top (the launcher when none).
- ``getCurrentActivity``: appium-android-driver returns ``appActivity`` of appium-adb's
  ``getFocusedPackageAndActivity``, the activity part of the focused component as ``dumpsys window`` prints it:
  ``.MainActivity`` for ``com.example.courier/.MainActivity`` (ComponentName's short form), the launcher's home
  activity when no app is on top (``android_texts.HOME_ACTIVITIES``).
- ``deviceInfo``: the UiAutomator2 server's ``GET /appium/device/info``, with the keys and types of real replies
  (Appium server logs of a moto x4 / Android 9 and a Galaxy / Android 13): ``androidId``, ``manufacturer``,
  ``model``, ``brand``, ``apiVersion`` and ``platformVersion`` (strings), ``carrierName``, ``realDisplaySize``
  (``WxH``), ``displayDensity`` (int), ``networks``, ``locale`` (Java's ``en_US``), ``timeZone``, ``bluetooth``.
  The lab's values: the phone's ``getprop``; ``androidId`` a stable hash of the serial (Android 8+ gives each
  signing key its own id, so any 16 hex digits are what the server's own app would read); one connected Wi-Fi
  network; Bluetooth off.
At session start, with ``appPackage`` and ``autoLaunch`` not false, the app is started as UiAutomator2
does: ``am start -W -n <pkg>/<activity>`` with ``-S`` (stop it first) unless ``dontStopAppOnReset``.
"""

from __future__ import annotations

import hashlib
import shlex
from typing import TYPE_CHECKING, Any

from harness.lab.android.shell.runtime import Input, Invocation, Output, run_script
from harness.lab.appium._errors import WebDriverError
from harness.lab.appium.ui import android_texts as t
from harness.lab.appium.ui.base import device_delay

if TYPE_CHECKING:
    from harness.lab.appium.ui.android import AndroidPhoneUI

__all__ = ["INSECURE_SHELL", "AndroidCommands"]

INSECURE_SHELL = ("Potentially insecure feature 'adb_shell' has not been enabled. If you want to enable this "
                  "feature and accept the security ramifications, please do so by following the documented "
                  "instructions at http://appium.io/docs/en/2.0/guides/security/")
# One connected Wi-Fi network, shaped as the server's NetworkInfo entries in real replies (moto x4 capture).
_WIFI: dict[str, Any] = {
    "type": 1, "typeName": "WIFI", "subtype": 0, "subtypeName": "", "isConnected": True, "detailedState": "CONNECTED",
    "state": "CONNECTED", "extraInfo": None, "isAvailable": True, "isFailover": False, "isRoaming": False,
    "capabilities": {"transportTypes": "TRANSPORT_WIFI", "networkCapabilities": "NET_CAPABILITY_NOT_METERED,"
                     "NET_CAPABILITY_INTERNET,NET_CAPABILITY_NOT_RESTRICTED,NET_CAPABILITY_TRUSTED,NET_CAPABILITY_NOT_VPN,"
                     "NET_CAPABILITY_VALIDATED,NET_CAPABILITY_NOT_ROAMING,NET_CAPABILITY_FOREGROUND,"
                     "NET_CAPABILITY_NOT_CONGESTED,NET_CAPABILITY_NOT_SUSPENDED", "linkUpstreamBandwidthKbps": 1048576,
                     "linkDownBandwidthKbps": 1048576, "signalStrength": -56, "SSID": None},
}
_ENV = {"PATH": "/product/bin:/apex/com.android.runtime/bin:/system/bin:/system/xbin:/vendor/bin", "USER": "shell",
        "HOME": "/", "?": "0"}


class AndroidCommands:
    def __init__(self, ui: AndroidPhoneUI) -> None:
        self.ui = ui
        self.dev = ui.dev

    async def shell(self, command: str) -> tuple[int, str, str]:
        """Run ``command`` in the phone's shell as adb's ``shell`` service does; (exit code, stdout, stderr)."""
        out, err = bytearray(), bytearray()
        inv = Invocation(["sh"], self.dev, Input.of(b""), Output(out.extend), Output(err.extend), env=dict(_ENV))
        code = await run_script(command, inv)
        return code, out.decode(errors="replace"), err.decode(errors="replace")

    def names(self) -> list[str]:
        return sorted(self._table())

    def _table(self) -> dict[str, Any]:
        return {"terminateApp": self.terminate_app, "activateApp": self.activate_app,
                "queryAppState": self.query_app_state, "backgroundApp": self.background_app,
                "deepLink": self.deep_link, "pressKey": self.press_key, "shell": self.run_shell,
                "getCurrentPackage": self.current_package, "getCurrentActivity": self.current_activity,
                "deviceInfo": self.device_info}

    async def run(self, command: str, args: dict[str, Any], *, relaxed: bool) -> Any:
        handler = self._table().get(command)
        if handler is None:
            available = ", ".join(f"mobile: {name}" for name in self.names())
            raise WebDriverError("unsupported operation", f"Unsupported execute method 'mobile: {command}'. "
                                 f"Available methods are: {available}")
        if command == "shell" and not relaxed:
            raise WebDriverError("unknown error", INSECURE_SHELL)
        return await handler(args)

    # -- apps -----------------------------------------------------------------------------------------
    def _app_id(self, args: dict[str, Any]) -> str:
        app_id = args.get("appId") or args.get("bundleId")
        if not isinstance(app_id, str) or not app_id:
            raise WebDriverError("invalid argument", "'appId' argument is required")
        return app_id

    def state(self, package: str) -> int:
        if self.dev.packages.get(package) is None:
            return 0
        am = self.ui.am
        if am.pid_of(package) is None:
            return 1
        return 4 if am.in_foreground(package) else 3

    async def query_app_state(self, args: dict[str, Any]) -> int:
        return self.state(self._app_id(args))

    async def terminate_app(self, args: dict[str, Any]) -> bool:
        package = self._app_id(args)
        if self.state(package) <= 1:
            return False
        await self.shell(f"am force-stop {shlex.quote(package)}")
        return True

    async def activate_app(self, args: dict[str, Any]) -> None:
        package = self._app_id(args)
        _code, out, _err = await self.shell(f"monkey -p {shlex.quote(package)} -c android.intent.category.LAUNCHER 1")
        if "Events injected: 1" not in out:
            raise WebDriverError("unknown error", f"Cannot activate '{package}'. Original error: {out.strip()}")

    async def background_app(self, args: dict[str, Any]) -> None:
        seconds = float(args.get("seconds", -1) if args.get("seconds") is not None else -1)
        package = self.ui.am.top or self.ui.caps.get("appPackage")
        await self.shell("input keyevent 3")
        if seconds < 0 or not package:
            return
        await device_delay(self.dev.clock, seconds)
        await self.activate_app({"appId": package})

    async def deep_link(self, args: dict[str, Any]) -> None:
        url = args.get("url")
        if not isinstance(url, str) or not url:
            raise WebDriverError("invalid argument", "'url' argument is required")
        package = args.get("package") or args.get("appId")
        command = f"am start -W -a android.intent.action.VIEW -d {shlex.quote(url)}"
        if isinstance(package, str) and package:
            command += f" {shlex.quote(package)}"
        code, out, err = await self.shell(command)
        if code != 0 or "Error" in out or "Error" in err:
            raise WebDriverError("unknown error", f"Error executing adbExec. Original error: 'Command '{command}' "
                                 f"exited with code {code}'; Stderr: '{(err or out).strip()}'")

    async def press_key(self, args: dict[str, Any]) -> None:
        code = args.get("keycode")
        if not isinstance(code, int):
            raise WebDriverError("invalid argument", "'keycode' argument is required and must be an integer")
        self.ui.key(code)

    async def run_shell(self, args: dict[str, Any]) -> Any:
        command = args.get("command")
        if not isinstance(command, str) or not command:
            raise WebDriverError("invalid argument", "The 'command' argument is mandatory")
        extra = args.get("args") or []
        line = " ".join([command, *(shlex.quote(str(a)) for a in (extra if isinstance(extra, list) else [extra]))])
        _code, out, err = await self.shell(line)
        return {"stdout": out, "stderr": err} if args.get("includeStderr") else out

    async def current_package(self, _args: dict[str, Any]) -> str:
        return self.ui.am.top or self.ui.launcher

    async def current_activity(self, _args: dict[str, Any]) -> str:
        top = self.ui.am.top
        if top is None:
            return t.HOME_ACTIVITIES.get(self.ui.launcher, ".Launcher")
        found = sorted(self.ui.am.activities(top))
        activity = found[0] if found else f"{top}.MainActivity"
        return activity[len(top):] if activity.startswith(top + ".") else activity

    async def device_info(self, _args: dict[str, Any]) -> dict[str, Any]:
        props = self.dev.props
        android_id = hashlib.sha256(f"android_id:{self.ui.udid}".encode()).hexdigest()[:16]
        return {"androidId": android_id, "manufacturer": props.get("ro.product.manufacturer", ""),
                "model": props.get("ro.product.model", ""), "brand": props.get("ro.product.brand", ""),
                "apiVersion": str(self.dev.sdk), "platformVersion": props.get("ro.build.version.release", ""),
                "carrierName": props.get("gsm.operator.alpha", ""),
                "realDisplaySize": f"{self.ui.width}x{self.ui.height}",
                "displayDensity": int(props.get("ro.sf.lcd_density", "420")), "networks": [_WIFI],
                "locale": props.get("persist.sys.locale", "en-US").replace("-", "_"),
                "timeZone": props.get("persist.sys.timezone", "UTC"), "bluetooth": {"state": "OFF"}}

    # -- session start --------------------------------------------------------------------------------
    async def start_session(self, caps: dict[str, Any]) -> None:
        package = caps.get("appPackage")
        if not isinstance(package, str) or not package:
            return
        if self.dev.packages.get(package) is None:
            raise WebDriverError("unknown error", f"Could not find a package with the name '{package}' "
                                 "installed on the device")
        if caps.get("autoLaunch", True) is False:
            return
        activity = caps.get("appActivity") or next(iter(sorted(self.ui.am.activities(package))), None)
        if not activity:
            raise WebDriverError("unknown error", f"Cannot find the launchable activity of '{package}'")
        component = activity if "/" in str(activity) else f"{package}/{activity}"
        stop = "" if caps.get("dontStopAppOnReset") else " -S"
        await self.shell(f"am start -W{stop} -n {shlex.quote(component)}")
