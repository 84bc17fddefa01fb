"""Wake records: what the app posts on each wake, checked, kept, counted and turned into timeline events.

The app posts ``{"device": "<name>", "reason": "<why>", "task": "<task>" | null, "time_ms": <device ms since
1970>}``; ``reason`` is the probe's wake reason (``push``, ``fetch``, ``boot``, ``geofence``, …,
docs/probe-line.md). The collector adds when it received the record (host wall time).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from harness.logs.events import Event

__all__ = ["WakeCountRow", "WakeRecord", "WakeStore", "parse_wake", "wake_count_rows", "wake_event"]

_NAME = re.compile(r"[A-Za-z0-9._:@-]{1,80}")
_REASON = re.compile(r"[a-z][a-z0-9_-]{0,31}")


@dataclass(frozen=True, slots=True)
class WakeRecord:
    device: str
    reason: str
    task: str | None
    time_ms: int  # device time
    received_s: float  # host wall time

    @property
    def time(self) -> float:
        return self.time_ms / 1000.0

    def as_json(self) -> dict[str, object]:
        return {"device": self.device, "reason": self.reason, "task": self.task, "time_ms": self.time_ms,
                "received_s": round(self.received_s, 3)}


def parse_wake(body: bytes, received_s: float) -> WakeRecord:
    """A checked record from a request body; ValueError says what is wrong."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: arrays nested ~1,000 deep are not a record either
        raise ValueError("body is not JSON") from None
    if not isinstance(data, dict):
        raise ValueError("body is not a JSON object")
    device, reason, task, time_ms = data.get("device"), data.get("reason"), data.get("task"), data.get("time_ms")
    if not isinstance(device, str) or not _NAME.fullmatch(device):
        raise ValueError(f"'device' must be a device name, got {device!r}")
    if not isinstance(reason, str) or not _REASON.fullmatch(reason):
        raise ValueError(f"'reason' must be a lower-case word like push or fetch, got {reason!r}")
    if task is not None and (not isinstance(task, str) or not _NAME.fullmatch(task)):
        raise ValueError(f"'task' must be a task name or null, got {task!r}")
    if not isinstance(time_ms, int) or isinstance(time_ms, bool) or time_ms < 0:
        raise ValueError(f"'time_ms' must be device milliseconds since 1970, got {time_ms!r}")
    return WakeRecord(device, reason, task, time_ms, received_s)


def wake_event(record: WakeRecord, package: str | None = None) -> Event:
    """The timeline ``Event`` for a record (kind ``wake``, as the probe's own ``wake`` line)."""
    text = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(record.time))
    return Event("wake", time=record.time, time_text=f"{text}.{record.time_ms % 1000:03d}", package=package,
                 task=record.task, reason=record.reason, raw=json.dumps(record.as_json()),
                 extra={"source": "collector", "device": record.device})


class WakeStore:
    """Every record of the run, in arrival order; waits are on arrival (a Condition), never on sleeps."""

    def __init__(self) -> None:
        self._records: list[WakeRecord] = []
        self._cond = threading.Condition()

    def add(self, record: WakeRecord) -> None:
        with self._cond:
            self._records.append(record)
            self._cond.notify_all()

    def mark(self) -> int:
        with self._cond:
            return len(self._records)

    def since(self, mark: int = 0, device: str | None = None) -> list[WakeRecord]:
        with self._cond:
            return [r for r in self._records[mark:] if device is None or r.device == device]

    def wait_for(self, match: Callable[[WakeRecord], bool], mark: int, timeout_s: float) -> WakeRecord | None:
        deadline = time.monotonic() + timeout_s
        seen = mark
        with self._cond:
            while True:
                for record in self._records[seen:]:
                    if match(record):
                        return record
                seen = len(self._records)
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)


@dataclass(frozen=True, slots=True)
class WakeCountRow:
    """One line of the report's wake-count table."""

    device: str
    reason: str
    wakes: int
    sent: int | None  # pushes the harness sent (reason push), when known
    missing: int | None  # sent - wakes, never negative

    def as_json(self) -> dict[str, object]:
        return {"device": self.device, "reason": self.reason, "wakes": self.wakes, "sent": self.sent,
                "missing": self.missing}


def wake_count_rows(records: Iterable[WakeRecord], sent: Mapping[str, int] | None = None) -> list[WakeCountRow]:
    """Wakes per device and reason, with the pushes sent to each device next to its ``push`` row."""
    counts: dict[tuple[str, str], int] = {}
    for record in records:
        counts[(record.device, record.reason)] = counts.get((record.device, record.reason), 0) + 1
    for device in sent or {}:
        counts.setdefault((device, "push"), 0)
    rows = []
    for (device, reason), wakes in sorted(counts.items()):
        pushed = (sent or {}).get(device) if reason == "push" else None
        rows.append(WakeCountRow(device, reason, wakes, pushed, None if pushed is None else max(0, pushed - wakes)))
    return rows
