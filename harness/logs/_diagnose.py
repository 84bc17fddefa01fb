"""Why a task did not run in its window: candidate causes, each checked against the timeline before it is said.

A cause is named only when the evidence holds it up and nothing in the timeline contradicts it: a kill the
process came back from, Doze with a maintenance window that ran nothing, "no job" for a task that runs from an
alarm — each is dropped, not printed. When no cause survives, the answer is "inconclusive", with the facts.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from harness.logs.events import Event

__all__ = ["JOB_KINDS", "STOPPERS", "Snapshot", "Watch", "describe", "diagnose", "span"]

STOPPERS = ("force_stop", "kill", "freeze")
# Task kinds that run as a JobScheduler job the harness can find in dumpsys (WorkManager's or the app's own).
# A background-fetch task runs from an inexact AlarmManager alarm and has a job only while it runs (a transient
# one); a push handler, a location batch and a geofence transition are woken by their events, not by a job.
JOB_KINDS = ("background-task", "processing", "job")
# Unsatisfied constraints that hold nothing back: DEADLINE is "satisfied" only once the deadline passes, which a
# job that is waiting on something else shows all along (JobStatus.java, CONSTRAINT_DEADLINE).
_NOT_GATES = ("DEADLINE",)
_IDLE = ("IDLE", "OVERRIDE")


@dataclass(frozen=True)
class Snapshot:
    """What the device says now, read after a failed wait (the driver fills it in)."""

    job_found: bool | None = None  # a job exists for the task
    unsatisfied: tuple[str, ...] = ()  # its unsatisfied constraints
    deep_state: str | None = None
    light_state: str | None = None
    bucket: str | None = None
    background_restricted: bool | None = None
    process_running: bool | None = None
    stopped_state: bool | None = None
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Watch:
    """What the failed wait watched: the task, its kind and interval (from ``[app]``), and its window."""

    task: str | None = None
    kind: str | None = None
    interval_s: float | None = None
    opened: float | None = None  # device time of the mark
    within_s: float | None = None
    trigger: tuple[str, ...] | None = None

    @property
    def closes(self) -> float | None:
        return None if self.opened is None or self.within_s is None else self.opened + self.within_s


def clock(event: Event) -> str:
    if event.time is None:
        return event.time_text or "?"
    return time.strftime("%H:%M:%S", time.gmtime(event.time))


def describe(event: Event) -> str:
    who = f" by {event.killer}" if event.killer else ""
    what = {"force_stop": "force-stopped", "kill": "killed", "freeze": "frozen"}.get(event.kind, event.kind)
    tail = f" ({event.reason})" if event.reason else ""
    subject = event.task or event.package or ""
    return f"{clock(event)} {what}{who} {subject}{tail}".replace("  ", " ").strip()


def span(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g}h"
    if seconds >= 60:
        return f"{seconds / 60:g}m"
    return f"{seconds:g}s"


Diagnosis = tuple[str, list[Event], str | None]  # (reason, evidence, killer)


def diagnose(events: Sequence[Event], package: str, snap: Snapshot | None, prior: Sequence[Event] = (),
             watch: Watch | None = None) -> Diagnosis:
    """The reason the package's work did not run in the window, checked against the events; else "inconclusive"."""
    w = watch or Watch()
    mine = [e for e in events if e.package in (None, package)]
    for cause in (_ran_anyway, _stopped, _from_snapshot, _dozing, _window_short):
        found = cause(mine, package, snap, prior, w)
        if found is not None:
            return found
    return _inconclusive(mine, package, snap, prior, w), [], None


def _starts(events: Sequence[Event], task: str | None) -> list[Event]:
    return [e for e in events if e.kind == "task_start" and task is not None and e.task == task]


def _ran_anyway(mine: Sequence[Event], package: str, snap: Snapshot | None, prior: Sequence[Event],
                w: Watch) -> Diagnosis | None:
    """The task did start: after the window closed, or from another trigger than the one asked for."""
    starts = _starts(mine, w.task)
    if not starts:
        return None
    closes = w.closes
    late = [e for e in starts if closes is not None and e.time is not None and e.time > closes]
    if late:
        first = late[0]
        assert first.time is not None and closes is not None
        return (f"it ran {first.time - closes:.0f} s after the window closed (at {clock(first)}"
                f"{f', trigger {first.reason}' if first.reason else ''}): the window ({span(w.within_s or 0)}) is "
                "shorter than the time it took", [first], None)
    if w.trigger is not None:
        other = [e for e in starts if e.reason not in w.trigger]
        if other:
            return (f"it ran at {clock(other[0])}, but from trigger {other[0].reason or 'unknown'}, not "
                    f"{'/'.join(w.trigger)}", other[:3], None)
    return (f"it started at {clock(starts[0])}, inside the window, but its line reached the harness only after the "
            "wait ended (the log capture lagged)", starts[:1], None)


def _came_back(after: Sequence[Event], package: str) -> bool:
    """The app's background work ran again after a stop: a job or a task run of the package (a new process alone
    is not its work: a broadcast or a push receiver starts one)."""
    return any(e.package == package and e.kind in ("job_start", "task_start") for e in after)


