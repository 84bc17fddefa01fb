"""ActivityManager of the OS model: ``dev.activity``, the ``activity`` and ``notification`` services, ``monkey``.

Public API for other parts and for the UI (Appium) layer, all taking the device:

- ``manager(dev)``: the ``ActivityManager`` behind ``dev.activity`` (its extra hooks: runtimes,
  receivers, foreground services, freezing, ``policy`` for OEM skins).
- ``launch(dev, package)``: the user taps the launcher icon (as ``monkey … LAUNCHER 1`` does).
- ``press_home(dev)``, ``open_recents(dev)``, ``clear_recents(dev, package)``: the user goes home,
  opens recents, swipes the app's card away (an OEM skin may turn the swipe into a kill).
- ``register_receiver(dev, package, action, component, handler)``: a manifest broadcast receiver.
- ``connect_parts(dev)``: re-subscribe to parts installed after this one (``dev.power``).

Shell: ``input keyevent 3`` (HOME) / ``4`` (BACK) send the app to the background, ``187``
(APP_SWITCH) opens recents, and an upward ``input swipe`` (≥ 300 px) while recents are open
dismisses the front card, as a finger's fling does on a real phone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from harness.lab.android.os.activity._components import BOOT_COMPLETED, deliver_boot
from harness.lab.android.os.activity._components import register_receiver as _register
from harness.lab.android.os.activity._dump import NotificationService
from harness.lab.android.os.activity._intent import Intent
from harness.lab.android.os.activity._manager import (
    KEY_APP_SWITCH,
    KEY_HOME,
    ActivityManager,
    AppRuntime,
    LaunchOutcome,
    OemPolicy,
)
from harness.lab.android.os.activity._monkey import monkey_command
from harness.lab.android.os.activity._records import AppRecord, ServiceRecord
from harness.lab.android.os.activity._shell import ActivityService

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = [
    "BOOT_COMPLETED",
    "ActivityManager",
    "AppRecord",
    "AppRuntime",
    "Intent",
    "LaunchOutcome",
    "OemPolicy",
    "ServiceRecord",
    "clear_recents",
    "connect_parts",
    "install",
    "launch",
    "manager",
    "open_recents",
    "press_home",
    "register_receiver",
]

# Launcher activities of preinstalled apps a test may open to push the app under test back.
_SYSTEM_LAUNCHERS = {"com.android.settings": ".Settings", "com.android.chrome": "com.google.android.apps.chrome.Main"}


def install(dev: AndroidDevice) -> None:
    am = ActivityManager(dev)
    dev.activity = am
    for name, activity in _SYSTEM_LAUNCHERS.items():
        pkg = dev.packages.get(name)
        if pkg is not None and pkg.launcher_activity is None:
            pkg.launcher_activity = activity
    dev.services["activity"] = ActivityService(am)
    dev.services["notification"] = NotificationService(am)
    dev.commands.add("monkey", monkey_command(am))  # type: ignore[arg-type]
    dev.on_key(am.key)
    dev.on_swipe(am.swipe)
    dev.on_shutdown(lambda: _shutdown(am))
    dev.on_boot(lambda: deliver_boot(am))
    am.connect_parts()


def _shutdown(am: ActivityManager) -> None:
    """Power off: every process is gone without kill lines; recents survive (they are persisted)."""
    for rec in list(am.apps.values()):
        runtime = am.runtimes.get(rec.package)
        am.forget(rec)
        if runtime is not None:
            runtime.process_died(rec.pid)
    am.notifications.clear()


def manager(dev: AndroidDevice) -> ActivityManager:
    am = dev.activity
    if not isinstance(am, ActivityManager):
        raise TypeError(f"{dev.name}: dev.activity is {type(am).__name__}, not the lab's ActivityManager")
    return am


def connect_parts(dev: AndroidDevice) -> None:
    manager(dev).connect_parts()


def launch(dev: AndroidDevice, package: str) -> LaunchOutcome:
    return manager(dev).launch(package)


def press_home(dev: AndroidDevice) -> None:
    manager(dev).key(KEY_HOME)


def open_recents(dev: AndroidDevice) -> None:
    manager(dev).key(KEY_APP_SWITCH)


def clear_recents(dev: AndroidDevice, package: str) -> None:
    manager(dev).clear_recents(package)


def register_receiver(dev: AndroidDevice, package: str, action: str, component: str,
                      handler: Callable[[Intent], None], *, exported: bool = True) -> None:
    _register(manager(dev), package, action, component, handler, exported=exported)
