"""The virtual iPhone's OS model: ``IOSModel`` implements ``contracts.IOSSystem`` and the lab-side controls.

It ties the parts together: ``ProcessTable`` (RunningBoard), ``Dasd`` (BGTaskScheduler, background fetch,
engagement), ``PushCenter`` (silent pushes), ``LocationService`` (authorization, regions), ``PhoneState``
(lock, first unlock, Low Power Mode, Background App Refresh) and the modelled app (``ExpoApp``) for the
app under test. Other installed apps launch as plain processes.

User force-quit (the app switcher swipe) versus a process kill: both end the process with RunningBoard's
termination lines (no capture of the switcher's own lines exists), but only the force-quit sets the flag
after which iOS launches the app for nothing in the background (no BGTask, no fetch, no silent push: "the
system does not automatically launch your app if the user has force-quit it … the user must relaunch your
app or restart the device", Apple; for BGTasks: "If the user force quits an app, their background tasks will
no longer be executed", Apple engineer, developer.apple.com/forums/thread/119758). Region monitoring is the
documented exception: "the system relaunches a terminated iOS app when a condition is satisfied" (reference
§4.7), so a geofence crossing still launches a force-quit app. The relaunch is refused with Background App
Refresh off, as Apple's location guide says per skedgo/GeoMonitor's README [only that README's sentence was
read, not Apple's page].

Errors a launch returns (``LaunchRefused``) use the texts Xcode reports for the same cases, as public issue
threads quote them (no capture is stored): FrontBoard's ``Unable to launch <bundle> because the device was
not, or could not be, unlocked`` and ``Application info provider (FBSApplicationLibrary) returned nil for
"<bundle>"``; an unhandled URL scheme is LaunchServices' ``kLSApplicationNotFoundErr`` (OSStatus -10814).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING

from harness.lab.ios.apps import InstalledApp, user_app
from harness.lab.ios.contracts import ContainerFile, LaunchRefused
from harness.lab.ios.os import texts
from harness.lab.ios.os.app import ExpoApp
from harness.lab.ios.os.location import CROSSING_DWELL_S, LocationService
from harness.lab.ios.os.power import PhoneState
from harness.lab.ios.os.probe import Container
from harness.lab.ios.os.processes import AppProcess, ProcessTable
from harness.lab.ios.os.push import PushCenter
from harness.lab.ios.os.scheduler import Dasd, TaskRequest

if TYPE_CHECKING:
    from harness.config import AppConfig
    from harness.lab.ios.device import VirtualIPhone

__all__ = ["BOOT_S", "IOSModel", "attach_system", "bundle_for"]

BOOT_S = 30.0  # device seconds from reboot until the phone is back on usbmuxd ([lab] boot_delay_s's default)
_WEB_SCHEMES = {"http": "com.apple.mobilesafari", "https": "com.apple.mobilesafari"}


class IOSModel:
    """One phone's iOS. Every method runs on the lab's event loop and returns at once."""

    def __init__(self, phone: VirtualIPhone, app: AppConfig | None, *, seed: int = 1) -> None:
        self.phone = phone
        self.rng = random.Random(seed * 7919 + 1)
        self.state = PhoneState(phone)
        self.processes = ProcessTable(phone, random.Random(seed * 7919 + 2))
        self.location = LocationService(phone)
        self.dasd = Dasd(phone.clock, self.state, self, random.Random(seed * 7919 + 3))
        self.push = PushCenter(phone, self, random.Random(seed * 7919 + 4))
        self.private_data_logging = True  # a lab phone carries the private-data logging profile
        self.force_quit: set[str] = set()
        self.apps: dict[str, ExpoApp] = {}
        self.power_listeners: list[Callable[[bool], None]] = []
        self.boot_s = BOOT_S  # the runner may set [lab] boot_delay_s here
        self._containers: dict[str, Container] = {}
        self.processes.death_listeners.append(self._process_died)
        if app is not None and app.ios_bundle_id and app.ios_bundle_id in phone.apps:
            installed = phone.apps[app.ios_bundle_id]
            self.apps[installed.bundle_id] = ExpoApp(self, app, installed.bundle_id, installed.executable)

    def app(self, bundle_id: str) -> ExpoApp:
        try:
            return self.apps[bundle_id]
        except KeyError:
            raise KeyError(f"{self.phone.name}: {bundle_id} is not the modelled app (no [app] in devices.toml?)") \
                from None

    # -- process control (DVT / XCUITest) ---------------------------------------------------------------
    def launch(self, bundle_id: str, *, arguments: Sequence[str] = (), environment: Mapping[str, str] | None = None,
               kill_existing: bool = False, start_suspended: bool = False) -> int:
        """A running app only comes to the foreground (its arguments are not seen: no new process), as DVT's
        launch without ``KillExisting`` does; ``start_suspended`` leaves the new process waiting for a debugger."""
        installed = self._launchable(bundle_id)
        proc = self.processes.of(bundle_id)
        if proc is not None and kill_existing:
            self.processes.kill(proc, 9)
            proc = None
        if proc is None:
            proc = self.processes.spawn(bundle_id, installed.executable, foreground=not start_suspended,
                                        stopped=start_suspended)
            if start_suspended:
                return proc.pid  # waits for a debugger: no code runs
            if bundle_id in self.apps:
                self.apps[bundle_id].launched(proc, arguments)
        else:
            self.processes.bring_to_foreground(proc)
        self._came_to_foreground(bundle_id)
        return proc.pid

    def kill(self, pid: int, signal: int = 9) -> bool:
        proc = self.processes.by_pid(pid)
        if proc is None or signal == 0:
            return pid in self.phone.processes  # a daemon: launchd starts it again at once
        self.processes.kill(proc, signal)
        return True

    def pid_for_bundle(self, bundle_id: str) -> int:
        proc = self.processes.of(bundle_id)
        return proc.pid if proc is not None else 0

    def app_state(self, bundle_id: str) -> str:
        proc = self.processes.of(bundle_id)
        return proc.state if proc is not None else "not_running"

    def watchdog_kill(self, proc: AppProcess) -> None:
        if self.processes.of(proc.bundle_id) is proc:
            self.processes.kill(proc, 9, texts.FETCH_OVERRUN)

    # -- user actions -----------------------------------------------------------------------------------
    def user_force_quit(self, bundle_id: str) -> None:
        """The app-switcher swipe: the process ends and the force-quit flag is set."""
        self.force_quit.add(bundle_id)
        proc = self.processes.of(bundle_id)
        if proc is not None:
            self.processes.kill(proc, 9, texts.USER_FORCE_QUIT)
        self.push.app_died(bundle_id)

    def user_open(self, bundle_id: str) -> int:
        """A tap on the icon (the phone must be unlocked): the app comes to the foreground."""
        return self.launch(bundle_id)

    def press_home(self) -> None:
        current = self.processes.foreground()
        if current is not None:
            self.processes.send_to_background(current)

    def open_url(self, url: str) -> int:
        scheme = url.split(":", 1)[0].lower()
        bundle_id = self._handler_for(scheme)
        if bundle_id is None:
            raise LaunchRefused(f"The operation couldn’t be completed. (OSStatus error -10814.) No app handles {url}")
        return self.user_open(bundle_id)

    def _handler_for(self, scheme: str) -> str | None:
        for installed in self.phone.apps.values():
            for url_type in installed.attributes().get("CFBundleURLTypes", []):
                if scheme in [s.lower() for s in url_type.get("CFBundleURLSchemes", [])]:
                    return installed.bundle_id
        web = _WEB_SCHEMES.get(scheme)
        return web if web in self.phone.apps else None

    def _launchable(self, bundle_id: str) -> InstalledApp:
        installed = self.phone.apps.get(bundle_id)
        if installed is None:
            raise LaunchRefused(f'The request to open "{bundle_id}" failed. Application info provider '
                                f'(FBSApplicationLibrary) returned nil for "{bundle_id}"')
        if self.state.locked:
            raise LaunchRefused(f"Unable to launch {bundle_id} because the device was not, or could not be, unlocked.")
        return installed

    def _came_to_foreground(self, bundle_id: str) -> None:
        self.force_quit.discard(bundle_id)
        self.dasd.record_use(bundle_id)
        app = self.apps.get(bundle_id)
        if app is not None:
            app.foregrounded()
            self.push.app_opened(bundle_id)

    def _process_died(self, proc: AppProcess, _signal: int) -> None:
        app = self.apps.get(proc.bundle_id)
        if app is not None:
            app.process_died()
        self.push.app_died(proc.bundle_id)

    # -- phone state --------------------------------------------------------------------------------------
    @property
    def locked(self) -> bool:
        return self.state.locked

    def lock(self) -> None:
        """Side button: screen off and locked (the foreground app goes to the background)."""
        self.press_home()
        self.state.lock(self.phone.clock.now())

    def unlock(self) -> None:
        """The user unlocks: the first unlock after a boot lets background work run again; running
        processing tasks expire because the user is using the phone."""
        was_locked = self.state.locked
        self.state.unlock()
        if was_locked:
            for app in self.apps.values():
                app.user_active()
        self._retry_pushes()

    def reboot(self) -> None:
        """Every app process is gone, force-quit flags are cleared, the phone is locked before first unlock."""
        self.processes.power_off()
        self.force_quit.clear()
        self.state.reboot(self.phone.clock.now())
        self.phone.clock.mark_boot()
        for listener in list(self.power_listeners):
            listener(False)
        self.phone.clock.call_later(self.boot_s, self._booted)

    def _booted(self) -> None:
        for listener in list(self.power_listeners):
            listener(True)

    def add_power_listener(self, listener: Callable[[bool], None]) -> None:
        """``listener(False)`` when the phone goes down for a reboot, ``listener(True)`` when it is back."""
        self.power_listeners.append(listener)

    @property
    def low_power_mode(self) -> bool:
        self.state.check_low_power_mode()
        return self.state.low_power_mode

    def set_low_power_mode(self, on: bool) -> None:
        self.state.low_power_mode = on
        self._retry_pushes()

    def background_app_refresh(self, bundle_id: str) -> bool:
        """What ``UIApplication.backgroundRefreshStatus`` says for the app (available = True)."""
        return self.state.refresh_allowed(bundle_id)

    def set_background_app_refresh(self, bundle_id: str | None, on: bool) -> None:
        """The global switch (``bundle_id=None``) or the app's own in Settings → Background App Refresh."""
        self.state.set_refresh(bundle_id, on)
        self._retry_pushes()

    def set_network(self, on: bool) -> None:
        self.state.network = on

    def set_private_data_logging(self, on: bool) -> None:
        """Whether os_log private data shows (the logging profile); off, Expo's os.Logger lines read <private>."""
        self.private_data_logging = on

    # -- location ----------------------------------------------------------------------------------------
    def location_authorization(self, bundle_id: str) -> str:
        return self.location.authorization(bundle_id)

    def set_location_authorization(self, bundle_id: str, status: str) -> None:
        self.location.set_authorization(bundle_id, status)
        app = self.apps.get(bundle_id)
        if app is not None:
            app.authorization_changed(status)

    def set_geofence_regions(self, bundle_id: str, count: int) -> None:
        """How many regions the app's JS passes to ``startGeofencingAsync`` (from its next registration)."""
        self.app(bundle_id).geofence_regions = count

    def cross_region(self, bundle_id: str, region_id: str) -> bool:
        """The phone crosses ``region_id``'s boundary; True when the app got the event."""
        app = self.apps.get(bundle_id)
        if app is None or not self.location.monitoring(bundle_id, region_id):
            return False
        if self.location.authorization(bundle_id) != "always" or not self.state.first_unlocked:
            return False
        proc = self.processes.of(bundle_id)
        if proc is None and not self.state.refresh_allowed(bundle_id):
            return False
        proc = self._background_process(bundle_id, relaunch_force_quit=True)
        if proc is None:
            return False
        app.region_event(region_id)
        return True

    def simulate_location(self, latitude: float | None, longitude: float | None = None) -> None:
        """A developer tool sets the phone's location (None: simulation stopped). Each monitored region whose
        boundary it crossed is reported after the 20 s dwell if the phone is still on the new side."""
        if latitude is None or longitude is None:
            self.location.clear_position()
            return
        for bundle_id, region_id in self.location.move(latitude, longitude):
            inside = self.location.is_inside(bundle_id, region_id)
            self.phone.clock.call_later(CROSSING_DWELL_S, partial(self._report_crossing, bundle_id, region_id, inside))

    def _report_crossing(self, bundle_id: str, region_id: str, inside: bool) -> None:
        if self.location.settle(bundle_id, region_id, inside):
            self.cross_region(bundle_id, region_id)

    # -- silent push ---------------------------------------------------------------------------------
    def deliver_silent_push(self, bundle_id: str, payload: Mapping[str, object], *, priority: int = 5) -> str:
        return self.push.deliver(bundle_id, payload, priority)

    def _retry_pushes(self) -> None:
        for bundle_id in list(self.push.pending):
            self.push.attempt(bundle_id)

    # -- containers ------------------------------------------------------------------------------------
    def container(self, bundle_id: str) -> list[ContainerFile] | None:
        installed = self.phone.apps.get(bundle_id)
        if installed is None or installed.app_type != "User":
            return None
        app = self.apps.get(bundle_id)
        if app is not None:
            return app.container.listing()
        return self._containers.setdefault(bundle_id, Container(self.phone.clock.now())).listing()

    # -- dasd's and the push center's host -------------------------------------------------------------------
    def blocked(self, bundle_id: str) -> str | None:
        if bundle_id not in self.phone.apps:
            return "not installed"
        if bundle_id not in self.apps:
            return "not the modelled app"
        if bundle_id in self.force_quit:
            return "force-quit by the user"
        if not self.state.first_unlocked:
            return "not unlocked since boot"
        proc = self.processes.of(bundle_id)
        if proc is not None and proc.stopped:
            return "stopped for a debugger"
        return None

    def permitted_identifiers(self, bundle_id: str) -> list[str]:
        installed = self.phone.apps.get(bundle_id)
        identifiers = installed.attributes().get("BGTaskSchedulerPermittedIdentifiers", []) if installed else []
        return [str(i) for i in identifiers]

    def run_bgtask(self, request: TaskRequest) -> None:
        if self._background_process(request.bundle_id) is not None:
            self.apps[request.bundle_id].run_bgtask(request)

    def run_fetch(self, bundle_id: str) -> None:
        if self._background_process(bundle_id) is not None:
            self.apps[bundle_id].run_fetch()

    def push_refused(self, bundle_id: str) -> str | None:
        installed = self.phone.apps.get(bundle_id)
        if installed is None:
            return "not installed"
        if "remote-notification" not in installed.attributes().get("UIBackgroundModes", []):
            return "no remote-notification background mode"
        if bundle_id in self.force_quit:
            return "force-quit by the user"
        return None if bundle_id in self.apps else "not the modelled app"

    def push_blocked(self, bundle_id: str) -> str | None:
        if not self.state.first_unlocked:
            return "not unlocked since boot"
        if not self.state.refresh_allowed(bundle_id):
            return "background app refresh off"
        return None

    def in_foreground(self, bundle_id: str) -> bool:
        proc = self.processes.of(bundle_id)
        return proc is not None and proc.state == "foreground"

    def run_push(self, bundle_id: str, payload: Mapping[str, object], done: Callable[[], None]) -> None:
        if self._background_process(bundle_id) is not None:
            self.apps[bundle_id].run_push(payload, done)

    def _background_process(self, bundle_id: str, *, relaunch_force_quit: bool = False) -> AppProcess | None:
        """The app's process for background work: the running one, or a new background launch."""
        proc = self.processes.of(bundle_id)
        if proc is not None:
            return None if proc.stopped else proc
        installed = self.phone.apps.get(bundle_id)
        if installed is None or bundle_id not in self.apps:
            return None
        if bundle_id in self.force_quit and not relaunch_force_quit:
            return None
        proc = self.processes.spawn(bundle_id, installed.executable, foreground=False)
        self.apps[bundle_id].launched(proc)
        return proc


