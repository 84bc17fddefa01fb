"""The process table behind ``ps``, ``pidof`` and ``dumpsys activity processes``.

This is the table only; starting and killing app processes with ActivityManager's log lines is the
activity model's job.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Process", "ProcessTable", "user_name"]


@dataclass(slots=True)
class Process:
    pid: int
    ppid: int
    uid: int
    name: str
    package: str | None = None
    adj: int = 0
    proc_state: str = "TOP"  # procStateShort: TOP, FGS, BFGS, SVC, CEM, CAC, …
    started: float = 0.0  # device time
    frozen: bool = False
    rss_kb: int = 90_000
    vsz_kb: int = 14_000_000


def user_name(uid: int) -> str:
    """What ``ps`` prints in USER: ``root``, ``system``, ``shell``, ``u0_a147``."""
    names = {0: "root", 1000: "system", 1001: "radio", 1013: "media", 1036: "logd", 2000: "shell",
             1041: "audioserver", 1047: "cameraserver"}
    if uid in names:
        return names[uid]
    user, app = divmod(uid, 100_000)
    if app >= 10_000:
        return f"u{user}_a{app - 10_000}"
    return str(uid)


# The system processes every booted phone has (pid, ppid, uid, name).
_SYSTEM = (
    (1, 0, 0, "init"), (2, 0, 0, "[kthreadd]"), (330, 1, 1036, "logd"), (612, 1, 0, "zygote64"),
    (613, 1, 0, "zygote"), (640, 1, 1000, "surfaceflinger"), (700, 1, 2000, "adbd"),
    (1416, 612, 1000, "system_server"), (1890, 612, 10_120, "com.android.systemui"),
    (2105, 612, 1001, "com.android.phone"), (2330, 612, 10_140, "com.google.android.gms.persistent"),
)


class ProcessTable:
    ZYGOTE_PID = 612
    SYSTEM_SERVER_PID = 1416

    def __init__(self, now_s: float, first_app_pid: int = 4200) -> None:
        self._procs: dict[int, Process] = {}
        self._next_pid = first_app_pid
        for pid, ppid, uid, name in _SYSTEM:
            self._procs[pid] = Process(pid, ppid, uid, name, adj=-900 if uid < 10_000 else -800,
                                       proc_state="PER", started=now_s)

    def spawn(self, name: str, uid: int, package: str | None, now_s: float, adj: int = 0,
              proc_state: str = "TOP") -> Process:
        pid = self._next_pid
        self._next_pid += 1 + (pid * 7) % 23  # real pids jump as other processes come and go
        proc = Process(pid, self.ZYGOTE_PID, uid, name, package, adj, proc_state, now_s)
        self._procs[pid] = proc
        return proc

    def add_system(self, name: str, uid: int, now_s: float, package: str | None = None) -> Process:
        proc = self.spawn(name, uid, package, now_s, adj=-800, proc_state="PER")
        return proc

    def remove(self, pid: int) -> Process | None:
        return self._procs.pop(pid, None)

    def get(self, pid: int) -> Process | None:
        return self._procs.get(pid)

    def by_name(self, name: str) -> list[Process]:
        return [p for p in self._procs.values() if p.name == name]

    def of_package(self, package: str) -> list[Process]:
        return [p for p in self._procs.values() if p.package == package]

    def all(self) -> list[Process]:
        return sorted(self._procs.values(), key=lambda p: p.pid)
