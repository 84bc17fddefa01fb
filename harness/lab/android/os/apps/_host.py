"""What the modelled app's pieces (WorkManager, Expo modules, the probe) need from the app process."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice
    from harness.lab.android.os.activity import ActivityManager
    from harness.lab.android.os.apps._geofencer import Geofencer
    from harness.lab.android.os.contracts import JobInfo

__all__ = ["AppHost", "Thread"]

# Thread ids relative to the pid, the way an RN app's threads show in logcat's tid column.
Thread = str
THREAD_TIDS: dict[Thread, int] = {"main": 0, "wm": 23, "js": 31, "bg": 37}


class AppHost(Protocol):
    """The running app as its libraries see it: logging, timers tied to the process, system services."""

    dev: AndroidDevice
    package: str
    uid: int
    scope_key: str  # expo-task-manager's appScopeKey (the package name in a bare app)
    geofence_regions: int  # how many regions the app's JS passes to startGeofencingAsync
    geofencer: Geofencer  # Play services' geofencing on this phone

    @property
    def am(self) -> ActivityManager: ...

    def alive(self) -> bool:
        """The app has a running process (its in-memory state exists)."""
        ...

    def log(self, prio: str, tag: str, msg: str, *, thread: Thread = "main") -> None: ...

    def later(self, delay_s: float, fn: Callable[[], None]) -> None:
        """Run ``fn`` in the process after ``delay_s`` device seconds, unless the process dies first."""
        ...

    def schedule_job(self, job: JobInfo) -> bool:
        """JobScheduler.schedule from the app; False when the jobs part is not there."""
        ...

    def cancel_job(self, job_id: int, namespace: str | None) -> None: ...

    def job_ids(self) -> list[tuple[str | None, int]]: ...

    def job_finished(self, job_id: int, namespace: str | None) -> None: ...

    def granted(self, permission: str) -> bool: ...
