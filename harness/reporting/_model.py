"""The results model: one run, its selected tests, and one result per finished test.

Pure data, independent of pytest: the plugin fills it from its reports, the writers read it, and
``load_run`` rebuilds it from ``results.jsonl``. Times are floats, seconds since 1970: ``started_at``
/ ``ended_at`` are the harness machine's wall clock, timeline times are device time (a logcat line's
clock encoded with ``calendar.timegm``, see ``harness/logs/logcat.py``), so both print in UTC.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, Protocol, get_args

from harness.errors import HarnessError
from harness.logs.events import Event, EventKind

__all__ = [
    "DEVICE_PROPS",
    "OUTCOMES",
    "STATUSES",
    "DeviceLike",
    "Outcome",
    "ReportError",
    "Result",
    "Run",
    "Selected",
    "Status",
    "TimelineItem",
    "device_props",
    "scenario_of",
    "timeline_from_events",
]

Outcome = Literal["passed", "failed", "expected_kill", "unexpected_survival", "error", "skipped"]
OUTCOMES: tuple[str, ...] = get_args(Outcome)

# A cell of the matrix: an outcome, or a selected test that never reported (interrupted run).
Status = Literal["passed", "failed", "expected_kill", "unexpected_survival", "error", "skipped", "not_run"]
STATUSES: tuple[str, ...] = get_args(Status)

# The device properties every writer shows, in this order (JUnit <properties>, HTML, history).
DEVICE_PROPS: tuple[str, ...] = ("platform", "oem", "model", "os_version", "serial")


class ReportError(HarnessError):
    """A run folder cannot be written or read (no results.jsonl, no header, a lock held too long)."""


class DeviceLike(Protocol):
    """What ``device_props`` reads; ``harness.config.DeviceConfig`` is one."""

    @property
    def platform(self) -> str: ...
    @property
    def oem(self) -> str: ...
    @property
    def model(self) -> str: ...
    @property
    def os_version(self) -> str: ...
    @property
    def ident(self) -> str: ...  # serial on Android, UDID on iOS


def device_props(device: DeviceLike) -> dict[str, str]:
    """``Result.device_props`` for a configured device (the serial is the UDID on iOS)."""
    return {"platform": device.platform, "oem": device.oem, "model": device.model, "os_version": device.os_version,
            "serial": device.ident}


def scenario_of(nodeid: str) -> str:
    """``scenarios/test_doze.py::test_fetch[pixel-8]`` → ``test_fetch``: the function, without params."""
    # Params may hold anything, "::" and "/" included, so they go first.
    return nodeid.split("[", 1)[0].rsplit("::", 1)[-1]


@dataclass(frozen=True, slots=True)
class TimelineItem:
    """One point of a test's device timeline, as the detail page draws it."""

    time: float  # device time, seconds since 1970
    kind: EventKind
    label: str = ""
    state: str | None = None  # doze: the state name (IDLE, IDLE_MAINTENANCE, ACTIVE, …)
    # What starts and ends pair on: the pid for processes, the job id for jobs, the task name for
    # tasks, "deep"/"light" for Doze. None pairs with anything of its lane (a force-stop ends all).
    subject: str | None = None
    killer: str | None = None  # kill / force_stop / freeze

    @classmethod
    def from_event(cls, event: Event) -> TimelineItem | None:
        """The item for a parsed event; None when the event has no device time (a dumpsys dump)."""
        if event.time is None:
            return None
        state = event.reason if event.kind == "doze" else None
        return cls(event.time, event.kind, _label(event), state, _subject(event), event.killer)


def timeline_from_events(events: Iterable[Event], package: str | None = None) -> tuple[TimelineItem, ...]:
    """The timed events as timeline items, in time order; with ``package``, only the app's own and the phone's
    (Doze): a real phone logs other apps' starts, jobs and kills by the hundred, and they explain nothing here."""
    if package is not None:
        events = (e for e in events if about_app(e, package))
    items = (TimelineItem.from_event(e) for e in events)
    return tuple(sorted((i for i in items if i is not None), key=lambda i: i.time))


