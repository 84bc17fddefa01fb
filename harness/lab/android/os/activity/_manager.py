"""ActivityManager: app processes, their oom adj and process state, the foreground app and recents.

Kills and force-stops live in ``_kills.py``, broadcasts and services in ``_components.py``; this
module owns the records and the state machine they share. State rules (OomAdjuster, simplified):
the resumed app is ``fg``/TOP (TPSL with the screen off); an app with a foreground service is
``prcp``/FGS; an app running a job is ``prcl``/TRNB [inferred: JobServiceContext binds with
BIND_NOT_FOREGROUND|BIND_NOT_PERCEPTIBLE]; an app whose activity just left is ``prev``/LAST for
``MAX_PREVIOUS_TIME`` (60 s, ActivityManagerConstants), then cached (CAC with an activity, CEM without).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from harness.lab.android.os.activity import _components, _kills
from harness.lab.android.os.activity._records import (
    CACHED_APP_MIN_ADJ,
    FOREGROUND_APP_ADJ,
    PERCEPTIBLE_APP_ADJ,
    PERCEPTIBLE_LOW_APP_ADJ,
    PREVIOUS_APP_ADJ,
    AppRecord,
    ExitInfo,
    NotificationRecord,
    ServiceRecord,
)
from harness.lab.android.os.base import uid_text

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice
    from harness.lab.android.os.activity._intent import Intent

__all__ = ["ActivityManager", "AppRuntime", "LaunchOutcome", "OemPolicy"]

MAX_PREVIOUS_TIME_S = 60.0
KEY_HOME, KEY_BACK, KEY_APP_SWITCH = 3, 4, 187
SWIPE_DISMISS_PX = 300


class AppRuntime(Protocol):
    """The app side of a process (ActivityThread/IApplicationThread as AMS sees it)."""

    def bind_application(self, pid: int, hosting: str) -> None:
        """A new process of the app started: Application.onCreate runs now."""
        ...

    def resume(self) -> None:
        """The app's activity is resumed (it is in the foreground and the screen is on)."""
        ...

    def pause(self) -> None:
        """The activity paused: HOME, another app, recents, screen off."""
        ...

    def process_died(self, pid: int) -> None:
        """The process is gone: everything the app kept in memory is lost."""
        ...


class OemPolicy(Protocol):
    """Hooks an OEM skin patches into AMS (MIUI's ProcessManager, ColorOS athena, One UI's MARs)."""

    def task_removed(self, package: str) -> bool:
        """The user swiped the app away in recents; True if the OEM handled it (stock: ``remove task``)."""
        ...


@dataclass(frozen=True)
class LaunchOutcome:
    result: str  # success | delivered_to_top | task_to_front | class_not_found
    launch_state: str = "UNKNOWN (0)"  # COLD | WARM | HOT
    component: tuple[str, str] | None = None
    total_ms: int = 0


def _listeners() -> list[Callable[..., None]]:
    return []


