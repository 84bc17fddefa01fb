"""``harness logs FILE [--package PKG] [--json]``: a capture file as a timeline of events.

The capture is an Android one (logcat in any format, a ``dumpsys jobscheduler`` / ``deviceidle`` dump) or
an iPhone's log (syslog_relay / idevicesyslog, ``pymobiledevice3 syslog live``, a Console export, the Xcode
console), told apart from its first lines (``ios_syslog.looks_like_ios``); both print the same table or
JSON. ``--package`` takes an Android package or an iOS bundle id.

A run the app reports twice (the probe's line and Expo's own, a few ms apart) is one event; ``--json`` rows carry
the task and, where the probe numbers it, the run. A plain function so the typer app (and tests) can call it with
any streams. Exit codes: 0 on success; 1 when an Android capture holds none of the system lines an analysis needs
(kills, Doze and job runs are in the system and events buffers: ``adb logcat -b all``), or its buffer dividers show
no events buffer (``adb logcat -d`` dumps main and system only); 2 when the file is empty
or cannot be read as a text capture.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TextIO

from harness.logs.android_events import for_package
from harness.logs.events import Event
from harness.logs.ios_events import ios_events
from harness.logs.ios_syslog import looks_like_ios, parse_ios
from harness.logs.timeline import capture_timeline, detect_capture, format_event

__all__ = ["CaptureError", "capture_events", "capture_events_detail", "event_json", "one_per_run", "read_capture",
           "run_logs", "skipped_note"]

EXIT_OK = 0
EXIT_MISSING_BUFFERS = 1
EXIT_BAD_INPUT = 2
_SAME_RUN_S = 2.0  # the probe's line and Expo's own for one run are milliseconds apart
# Events only the system and events buffers carry: without one of them, a capture says nothing about why work
# did not run (a `logcat -d` dump is the main buffer only on many phones).
_SYSTEM_KINDS = frozenset({"process_start", "process_died", "kill", "force_stop", "freeze", "job_start", "job_stop",
                           "job_timeout", "doze", "boot"})
_BUFFERS_HINT = ("holds no system or events buffer lines (ActivityManager, DeviceIdleController, JobScheduler): "
                 "kills, Doze and job runs cannot be read from it; capture with `adb logcat -b all -d > file.txt`")


# logcat heads each buffer's first line with this divider. `adb logcat -d` dumps main, system and crash only: no
# events buffer, which is where Doze (device_idle, device_idle_light) and the OS's kill and process records go.
_BUFFER_DIVIDER = re.compile(r"(?m)^-{9} beginning of (\w+)\s*$")
_EVENTS_HINT = ("holds only the {buffers} buffer(s), not events, where Doze (device_idle) and the OS's kill and "
                "process records are logged: a timeline without them cannot say why work did not run; capture with "
                "`adb logcat -b all -d > file.txt`")


class CaptureError(Exception):
    """The capture file is missing, unreadable or not text."""


def read_capture(path: str) -> str:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CaptureError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if b"\0" in data:
        raise CaptureError(f"{path} is a binary file (NUL bytes), not a text capture; "
                           "save the log as text (adb logcat -d > file.txt, idevicesyslog > file.txt)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CaptureError(f"{path} is not UTF-8 text (byte {exc.start}); not a logcat, dumpsys or iOS log "
                           "capture") from exc
    return text.removeprefix("\ufeff")


def run_logs(path: str, package: str | None, as_json: bool, out: TextIO, err: TextIO) -> int:
    try:
        text = read_capture(path)
    except CaptureError as exc:
        err.write(f"harness logs: {exc}\n")
        return EXIT_BAD_INPUT
    if not text.strip():
        err.write(f"harness logs: {path} is empty; capture with `adb logcat -b all -d > file.txt` (Android) or "
                  "`idevicesyslog > file.txt` (iPhone)\n")
        return EXIT_BAD_INPUT
    events, skipped, skipped_line_nos = capture_events_detail(text)
    android_log = detect_capture(text) == "logcat" and not looks_like_ios(text)
    missing_buffers = android_log and not any(e.kind in _SYSTEM_KINDS for e in events)
    events = one_per_run(events)
    if package:
        events = for_package(events, package)
    for event in events:
        out.write((json.dumps(event_json(event), ensure_ascii=False) if as_json else format_event(event)) + "\n")
    if skipped:
        err.write(skipped_note(text, skipped, skipped_line_nos) + "\n")
    if missing_buffers:
        err.write(f"harness logs: {path} {_BUFFERS_HINT}\n")
        return EXIT_MISSING_BUFFERS
    buffers = sorted(set(_BUFFER_DIVIDER.findall(text))) if android_log else []
    if buffers and "events" not in buffers:  # no divider at all: a filtered or pasted capture, nothing to tell
        err.write(f"harness logs: {path} {_EVENTS_HINT.format(buffers=' and '.join(buffers))}\n")
        return EXIT_MISSING_BUFFERS
    return EXIT_OK


def event_json(event: Event) -> dict[str, object]:
    """An event as a ``--json`` row: the event's fields, the task, and the probe's run number where it has one."""
    row = {**event.as_json(), "task": event.task}
    if "run" in event.extra:
        row["run"] = event.extra["run"]
    return row


def one_per_run(events: list[Event]) -> list[Event]:
    """Drop a task start or end that another line of the same run already stands for — the probe's numbered line,
    Expo's own line, WorkManager's worker line — in the same process within ``_SAME_RUN_S``; the line that says
    most (the run's number, else the task's name) stands for the run."""
    kept: list[Event] = []
    for event in events:
        twin = next((k for k in reversed(kept[-8:]) if _same_run(k, event)), None)
        if twin is None:
            kept.append(event)
        elif _says_more(event, twin):
            kept[kept.index(twin)] = event
    return kept


def _says_more(a: Event, b: Event) -> bool:
    return ("run" in a.extra, a.task is not None) > ("run" in b.extra, b.task is not None)


def _same_run(a: Event, b: Event) -> bool:
    if a.kind != b.kind or a.kind not in ("task_start", "task_end") or a.time is None or b.time is None:
        return False
    if "run" in a.extra and "run" in b.extra:  # two numbered lines are two runs
        return False
    if a.task is not None and b.task is not None and a.task != b.task:
        return False
    if a.pid is None or b.pid is None or a.pid != b.pid:
        return False
    return abs(a.time - b.time) <= _SAME_RUN_S


_SAMPLE_LINES = 3
_SAMPLE_WIDTH = 100


def skipped_note(text: str, skipped: int, line_nos: list[int]) -> str:
    """``skipped N unparseable lines``, then a few of them (line number and text) so the reader can tell a
    format the parser does not know from noise pasted around the capture."""
    noun = "line" if skipped == 1 else "lines"
    rows = text.splitlines()
    sample = [f"  line {n}: {rows[n - 1][:_SAMPLE_WIDTH]!r}" for n in line_nos[:_SAMPLE_LINES] if 0 < n <= len(rows)]
    head = f"skipped {skipped} unparseable {noun}" + (", e.g.:" if sample else "")
    return "\n".join([head, *sample])


def capture_events(text: str, *, year: int | None = None) -> tuple[list[Event], int]:
    """The events of a capture of either platform, and how many of its lines no format matched."""
    events, skipped, _ = capture_events_detail(text, year=year)
    return events, skipped


def capture_events_detail(text: str, *, year: int | None = None) -> tuple[list[Event], int, list[int]]:
    """``capture_events`` plus the line numbers of the lines no format matched."""
    if detect_capture(text) == "logcat" and looks_like_ios(text):
        parsed = parse_ios(text, year=year)
        return ios_events(parsed.lines), parsed.skipped, parsed.skipped_line_nos
    timeline = capture_timeline(text, year=year)
    return timeline.events, timeline.skipped, timeline.skipped_line_nos
