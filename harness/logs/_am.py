"""ActivityManager's own lines: process starts and deaths, kills and force-stops (android.md §3.4, §6.5).

Each handler gets ``(builder, record, line_no, row, raw)``; kill attribution is ``attribution``'s. Wordings
from Android 4.0 to 16 are read, each named with the capture (tests/logs/field/) or reference section that
shows it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from harness.logs.attribution import appid_of
from harness.logs.logcat import LogLine

if TYPE_CHECKING:
    from harness.logs.android_events import EventBuilder

__all__ = ["am_line", "kill"]


# -- ActivityManager (§3.4, §6.5) --------------------------------------------------------------
_START_PROC = re.compile(r"^Start proc (\d+):([^/\s]+)/(\S+) for ?(.*?)\s*$")  # the tail may be cut off
_START_PROC_OLD = re.compile(r"^Start proc (\S+) for (.+?): pid=(\d+) uid=(\d+)")  # pre-Android 7
# Android 4.4-6 put the adj between: "Process com.x (pid 123) (adj 9) has died."; Samsung's 6-7 builds glue it
# on and add two numbers: "Process com.x (pid 9834)(adj 9) has died(154,1779)" (field a060).
_DIED = re.compile(r"^Process (\S+) \(pid (\d+)\)(?: ?\(adj (-?\d+)\))? has died[.:]?\s*(.*?)\s*$")
# EMUI's ActivityManager debug line for a death (field a076): "SVC-handleAppDiedLocked: app =
# ProcessRecord{34bf327c 4740:com.fsck.k9/u0a147}, app.pid = 4740".
_SVC_DIED = re.compile(r"^SVC-handleAppDiedLocked: app = ProcessRecord\{\w+ (\d+):([^/\s]+)/")
# The "/uid" may be gone when the name was elided in a paste ("Killing 29305:...:interactor (adj 100): …", c004).
_KILLING = re.compile(r"^Killing (?:proc )?(\d+):([^/\s]+)(?:/(\S+))? \(adj (-?\d+)\): (.*)$")
# Android 4.0-4.3 ProcessList trimming: "No longer want com.x (pid 123): hidden #17" / "empty #17".
_NO_LONGER_WANT = re.compile(r"^No longer want (\S+) \(pid (\d+)\): (.*)$")
_PHANTOM = r"PhantomProcessRecord \{\w+ (\d+):(\d+):([^/\s]+)/(\S+)\}"
_PHANTOM_KILL = re.compile(rf"^Killing {_PHANTOM}: (.*)$")
_PHANTOM_DIED = re.compile(rf"^Process {_PHANTOM} died")
# The prefix is optional: one capture (remote-desktop-clients#183) lost "Force stopping " in the paste.
_FORCE_STOP = re.compile(r"^(?:Force stopping )?([A-Za-z][\w.]*) appid=(\d+) user=(-?\d+): (.*)$")
# Android 4.1-4.3 name the process by its ProcessRecord ("Killing ProcessRecord{4180dd60 6393:org.x/u0a55}: user's
# request", ActivityManagerService.killAppAtUsersRequest; field j002) and log a force-stop without a reason
# ("Force stopping package org.x uid=10055", forceStopPackageLocked).
_KILLING_RECORD = re.compile(r"^Killing ProcessRecord\{\w+ (\d+):([^/\s]+)/(\S+?)\}: (.*)$")
_FORCE_STOP_OLD = re.compile(r"^Force stopping package ([A-Za-z][\w.]*) uid=(\d+)\s*$")
# Android 12+ adds "caller=android" after the braced component (field a106).
_JOB_SERVICE = re.compile(r"^service \{?([^/\s]+)/(\S*JobService)\}?(?: caller=\S+)?$")
_FREEZING = re.compile(r"^freezing (\d+) (\S+)")
_BOOT_DONE = "Finished processing BOOT_COMPLETED"


def am_line(b: EventBuilder, ln: LogLine, line_no: int, row: str, raw: str) -> None:
    head = row[:6]
    if head == "Killin":
        _am_killing(b, ln, line_no, row, raw)
    elif head == "Force " or " appid=" in row:
        m = _FORCE_STOP.match(row)
        if m is not None:
            # A reason never ends in a comma; a capture kept as a list can leave one there (field d001).
            _force_stop(b, ln, line_no, raw, m.group(1), int(m.group(2)), m.group(3), m.group(4).rstrip(", "))
        elif (old := _FORCE_STOP_OLD.match(row)) is not None:
            uid = int(old.group(2))
            _force_stop(b, ln, line_no, raw, old.group(1), uid, str(uid // 100_000), "")
    elif head == "No lon":
        m = _NO_LONGER_WANT.match(row)
        if m is not None:
            kill(b, ln, line_no, raw, int(m.group(2)), m.group(1), None, None, m.group(3))
    elif head == "Start ":
        _am_start(b, ln, line_no, row, raw)
    elif head == "Proces":
        _am_died(b, ln, line_no, row, raw)
    elif head == "SVC-ha":
        m = _SVC_DIED.match(row)
        if m is not None:
            pid = int(m.group(1))
            b.emit("process_died", ln, line_no, raw, package=b.note_process(pid, m.group(2), None), pid=pid,
                   extra={"process": m.group(2), "source": "handleAppDiedLocked"})
    elif head == "freezi":
        m = _FREEZING.match(row)
        if m is not None:
            pid = int(m.group(1))
            package = b.note_process(pid, m.group(2), None)
            b.emit("freeze", ln, line_no, raw, package=package, pid=pid, reason="cached app freezer",
                   killer="aosp")
    elif row.startswith(_BOOT_DONE):
        b.emit("boot", ln, line_no, raw, reason="BOOT_COMPLETED")


def _am_killing(b: EventBuilder, ln: LogLine, line_no: int, row: str, raw: str) -> None:
    m = _KILLING.match(row)
    if m is not None:
        pid, process, uid, adj, reason = int(m.group(1)), m.group(2), m.group(3), m.group(4), m.group(5)
        kill(b, ln, line_no, raw, pid, process, uid, adj, reason)
        return
    m = _KILLING_RECORD.match(row)
    if m is not None:
        kill(b, ln, line_no, raw, int(m.group(1)), m.group(2), m.group(3), None, m.group(4))
        return
    m = _PHANTOM_KILL.match(row)
    if m is not None:
        # A child process of an app (Android 12+); its package is the app's with that uid.
        pid, parent, name, uid, reason = int(m.group(1)), m.group(2), m.group(3), m.group(4), m.group(5)
        appid = appid_of(uid)
        package = b.appid_package.get(appid) if appid is not None else None
        killer = b.attr.killer(package, appid, reason, ln.time, line_no)
        b.emit("kill", ln, line_no, raw, package=package, pid=pid, reason=reason, killer=killer,
               extra={"process": name, "uid": uid, "parent_pid": parent, "phantom": "true"})


def kill(b: EventBuilder, ln: LogLine, line_no: int, raw: str, pid: int, process: str, uid: str | None,
          adj: str | None, reason: str) -> None:
    appid = appid_of(uid)
    # A name elided by whoever pasted it ("Killing 29305:...:interactor", field c004) names no package.
    package = None if process[:1] in ".…" else b.note_process(pid, process, appid)
    killer = b.attr.killer(package, appid, reason, ln.time, line_no)
    extra = {"process": process}
    if uid is not None:
        extra["uid"] = uid
    if adj is not None:
        extra["adj"] = adj
    b.emit("kill", ln, line_no, raw, package=package, pid=pid, reason=reason, killer=killer, extra=extra)


_FROM_PID = re.compile(r"^from pid (\d+)")
# Two force-stops of different packages from one requesting pid this close together are a program at work,
# not a person in Settings (field a017): such a requester is ``unknown``, not ``user``.
_BURST_S = 1.0
_BURST_LINES = 10


def _force_stop(b: EventBuilder, ln: LogLine, line_no: int, raw: str, package: str, appid: int, user: str,
                reason: str) -> None:
    from_pid = _FROM_PID.match(reason)
    pid = int(from_pid.group(1)) if from_pid else None
    requester = b.pid_package.get(pid) if pid is not None else None
    killer = b.attr.killer(package, appid % 100_000, reason, ln.time, line_no, requester=requester)
    extra = {"appid": str(appid), "user": user}
    if pid is not None:
        extra["requester_pid"] = str(pid)
        if killer == "user" and (pid == ln.pid or _burst(b, pid, package, ln.time, line_no)):
            # From system_server itself (its own pid: an OS component, not Settings or a shell), or one of a
            # burst no person produces.
            killer = "unknown"
    b.attr.note_force_stop(package, killer, ln.time, line_no)
    b.emit("force_stop", ln, line_no, raw, package=package, reason=reason, killer=killer, extra=extra)


def _burst(b: EventBuilder, pid: int, package: str, time: float | None, line_no: int) -> bool:
    """True when ``pid`` force-stopped another package just before; those earlier stops (and the kills that
    followed them) are re-attributed to ``unknown`` too."""
    recent = [r for r in b.stop_requests.get(pid, []) if _near(r[1], r[2], time, line_no)]
    b.stop_requests[pid] = [*recent, (package, time, line_no)]
    others = {p for p, _, _ in recent if p != package}
    if not others:
        return False
    first = min(r[2] for r in recent)
    for i, event in enumerate(b.events):
        if event.killer != "user" or (event.line or 0) < first:
            continue
        stop_of = event.reason[5:].split(",", 1)[0] if event.kind == "kill" and event.reason and \
            event.reason.startswith("stop ") else None
        if event.extra.get("requester_pid") == str(pid) or stop_of in others:
            b.events[i] = replace(event, killer="unknown")
    for other in others:
        b.attr.note_force_stop(other, "unknown", time, line_no)
    return True


def _near(t0: float | None, l0: int, t1: float | None, l1: int) -> bool:
    if t0 is not None and t1 is not None:
        return 0.0 <= t1 - t0 <= _BURST_S
    return 0 <= l1 - l0 <= _BURST_LINES


def _am_start(b: EventBuilder, ln: LogLine, line_no: int, row: str, raw: str) -> None:
    m = _START_PROC.match(row)
    if m is not None:
        pid, process, uid, why = int(m.group(1)), m.group(2), m.group(3), m.group(4)
    else:
        old = _START_PROC_OLD.match(row)
        if old is None:
            return
        process, why, pid, uid = old.group(1), old.group(2), int(old.group(3)), old.group(4)
    package = b.note_process(pid, process, appid_of(uid))
    b.emit("process_start", ln, line_no, raw, package=package, pid=pid, reason=why or None,
           extra={"process": process, "uid": uid})
    job = _JOB_SERVICE.match(why)
    if job is not None:
        # A process started to run a JobService (WorkManager's SystemJobService, a plugin's FetchJobService):
        # JobScheduler is starting one of its jobs; which one, the line does not say.
        b.emit("job_start", ln, line_no, raw, package=package, pid=pid, reason="process started for the job",
               extra={"service": f"{job.group(1)}/{job.group(2)}", "source": "Start proc"})


def _am_died(b: EventBuilder, ln: LogLine, line_no: int, row: str, raw: str) -> None:
    m = _DIED.match(row)
    if m is not None:
        pid = int(m.group(2))
        package = b.note_process(pid, m.group(1), None)
        extra = {"process": m.group(1)}
        if m.group(3) is not None:
            extra["adj"] = m.group(3)
        b.emit("process_died", ln, line_no, raw, package=package, pid=pid, reason=m.group(4) or None, extra=extra)
        return
    m = _PHANTOM_DIED.match(row)
    if m is not None:
        appid = appid_of(m.group(4))
        owner = b.appid_package.get(appid) if appid is not None else None
        b.emit("process_died", ln, line_no, raw, package=owner, pid=int(m.group(1)),
               extra={"process": m.group(3), "uid": m.group(4), "parent_pid": m.group(2), "phantom": "true"})
