"""Per-tag handlers: one log message row in, zero or more events out (through the builder).

Each handler gets ``(builder, record, line_no, row, raw)``. Strings are quoted from
shared/reference/android.md; the section is named next to each pattern.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from harness.logs import _am, _apps, _oem
from harness.logs._jobs import split_battery_name
from harness.logs.attribution import appid_of
from harness.logs.logcat import LogLine

if TYPE_CHECKING:
    from harness.logs.android_events import EventBuilder

Handler = Callable[["EventBuilder", LogLine, int, str, str], None]

# -- events buffer: "tag: [a,b,c]", strings unquoted, so read fixed fields from both ends (§6.4)
def _fields(row: str) -> list[str] | None:
    row = row.strip()
    if len(row) < 2 or row[0] != "[" or row[-1] != "]":
        return None
    return row[1:-1].split(",")


def _num(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def _am_proc_start(b: EventBuilder, ln: LogLine, line_no: int, row: str, raw: str) -> None:
    f = _fields(row)  # User, PID, UID, Process Name, Type, Component
    if f is not None and len(f) == 5 and _num(f[1]) is not None and _num(f[2]) is None:
        f = ["0", *f]  # Android 4.1 and older: no User field (field a020)
    if f is None or len(f) < 5 or _num(f[1]) is None:
        return
    pid, uid, process = int(f[1]), f[2], f[3]
    package = b.note_process(pid, process, appid_of(uid))
    why = " ".join(p for p in (f[4], ",".join(f[5:])) if p)
    b.emit("process_start", ln, line_no, raw, package=package, pid=pid, reason=why,
           extra={"process": process, "uid": uid})


def _am_proc_died(b: EventBuilder, ln: LogLine, line_no: int, row: str, raw: str) -> None:
    f = _fields(row)  # User, PID, Process Name[, OomAdj, ProcState]
    if f is not None and len(f) == 2 and _num(f[0]) is not None:
        f = ["0", *f]  # Android 4.1 and older: [PID, Process Name]
    if f is None or len(f) < 3 or _num(f[1]) is None:
        return
    pid = int(f[1])
    # AOSP logs 3 fields or 5 (OomAdj, ProcState: EventLogTags.logtags 30011); some builds log one number
    # after the name ("[0,6686,com.xxx.calculator,18]", field b003). The numbers are the trailing fields.
    tail: list[str] = []
    while len(f) - len(tail) > 3 and len(tail) < 2 and _num(f[-1 - len(tail)]) is not None:
        tail.insert(0, f[-1 - len(tail)])
    process = ",".join(f[2:len(f) - len(tail)])
    extra = {"process": process}
    if len(tail) == 2:
        extra["adj"], extra["proc_state"] = tail
    elif tail:
        extra["proc_state"] = tail[0]
    b.emit("process_died", ln, line_no, raw, package=b.note_process(pid, process, None), pid=pid, extra=extra)


def _am_kill(b: EventBuilder, ln: LogLine, line_no: int, row: str, raw: str) -> None:
    f = _fields(row)  # User, PID, Process Name, OomAdj, Reason[, Rss]
    if f is not None and len(f) >= 4 and _num(f[0]) is not None and _num(f[1]) is None and _num(f[2]) is not None:
        f = ["0", *f]  # Android 4.1 and older: [PID, Process Name, OomAdj, Reason]
    if f is None or len(f) < 5 or _num(f[1]) is None:
        return
    rest = f[4:]
    if len(rest) > 1 and rest[-1].isdigit():
        rest = rest[:-1]  # newer trees append the Rss
    _am.kill(b, ln, line_no, raw, int(f[1]), f[2], None, f[3], ",".join(rest))


def _am_freeze(b: EventBuilder, ln: LogLine, line_no: int, row: str, raw: str) -> None:
    f = _fields(row)  # Pid, Process Name
    if f is None or len(f) < 2 or _num(f[0]) is None:
        return
    pid = int(f[0])
    b.emit("freeze", ln, line_no, raw, package=b.note_process(pid, f[1], None), pid=pid,
           reason="cached app freezer", killer="aosp")


# DeviceIdleController.stateToString / lightStateToString (DIC-old; DIC-new drops PRE_IDLE).
_DEEP = ("ACTIVE", "INACTIVE", "IDLE_PENDING", "SENSING", "LOCATING", "IDLE", "IDLE_MAINTENANCE",
         "QUICK_DOZE_DELAY")
_LIGHT = {0: "ACTIVE", 1: "INACTIVE", 3: "PRE_IDLE", 4: "IDLE", 5: "WAITING_FOR_NETWORK",
          6: "IDLE_MAINTENANCE", 7: "OVERRIDE"}


def _device_idle(b: EventBuilder, ln: LogLine, line_no: int, row: str, raw: str) -> None:
    f = _fields(row)  # state, reason
    if f is None:
        return
    light = ln.tag == "device_idle_light"
    code = _num(f[0])
    if code is None:
        state = f[0]
    elif light:
        state = _LIGHT.get(code, f[0])
    else:
        state = _DEEP[code] if 0 <= code < len(_DEEP) else f[0]
    extra = {"mode": "light" if light else "deep"}
    if len(f) > 1:
        extra["cause"] = ",".join(f[1:])
    b.emit("doze", ln, line_no, raw, reason=state, extra=extra)


_MOVED = re.compile(r"Moved from (?:LIGHT_)?STATE_\w+? to (LIGHT_)?STATE_([A-Z_]+)")


def _dic(b: EventBuilder, ln: LogLine, line_no: int, row: str, raw: str) -> None:
    m = _MOVED.search(row)
    if m is not None:
        b.emit("doze", ln, line_no, raw, reason=m.group(2), extra={"mode": "light" if m.group(1) else "deep"})


# -- JobScheduler (§2.5, Job history format of §2.3) ------------------------------------------
_JOB_REF = r"#([^/\s]+)/(-?\d+) (\S+)"
# The job reference may be missing when a line was pasted cut short (field a083).
_TIMED_OUT = re.compile(rf"Client timed out while executing(?:.*? {_JOB_REF})?")
# Android 5-9 JobServiceContext (verbose): "handleServiceBound for fb9a063 #u0a938/2 com.icbc.im/.Svc" — the
# app's JobService is bound and onStartJob follows (field a023).
_BOUND = re.compile(rf"^handleServiceBound for \S+ {_JOB_REF}")
_JOB_EVENT = re.compile(rf"(?:^|\s)(START|STOP(?:-[A-Z]+)?): {_JOB_REF}(?: (.*))?$")


def _jobs(b: EventBuilder, ln: LogLine, line_no: int, row: str, raw: str) -> None:
    m = _TIMED_OUT.search(row)
    if m is not None:
        if m.group(3) is None:
            b.emit("job_timeout", ln, line_no, raw, reason="no jobFinished received")
            return
        namespace, package = split_battery_name(m.group(3))
        b.emit("job_timeout", ln, line_no, raw, package=package, job_id=int(m.group(2)),
               reason="no jobFinished received", extra=_job_extra(m.group(1), m.group(3), namespace))
        return
    m = _BOUND.match(row)
    if m is not None:
        namespace, package = split_battery_name(m.group(3))
        extra = _job_extra(m.group(1), m.group(3), namespace)
        extra["event"] = "bound"
        b.emit("job_start", ln, line_no, raw, package=package, job_id=int(m.group(2)), extra=extra)
        return
    m = _JOB_EVENT.search(row)
    if m is not None:
        namespace, package = split_battery_name(m.group(4))
        event = m.group(1)
        extra = _job_extra(m.group(2), m.group(4), namespace)
        extra["event"] = event
        b.emit("job_start" if event == "START" else "job_stop", ln, line_no, raw, package=package,
               job_id=int(m.group(3)), reason=m.group(5) or None, extra=extra)


def _job_extra(uid: str, name: str, namespace: str | None) -> dict[str, str]:
    extra = {"uid": uid, "battery_name": name}
    if namespace is not None:
        extra["namespace"] = namespace
    return extra


# -- WorkManager (§7.1) --------------------------------------------------------------------------
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
# Current WM concatenates without a space ("…c481Job ID 33"); older String.format had one.
_WM_SCHEDULED = re.compile(rf"Scheduling work ID ({_UUID}) ?Job ID (-?\d+)")
_WM_RESULT = re.compile(rf"Worker result (\w+) for Work \[ id=({_UUID})(?:, tags=\{{ ?(.*?) ?\}})?")
_WM_JOB = re.compile(rf"on(Start|Stop)Job for (?:WorkGenerationalId\(workSpecId=)?({_UUID})")


def _wm_scheduler(b: EventBuilder, ln: LogLine, line_no: int, row: str, raw: str) -> None:
    m = _WM_SCHEDULED.search(row)
    if m is not None:
        job_id = int(m.group(2))
        b.work_job[m.group(1)] = job_id
        b.emit("work_scheduled", ln, line_no, raw, package=b.app_package(ln), pid=ln.pid, job_id=job_id,
               extra={"work_id": m.group(1)})


_WM_STARTING = re.compile(r"^Starting work for ([A-Za-z_][\w.$]*)$")  # the Worker class (WorkerWrapper)
# "Work [ id=…, tags={ … } ] was cancelled" (WorkerWrapper 2.x, field a047): the run ended without a result.
_WM_CANCELLED = re.compile(rf"^Work \[ id=({_UUID})(?:, tags=\{{ ?(.*?) ?\}})? \] was cancelled")


def _wm_result(b: EventBuilder, ln: LogLine, line_no: int, row: str, raw: str) -> None:
    started = _WM_STARTING.match(row)
    if started is not None:
        b.emit("task_start", ln, line_no, raw, package=b.app_package(ln), pid=ln.pid, task=started.group(1),
               reason="workmanager", extra={"source": ln.tag or ""})
        return
    m = _WM_RESULT.search(row) or _WM_CANCELLED.match(row)
    if m is not None and m.re is _WM_CANCELLED:
        extra = {"work_id": m.group(1)} | ({"tags": m.group(2)} if m.group(2) else {})
        b.emit("work_result", ln, line_no, raw, package=b.app_package(ln), pid=ln.pid,
               job_id=b.work_job.get(m.group(1)), reason="cancelled", extra=extra)
        return
    if m is not None:
        extra = {"work_id": m.group(2)}
        if m.group(3):
            extra["tags"] = m.group(3)
        b.emit("work_result", ln, line_no, raw, package=b.app_package(ln), pid=ln.pid,
               job_id=b.work_job.get(m.group(2)), reason=m.group(1), extra=extra)


def _wm_job(b: EventBuilder, ln: LogLine, line_no: int, row: str, raw: str) -> None:
    m = _WM_JOB.search(row)
    if m is not None:
        b.emit("job_start" if m.group(1) == "Start" else "job_stop", ln, line_no, raw,
               package=b.app_package(ln), pid=ln.pid, job_id=b.work_job.get(m.group(2)),
               extra={"work_id": m.group(2)})


# -- Expo (§7.3, §7.5) ---------------------------------------------------------------------------
_EXPO: tuple[tuple[re.Pattern[str], str, str | None], ...] = (
    (re.compile(r"Executing task '(.+)'"), "task_start", None),
    (re.compile(r"Handling job with task name '(.+?)' for app"), "task_start", None),
    (re.compile(r"Finished task '(.+?)' with eventId"), "task_end", None),
    (re.compile(r"Job for task '(.+?)' has been cancelled by the system"), "task_end", "cancelled"),
    # The WorkManager worker that runs every registered task; it names none.
    (re.compile(r"doWork: Starting worker()"), "task_start", "workmanager"),
)


def _expo(b: EventBuilder, ln: LogLine, line_no: int, row: str, raw: str) -> None:
    for pattern, kind, reason in _EXPO:
        m = pattern.search(row)
        if m is not None:
            b.emit("task_start" if kind == "task_start" else "task_end", ln, line_no, raw,
                   package=b.app_package(ln), pid=ln.pid, task=m.group(1) or None, reason=reason,
                   extra={"source": ln.tag or ""})
            return


# -- boot, zygote, lmkd (§6.5) -----------------------------------------------------------------------
_ZYGOTE_START = re.compile(r"(?i)^(?:zygote\w*\s+started|begin preload|preloading classes)")
# "Kill '…'" (lmkd 10+), "Killing '…'" (8-9 and the kernel driver), "Reclaim '…'" (Samsung's lmkd, field a041).
_LMKD = re.compile(r"(?:Kill(?:ing)?|Reclaim) '([^']+)' \((\d+)\)(?:, uid (\d+))?(?:, (?:oom_score_adj|adj) (-?\d+))?"
                   r"(?:.*?reason:? (.*))?")
# Zygote reaps its children: "Process 27478 exited due to signal 9 (Killed)" / "Process 123 exited cleanly (0)"
# (Android 10+); Android 4 put the number in brackets: "exited due to signal (11)" (field a095). It names a pid
# only; the package comes from an earlier line about that pid.
_ZYGOTE_EXIT = re.compile(r"^Process (\d+) exited (?:due to signal \(?(\d+)\)?(?: \(([^)]*)\))?|cleanly \((-?\d+)\))")


def _zygote(b: EventBuilder, ln: LogLine, line_no: int, row: str, raw: str) -> None:
    if _ZYGOTE_START.match(row):
        b.emit("boot", ln, line_no, raw, reason="zygote")
        return
    m = _ZYGOTE_EXIT.match(row)
    if m is not None:
        pid = int(m.group(1))
        why = f"signal {m.group(2)}" + (f" ({m.group(3)})" if m.group(3) else "") if m.group(2) \
            else f"exited cleanly ({m.group(4)})"
        b.emit("process_died", ln, line_no, raw, package=b.pid_package.get(pid), pid=pid, reason=why,
               extra={"source": "Zygote"})


def _lmkd(b: EventBuilder, ln: LogLine, line_no: int, row: str, raw: str) -> None:
    m = _LMKD.search(row)
    if m is not None:
        pid = int(m.group(2))
        appid = appid_of(m.group(3))
        package = b.note_process(pid, m.group(1), appid)
        extra = {"process": m.group(1)}
        if m.group(4) is not None:
            extra["adj"] = m.group(4)
        b.emit("kill", ln, line_no, raw, package=package, pid=pid, reason=(m.group(5) or "lmkd").strip(),
               killer="lmk", extra=extra)


_BY_TAG: dict[str, tuple[Handler, ...]] = {
    "ActivityManager": (_am.am_line,),
    "am_proc_start": (_am_proc_start,),
    "am_proc_died": (_am_proc_died,),
    "am_kill": (_am_kill,),
    "am_freeze": (_am_freeze,),
    "device_idle": (_device_idle,),
    "device_idle_light": (_device_idle,),
    "DeviceIdleController": (_dic,),
    "WM-SystemJobScheduler": (_wm_scheduler,),
    "WM-WorkerWrapper": (_wm_result,),
    "WM-SystemJobService": (_wm_job,),
    # WorkManager 1.0 alphas logged without the "WM-" prefix (field a045).
    "SystemJobScheduler": (_wm_scheduler,),
    "WorkerWrapper": (_wm_result,),
    "SystemJobService": (_wm_job,),
    "BackgroundTaskConsumer": (_expo,),
    "BackgroundTaskWork": (_expo,),
    "TaskService": (_expo,),
    "lowmemorykiller": (_lmkd,),
    "lmkd": (_lmkd,),
    **_oem.BY_TAG,
    **_apps.BY_TAG,
}
_BY_PREFIX: tuple[tuple[str, Handler], ...] = (
    ("JobS", _jobs),  # JobScheduler, JobSchedulerService, JobServiceContext
    ("Zygote", _zygote),
    ("zygote", _zygote),
)


def for_tag(tag: str) -> tuple[Handler, ...]:
    """The handlers for a tag (the builder memoises the answer per tag)."""
    found = _BY_TAG.get(tag, ())
    return found + tuple(h for prefix, h in _BY_PREFIX if tag.startswith(prefix))
