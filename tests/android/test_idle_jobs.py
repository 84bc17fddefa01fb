"""Driver verbs for jobs that wait on the charger and on device idle, against the lab through the real adb server:
``find_job`` for a ``processing`` task (one of several WorkManager jobs) and ``idle_maintenance``."""

from __future__ import annotations

from harness.android import AndroidDriver
from harness.config import TaskConfig
from tests.labkit import RunningLab

NAME = "pixel-8"


def driver(lab: RunningLab) -> AndroidDriver:
    return AndroidDriver.for_device(lab.cfg, lab.cfg.device(NAME), timeout_s=20)


def test_find_job_tells_the_processing_job_from_the_background_task(lab: RunningLab) -> None:
    drv = driver(lab)
    drv.launch()
    drv.home()
    nightly, sync = drv.find_job("nightly-upload"), drv.find_job("sync-orders")
    assert nightly is not None and sync is not None and nightly.job_id != sync.job_id
    assert {"CHARGING", "IDLE"} <= set(nightly.required)
    assert not {"CHARGING", "IDLE"} & set(sync.required)
    drv.tasks = {**drv.tasks, "charging-only": TaskConfig("charging-only", "processing", requires_charging=True)}
    assert drv.find_job("charging-only") is None  # no job asks for the charger alone: not another task's job


def test_idle_maintenance_makes_the_phone_idle_for_jobs_until_the_screen_comes_on(lab: RunningLab) -> None:
    drv = driver(lab)
    drv.launch()
    drv.home()
    drv.unplug()  # keeps the upload from running, so its constraints stay visible
    drv.idle_maintenance()
    job = drv.find_job("nightly-upload")
    assert job is not None and "IDLE" in job.unsatisfied  # screen on: the trigger does nothing
    drv.screen_off()
    drv.idle_maintenance()
    job = drv.find_job("nightly-upload")
    assert job is not None and "IDLE" not in job.unsatisfied and "CHARGING" in job.unsatisfied
    assert drv.restore() == []  # screen on, back on the charger
    job = drv.find_job("nightly-upload")
    assert job is not None and "IDLE" in job.unsatisfied and "CHARGING" not in job.unsatisfied

