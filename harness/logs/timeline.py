"""One capture file, whatever it holds, as a timeline of events.

A capture is logcat text (any format) or a ``dumpsys jobscheduler`` / ``dumpsys deviceidle``
dump. Dumps have no clock of their own: Job history times are relative to the dump
(``-1h35m26s440ms``), and the Doze state is "now", so their events carry ``time=None`` and the
text as printed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Literal

from harness.logs.android_events import android_events
from harness.logs.dumpsys import DeviceIdleDump, JobSchedulerDump, parse_deviceidle, parse_jobscheduler
from harness.logs.events import Event
from harness.logs.exit_info import exit_info_events, has_exit_info
from harness.logs.logcat import parse_logcat

__all__ = ["CaptureKind", "Timeline", "capture_timeline", "detect_capture", "deviceidle_events",
           "format_event", "jobscheduler_events"]

CaptureKind = Literal["logcat", "jobscheduler", "deviceidle"]

# Line-anchored: a logcat line starts with its time or priority, never with these.
_JOBS = re.compile(r"^\s*(?:JOB #[^/\s]+/-?\d+: |Job history:|Registered \d+ jobs?:|Invalid package: "
                   r"|Required constraints: |Unsatisfied constraints: |Enqueue time: |Ready: (?:true|false) \()"
                   r"|^\s*[+-][\dhms]+ms\s+[A-Z-]+: #", re.M)
_IDLE = re.compile(r"^\s*(?:mState=\w+|mLightEnabled=|Idling history:|light_idle_to=|Device idle controller)", re.M)


@dataclass(frozen=True, slots=True)
class Timeline:
    kind: CaptureKind
    events: list[Event]
    skipped: int  # logcat lines no format matched
    skipped_line_nos: list[int]


def detect_capture(text: str) -> CaptureKind:
    if _JOBS.search(text):
        return "jobscheduler"
    if _IDLE.search(text):
        return "deviceidle"
    return "logcat"


def jobscheduler_events(dump: JobSchedulerDump) -> list[Event]:
    """The Job history entries: START → job_start, STOP* → job_stop (reason = why it stopped)."""
    events = []
    for h in dump.history:
        extra = {"event": h.event, "uid": h.uid, "battery_name": h.battery_name}
        if h.namespace is not None:
            extra["namespace"] = h.namespace
        events.append(Event("job_start" if h.event == "START" else "job_stop", time_text=h.ago_text,
                            package=h.package, job_id=h.job_id, reason=h.reason, line=h.line, extra=extra))
    return events


def deviceidle_events(dump: DeviceIdleDump) -> list[Event]:
    """The current Doze state as one ``doze`` event (reason = mState)."""
    if dump.state is None:
        return []
    extra = {"mode": "deep"}
    if dump.light_state is not None:
        extra["light_state"] = dump.light_state
    return [Event("doze", reason=dump.state, line=dump.state_line, extra=extra)]


def capture_timeline(text: str, *, year: int | None = None) -> Timeline:
    kind = detect_capture(text)
    if kind == "jobscheduler":
        return Timeline(kind, jobscheduler_events(parse_jobscheduler(text)), 0, [])
    if kind == "deviceidle":
        return Timeline(kind, deviceidle_events(parse_deviceidle(text)), 0, [])
    parsed = parse_logcat(text, year=year)
    events = android_events(parsed.lines)
    if not has_exit_info(text):
        return Timeline(kind, events, parsed.skipped, parsed.skipped_line_nos)
    # ApplicationExitInfo records (dumpsys activity exit-info, or an app's printout of them) among the lines: their
    # exits join the timeline, and their rows are read, not unrecognised.
    exits, used = exit_info_events(text)
    skipped = [n for n in parsed.skipped_line_nos if n not in used]
    return Timeline(kind, sorted(events + exits, key=lambda e: e.line or 0), len(skipped), skipped)


def format_event(event: Event) -> str:
    """One human-readable line: where, when, what, whose, and who did it."""
    parts = [f"{event.line or 0:>6}", f"{event.time_text or '-':<18}", f"{event.kind:<14}", event.package or "-"]
    if event.pid is not None:
        parts.append(f"pid={event.pid}")
    if event.job_id is not None:
        parts.append(f"job={event.job_id}")
    if event.task is not None:
        parts.append(f"task={event.task}")
    if event.killer is not None:
        parts.append(f"killer={event.killer}")
    if event.reason is not None:
        parts.append(f"reason={json.dumps(event.reason, ensure_ascii=False)}")
    return "  ".join(parts)