class ActivityManager:
    """``dev.activity`` (contracts.ActivityModel) plus what the app and OEM parts hook into."""

    def __init__(self, dev: AndroidDevice) -> None:
        self.dev = dev
        self.apps: dict[str, AppRecord] = {}
        self.top: str | None = None  # the package whose activity is on top; None = the launcher
        self.recents: list[str] = []  # task order, most recent first
        self.recents_open = False
        self.notifications: list[NotificationRecord] = []
        self.exits: list[ExitInfo] = []
        self.policy: OemPolicy | None = None
        self.runtimes: dict[str, AppRuntime] = {}
        self.receivers: dict[str, list[_components.Receiver]] = {}
        self.ids = random.Random(dev.ident.seed * 7919 + 17)  # hashes and launch times, apart from dev.rng
        self._resumed: str | None = None
        self._queued: dict[str, list[Callable[[], None]]] = {}
        self._on_force_stop = _listeners()
        self._on_died = _listeners()
        self._on_launch = _listeners()
        self._on_background = _listeners()
        self._on_start = _listeners()
        self._on_thaw = _listeners()
        self._on_start_intent = _listeners()
        self._power_hooked = False

    # -- wiring ---------------------------------------------------------------------------------
    def connect_parts(self) -> None:
        """Subscribe to the parts installed before this one (``dev.power``); safe to call again."""
        power = getattr(self.dev, "power", None)
        if power is not None and not self._power_hooked:
            power.on_change(self._power_changed)
            self._power_hooked = True

    def register_runtime(self, package: str, runtime: AppRuntime) -> None:
        self.runtimes[package] = runtime

    def on_force_stop(self, listener: Callable[[str, str], None]) -> None:
        self._on_force_stop.append(listener)

    def on_process_died(self, listener: Callable[[str, int], None]) -> None:
        self._on_died.append(listener)

    def on_launch(self, listener: Callable[[str], None]) -> None:
        self._on_launch.append(listener)

    def on_background(self, listener: Callable[[str], None]) -> None:
        self._on_background.append(listener)

    def on_process_start(self, listener: Callable[[str, int], None]) -> None:
        self._on_start.append(listener)

    def on_start_intent(self, listener: Callable[[str, Intent], None]) -> None:
        """``listener(package, intent)`` just before ``am start`` launches the package's activity with it
        (the app reads its launch intent's extras and data when its process starts)."""
        self._on_start_intent.append(listener)

    def fire(self, which: str, *args: object) -> None:
        table = {"force_stop": self._on_force_stop, "died": self._on_died, "launch": self._on_launch,
                 "background": self._on_background, "start": self._on_start, "thaw": self._on_thaw,
                 "start_intent": self._on_start_intent}
        for listener in list(table[which]):
            listener(*args)

    # -- queries --------------------------------------------------------------------------------
    def screen_on(self) -> bool:
        power = getattr(self.dev, "power", None)
        return True if power is None else bool(power.screen_on)

    def pid_of(self, package: str) -> int | None:
        rec = self.apps.get(package)
        return rec.pid if rec else None

    def in_foreground(self, package: str) -> bool:
        return self._resumed == package

    def record(self, package: str) -> AppRecord | None:
        return self.apps.get(package)

    def activities(self, package: str) -> set[str]:
        pkg = self.dev.packages.get(package)
        if pkg is None or pkg.launcher_activity is None:
            return set()
        return {package + pkg.launcher_activity if pkg.launcher_activity.startswith(".") else pkg.launcher_activity}

    # -- processes ------------------------------------------------------------------------------
    def ensure_process(self, package: str, hosting_type: str, component: str) -> int:
        rec = self.apps.get(package)
        if rec is not None:
            return rec.pid
        pkg = self.dev.packages.get(package)
        if pkg is None:
            raise KeyError(f"{self.dev.name}: no package {package!r} to start a process for")
        pkg.stopped = False  # starting any component clears the stopped state (ActiveServices, BroadcastQueue)
        now = self.dev.clock.now()
        proc = self.dev.processes.spawn(package, pkg.uid, package, now, adj=CACHED_APP_MIN_ADJ, proc_state="CEM")
        rec = AppRecord(package, proc, hosting_type, self.ids.getrandbits(28), last_state_time=now)
        self.apps[package] = rec
        self.dev.syslog("I", "ActivityManager", f"Start proc {proc.pid}:{package}/{uid_text(pkg.uid)} for "
                        f"{hosting_type} {{{component}}}")
        self.dev.event("am_proc_start", 0, proc.pid, pkg.uid, package, hosting_type, "{" + component + "}")
        self.refresh()
        runtime = self.runtimes.get(package)
        if runtime is not None:
            runtime.bind_application(proc.pid, hosting_type)
        self.fire("start", package, proc.pid)
        return proc.pid

    def begin_work(self, package: str) -> None:
        rec = self.apps.get(package)
        if rec is not None:
            rec.work += 1
            self.refresh()

    def end_work(self, package: str) -> None:
        rec = self.apps.get(package)
        if rec is not None and rec.work > 0:
            rec.work -= 1
            self.refresh()

    def forget(self, rec: AppRecord) -> None:
        """Drop a dead process's record and everything that lived in it (services, queued calls)."""
        self.apps.pop(rec.package, None)
        self._queued.pop(rec.package, None)
        self.notifications = [n for n in self.notifications
                              if not (n.package == rec.package and n.flags & 0x40)]
        if self.top == rec.package:
            self.top = None
        if self._resumed == rec.package:
            self._resumed = None
        self.refresh()

    # -- state ----------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Recompute adj and process state of every app process (a small OomAdjuster)."""
        now = self.dev.clock.now()
        cached: list[AppRecord] = []
        for rec in self.apps.values():
            state = self._live_state(rec, now)
            if state is None:
                cached.append(rec)
            else:
                self._set_state(rec, *state, now)
        cached.sort(key=lambda r: -(r.bg_since or r.proc.started))
        for rank, rec in enumerate(cached):
            base = 905 if rec.has_activity else 945
            self._set_state(rec, min(999, base + 10 * rank), "CAC" if rec.has_activity else "CEM", now)

    def _live_state(self, rec: AppRecord, now: float) -> tuple[int, str] | None:
        if rec.package == self.top and rec.has_activity:
            return FOREGROUND_APP_ADJ, "TOP" if self.screen_on() else "TPSL"
        if rec.has_foreground_service:
            return PERCEPTIBLE_APP_ADJ, "FGS"
        if rec.work > 0:
            return PERCEPTIBLE_LOW_APP_ADJ, "TRNB"
        if rec.has_activity and rec.bg_since is not None and now - rec.bg_since < MAX_PREVIOUS_TIME_S:
            return PREVIOUS_APP_ADJ, "LAST"
        return None

    @staticmethod
    def _set_state(rec: AppRecord, adj: int, state: str, now: float) -> None:
        if (rec.proc.adj, rec.proc.proc_state) != (adj, state):
            rec.proc.adj, rec.proc.proc_state = adj, state
            rec.last_state_time = now

    def _set_resumed(self, package: str | None) -> None:
        old = self._resumed
        if old == package:
            return
        self._resumed = package
        if old is not None:
            runtime = self.runtimes.get(old)
            if runtime is not None and old in self.apps:
                runtime.pause()
            self.fire("background", old)
        if package is not None:
            runtime = self.runtimes.get(package)
            if runtime is not None:
                runtime.resume()

    # -- foreground -----------------------------------------------------------------------------
    def launch(self, package: str, cls: str | None = None) -> LaunchOutcome:
        """Start the app's activity as the launcher, ``am start`` or ``monkey`` would."""
        known = self.activities(package)
        full = (package + cls if cls and cls.startswith(".") else cls) if cls else next(iter(known), None)
        if full is None or full not in known:
            return LaunchOutcome("class_not_found", component=(package, full or ""))
        rec = self.apps.get(package)
        if self.top == package and rec is not None and rec.has_activity and self.screen_on():
            return LaunchOutcome("delivered_to_top", component=(package, full))
        hot = rec is not None and rec.has_activity and package in self.recents
        state = "HOT" if hot else "WARM" if rec is not None else "COLD"
        if self.top is not None and self.top != package:
            self.move_to_background(self.top)
        pkg = self.dev.packages.get(package)
        if pkg is not None:
            pkg.stopped = False
        # Hosting type as Android 11-14 logs print it for a launcher/am start launch [unverified in source;
        # 9-era logs say `activity`].
        self.ensure_process(package, "pre-top-activity", f"{package}/{full}")
        self._bring_to_top(package)
        total = {"COLD": (450, 900), "WARM": (180, 350), "HOT": (60, 160)}[state]
        return LaunchOutcome("task_to_front" if hot else "success", state, (package, full),
                             self.ids.randint(*total))

    def _bring_to_top(self, package: str) -> None:
        rec = self.apps[package]
        self.set_frozen(package, False, "foreground")  # no freezer keeps a foreground app frozen
        rec.has_activity, rec.bg_since = True, None
        self.top = package
        self.recents_open = False
        if package in self.recents:
            self.recents.remove(package)
        self.recents.insert(0, package)
        standby = getattr(self.dev, "standby", None)
        if standby is not None:
            standby.note_used(package)
        self.refresh()
        if self.screen_on():
            self._set_resumed(package)
        self.fire("launch", package)

    def move_to_background(self, package: str) -> None:
        """The app's activity is no longer on top (HOME, BACK, recents, another app)."""
        if self.top == package:
            self.top = None
        rec = self.apps.get(package)
        if rec is not None and rec.has_activity:
            rec.bg_since = self.dev.clock.now()
            self.dev.clock.call_later(MAX_PREVIOUS_TIME_S + 0.001, self.refresh)
        if self._resumed == package:
            self._set_resumed(None)
        self.refresh()

    def key(self, code: int) -> None:
        """Key events AMS/WMS act on; power keys belong to the power part."""
        if code in (KEY_HOME, KEY_BACK):
            self.recents_open = False
            if self.top is not None:
                self.move_to_background(self.top)
        elif code == KEY_APP_SWITCH:
            if self.top is not None:
                self.move_to_background(self.top)
            self.recents_open = True

    def swipe(self, x1: int, y1: int, x2: int, y2: int) -> None:
        # In the recents screen, an upward fling on the front card dismisses it (SystemUI's
        # TaskView swipe-to-dismiss); what that does to the app is the OEM's business.
        if self.recents_open and self.recents and y1 - y2 >= SWIPE_DISMISS_PX and abs(x2 - x1) < y1 - y2:
            _kills.clear_recents(self, self.recents[0])

    def _power_changed(self, what: str) -> None:
        if what != "screen":
            return
        if self.screen_on():
            if self.top is not None and self.top in self.apps:
                self._set_resumed(self.top)
        else:
            self._set_resumed(None)
        self.refresh()

    # -- freezing and calls into the app --------------------------------------------------------
    def post(self, package: str, call: Callable[[], None]) -> None:
        """A one-way binder call into the app: queued while its process is frozen, run on thaw."""
        rec = self.apps.get(package)
        if rec is not None and rec.proc.frozen:
            self._queued.setdefault(package, []).append(call)
            return
        call()

    def set_frozen(self, package: str, frozen: bool, reason: str = "") -> bool:
        """Freeze or thaw the app's process (cgroup freezer); thawing runs the calls queued meanwhile."""
        rec = self.apps.get(package)
        if rec is None or rec.proc.frozen == frozen:
            return False
        rec.proc.frozen = frozen
        if not frozen:
            self.fire("thaw", package, reason)
            for call in self._queued.pop(package, []):
                call()
        return True

    def on_thaw(self, listener: Callable[[str, str], None]) -> None:
        """``listener(package, reason)`` after a frozen process was thawed (reason ``foreground`` on launch)."""
        self._on_thaw.append(listener)

    # -- ActivityModel verbs implemented elsewhere -----------------------------------------------
    def kill(self, package: str, reason: str, *, killer_tag: str | None = None, adj: int | None = None) -> bool:
        return _kills.kill(self, package, reason, tag=killer_tag or "ActivityManager", adj=adj)

    def force_stop(self, package: str, reason: str, *, kill_reason: str | None = None) -> None:
        _kills.force_stop(self, package, reason, kill_reason=kill_reason)

    def stop_app(self, package: str) -> None:
        _kills.stop_app(self, package)

    def clear_recents(self, package: str) -> None:
        _kills.clear_recents(self, package)

    def send_broadcast(self, intent: Intent) -> int:
        return _components.send_broadcast(self, intent)

    def start_foreground_service(self, package: str, cls: str, notif_id: int, types: int,
                                 channel: str) -> ServiceRecord:
        return _components.start_foreground_service(self, package, cls, notif_id, types, channel)

    def stop_service(self, package: str, cls: str) -> bool:
        return _components.stop_service(self, package, cls)