def attach_system(phone: VirtualIPhone, app: AppConfig | None, *, seed: int = 1) -> IOSModel:
    """Build the OS model for ``phone`` (with ``app`` as the modelled app under test) and attach it."""
    model = IOSModel(phone, app, seed=seed)
    phone.system = model
    return model


def bundle_for(app: AppConfig) -> InstalledApp:
    """The app under test as its build installs it: the background modes and BGTask identifiers its config
    plugins declare (expo-background-task's, plus ``<bundle>.<task>`` for each ``processing`` task: Apple
    requires every submitted identifier in ``BGTaskSchedulerPermittedIdentifiers``) and its URL schemes
    (the app's name in lower case and its bundle id [lab's choice, like an Expo ``scheme``])."""
    if not app.ios_bundle_id:
        raise ValueError(f"[app] {app.name} has no ios_bundle_id")
    bundle_id = app.ios_bundle_id
    own = [f"{bundle_id}.{t.name}" for t in app.tasks if t.kind == "processing"]
    installed = user_app(bundle_id, app.name, task_identifiers=(texts.EXPO_BG_TASK_ID, *own))
    schemes = ["".join(ch for ch in app.name.lower() if ch.isalnum()) or bundle_id, bundle_id]
    url_types = [{"CFBundleURLName": bundle_id, "CFBundleURLSchemes": schemes}]
    return InstalledApp(installed.bundle_id, installed.name, installed.executable, installed.short_version,
                        installed.version, installed.app_type, {**installed.extra, "CFBundleURLTypes": url_types})
