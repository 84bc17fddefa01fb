"""Diagnoses that are never wrong: each case is a timeline (and what the phone said after the wait), and the
cause named must be the one the evidence holds up — or "inconclusive" with the facts, never a guess."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from harness.logs.events import Event
from harness.logs.expect import Expect, ExpectationFailed, Snapshot, UnknownTask, Watch, explain
from harness.logs.stream import EventStream

PKG = "com.example.courier"
T = 1795852800.0  # 08:00:00 device time


def ev(kind: str, t: float, **kw: object) -> Event:
    return Event(kind, time=T + t, package=kw.pop("package", PKG), raw=f"{kind} line", **kw)  # type: ignore[arg-type]


JOB = Watch(task="sync-orders", kind="background-task", interval_s=900, opened=T, within_s=1800)
FETCH_60S = Watch(task="refresh-feed", kind="background-fetch", interval_s=600, opened=T, within_s=60)
PUSH = Watch(task="on-push", kind="push", opened=T, within_s=60, trigger=("push",))


@dataclass(frozen=True)
class Case:
    name: str
    events: list[Event]
    watch: Watch
    says: str
    never: tuple[str, ...] = ()
    snap: Snapshot | None = None
    prior: tuple[Event, ...] = ()
    killer: str | None = None


CASES = [
    Case("ran just after the window", [ev("task_start", 3607, task="sync-orders", reason="workmanager")],
         Watch(task="sync-orders", kind="background-task", interval_s=900, opened=T, within_s=3600),
         "it ran 7 s after the window closed (at 09:00:07, trigger workmanager)", ("never",)),
    Case("alarm task, window shorter than its interval", [], FETCH_60S,
         "inconclusive: the window (1m) is shorter than the task's interval (10m); it runs from an inexact "
         "AlarmManager alarm", ("dumpsys jobscheduler", "never scheduled"), Snapshot(job_found=False)),
    Case("job task with no job", [], JOB, "never scheduled: no job for a background-task task",
         snap=Snapshot(job_found=False)),
    Case("no job now, but a job ran in the window", [ev("job_start", 40, job_id=7)], JOB, "inconclusive",
         ("never scheduled",), Snapshot(job_found=False)),
    Case("DEADLINE holds nothing back", [], JOB, "inconclusive", ("DEADLINE", "waiting on"),
         Snapshot(job_found=True, unsatisfied=("DEADLINE",))),
    Case("a real gate beside DEADLINE", [], JOB, "the job is waiting on CONNECTIVITY", ("DEADLINE",),
         Snapshot(job_found=True, unsatisfied=("CONNECTIVITY", "DEADLINE"))),
    Case("not due yet", [], JOB, "not due yet: the job's earliest start (TIMING_DELAY)",
         snap=Snapshot(job_found=True, unsatisfied=("TIMING_DELAY", "DEADLINE"))),
    Case("a kill the work came back from", [ev("kill", 10, killer="lmk"), ev("job_start", 50, job_id=7)], JOB,
         "inconclusive", ("did not come back",)),
    Case("a kill that held", [ev("kill", 10, killer="miui", reason="OneKeyClean")], JOB,
         "08:00:10 killed by miui", killer="miui"),
    Case("a freeze from before the mark", [], JOB, "08:00:01 frozen by samsung",
         prior=(ev("freeze", 1, killer="samsung", reason="uidIdle"),), killer="samsung"),
    Case("Doze, but a maintenance window ran nothing",
         [ev("doze", 5, reason="IDLE"), ev("doze", 600, reason="IDLE_MAINTENANCE"), ev("doze", 630, reason="IDLE")],
         JOB, "inconclusive", ("wait for a maintenance window",),
         Snapshot(job_found=True, deep_state="IDLE", light_state="OVERRIDE")),
    Case("Doze held it", [ev("doze", 5, reason="IDLE")], JOB, "Doze IDLE since 08:00:05"),
    Case("the log says IDLE, the phone says ACTIVE", [ev("doze", 5, reason="IDLE")], JOB, "inconclusive",
         ("wait for a maintenance window",), Snapshot(job_found=True, deep_state="ACTIVE", light_state="ACTIVE")),
    Case("ran from another trigger", [ev("task_start", 20, task="on-push", reason="test")], PUSH,
         "it ran at 08:00:20, but from trigger test, not push"),
    Case("nothing explains it", [], JOB, "inconclusive: no kill, force-stop, freeze, Doze or held constraint",
         snap=Snapshot(job_found=True, process_running=True, deep_state="ACTIVE", light_state="ACTIVE",
                       bucket="active")),
    Case("another app's kill", [ev("kill", 3, package="other.app", killer="lmk")], JOB, "inconclusive",
         ("killed by lmk",)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_cause_named_is_the_one_the_timeline_holds_up(case: Case) -> None:
    reason, _evidence, killer = explain(case.events, PKG, case.snap, case.prior, case.watch)
    assert case.says in reason
    for word in case.never:
        assert word not in reason, reason
    assert killer == case.killer


def test_inconclusive_lists_the_facts() -> None:
    reason, _, _ = explain([], PKG, Snapshot(job_found=True, process_running=False, bucket="working_set"),
                           [ev("task_start", -300, task="sync-orders")], JOB)
    assert reason.startswith("inconclusive")
    for fact in ("window 30m", "kind background-task", "last ran at 07:55:00, before the mark",
                 "process running: no", "job found: yes", "bucket: working_set"):
        assert fact in reason


# -- through a real stream, fed as a phone's log would be ---------------------------------------------------------
LINE = "12-07 08:{m:02d}:{s:02d}.000  4730  4761 I ReactNativeJS: BgProbe v1 task_start task={task} run=1 trigger={why}"


@dataclass(frozen=True)
class Task:
    kind: str
    interval_min: float


TASKS = {"sync-orders": Task("background-task", 15), "refresh-feed": Task("background-fetch", 10)}


def _stream() -> tuple[EventStream, Expect]:
    stream = EventStream("pixel-8", clock_rate=1.0, year=2026)
    stream.feed([LINE.format(m=0, s=0, task="refresh-feed", why="alarm")])
    stream.flush()
    start = stream.events[0].time
    assert start is not None
    stream.device_clock = lambda: start  # the phone's clock at the mark: 08:00:00
    expect = Expect(stream, PKG)
    expect.tasks = TASKS
    return stream, expect


def test_a_misspelt_task_fails_at_once_with_did_you_mean() -> None:
    _, expect = _stream()
    with pytest.raises(UnknownTask) as err:  # a 2-hour window at 1x: only failing before any wait ends this test
        expect.task_fired("sync-order", within_s=2 * 3600)
    text = str(err.value)
    assert "did you mean 'sync-orders'?" in text and "refresh-feed, sync-orders" in text
    with pytest.raises(UnknownTask):
        expect.task_not_fired("synk", during_s=2 * 3600)


def test_a_start_timed_in_the_window_but_read_after_a_later_line_passes() -> None:
    stream, expect = _stream()
    stream.feed([LINE.format(m=2, s=0, task="refresh-feed", why="alarm"),  # later-timed line first
                 LINE.format(m=0, s=30, task="sync-orders", why="workmanager")])
    stream.flush()
    found = expect.task_fired("sync-orders", within_s=60)
    assert found.task == "sync-orders" and found.reason == "workmanager"


def test_a_start_just_after_the_window_is_reported_as_late_not_as_never_started() -> None:
    stream, expect = _stream()
    stream.feed([LINE.format(m=1, s=7, task="sync-orders", why="workmanager")])
    stream.flush()
    with pytest.raises(ExpectationFailed) as err:
        expect.task_fired("sync-orders", within_s=60)
    assert "it ran 7 s after the window closed" in err.value.reason
    assert any("task_start sync-orders" in line for line in err.value.timeline)
    assert "never" not in err.value.reason


def test_a_run_that_should_not_have_happened_carries_its_line_and_window() -> None:
    stream, expect = _stream()
    stream.feed([LINE.format(m=0, s=20, task="sync-orders", why="workmanager")])
    stream.flush()
    with pytest.raises(ExpectationFailed) as err:
        expect.task_not_fired("sync-orders", during_s=60)
    assert err.value.reason == "it ran" and "task_start task=sync-orders" in err.value.evidence[0]
    assert err.value.window is not None and err.value.window[1] - err.value.window[0] == 60
