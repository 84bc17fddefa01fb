"""``dumpsys activity processes`` and ``dumpsys activity services`` (android.md §3.3, §5)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

__all__ = ["FGS_TYPES", "ActivityProcesses", "ProcessInfo", "ServiceRecord", "fgs_type_names",
           "parse_activity_processes", "parse_activity_services"]

# ServiceInfo.FOREGROUND_SERVICE_TYPE_* bits (§5).
FGS_TYPES: tuple[tuple[int, str], ...] = (
    (1 << 0, "dataSync"), (1 << 1, "mediaPlayback"), (1 << 2, "phoneCall"), (1 << 3, "location"),
    (1 << 4, "connectedDevice"), (1 << 5, "mediaProjection"), (1 << 6, "camera"), (1 << 7, "microphone"),
    (1 << 8, "health"), (1 << 9, "remoteMessaging"), (1 << 10, "systemExempted"), (1 << 11, "shortService"),
    (1 << 12, "fileManagement"), (1 << 13, "mediaProcessing"), (1 << 30, "specialUse"),
)


def fgs_type_names(types: int) -> tuple[str, ...]:
    return tuple(name for bit, name in FGS_TYPES if types & bit)


@dataclass(frozen=True, slots=True)
class ProcessInfo:
    pid: int
    name: str  # process name: the package, or "pkg:proc"
    uid: str  # u0a383, 1000, u0a178i7
    oom_adj: int | None = None  # "cur=" of the "oom adj:" line
    proc_state: str | None = None  # curProcState (a number) or the summary's state word (TOP, FGS…)
    fg_services: bool = False
    phantom: bool = False  # Android 12+ child process (PhantomProcessRecord)
    parent_pid: int | None = None
    line: int = 0

    @property
    def package(self) -> str:
        return self.name.split(":", 1)[0]


@dataclass(frozen=True, slots=True)
class ActivityProcesses:
    processes: tuple[ProcessInfo, ...] = ()
    phantoms: tuple[ProcessInfo, ...] = ()
    oom_levels: tuple[tuple[int, str], ...] = ()  # (adj, "FOREGROUND_APP_ADJ")
    home: ProcessInfo | None = None
    previous: ProcessInfo | None = None

    def for_package(self, package: str) -> tuple[ProcessInfo, ...]:
        return tuple(p for p in self.processes if p.package == package)


_RECORD = r"ProcessRecord\{\w+ (\d+):([^/\s]+)/(\S+?)\}"
_APP = re.compile(rf"^\s*\*?(?:APP|PERS)\*? UID \d+ {_RECORD}")
# "#73: fg     TOP  LCMNFU 18144:com.termux/u0a383 …" (12+), "Proc # 0: fore  T/A/TOP  trm: 0 …" (older).
_SUMMARY = re.compile(r"^\s*(?:Proc )?# ?\d+: (\S+)\s+(\S+)\s+.*?\b(\d+):([^/\s]+)/(\S+?)(?:\s|$)")
_REF = re.compile(rf"^\s*m(Home|Previous)Process: {_RECORD}")
_OOM_LEVEL = re.compile(r"^\s*(-?\d+): (\w+_ADJ)\b")
_OOM_ADJ = re.compile(r"^\s*oom adj: .*?\bcur=(-?\d+)")
_PROC_STATE = re.compile(r"^\s*curProcState=(-?\d+)")
_FGS = re.compile(r"\b(?:mH|h)asForegroundServices=(true|false)")
_PHANTOM = re.compile(r"PhantomProcessRecord \{\w+ (\d+):(\d+):([^/\s]+)/(\S+?)\}")
_PHANTOM_ADJ = re.compile(r"\boom adj=(-?\d+)")


def parse_activity_processes(text: str) -> ActivityProcesses:
    procs: dict[int, ProcessInfo] = {}
    phantoms: dict[int, ProcessInfo] = {}
    levels: list[tuple[int, str]] = []
    refs: dict[str, ProcessInfo] = {}
    current: ProcessInfo | None = None  # the record the detail lines belong to
    for no, line in enumerate(text.splitlines(), 1):
        if (m := _APP.match(line)) is not None:
            current = procs[int(m.group(1))] = _merge(procs.get(int(m.group(1))), m, no)
        elif (m := _PHANTOM.search(line)) is not None:
            pid = int(m.group(1))
            current = phantoms[pid] = ProcessInfo(pid, m.group(3), m.group(4), phantom=True,
                                                  parent_pid=int(m.group(2)), line=no)
        elif (m := _REF.match(line)) is not None:
            refs[m.group(1)] = ProcessInfo(int(m.group(2)), m.group(3), m.group(4), line=no)
        elif (m := _SUMMARY.match(line)) is not None:
            pid = int(m.group(3))
            known = procs.get(pid)
            state = known.proc_state if known is not None and known.proc_state else m.group(2).rsplit("/", 1)[-1]
            procs[pid] = replace(known or ProcessInfo(pid, m.group(4), m.group(5), line=no), proc_state=state)
            current = None
        elif (m := _OOM_LEVEL.match(line)) is not None:
            levels.append((int(m.group(1)), m.group(2)))
        elif current is not None:
            current = _detail(current, line)
            (phantoms if current.phantom else procs)[current.pid] = current
    return ActivityProcesses(tuple(procs.values()), tuple(phantoms.values()), tuple(levels),
                             refs.get("Home"), refs.get("Previous"))


def _merge(known: ProcessInfo | None, m: re.Match[str], line: int) -> ProcessInfo:
    pid, name, uid = int(m.group(1)), m.group(2), m.group(3)
    return replace(known, name=name, uid=uid, line=line) if known else ProcessInfo(pid, name, uid, line=line)


def _detail(proc: ProcessInfo, line: str) -> ProcessInfo:
    if proc.phantom:
        m = _PHANTOM_ADJ.search(line)
        return replace(proc, oom_adj=int(m.group(1))) if m else proc
    if (m := _OOM_ADJ.match(line)) is not None:
        return replace(proc, oom_adj=int(m.group(1)))
    if (m := _PROC_STATE.match(line)) is not None:
        return replace(proc, proc_state=m.group(1))
    if (m := _FGS.search(line)) is not None:
        return replace(proc, fg_services=m.group(1) == "true")
    return proc


@dataclass(frozen=True, slots=True)
class ServiceRecord:
    component: str  # com.pkg/.MyService
    package: str
    user: int | None = None
    pid: int | None = None  # from app=ProcessRecord{…} when running
    is_foreground: bool = False
    foreground_id: int | None = None
    types: int = 0
    line: int = 0

    @property
    def type_names(self) -> tuple[str, ...]:
        return fgs_type_names(self.types)


_SERVICE = re.compile(r"^\s*\* ServiceRecord\{\w+ u(\d+) ([^}\s]+)\}")
_PACKAGE_NAME = re.compile(r"^\s*packageName=(\S+)")
_APP_PID = re.compile(rf"^\s*app={_RECORD}")
_FOREGROUND = re.compile(r"\bisForeground=(true|false)(?: foregroundId=(-?\d+))?(?: types=(?:0x)?([0-9a-fA-F]+))?")


def parse_activity_services(text: str) -> tuple[ServiceRecord, ...]:
    records: list[ServiceRecord] = []
    current: ServiceRecord | None = None
    for no, line in enumerate(text.splitlines(), 1):
        if (m := _SERVICE.match(line)) is not None:
            if current is not None:
                records.append(current)
            component = m.group(2)
            current = ServiceRecord(component, component.split("/", 1)[0], int(m.group(1)), line=no)
        elif current is not None:
            current = _service_detail(current, line)
    if current is not None:
        records.append(current)
    return tuple(records)


def _service_detail(rec: ServiceRecord, line: str) -> ServiceRecord:
    if (m := _PACKAGE_NAME.match(line)) is not None:
        return replace(rec, package=m.group(1))
    if (m := _APP_PID.match(line)) is not None:
        return replace(rec, pid=int(m.group(1)))
    if (m := _FOREGROUND.search(line)) is not None:
        fg_id = int(m.group(2)) if m.group(2) else None
        types = int(m.group(3), 16) if m.group(3) else 0
        return replace(rec, is_foreground=m.group(1) == "true", foreground_id=fg_id, types=types)
    return rec
