"""``harness doctor``'s checks of the app under test, per phone: installed, debuggable where the scenarios use
``run-as``, its probe or Expo's own lines logged on a launch, and the tasks of ``[app]`` registered by it.

The launch check opens the app (after a force-stop, so its JS registers its tasks afresh, as on a cold start)
and sends it home again: a phone a run holds right now is left alone and said to be busy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from harness.android import AndroidDriver
from harness.config import Config, DeviceConfig
from harness.errors import HarnessError
from harness.logs.stream import EventStream, Mark

__all__ = ["AppCheck", "app_checks", "registered_tasks"]

LAUNCH_WALL_S = 15.0  # a cold start of a React Native app on a slow phone registers its tasks within seconds
# expo-task-manager's TaskService logs each registration (TaskService.java, "Registered task with name").
_REGISTERED = re.compile(r"Registered task with name '([^']+)'")
_PROBE = "BgProbe v1"
# Kinds expo-task-manager registers on every cold start (their consumers); location and geofence tasks register
# only once location is granted (start*Async rejects without it), push and processing tasks are not its own.
_REGISTER_AT_LAUNCH = ("background-task", "background-fetch")


@dataclass
class AppCheck:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def registered_tasks(lines: list[str]) -> set[str]:
    """The task names expo-task-manager says it registered, from log lines."""
    return {m.group(1) for line in lines for m in _REGISTERED.finditer(line)}


def app_checks(cfg: Config, busy: set[str]) -> list[AppCheck]:
    checks: list[AppCheck] = []
    if not (cfg.app.android_package or cfg.app.ios_bundle_id or cfg.app.tasks):
        return checks  # no [app]: a pool checked for its phones alone
    for dev in cfg.devices:
        if dev.name in busy:
            checks.append(AppCheck(f"{dev.name}: app", True, "not checked: a run holds the phone now"))
        elif dev.platform == "android":
            checks += _android(cfg, dev)
        else:
            checks += _ios(cfg, dev)
    return checks


def _install_fix(cfg: Config, dev: DeviceConfig, key: str) -> str:
    how = (f"adb -s {dev.serial} install -r <your debug .apk>" if dev.platform == "android"
           else "install the debug build with Xcode or `pymobiledevice3 apps install`")
    return f"{how}, or fix {key} in {cfg.path}"


def _android(cfg: Config, dev: DeviceConfig) -> list[AppCheck]:
    pkg = cfg.app.android_package
    if not pkg:
        return [AppCheck(f"{dev.name}: app", False, "[app] has no android_package", "add android_package to [app]")]
    drv = AndroidDriver.for_device(cfg, dev, timeout_s=10)
    try:
        if not drv.installed():
            fix = _install_fix(cfg, dev, "android_package")
            return [AppCheck(f"{dev.name}: app {pkg}", False, "not installed", fix)]
        checks = [AppCheck(f"{dev.name}: app {pkg}", True, "installed")]
        if cfg.app.debuggable:
            flags = drv.transport.shell(f"dumpsys package {pkg} | grep flags=", timeout_s=10)
            ok = "DEBUGGABLE" in flags
            checks.append(AppCheck(f"{dev.name}: debuggable", ok, "yes (run-as reads the probe's ring buffer)" if ok
                                   else "no: run-as cannot read the probe's ring buffer",
                                   "" if ok else "install a debug build, or set debuggable = false in [app] (the "
                                   "cells that read the ring buffer then fail)"))
        return checks + _launch(cfg, dev, drv)
    except HarnessError as exc:
        return [AppCheck(f"{dev.name}: app", False, f"cannot check: {exc}",
                         "connect the phone (adb devices), or start the lab: `harness lab up --detach`")]


def _launch(cfg: Config, dev: DeviceConfig, drv: AndroidDriver) -> list[AppCheck]:
    capture, stream = drv.capture(None)
    try:
        drv.force_stop()
        mark = stream.mark()
        drv.launch()
        names = {t.name for t in cfg.app.tasks if t.kind in _REGISTER_AT_LAUNCH}
        seen = _wait_registered(stream, mark, names)
        lines = [text for _, text in stream.lines_since(mark, limit=2000)]
        drv.home()
    finally:
        capture.stop()
    probe = any(_PROBE in line for line in lines)
    expo = bool(registered_tasks(lines))
    checks = [AppCheck(f"{dev.name}: log lines on launch", probe or expo,
                       ", ".join(w for w, on in (("probe", probe), ("Expo's TaskService", expo)) if on) or "none",
                       "" if probe or expo else "the app logs neither the probe's lines (docs/probe-line.md) nor "
                       "expo-task-manager's; add the probe to the app, or check the logcat tag filter")]
    missing = sorted(names - seen)
    if names:
        checks.append(AppCheck(f"{dev.name}: tasks registered", not missing,
                               f"{', '.join(sorted(names))}" if not missing else f"not registered after a launch: "
                               f"{', '.join(missing)} (registered: {', '.join(sorted(seen)) or 'none'})",
                               "" if not missing else "check the names in [[app.task]] against the app's "
                               "TaskManager.defineTask names; location and geofence tasks register only once "
                               "location is granted"))
    return checks


def _wait_registered(stream: EventStream, since: Mark, names: set[str]) -> set[str]:
    """Wait (on the log, not on a sleep) until every task is registered or the launch window passes."""
    seen: set[str] = set()
    while not names <= seen:
        if stream.wait_for_line("Registered task with name", since, LAUNCH_WALL_S * stream.clock_rate) is None:
            break
        new = stream.lines_since(since, limit=2000)
        seen |= registered_tasks([text for _, text in new])
        since = replace(since, line=max(number for number, _ in new))
    return seen


def _ios(cfg: Config, dev: DeviceConfig) -> list[AppCheck]:
    from harness.ios import IOSDriver  # noqa: PLC0415 - pymobiledevice3 loads only when an iPhone is checked

    bundle = cfg.app.ios_bundle_id
    if not bundle:
        return [AppCheck(f"{dev.name}: app", False, "[app] has no ios_bundle_id", "add ios_bundle_id to [app]")]
    try:
        installed = IOSDriver.for_device(cfg, dev, timeout_s=10).installed()
    except HarnessError as exc:
        return [AppCheck(f"{dev.name}: app", False, f"cannot check: {exc}",
                         "plug the iPhone in and trust this computer, or start the lab")]
    return [AppCheck(f"{dev.name}: app {bundle}", installed, "installed" if installed else "not installed",
                     "" if installed else _install_fix(cfg, dev, "ios_bundle_id"))]
