"""What quick cells share: the OS's own test knobs, used the way a phone's developer options allow.

For scenarios (``from harness.android.knobs import due_now``); the catalogue's quick cells use them.

``due_now`` is ``cmd jobscheduler run`` without a flag (JobStatus OVERRIDE_SOFT): JobScheduler treats the job as
due and ignores its soft constraints (the timing delay, charging, idle), but not what the OS itself imposes — Doze,
background restriction, the standby bucket's quota, a stopped or frozen app. So "made due, did not run" is the OS
holding the job, and "made due, ran" is the job free to run, in seconds of device time instead of a period.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import pytest

from harness.android.driver import AndroidDriver
from harness.config import TaskConfig
from harness.logs.dumpsys import Job
from harness.logs.expect import Expect

__all__ = ["app_duration_s", "due_now", "settled_job"]

_SETTLING = ("task_end", "job_stop", "job_timeout", "work_scheduled")


class _HasTasks(Protocol):
    @property
    def tasks(self) -> Mapping[str, TaskConfig]: ...


def app_duration_s(driver: _HasTasks, task: str) -> float:
    """How long one run of the task takes (devices.toml ``duration_s``): the window for its end after its start."""
    known = driver.tasks.get(task)
    return known.duration_s if known is not None else 60.0


def settled_job(android: AndroidDriver, timeline: Expect, task: str) -> Job:
    """The task's job once it is scheduled and none of the app's jobs runs. A run in progress ends first: a job
    made due while it runs is the one that ends (WorkManager then schedules the next), and a job that is running
    when the quota is reset keeps its timing session. The phone says what runs (the log may not show yet a run
    that just started); each look that finds one waits for the next end or scheduling line."""
    for _ in range(10):
        mark = timeline.stream.mark()
        job = android.find_job(task)
        if job is not None and not android.running_jobs():
            return job
        timeline.stream.wait_for(lambda e: e.kind in _SETTLING, mark,
                                 timeline.ack_s + app_duration_s(android, task))
    pytest.fail(f"{android.name}: {task!r} has no settled job: still unscheduled or running after ten looks")


def due_now(android: AndroidDriver, timeline: Expect, task: str) -> Job:
    """Make the task's job due now (once it is settled); returns the job as JobScheduler had it."""
    job = settled_job(android, timeline, task)
    android.run_job(job, soft=True)
    return job
