"""``harness logs FILE [--package PKG] [--json]``: a capture file as a timeline of events.

The capture is an Android one (logcat in any format, a ``dumpsys jobscheduler`` / ``deviceidle`` dump) or
an iPhone's log (syslog_relay / idevicesyslog, ``pymobiledevice3 syslog live``, a Console export, the Xcode
console), told apart from its first lines (``ios_syslog.looks_like_ios``); both print the same table or
JSON. ``--package`` takes an Android package or an iOS bundle id.

A plain function so the typer app (and tests) can call it with any streams. Exit codes: 0 on
success, 2 when the file cannot be read as a text capture.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TextIO

from harness.logs.android_events import for_package
from harness.logs.events import Event
from harness.logs.ios_events import ios_events
from harness.logs.ios_syslog import looks_like_ios, parse_ios
from harness.logs.timeline import capture_timeline, detect_capture, format_event

__all__ = ["CaptureError", "capture_events", "capture_events_detail", "read_capture", "run_logs", "skipped_note"]

EXIT_OK = 0
EXIT_BAD_INPUT = 2


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
    events, skipped, skipped_line_nos = capture_events_detail(text)
    if package:
        events = for_package(events, package)
    for event in events:
        out.write((json.dumps(event.as_json(), ensure_ascii=False) if as_json else format_event(event)) + "\n")
    if skipped:
        err.write(skipped_note(text, skipped, skipped_line_nos) + "\n")
    return EXIT_OK


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
