"""The system's own record of why an app process ended: ``ApplicationExitInfo`` (Android 11+).

Two shapes reach a capture: ``adb shell dumpsys activity exit-info [PKG]`` prints one block per exit
(``ApplicationExitInfo #0:`` then indented ``timestamp=… pid=N …`` / ``process=P reason=3 (LOW_MEMORY) subreason=0
(UNKNOWN) status=0`` / ``… description=D state=… trace=…`` rows, field g001), and apps that log
``ActivityManager.getHistoricalProcessExitReasons()`` print ``ApplicationExitInfo.toString()``, the same fields on
one line inside ``ApplicationExitInfo(…)`` (field g002). Both come from
frameworks/base core/java/android/app/ApplicationExitInfo.java (``dump`` and ``toString``).

Who ended it follows the record's reason code (the ``REASON_*`` constants of that class), never a guess:
LOW_MEMORY is the low-memory killer; OTHER with an empty- or cached-process subreason is AMS trimming its process
lists past a count (``aosp``, as ``empty #N`` is read: attribution.py); the system's other kills (ANR,
initialization failure, permission change, excessive resource use, a dependency's death, the freezer, package
changes, a stopped user) are ``aosp`` too;
USER_REQUESTED is read from its description as ActivityManager's own kill line would be (``remove task``,
``stop PKG due to from pid N``), the user when the description says nothing more. EXIT_SELF, SIGNALED (a signal
whose sender the record does not name), CRASH and CRASH_NATIVE are deaths, not attributed kills.
"""

from __future__ import annotations

import re

from harness.logs.attribution import Attributor
from harness.logs.events import Event, Killer

__all__ = ["exit_info_events", "has_exit_info"]

_START = re.compile(r"ApplicationExitInfo(?: #\d+:|\()")
_PID = re.compile(r"\bpid=(\d+)")
_PROCESS = re.compile(r"\bprocess=([^\s,]+)")
_REASON = re.compile(r"\breason=(\d+)(?: \(((?:[^()]|\([^()]*\))*)\))?")
_SUBREASON = re.compile(r"\bsubreason=(\d+)(?: \(([^()]*)\))?")
_STATUS = re.compile(r"\bstatus=(-?\d+)")
_DESCRIPTION = re.compile(r"\bdescription=(.*?)(?= state=| trace=|\)?\s*\"?,?\s*$|\n)")
_TIMESTAMP = re.compile(r"\btimestamp=(.+?)(?= pid=)")
_RECORD_ROWS = 5  # the dump's block: header and three rows (a fourth on some builds)

_DEATHS = frozenset({0, 1, 2, 4, 5})  # UNKNOWN, EXIT_SELF, SIGNALED, CRASH, CRASH_NATIVE
_LOW_MEMORY = 3
_USER_REQUESTED = 10
_OTHER = 13
# ANR, INITIALIZATION_FAILURE, PERMISSION_CHANGE, EXCESSIVE_RESOURCE_USAGE, USER_STOPPED, DEPENDENCY_DIED, FREEZER,
# PACKAGE_STATE_CHANGE, PACKAGE_UPDATED: the system ending the process for its own reasons.
_SYSTEM = frozenset({6, 7, 8, 9, 11, 12, 14, 15, 16})
_LRU_SUBREASON = re.compile(r"(?i)\b(?:EMPTY|CACHED)\b")


def has_exit_info(text: str) -> bool:
    return "ApplicationExitInfo" in text


def exit_info_events(text: str) -> tuple[list[Event], set[int]]:
    """The exits the capture records, and the line numbers their records took (read, so not unrecognised)."""
    lines = text.splitlines()
    events: list[Event] = []
    used: set[int] = set()
    for i, line in enumerate(lines):
        m = _START.search(line)
        if m is None:
            continue
        if m.group(0).endswith("("):
            record, rows = line[m.end():], [i]
        else:  # the dump: the header, then its indented rows up to the next header
            rows = [i]
            for j in range(i + 1, min(i + _RECORD_ROWS, len(lines))):
                if _START.search(lines[j]) or not lines[j][:1].isspace():
                    break
                rows.append(j)
            record = " ".join(lines[j].strip() for j in rows[1:])
        event = _event(record, i + 1, "\n".join(lines[j] for j in rows))
        if event is not None:
            events.append(event)
            used.update(j + 1 for j in rows)
    return events, used


def _event(record: str, line: int, raw: str) -> Event | None:
    pid, process, reason = _PID.search(record), _PROCESS.search(record), _REASON.search(record)
    if pid is None or process is None or reason is None:
        return None  # a record cut before it says why (field g001's last): it proves nothing
    code, name = int(reason.group(1)), reason.group(2) or f"reason {reason.group(1)}"
    sub = _SUBREASON.search(record)
    subname = (sub.group(2) or "") if sub is not None else ""
    found = _DESCRIPTION.search(record)
    description = found.group(1).strip() if found is not None else ""
    description = "" if description == "null" else description
    package = process.group(1).split(":", 1)[0]
    why = ": ".join(p for p in (name, subname if subname and subname != "UNKNOWN" else "", description) if p)
    stamp = _TIMESTAMP.search(record)
    extra = {"source": "exit-info", "process": process.group(1), "reason_code": str(code)}
    status = _STATUS.search(record)
    if status is not None:
        extra["status"] = status.group(1)
    killer = _killer(code, subname, description, package)
    return Event("process_died" if killer is None else "kill", time_text=stamp.group(1) if stamp else None,
                 package=package, pid=int(pid.group(1)), reason=why, killer=killer, line=line, raw=raw, extra=extra)


def _killer(code: int, subname: str, description: str, package: str) -> Killer | None:
    if code in _DEATHS:
        return None
    if code == _LOW_MEMORY:
        return "lmk"
    if code in _SYSTEM:
        return "aosp"
    if code == _OTHER and _LRU_SUBREASON.search(subname):
        return "aosp"  # TOO_MANY_EMPTY / TOO_MANY_CACHED / TRIM_EMPTY: AMS's own limits, not the low-memory killer
    if code in (_USER_REQUESTED, _OTHER) and description:
        killer = Attributor().killer(package, None, description, None, 0)
        if killer != "unknown":
            return killer
    return "user" if code == _USER_REQUESTED else "unknown"
