"""``harness logs FILE [--package PKG] [--json]``: a capture file as a timeline of events.

A plain function so the typer app (and tests) can call it with any streams. Exit codes: 0 on
success, 2 when the file cannot be read as a text capture.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TextIO

from harness.logs.android_events import for_package
from harness.logs.timeline import capture_timeline, format_event

__all__ = ["CaptureError", "read_capture", "run_logs"]

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
                           "save logcat/dumpsys output as text (adb logcat -d > file.txt)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CaptureError(f"{path} is not UTF-8 text (byte {exc.start}); not a logcat or dumpsys capture") from exc
    return text.removeprefix("\ufeff")


def run_logs(path: str, package: str | None, as_json: bool, out: TextIO, err: TextIO) -> int:
    try:
        text = read_capture(path)
    except CaptureError as exc:
        err.write(f"harness logs: {exc}\n")
        return EXIT_BAD_INPUT
    timeline = capture_timeline(text)
    events = for_package(timeline.events, package) if package else timeline.events
    for event in events:
        out.write((json.dumps(event.as_json(), ensure_ascii=False) if as_json else format_event(event)) + "\n")
    if timeline.skipped:
        noun = "line" if timeline.skipped == 1 else "lines"
        err.write(f"skipped {timeline.skipped} unparseable {noun}\n")
    return EXIT_OK