def _stopped(mine: Sequence[Event], package: str, snap: Snapshot | None, prior: Sequence[Event],
             w: Watch) -> Diagnosis | None:
    stoppers = [i for i, e in enumerate(mine) if e.kind in STOPPERS and e.package == package]
    holding = [mine[i] for i in stoppers if not _came_back(mine[i + 1:], package)]
    if not stoppers:
        carried = _still_in_effect(prior, package)
        if carried and not _came_back(mine, package):
            holding = carried
    if not holding:
        return None
    first = next((e for e in holding if e.kind == "force_stop"), holding[0])
    if first.kind == "force_stop" and "app switcher" in (first.reason or ""):
        return (f"{describe(first)}: a user force-quit; iOS launches the app in the background for nothing "
                "(no BGTask, fetch or silent push) until the user opens it again", holding[:5], first.killer)
    effect = {"force_stop": "its jobs and alarms were cancelled until the app is launched again",
              "kill": "its process died and the work did not come back",
              "freeze": "its process is frozen: alive but doing nothing"}[first.kind]
    return f"{describe(first)}: {effect}", holding[:5], first.killer


def _still_in_effect(prior: Sequence[Event], package: str) -> list[Event]:
    """The kills, force-stops and freezes from before the mark that nothing undid (no new process since): one
    episode, e.g. an OEM's force-stop and the kill of the process it logs next."""
    episode: list[Event] = []
    for event in prior:
        if event.package != package:
            continue
        if event.kind in STOPPERS:
            episode.append(event)
        elif event.kind == "process_start":
            episode = []
    return episode


def _maintenance(mine: Sequence[Event]) -> list[Event]:
    return [e for e in mine if e.kind == "doze" and e.reason == "IDLE_MAINTENANCE"]


def _from_snapshot(mine: Sequence[Event], package: str, snap: Snapshot | None, prior: Sequence[Event],
                   w: Watch) -> Diagnosis | None:
    if snap is None:
        return None
    doze = [e for e in mine if e.kind == "doze"][-3:]
    if snap.stopped_state:
        return "the app is in the stopped state (force-stopped): nothing runs until it is launched", doze, None
    job_kind = w.kind in JOB_KINDS or w.kind is None
    ran_jobs = [e for e in mine if e.kind == "job_start" and e.package == package]
    if snap.job_found is False and job_kind and not ran_jobs:
        what = f"a {w.kind} task" if w.kind else "the task"
        return f"never scheduled: no job for {what} in dumpsys jobscheduler", [], None
    if snap.background_restricted:
        return ("background restricted (RUN_ANY_IN_BACKGROUND ignore): jobs and alarms do not run in background",
                doze, None)
    if (snap.deep_state == "IDLE" or snap.light_state == "IDLE") and not _maintenance(mine):
        return f"Doze: deep {snap.deep_state}, light {snap.light_state}; jobs wait for a maintenance window", doze, None
    if snap.bucket in ("rare", "restricted", "never"):
        return f"standby bucket {snap.bucket.upper()}: jobs are throttled to a small daily quota", doze, None
    gates = [c for c in snap.unsatisfied if c not in _NOT_GATES]
    if gates == ["TIMING_DELAY"]:
        return "not due yet: the job's earliest start (TIMING_DELAY) is after the window", [], None
    if gates and job_kind:
        return "the job is waiting on " + " ".join(gates), doze, None
    return None


def _dozing(mine: Sequence[Event], package: str, snap: Snapshot | None, prior: Sequence[Event],
            w: Watch) -> Diagnosis | None:
    doze = [e for e in (*prior, *mine) if e.kind == "doze"]
    if not doze or doze[-1].reason not in _IDLE or _maintenance(mine):
        return None
    if snap is not None and snap.deep_state not in (None, *_IDLE) and snap.light_state not in (None, *_IDLE):
        return None  # the phone says it is out of Doze now: the log's last word is stale
    return f"Doze {doze[-1].reason} since {clock(doze[-1])}: jobs wait for a maintenance window", doze[-3:], None


def _window_short(mine: Sequence[Event], package: str, snap: Snapshot | None, prior: Sequence[Event],
                  w: Watch) -> Diagnosis | None:
    if w.interval_s is None or w.within_s is None or w.within_s >= w.interval_s or w.kind in ("push", "geofence"):
        return None
    how = ("from an inexact AlarmManager alarm (then a transient job)" if w.kind == "background-fetch"
           else "once per interval at best")
    return (f"inconclusive: the window ({span(w.within_s)}) is shorter than the task's interval "
            f"({span(w.interval_s)}); it runs {how}, so it may simply not have been due, and nothing in the "
            "timeline says otherwise", [], None)


def _inconclusive(mine: Sequence[Event], package: str, snap: Snapshot | None, prior: Sequence[Event],
                  w: Watch) -> str:
    facts: list[str] = []
    if w.within_s is not None:
        facts.append(f"window {span(w.within_s)}")
    if w.kind:
        facts.append(f"kind {w.kind}")
    before = _starts(prior, w.task)
    facts.append(f"last ran at {clock(before[-1])}, before the mark" if before else "no run of it in this test")
    if snap is not None:
        for label, value in (("process running", snap.process_running), ("job found", snap.job_found),
                             ("Doze deep", snap.deep_state), ("light", snap.light_state), ("bucket", snap.bucket)):
            if value is not None:
                facts.append(f"{label}: {value if not isinstance(value, bool) else 'yes' if value else 'no'}")
        facts.extend(snap.notes)
    stops = [describe(e) for e in mine if e.kind in STOPPERS and e.package == package]
    if stops:
        facts.append(f"stopped then back: {', '.join(stops[:3])}")
    return ("inconclusive: no kill, force-stop, freeze, Doze or held constraint in the timeline or the device state "
            f"explains it ({'; '.join(facts)})")
