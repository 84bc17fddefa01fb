"""The modelled app under test, from devices.toml's ``[app]``: an Expo app with background tasks.

What it models (reference §7): expo-background-task (one periodic WorkManager work,
``EXPO_BACKGROUND_WORKER``), expo-background-fetch (inexact repeating alarm → TaskJobService job),
expo-location (a ``location`` foreground service; geofences), and a WorkManager worker for
``processing`` tasks. Every task run prints the probe line (docs/probe-line.md) and appends to
``/data/user/0/<pkg>/files/bgprobe.jsonl``.

Public API (for tests and the UI/Appium layer), all taking the device:

- ``app_of(dev)``: the ``CourierApp`` (its ``wm``, ``tasks``, ``probe``).
- ``grant_background_location(dev)``: what the user does in the two permission prompts; the same as
  ``pm grant <pkg> android.permission.ACCESS_FINE_LOCATION`` plus ``…ACCESS_BACKGROUND_LOCATION``.
  The location service starts the next time the app's activity is resumed.
- ``start_location_updates(dev)``: the user taps the app's "start tracking" button: with both
  permissions granted and the app in the foreground, the location task and geofences register now.
- ``set_geofence_regions(dev, count)``: how many regions the app's JS registers (default 3; Play
  services rejects more than 100).
- ``trigger_geofence(dev, region)``: Play services reports a transition for ``<task>-<n>`` (a shortcut:
  over the wire the phone crosses a region when a mock provider's fix lands in it, ``cmd location
  providers set-test-provider-location``; a debug build registers as many regions as the launch extra
  ``--ei bgprobe-geofence-regions N`` of ``am start`` says, ``harness.contracts.geofence``).
- ``deliver_fcm(dev, package, data, high=…)``: an FCM data message reached the phone (the lab's push
  gateway calls it): Play services broadcasts it unless the app is force-stopped or Doze holds a
  normal-priority one; the app logs ``wake reason=push``, reports to the collector and runs its
  ``push`` tasks (``_push.py``, ``_collector.py``).

The package is installed in the stopped state, as a fresh install is: nothing runs until the
first launch (``monkey -p <pkg> -c android.intent.category.LAUNCHER 1`` or ``am start``).
After ``pm uninstall`` (``adb uninstall``) took it off, an ``adb install`` of an APK with the app's package
brings the model back as a fresh install: a new app id, empty in-memory state, stopped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.lab.android.os.activity import manager
from harness.lab.android.os.apps._app import CourierApp
from harness.lab.android.os.apps._geofencer import Geofencer
from harness.lab.android.os.apps._location import BACKGROUND, FINE, GeofencingConsumer
from harness.lab.android.os.apps._probe import Probe
from harness.lab.android.os.apps._push import deliver_fcm
from harness.lab.android.os.apps._workmanager import WM_NAMESPACE, WorkManager, WorkSpec
from harness.lab.android.os.permissions import COURIER_PERMISSIONS

if TYPE_CHECKING:
    from harness.config import AppConfig
    from harness.lab.android.device import AndroidDevice
    from harness.lab.android.os.packages import Package

__all__ = [
    "WM_NAMESPACE",
    "CourierApp",
    "Probe",
    "WorkManager",
    "WorkSpec",
    "app_of",
    "deliver_fcm",
    "grant_background_location",
    "install",
    "set_geofence_regions",
    "start_location_updates",
    "trigger_geofence",
]


def install(dev: AndroidDevice, app: AppConfig | None) -> None:
    if app is None or not app.android_package or getattr(dev, "activity", None) is None:
        return
    name = app.android_package
    pkg = dev.packages.install(name, debuggable=app.debuggable, launcher_activity=app.launcher_activity,
                               receives_boot_completed=True, stopped=True, version_name="1.0.0",
                               requested=COURIER_PERMISSIONS)
    dev.fs.mkdirs(f"/data/user/0/{name}/files", uid=pkg.uid)
    geofencer = Geofencer(dev)
    geofencer.connect_activity()
    CourierApp(dev, app, name, pkg.uid, geofencer).attach()
    dev.packages.on_added(lambda added: _reinstalled(dev, app, geofencer, added))


def _reinstalled(dev: AndroidDevice, app: AppConfig, geofencer: Geofencer, pkg: Package) -> None:
    """An APK of the modelled app's package installed after ``pm uninstall`` took it off: the lab's model of the
    app comes back as a fresh install (what its manifest declares, a new process model with empty in-memory
    state; a data directory ``-k`` kept stays on disk), in the stopped state the installer leaves it in."""
    if pkg.name != app.android_package or pkg.name in manager(dev).runtimes:
        return
    pkg.debuggable = app.debuggable
    pkg.launcher_activity = app.launcher_activity
    pkg.receives_boot_completed = True
    pkg.requested = COURIER_PERMISSIONS
    dev.fs.mkdirs(f"/data/user/0/{pkg.name}/files", uid=pkg.uid)
    CourierApp(dev, app, pkg.name, pkg.uid, geofencer).attach()


def app_of(dev: AndroidDevice, package: str | None = None) -> CourierApp:
    runtimes = manager(dev).runtimes
    for name, runtime in runtimes.items():
        if isinstance(runtime, CourierApp) and (package is None or name == package):
            return runtime
    raise KeyError(f"{dev.name}: the modelled app {package or ''} is not installed (no [app] in devices.toml?)")


def grant_background_location(dev: AndroidDevice, package: str | None = None) -> None:
    app = app_of(dev, package)
    service = dev.services.get("package")
    granted: dict[str, set[str]] | None = getattr(service, "granted", None)
    if granted is None:
        raise RuntimeError(f"{dev.name}: the package service keeps no permission grants")
    granted.setdefault(app.package, set()).update({FINE, BACKGROUND})


def start_location_updates(dev: AndroidDevice, package: str | None = None) -> bool:
    """The app's JS calls ``startLocationUpdatesAsync``/``startGeofencingAsync`` now; False if it cannot."""
    app = app_of(dev, package)
    if not (app.alive() and app.granted(FINE) and app.granted(BACKGROUND) and app.am.in_foreground(app.package)):
        return False
    for task in app.cfg.tasks:
        if task.kind in ("location", "geofence"):
            app.tasks.register(task)
    for consumer in list(app.tasks.consumers.values()):
        consumer.resume()
    return True


def set_geofence_regions(dev: AndroidDevice, count: int, package: str | None = None) -> None:
    app = app_of(dev, package)
    app.geofence_regions = count
    for consumer in list(app.tasks.consumers.values()):
        if isinstance(consumer, GeofencingConsumer):
            consumer.did_register()


def trigger_geofence(dev: AndroidDevice, region: str, package: str | None = None) -> bool:
    app = app_of(dev, package)
    return any(c.transition(region) for c in list(app.tasks.consumers.values()) if isinstance(c, GeofencingConsumer))
