"""Handlers for app-side background-work libraries that log under their own tag.

Transistor's background-fetch plugins (react-native-, flutter_, cordova-plugin-background-fetch) log every
fetch under ``TSBackgroundFetch`` (captures in tests/logs/field/, e.g. cordova-plugin-background-fetch#113):
the JobService starting (``HeadlessJobService onStartJob``, ``FetchJobService onStartJob``), the event reaching
the app (``- Background Fetch event received[: <taskId>]``), React Native's headless task
(``onHeadlessJsTaskStart: 10`` / ``onHeadlessJsTaskFinish: 10``) and the end (``- finish[: <taskId>]``,
``- jobFinished``, ``JobService onStopJob``). One run prints several of them, so a run is one ``task_start``
(the first start line while none is open) and one ``task_end`` (the first end line after it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from harness.logs.events import EventKind
from harness.logs.logcat import LogLine

if TYPE_CHECKING:
    from harness.logs.android_events import EventBuilder

__all__ = ["BY_TAG"]

_Handler = Callable[["EventBuilder", LogLine, int, str, str], None]

_TS_START = re.compile(r"onStartJob|Background Fetch event received|onHeadlessJsTaskStart")
# "[BGTask] timeout: <taskId>" is the plugin giving up on a run whose time ran out (field a063).
_TS_END = re.compile(r"- jobFinished|^- finish\b|onHeadlessJsTaskFinish|onStopJob|^\[BGTask\] timeout:")
_TS_TASK = re.compile(r"(?:event received|finish|taskId|timeout)[:=] ?([\w.\-]+)")


def _ts_fetch(b: EventBuilder, ln: LogLine, line_no: int, row: str, raw: str) -> None:
    key = ("TSBackgroundFetch", ln.pid)
    kind: EventKind
    if _TS_START.search(row):
        kind, open_after = "task_start", True
    elif _TS_END.search(row.strip()):
        kind, open_after = "task_end", False
    else:
        return
    was_open = b.run_open.get(key)
    b.run_open[key] = open_after
    # The plugin prints "- Background Fetch event received" and "- finish" once per delivered event, so the
    # same one again is a second run (field a081: one fetch delivered twice); other wordings repeat within a run
    # (a063: "onHeadlessJsTaskStart: 8" six times).
    wording = "received" if "event received" in row else "finish" if row.startswith("- finish") else "other"
    again = wording != "other" and b.run_line.get(key) == wording
    b.run_line[key] = wording
    if was_open is open_after and not again:
        return  # another line of the same start (or end)
    named = _TS_TASK.search(row)
    reason = "stopped by the system" if "onStopJob" in row else "timeout" if "] timeout:" in row else None
    b.emit(kind, ln, line_no, raw, package=b.app_package(ln), pid=ln.pid, task=named.group(1) if named else None,
           reason=reason, extra={"source": "TSBackgroundFetch"})


# Evernote's android-job (field a025): "Run job, request{id=98, tag=socket_notification_tag, …}" and
# JobExecutor's "Executing request{id=98, tag=…}" start one run; "Called onStopJob for job{id=98, …, tag=…}"
# is the OS stopping it, and "Finished job{id=98 …}" its own end.
_EVERNOTE_START = re.compile(r"^(?:Run job|Executing request), request\{id=(-?\d+), tag=([^,}]+)|"
                             r"^Executing request\{id=(-?\d+), tag=([^,}]+)")
_EVERNOTE_END = re.compile(r"^(Called onStopJob|Finished) (?:for )?job\{id=(-?\d+).*?tag=([^,}]+)")


def _evernote(b: EventBuilder, ln: LogLine, line_no: int, row: str, raw: str) -> None:
    start = _EVERNOTE_START.match(row)
    end = _EVERNOTE_END.match(row) if start is None else None
    if start is None and end is None:
        return
    # One run per request id: two jobs started back to back are two runs (field a103); "Run job" and
    # JobExecutor's "Executing" for the same id are one.
    request_id = (start.group(1) or start.group(3)) if start is not None else end.group(2) if end else None
    key = ("android-job", ln.pid, request_id)
    was_open = b.run_open.get(key)
    b.run_open[key] = start is not None
    if was_open is (start is not None):
        return
    if start is not None:
        tag = start.group(2) or start.group(4)
        b.emit("task_start", ln, line_no, raw, package=b.app_package(ln), pid=ln.pid, task=tag,
               extra={"source": "android-job", "request_id": start.group(1) or start.group(3)})
    elif end is not None:
        reason = "stopped by the system" if end.group(1).startswith("Called") else None
        b.emit("task_end", ln, line_no, raw, package=b.app_package(ln), pid=ln.pid, task=end.group(3), reason=reason,
               extra={"source": "android-job", "request_id": end.group(2)})


BY_TAG: dict[str, tuple[_Handler, ...]] = {
    "TSBackgroundFetch": (_ts_fetch,),
    "PlatformJobService": (_evernote,),
    "JobExecutor": (_evernote,),
}
