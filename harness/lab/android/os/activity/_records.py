"""ActivityManager's records (app processes, services, notifications) and their text forms.

Sources: oom adj ladder and names from a real Android 12 ``dumpsys activity processes`` (reference
captures §26); ``makeOomAdjString(adj, compact=true)`` / ``buildOomTag`` and
``ActivityManager.procStateToString`` from AOSP ProcessList / ActivityManager (read from memory of
the 13/14 trees [IDX]; the real lines ``has died: fg  TOP`` and ``has died: fore TOP `` agree with them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.lab.android.os.base import uid_text
from harness.lab.android.os.processes import Process

__all__ = [
    "ADJ_LEVELS",
    "CACHED_APP_MIN_ADJ",
    "FOREGROUND_APP_ADJ",
    "PERCEPTIBLE_APP_ADJ",
    "PERCEPTIBLE_LOW_APP_ADJ",
    "PREVIOUS_APP_ADJ",
    "PROC_STATES",
    "SERVICE_ADJ",
    "AppRecord",
    "ExitInfo",
    "NotificationRecord",
    "ServiceRecord",
    "oom_adj_compact",
    "proc_state_text",
]

FOREGROUND_APP_ADJ = 0
VISIBLE_APP_ADJ = 100
PERCEPTIBLE_APP_ADJ = 200
PERCEPTIBLE_LOW_APP_ADJ = 250
SERVICE_ADJ = 500
PREVIOUS_APP_ADJ = 700
CACHED_APP_MIN_ADJ = 900

# (adj, name, min-free KB) as `dumpsys activity processes` prints them on a Pixel (captures §26).
ADJ_LEVELS: tuple[tuple[int, str, int], ...] = (
    (-900, "SYSTEM_ADJ", 73_728), (-800, "PERSISTENT_PROC_ADJ", 73_728), (-700, "PERSISTENT_SERVICE_ADJ", 73_728),
    (0, "FOREGROUND_APP_ADJ", 73_728), (100, "VISIBLE_APP_ADJ", 92_160), (200, "PERCEPTIBLE_APP_ADJ", 110_592),
    (225, "PERCEPTIBLE_MEDIUM_APP_ADJ", 129_024), (250, "PERCEPTIBLE_LOW_APP_ADJ", 129_024),
    (300, "BACKUP_APP_ADJ", 221_184), (400, "HEAVY_WEIGHT_APP_ADJ", 221_184), (500, "SERVICE_ADJ", 221_184),
    (600, "HOME_APP_ADJ", 221_184), (700, "PREVIOUS_APP_ADJ", 221_184), (800, "SERVICE_B_ADJ", 221_184),
    (900, "CACHED_APP_MIN_ADJ", 221_184), (999, "CACHED_APP_MAX_ADJ", 322_560),
)

# ActivityManager.PROCESS_STATE_* numbers by their procStateToString short names.
PROC_STATES: dict[str, int] = {
    "PER": 0, "PERU": 1, "TOP": 2, "BTOP": 3, "FGS": 4, "BFGS": 5, "IMPF": 6, "IMPB": 7, "TRNB": 8, "BKUP": 9,
    "SVC": 10, "RCVR": 11, "TPSL": 12, "HVY": 13, "HOME": 14, "LAST": 15, "CAC": 16, "CACC": 17, "CRE": 18,
    "CEM": 19, "NONE": 20,
}

# ProcessList.makeOomAdjString's compact prefixes, highest base first.
_OOM_TAGS: tuple[tuple[int, str], ...] = (
    (900, "cch"), (800, "svcb"), (700, "prev"), (600, "home"), (500, "svc"), (400, "hvy"), (300, "bkup"),
    (250, "prcl"), (225, "prcm"), (200, "prcp"), (100, "vis"), (0, "fg "),
)


def oom_adj_compact(adj: int) -> str:
    """``makeOomAdjString(adj, true)``: ``fg ``, ``prev``, ``cch+5``, ``cch+15`` (buildOomTag, compact)."""
    for base, tag in _OOM_TAGS:
        if adj >= base:
            diff = adj - base
            return tag if diff == 0 else f"{tag}+{diff}"
    return "pers"


def proc_state_text(state: str) -> str:
    """``procStateToString``: four columns, so ``TOP`` is printed ``TOP `` (the trailing space is real)."""
    return f"{state:<4}"


@dataclass
class ExitInfo:
    """One ``ApplicationExitInfo`` entry; WorkManager's ForceStopRunnable reads REASON_USER_REQUESTED (10)."""

    package: str
    pid: int
    time: float
    reason: int  # 10 USER_REQUESTED, 4 CRASH, 3 LOW_MEMORY / 13 OTHER (OEM kills)
    description: str


@dataclass
class NotificationRecord:
    package: str
    uid: int
    notif_id: int
    channel: str
    hash: int
    posted: float
    flags: int = 0x62  # FLAG_FOREGROUND_SERVICE | FLAG_NO_CLEAR | FLAG_ONGOING_EVENT
    category: str | None = "service"
    importance: int = 2  # IMPORTANCE_LOW, the channel expo-location creates

    @property
    def key(self) -> str:
        return f"0|{self.package}|{self.notif_id}|null|{self.uid}"

    def notification_text(self) -> str:
        """``Notification.toString()`` for a plain, uncolorized notification."""
        category = f" category={self.category}" if self.category else ""
        return (f"Notification(channel={self.channel} shortcut=null contentView=null vibrate=null sound=null "
                f"defaults=0x0 flags=0x{self.flags:x} color=0x00000000{category} vis=PRIVATE)")


@dataclass
class ServiceRecord:
    package: str
    cls: str  # fully qualified class name
    hash: int
    created: float
    foreground_id: int = 0
    foreground_types: int = 0
    notification: NotificationRecord | None = None

    @property
    def short_component(self) -> str:
        return f"{self.package}/{_shorten(self.package, self.cls)}"

    def __str__(self) -> str:
        return f"ServiceRecord{{{self.hash:x} u0 {self.short_component}}}"


@dataclass
class AppRecord:
    """AMS's ProcessRecord for an app's main process (the lab models one process per package)."""

    package: str
    proc: Process
    hosting: str
    hash: int
    has_activity: bool = False
    bg_since: float | None = None  # the activity left the foreground at this device time
    work: int = 0  # jobs, receivers and services the system is running in it right now
    last_state_time: float = 0.0
    services: list[ServiceRecord] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def uid(self) -> int:
        return self.proc.uid

    @property
    def short(self) -> str:
        """``ProcessRecord.toShortString()``: ``4321:com.pkg/u0a200``."""
        return f"{self.proc.pid}:{self.proc.name}/{uid_text(self.proc.uid)}"

    def __str__(self) -> str:
        return f"ProcessRecord{{{self.hash:x} {self.short}}}"

    @property
    def has_foreground_service(self) -> bool:
        return any(s.foreground_id for s in self.services)


def _shorten(package: str, cls: str) -> str:
    """``ComponentName.flattenToShortString``'s class part."""
    return cls[len(package):] if cls.startswith(package + ".") else cls
