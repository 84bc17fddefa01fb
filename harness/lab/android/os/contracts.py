"""The seams between the parts of the Android OS model.

Each part is installed on the device as an attribute (``dev.power``, ``dev.jobs``, ``dev.alarms``,
``dev.standby``, ``dev.appops``, ``dev.activity``) and registers its binder services in
``dev.services``. Parts talk to each other only through these protocols, so each can be read,
tested and replaced on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

__all__ = [
    "ActivityModel",
    "AlarmModel",
    "AppOpsModel",
    "JobClient",
    "JobInfo",
    "JobModel",
    "PowerModel",
    "StandbyModel",
]


class PowerModel(Protocol):
    """``dev.power``: battery, screen, network and the two Doze state machines (deviceidle)."""

    screen_on: bool
    network_connected: bool

    def charging(self) -> bool:
        """Plugged in (ac/usb/wireless/dock) as DeviceIdleController and JobScheduler see it."""
        ...

    def battery_level(self) -> int: ...

    def battery_not_low(self) -> bool:
        """JobScheduler's BATTERY_NOT_LOW: charging, or level above the low threshold (15 %)."""
        ...

    def deep_state(self) -> str:
        """ACTIVE, INACTIVE, IDLE_PENDING, SENSING, LOCATING, IDLE, IDLE_MAINTENANCE, QUICK_DOZE_DELAY."""
        ...

    def light_state(self) -> str:
        """ACTIVE, INACTIVE, IDLE, WAITING_FOR_NETWORK, IDLE_MAINTENANCE, OVERRIDE."""
        ...

    def dozing(self) -> bool:
        """True while deep or light Doze restricts apps (IDLE; not during IDLE_MAINTENANCE)."""
        ...

    def device_idle(self) -> bool:
        """JobScheduler's IDLE constraint (the device is not in use: screen off for a while, or docked)."""
        ...

    def whitelisted(self, package: str) -> bool:
        """On the Doze power-save whitelist (user/system) or temp-whitelisted right now."""
        ...

    def on_change(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(what)`` after any change: "screen", "charging", "battery", "deep", "light", "whitelist"."""
        ...

    def set_work_probe(self, probe: Callable[[], bool]) -> None:
        """Maintenance windows end early (``s:early``) once ``probe()`` says no job or alarm is running."""
        ...


@dataclass
class JobInfo:
    """What an app passes to ``JobScheduler.schedule`` (android.app.job.JobInfo), in device seconds."""

    job_id: int
    service: str  # component, e.g. "com.pkg/androidx.work.impl.background.systemjob.SystemJobService"
    namespace: str | None = None
    periodic_s: float | None = None
    flex_s: float | None = None
    min_latency_s: float = 0.0
    deadline_s: float | None = None  # override deadline
    requires_charging: bool = False
    requires_battery_not_low: bool = False
    requires_device_idle: bool = False
    requires_network: bool = False
    persisted: bool = False
    expedited: bool = False
    extras: dict[str, str] = field(default_factory=dict)
    tag: str | None = None  # WorkManager / Expo task identification, shown in lab dumps only via extras


class JobClient(Protocol):
    """The app side of a job: JobService.onStartJob / onStopJob."""

    def on_start_job(self, package: str, job_id: int, namespace: str | None) -> None:
        """The job starts now; the app must later call ``dev.jobs.job_finished(...)``."""
        ...

    def on_stop_job(self, package: str, job_id: int, namespace: str | None, reason: str) -> None: ...


class JobModel(Protocol):
    """``dev.jobs``: JobScheduler (``cmd jobscheduler``, ``dumpsys jobscheduler``)."""

    def schedule(self, package: str, job: JobInfo) -> None: ...

    def cancel(self, package: str, job_id: int, namespace: str | None, reason: str) -> bool: ...

    def cancel_all(self, package: str, reason: str) -> int: ...

    def job_ids(self, package: str) -> list[tuple[str | None, int]]: ...

    def job_finished(self, package: str, job_id: int, namespace: str | None, *, reschedule: bool = False) -> None: ...

    def register_client(self, package: str, client: JobClient) -> None: ...


class AlarmModel(Protocol):
    """``dev.alarms``: AlarmManager (``dumpsys alarm``)."""

    def set_inexact_repeating(self, package: str, tag: str, first_s: float, interval_s: float,
                              fire: Callable[[], None]) -> None:
        """ELAPSED_REALTIME_WAKEUP inexact repeating alarm; ``fire`` runs in the app when it goes off."""
        ...

    def cancel(self, package: str, tag: str) -> None: ...

    def cancel_all(self, package: str) -> int: ...


class StandbyModel(Protocol):
    """``dev.standby``: App Standby buckets (``am set-standby-bucket`` / ``get-standby-bucket``)."""

    def bucket(self, package: str) -> int:
        """10 ACTIVE, 20 WORKING_SET, 30 FREQUENT, 40 RARE, 45 RESTRICTED, 50 NEVER."""
        ...

    def set_bucket(self, package: str, bucket: int, reason: str) -> None: ...

    def note_used(self, package: str) -> None:
        """The user opened the app: it becomes ACTIVE."""
        ...

    def on_change(self, listener: Callable[[str, int], None]) -> None: ...


class AppOpsModel(Protocol):
    """``dev.appops``: ``cmd appops set|get PKG RUN_ANY_IN_BACKGROUND allow|ignore``."""

    def run_any_in_background(self, package: str) -> bool: ...

    def on_change(self, listener: Callable[[str, str], None]) -> None: ...


class ActivityModel(Protocol):
    """``dev.activity``: ActivityManager — app processes, their state, launches and kills."""

    def pid_of(self, package: str) -> int | None: ...

    def in_foreground(self, package: str) -> bool:
        """The app has the top activity (or a visible one); background otherwise."""
        ...

    def ensure_process(self, package: str, hosting_type: str, component: str) -> int:
        """Start the app's process if needed (logs ``Start proc …``, ``am_proc_start``); returns its pid."""
        ...

    def kill(self, package: str, reason: str, *, killer_tag: str | None = None, adj: int | None = None) -> bool:
        """Kill the app's processes as ``Killing pid:proc/uid (adj N): reason`` (no force-stop semantics)."""
        ...

    def force_stop(self, package: str, reason: str) -> None:
        """Force-stop semantics: kill, cancel jobs and alarms, enter the stopped state."""
        ...

    def on_force_stop(self, listener: Callable[[str, str], None]) -> None: ...

    def on_process_died(self, listener: Callable[[str, int], None]) -> None: ...

    def on_launch(self, listener: Callable[[str], None]) -> None:
        """The user (or ``am start`` / ``monkey``) launched the app's activity."""
        ...

    def on_background(self, listener: Callable[[str], None]) -> None:
        """The app left the foreground (HOME, another app, screen off)."""
        ...
