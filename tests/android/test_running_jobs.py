"""``running_jobs``: the jobs JobScheduler is running now, from ``dumpsys jobscheduler``'s ``Active jobs:`` slots,
through the real adb server. A slow lab clock keeps the one-minute upload job running long enough to look at."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.android import AndroidDriver
from tests.labkit import RunningLab
from tests.labkit import test_config as lab_config

TASK = "nightly-upload"  # devices.toml: duration_s = 60


@pytest.fixture(scope="module")
def slow_lab() -> Iterator[RunningLab]:
    running = RunningLab(lab_config(clock_rate=20, names=("pixel-8",)))  # the 60 s job runs for 3 s of wall time
    running.thread.start()
    try:
        yield running
    finally:
        running.thread.stop()


def test_a_forced_job_is_running_until_it_finishes(slow_lab: RunningLab, tmp_path: Path) -> None:
    drv = AndroidDriver.for_device(slow_lab.cfg, slow_lab.cfg.device("pixel-8"), timeout_s=20)
    capture, stream = drv.capture(tmp_path / "logcat.txt")
    try:
        drv.launch()
        drv.home()
        job = drv.find_job(TASK)
        assert job is not None, drv.jobs()
        assert job not in drv.running_jobs()
        timeline = drv.expect(stream)
        drv.run_job(job)
        timeline.task_fired(TASK, within_s=60)
        assert [(j.uid, j.job_id) for j in drv.running_jobs()] == [(job.uid, job.job_id)]
        ended = stream.wait_for(lambda e: e.kind == "task_end" and e.task == TASK, timeline.mark, 5 * 60)
        assert ended is not None
        stream.wait_for(lambda e: e.kind == "work_result", timeline.mark, 60)  # jobFinished follows the result
        assert drv.running_jobs() == []
    finally:
        capture.stop()
