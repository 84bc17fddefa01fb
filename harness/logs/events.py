"""The typed events every parser produces and every expectation and report reads.

Times are device time: ``time`` is seconds since 1970 when the source says enough to know it
(``time_text`` keeps the text as printed, e.g. ``02-15 19:41:49.159``; a logcat line without a year
is placed in the capture's year).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

__all__ = ["KILLERS", "KINDS", "Event", "EventKind", "Killer"]

EventKind = Literal[
    "process_start",
    "process_died",
    "kill",
    "force_stop",
    "freeze",
    "job_start",
    "job_stop",
    "job_timeout",
    "work_scheduled",
    "work_result",
    "doze",
    "task_start",
    "task_end",
    "boot",
    # iOS (harness/logs/ios_events.py): a push reaching SpringBoard, a dasd / BGTaskScheduler
    # activity changing state, and the probe's ``wake`` record.
    "push",
    "activity",
    "wake",
]
KINDS: tuple[str, ...] = get_args(EventKind)

Killer = Literal[
    "user", "lmk", "aosp", "miui", "samsung", "oneplus", "oppo", "huawei", "lenovo", "vivo", "ios", "unknown"
]
KILLERS: tuple[str, ...] = get_args(Killer)


@dataclass(frozen=True, slots=True)
class Event:
    kind: EventKind
    time: float | None = None  # device time, seconds since 1970
    time_text: str | None = None  # the time as printed in the source
    package: str | None = None
    pid: int | None = None
    job_id: int | None = None
    task: str | None = None  # the app's task name (probe / Expo lines)
    reason: str | None = None  # kill reason, stop reason, Doze state, task result, …
    killer: Killer | None = None  # for kill / force_stop / freeze
    line: int | None = None  # 1-based line number in the source
    raw: str = ""  # the source line(s)
    extra: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {
            "time": self.time_text,
            "kind": self.kind,
            "package": self.package,
            "pid": self.pid,
            "job_id": self.job_id,
            "reason": self.reason,
            "killer": self.killer,
            "line": self.line,
        }