def about_app(event: Event, package: str) -> bool:
    """Whether ``event`` is the app's (its package, its task, one of its jobs) or the phone's own state (Doze)."""
    if event.package is not None:
        return event.package == package
    return event.kind == "doze" or event.task is not None or event.job_id is not None


def _subject(event: Event) -> str | None:
    if event.kind == "doze":
        return event.extra.get("mode", "deep")
    if event.kind.startswith("job_"):
        return None if event.job_id is None else str(event.job_id)
    if event.kind.startswith("task_") or event.kind.startswith("work_"):
        return event.task
    return None if event.pid is None else str(event.pid)


def _label(event: Event) -> str:
    if event.kind == "doze":
        return f"{event.extra.get('mode', 'deep')} {event.reason or '?'}"
    if event.kind in ("kill", "force_stop", "freeze"):
        verb = {"kill": "killed", "force_stop": "force-stopped", "freeze": "frozen"}[event.kind]
        by = f" by {event.killer}" if event.killer else ""
        return f"{verb}{by}" + (f" ({event.reason})" if event.reason else "")
    if event.kind.startswith("job_"):
        what = f"job {event.job_id}" if event.job_id is not None else "job"
        return f"{what} {event.kind[4:]}" + (f" ({event.reason})" if event.reason else "")
    subject = event.task or event.package or ""
    tail = f" ({event.reason})" if event.reason else ""
    return f"{event.kind} {subject}{tail}".replace("  ", " ").strip()


@dataclass(frozen=True, slots=True)
class Selected:
    """A test pytest selected to run. ``device`` is None when the pool picks the phone at run time."""

    nodeid: str
    scenario: str
    device: str | None = None

    @classmethod
    def of(cls, nodeid: str, device: str | None = None) -> Selected:
        return cls(nodeid, scenario_of(nodeid), device)


@dataclass(frozen=True, slots=True)
class Result:
    """One finished test on one device."""

    nodeid: str
    scenario: str
    device: str
    outcome: Outcome
    device_props: dict[str, str] = field(default_factory=dict)  # DEVICE_PROPS, and any more
    duration_s: float = 0.0
    started_at: float = 0.0  # wall clock, seconds since 1970
    ended_at: float = 0.0
    message: str = ""  # the failure text
    explanation: str = ""  # why the task did not fire
    killer: str | None = None  # "miui", "samsung", … when a kill decided the outcome
    artifacts: dict[str, str] = field(default_factory=dict)  # name → path relative to the run folder
    timeline: tuple[TimelineItem, ...] = ()
    device_s: float | None = None  # device time the cell's body used (the phone's clock), when it could be read
    plan_device_s: float | None = None  # the device time its plan allowed (harness.plan)
    tier: str | None = None  # quick | full | soak
    verdict: str = ""  # the failure in one line ("task 'sync-orders' did not fire within 30m of device time")
    evidence: tuple[str, ...] = ()  # the log lines the explanation rests on
    window: tuple[float, float] | None = None  # device times the failed wait watched: mark to deadline


@dataclass(frozen=True, slots=True)
class Run:
    """A run as far as it got: ``finished_at`` is None while it runs or after a crash."""

    run_id: str
    started_at: float
    harness_version: str
    lab_seed: int | None = None
    selected: tuple[Selected, ...] = ()
    results: tuple[Result, ...] = ()
    finished_at: float | None = None
    damaged_lines: int = 0  # results.jsonl lines that did not parse (a writer died mid-line)

    @property
    def interrupted(self) -> bool:
        return self.finished_at is None

    @property
    def duration_s(self) -> float:
        end = self.finished_at
        if end is None:
            end = max((r.ended_at for r in self.results), default=self.started_at)
        return max(0.0, end - self.started_at)

    def not_run(self) -> tuple[Selected, ...]:
        """The selected tests with no result: not run, or interrupted."""
        done = {r.nodeid for r in self.results}
        return tuple(s for s in self.selected if s.nodeid not in done)

    def counts(self) -> dict[str, int]:
        """Tests per status (every status present, zeros included)."""
        seen = Counter[str](r.outcome for r in self.results)
        seen["not_run"] = len(self.not_run())
        return {status: seen[status] for status in STATUSES}
