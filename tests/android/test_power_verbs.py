"""The driver's ``motion`` and ``reset_job_quota`` verbs against the lab, through the real adb server."""

from __future__ import annotations

import time

import pytest

from harness.android import AndroidDriver
from harness.android._power import DozeStates
from harness.logs import Job
from tests.labkit import RunningLab

ANDROID = ("pixel-8", "xiaomi-13", "oppo-find-x6", "samsung-s23")


def driver(lab: RunningLab, name: str) -> AndroidDriver:
    return AndroidDriver.for_device(lab.cfg, lab.cfg.device(name), timeout_s=20)


@pytest.mark.parametrize("name", ANDROID)
def test_motion_restarts_deep_doze_and_leaves_light_doze_alone(lab: RunningLab, name: str) -> None:
    drv = driver(lab, name)
    drv.unplug()
    drv.screen_off()
    assert drv.force_idle("light") == "Now forced in to light idle mode"
    assert drv.motion() == DozeStates(deep="INACTIVE", light="IDLE")
    assert drv.doze_states() == DozeStates(deep="INACTIVE", light="IDLE")

    drv.force_idle()  # deep IDLE takes light Doze over (OVERRIDE); motion hands both back to INACTIVE
    assert drv.motion() == DozeStates(deep="INACTIVE", light="INACTIVE")
    assert drv.restore() == []
    assert drv.doze_states() == DozeStates(deep="ACTIVE", light="ACTIVE")


def _job_when(drv: AndroidDriver, within: bool, timeout_s: float = 10.0) -> Job:
    """The app's job once WITHIN_QUOTA is (or is no longer) among its satisfied constraints."""
    deadline = time.monotonic() + timeout_s
    while True:
        job = drv.find_job("sync-orders")
        assert job is not None, drv.jobs()
        if ("WITHIN_QUOTA" in job.satisfied) == within or time.monotonic() > deadline:
            return job
        time.sleep(0.05)


def test_reset_job_quota_gives_the_app_a_fresh_allowance(lab: RunningLab) -> None:
    drv = driver(lab, "pixel-8")
    drv.launch()
    drv.home()
    drv.unplug()
    drv.set_standby_bucket("restricted")  # one timing session per 24 h
    drv.reset_job_quota()
    job = _job_when(drv, within=True)
    assert "WITHIN_QUOTA" in job.satisfied, job

    drv.run_job(job)
    job = _job_when(drv, within=False)
    assert "WITHIN_QUOTA" in job.unsatisfied, job

    drv.reset_job_quota()
    assert "WITHIN_QUOTA" in _job_when(drv, within=True).satisfied
    drv.restore()
