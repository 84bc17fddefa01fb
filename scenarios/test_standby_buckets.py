"""App Standby buckets: an app the user stops opening gets a small daily allowance of background work.

Requirement: the periodic task (role `periodic`: one periodic WorkManager job) gets what Android documents per
bucket, on battery (android.md §4.2; bucket limits do not apply while charging, except RESTRICTED's):
- RARE (`am set-inactive PKG true`, where an unused app ends up): 10 min of jobs per rolling 24 h, and
  JobScheduler's quota also caps the runs in that window (android.md §2.4: 3 sessions, 48 jobs), which is what a
  short task meets first. Once the allowance is used, the periodic task does not run again even though it is due;
  back in ACTIVE it runs at once.
- RESTRICTED: jobs once per day, on the charger too; back in ACTIVE the task runs at once.

Each test starts from a fresh allowance (`cmd jobscheduler reset-execution-quota`) and uses it up with
on-demand runs (`cmd jobscheduler run -f`, which JobScheduler counts like any run and refuses out of quota),
one timing session each, so the throttle shows within minutes of device time instead of a day. Then the job is
made due (`cmd jobscheduler run`, scenarios/_knobs.py): held for two minutes, it is the quota that holds it.
A failure in a "did not run" half means the app escapes its bucket (an exact alarm or a foreground service the
team did not intend); in the last half, that the task does not recover when the app is in use again.
"""

from __future__ import annotations

import pytest

from harness.android import AndroidDriver
from harness.android.knobs import app_duration_s, due_now, settled_job
from harness.logs import Event
from harness.logs.expect import Expect
from harness.logs.stream import Mark
from harness.plan import HOLD_S, CostContext, cost
from harness.plugin import App

ROLE = "periodic"  # the role in devices.toml [[app.task]] (docs/adopting.md)
MAX_ON_DEMAND_RUNS = 48  # QuotaController's largest job count per window outside ACTIVE (RARE; android.md §2.4)
SESSION_GAP_S = 6.0  # QuotaController joins jobs less than 5 s apart into one timing session (§2.4)
# Sessions a fresh allowance gives, at most: RARE 3, RESTRICTED 1 (QuotaController, android.md §2.4), and the run
# WorkManager may have scheduled on its own.
ALLOWANCE_RUNS = {"rare": 4, "restricted": 2}
SAMSUNG_FREEZE = ("One UI's FreecessController freezes the app once it idles in the background, so the task "
                  "does not come back when the app is active again")


def allowance_s(c: CostContext, bucket: str) -> float:
    """Device time to use up a bucket's fresh allowance: each run, its end, and the gap that closes its session."""
    return ALLOWANCE_RUNS[bucket] * (c.ack + c.duration(c.app.role_name(ROLE)) + SESSION_GAP_S)


def wait_for_run_end(android: AndroidDriver, timeline: Expect, task: str, since: Mark) -> float:
    """The device time the task's run in progress at ``since`` (or started after it) ended."""
    ended = timeline.stream.wait_for(lambda e: e.kind == "task_end" and e.task == task, since,
                                     timeline.ack_s + app_duration_s(android, task))
    assert ended is not None and ended.time is not None, f"{android.name}: the run of {task!r} did not finish"
    return ended.time


def runs_since(timeline: Expect, task: str, since: Mark) -> list[Event]:
    """The task's starts and ends the phone logged after ``since`` (by its clock: a line logged just before the mark
    can be read after it)."""
    return [e for e in timeline.stream.logged_since(since) if e.task == task and e.kind in ("task_start", "task_end")]


def runs_started(timeline: Expect, task: str, since: Mark) -> int:
    """The task's runs since the mark: the probe numbers each run (Expo's own start line, logged alongside,
    counts only for an app without the probe)."""
    starts = [e for e in runs_since(timeline, task, since) if e.kind == "task_start"]
    numbered = {e.extra["run"] for e in starts if "run" in e.extra}
    return len(numbered) if numbered else len(starts)


