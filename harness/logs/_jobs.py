"""``dumpsys jobscheduler [PKG]``: registered jobs and the Job history (android.md §2.3).

A job block starts at ``JOB #<uid>/<jobId>: <hash> <batteryName>`` and runs until the next
header or a line indented no deeper than the header. Keys may be missing (they vary by
release); every field therefore has a default.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from harness.logs._durations import DURATION, parse_duration

__all__ = ["Job", "JobBody", "JobHistoryEntry", "JobSchedulerDump", "parse_job_body", "parse_jobscheduler",
           "split_battery_name"]

_HEADER = re.compile(r"^(\s*)JOB (?:#|[^:\s]+:)([^/\s]+)/(-?\d+): (\S+) (.+?)\s*$")  # 14+: "JOB <ns>:u0a1/5"
_HISTORY = re.compile(rf"^\s*({DURATION})\s+([A-Z][A-Z-]*): #([^/\s]+)/(-?\d+) (\S+)(?: (.*?))?\s*$")
_INVALID = re.compile(r"^Invalid package: (\S+)")
_CONSTRAINT = re.compile(r"^[A-Z][A-Z_]*$")
_PERIODIC = re.compile(r"interval=(\S+) flex=(\S+)")
_RUN_TIME = re.compile(r"earliest=([^,\s]+), latest=([^,\s]+)")
_SOURCE = re.compile(r"uid=(\S+) user=(-?\d+) pkg=(\S+)")


def split_battery_name(name: str) -> tuple[str | None, str | None]:
    """(namespace, package) from ``@ns@pkg/Service``, ``pkg/.Service`` or ``<tag>:pkg``."""
    namespace = None
    if name.startswith("@") and name.count("@") >= 2:
        namespace, name = name[1:].split("@", 1)
    head = name.split("/", 1)[0]
    if ":" in head:
        head = head.rsplit(":", 1)[1]
    return namespace, head or None


@dataclass(frozen=True, slots=True, kw_only=True)
class JobBody:
    """The indented lines of a job block; a header-less fragment parses to just this."""

    source_uid: str | None = None
    user: int | None = None
    package: str | None = None
    service: str | None = None
    periodic_interval_s: float | None = None
    periodic_flex_s: float | None = None
    persisted: bool = False
    min_latency_s: float | None = None
    network: str | None = None
    required: tuple[str, ...] = ()
    preferred: tuple[str, ...] = ()
    satisfied: tuple[str, ...] = ()
    unsatisfied: tuple[str, ...] = ()
    ready: bool | None = None
    standby_bucket: str | None = None
    enqueue_s: float | None = None  # relative to the dump: negative = in the past
    earliest_run_s: float | None = None
    latest_run_s: float | None = None
    num_failures: int | None = None
    last_successful_run: str | None = None  # "yyyy-MM-dd HH:mm:ss", device local time
    last_failed_run: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Job(JobBody):
    uid: str  # u0a453, 1000, u0i5
    job_id: int  # may be negative
    hash: str
    battery_name: str  # without the namespace prefix
    namespace: str | None = None  # API 34+: WorkManager uses androidx.work.systemjobscheduler
    line: int = 0


@dataclass(frozen=True, slots=True)
class JobHistoryEntry:
    ago_s: float  # relative to the dump (negative)
    ago_text: str
    event: str  # START, STOP, STOP-P, …
    uid: str
    job_id: int
    battery_name: str
    namespace: str | None
    package: str | None
    reason: str | None  # stops: why (e.g. "app called jobFinished")
    line: int


@dataclass(frozen=True, slots=True)
class JobSchedulerDump:
    jobs: tuple[Job, ...] = ()
    history: tuple[JobHistoryEntry, ...] = ()
    invalid_package: str | None = None  # "Invalid package: <pkg>"
    running: tuple[tuple[str, int], ...] = ()  # (uid, job id) of each job in an "Active jobs:" slot

    def for_package(self, package: str) -> tuple[Job, ...]:
        return tuple(j for j in self.jobs if j.package == package)


def _names(text: str) -> tuple[str, ...]:
    # Skips the "[0x90000000]" mask (and the "\[…\]" Markdown-escaped copy in one capture).
    return tuple(t for t in text.split() if _CONSTRAINT.match(t))


def _duration(text: str) -> float | None:
    try:
        return parse_duration(text)
    except ValueError:
        return None  # "none"


def _periodic(body: dict[str, object], value: str) -> None:
    m = _PERIODIC.search(value)
    if m is not None:
        body["periodic_interval_s"] = _duration(m.group(1))
        body["periodic_flex_s"] = _duration(m.group(2))


def _run_time(body: dict[str, object], value: str) -> None:
    m = _RUN_TIME.search(value)
    if m is not None:
        body["earliest_run_s"] = _duration(m.group(1))
        body["latest_run_s"] = _duration(m.group(2))


def _source(body: dict[str, object], value: str) -> None:
    m = _SOURCE.search(value)
    if m is not None:
        body["source_uid"], body["user"], body["package"] = m.group(1), int(m.group(2)), m.group(3)


_Setter = Callable[[dict[str, object], str], None]


def _set(key: str, convert: Callable[[str], object]) -> _Setter:
    def setter(body: dict[str, object], value: str) -> None:
        body[key] = convert(value)
    return setter


_KEYS: dict[str, _Setter] = {
    "Source": _source,
    "Service": _set("service", str.strip),
    "PERIODIC": _periodic,
    "Network type": _set("network", str.strip),
    "Minimum latency": _set("min_latency_s", _duration),
    "Required constraints": _set("required", _names),
    "Preferred constraints": _set("preferred", _names),
    "Satisfied constraints": _set("satisfied", _names),
    "Unsatisfied constraints": _set("unsatisfied", _names),
    "Standby bucket": _set("standby_bucket", str.strip),
    "Enqueue time": _set("enqueue_s", _duration),
    "Run time": _run_time,
    "Num failures": _set("num_failures", int),
    "Last successful run": _set("last_successful_run", str.strip),
    "Last failed run": _set("last_failed_run", str.strip),
    "Ready": _set("ready", lambda v: v.strip().startswith("true")),
}


def _body_line(body: dict[str, object], text: str) -> None:
    text = text.strip()
    if text == "PERSISTED":
        body["persisted"] = True
        return
    key, sep, value = text.partition(":")
    setter = _KEYS.get(key) if sep else None
    if setter is not None:
        # A value in a shape this release does not print: keep the rest of the job.
        with contextlib.suppress(ValueError):
            setter(body, value)


def parse_job_body(text: str) -> JobBody:
    body: dict[str, object] = {}
    for line in text.splitlines():
        _body_line(body, line)
    return JobBody(**body)  # type: ignore[arg-type]


# JobConcurrencyManager.dumpContextInfoLocked: "Slot #0(ID=3): " then JobServiceContext.dumpLocked's
# toShortString, "6412553 #u0a172/4 pkg/.Svc" (a namespaced job has "{ns}" after the hash).
_ACTIVE_SLOT = re.compile(r"^\s*Slot #\d+(?:\(ID=\d+\))?: \S+(?: \{[^}]*\})? #(\S+?)/(-?\d+) ")


def parse_jobscheduler(text: str) -> JobSchedulerDump:
    jobs: list[Job] = []
    history: list[JobHistoryEntry] = []
    running: list[tuple[str, int]] = []
    invalid: str | None = None
    current: Job | None = None
    indent = 0
    body: dict[str, object] = {}
    for no, line in enumerate(text.splitlines(), 1):
        if current is not None and line.strip():
            if len(line) - len(line.lstrip()) > indent and not _HEADER.match(line):
                _body_line(body, line)
                continue
            jobs.append(replace(current, **body))  # type: ignore[arg-type]
            current = None
        header = _HEADER.match(line)
        if header is not None:
            ws, uid, job_id, hash_, name = header.groups()
            namespace, package = split_battery_name(name)
            bare = name.split("@", 2)[2] if namespace is not None else name
            current = Job(uid=uid, job_id=int(job_id), hash=hash_, battery_name=bare, namespace=namespace,
                          package=package, line=no)
            indent, body = len(ws), {}
            continue
        entry = _HISTORY.match(line)
        if entry is not None:
            history.append(_history(entry, no))
        elif (slot := _ACTIVE_SLOT.match(line)) is not None:
            running.append((slot.group(1), int(slot.group(2))))
        elif (bad := _INVALID.match(line)) is not None:
            invalid = bad.group(1)
    if current is not None:
        jobs.append(replace(current, **body))  # type: ignore[arg-type]
    return JobSchedulerDump(tuple(jobs), tuple(history), invalid, tuple(running))


def _history(m: re.Match[str], line: int) -> JobHistoryEntry:
    ago, event, uid, job_id, name, reason = m.groups()
    namespace, package = split_battery_name(name)
    return JobHistoryEntry(parse_duration(ago), ago, event, uid, int(job_id), name, namespace, package,
                           reason or None, line)