def use_up_allowance(android: AndroidDriver, timeline: Expect, task: str) -> int:
    """Reset the app's job quota, then run the task's job on demand, one timing session at a time, until
    JobScheduler reports it out of quota; returns the runs the fresh allowance gave (scheduled ones count too)."""
    settled_job(android, timeline, task)  # a job running at the reset would keep its timing session
    allowance = timeline.reset()
    android.reset_job_quota()
    for _ in range(MAX_ON_DEMAND_RUNS + 1):
        job = android.find_job(task)
        assert job is not None, f"{android.name}: no job for {task!r} in dumpsys jobscheduler"
        if "WITHIN_QUOTA" not in job.satisfied:
            return runs_started(timeline, task, allowance)
        mark = timeline.reset()
        android.run_job(job)
        timeline.task_fired(task, within_s=timeline.ack_s)  # within quota, so JobScheduler starts it at once
        ended = wait_for_run_end(android, timeline, task, mark)
        timeline.stream.wait_quiet_until(ended + SESSION_GAP_S)  # the next run is a session of its own
    pytest.fail(f"{android.name}: {task!r} ran on demand {MAX_ON_DEMAND_RUNS + 1} times in bucket "
                f"{android.standby_bucket()!r} and is still within quota")


def assert_held_by_quota(android: AndroidDriver, task: str) -> None:
    job = android.find_job(task)
    assert job is not None and "WITHIN_QUOTA" in job.unsatisfied, \
        f"{android.name}: the task did not run, but its job is not out of quota: {job}"


def start_in_background(android: AndroidDriver) -> None:
    """Open the app (it schedules the job) and leave it, on battery: bucket limits apply on battery only."""
    android.unplug()
    android.launch()
    android.home()


@pytest.mark.known_kill(oem="samsung", reason=SAMSUNG_FREEZE)
@cost(lambda c: allowance_s(c, "rare") + HOLD_S + c.ack)
def test_rare_bucket_holds_the_task_to_a_daily_allowance(android: AndroidDriver, timeline: Expect, app: App) -> None:
    task = app.role(ROLE)
    start_in_background(android)
    android.set_inactive(True)
    assert android.standby_bucket() == "rare"

    assert use_up_allowance(android, timeline, task) >= 1, f"{android.name}: RARE left the task no run at all"
    timeline.reset()
    due_now(android, timeline, task)
    timeline.task_not_fired(task, during_s=HOLD_S)
    assert_held_by_quota(android, task)

    timeline.reset()
    android.set_inactive(False)  # what opening the app does to its bucket
    assert android.standby_bucket() == "active"
    timeline.task_fired(task, within_s=timeline.ack_s)


@pytest.mark.known_kill(oem="samsung", reason=SAMSUNG_FREEZE)
@cost(lambda c: allowance_s(c, "restricted") + 2 * HOLD_S + c.ack)
def test_restricted_bucket_runs_the_task_once_a_day_even_on_the_charger(android: AndroidDriver,
                                                                       timeline: Expect, app: App) -> None:
    task = app.role(ROLE)
    start_in_background(android)
    android.set_standby_bucket("restricted")
    assert android.standby_bucket() == "restricted"

    runs = use_up_allowance(android, timeline, task)
    assert runs == 1, f"{android.name}: {runs} runs of {task!r} in RESTRICTED, where jobs run once per day"
    timeline.reset()
    due_now(android, timeline, task)
    timeline.task_not_fired(task, during_s=HOLD_S)
    assert_held_by_quota(android, task)

    android.reset_battery()  # back on the charger: it lifts every bucket's limits but RESTRICTED's
    assert android.battery().plugged
    timeline.reset()
    timeline.task_not_fired(task, during_s=HOLD_S)  # the task is due: were the limit lifted, it would run at once

    timeline.reset()
    android.set_standby_bucket("active")
    timeline.task_fired(task, within_s=timeline.ack_s)
