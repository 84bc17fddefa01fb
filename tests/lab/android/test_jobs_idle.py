"""JobScheduler's CHARGING and IDLE constraints on a virtual phone, driven like a real one over adb.

IDLE is DeviceIdlenessTracker's (AOSP ``job/controllers/idle``): the screen off for the inactivity
threshold, or ``am idle-maintenance`` (AMS.sendIdleJobTrigger → ACTION_TRIGGER_IDLE), which counts only
while the screen is off; the screen coming on ends it. Doze is not idle: a forced deep Doze defers the job.
CHARGING is BatteryController's stable power (plugged and not low). The jobs run in ``com.test.idle``,
a package this module installs; every test puts screen, battery and Doze back.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from harness.lab.android.os.contracts import JobInfo
from tests.lab.android.jobkit import NAME, Recorder, sh, wait_for
from tests.labkit import RunningLab

PKG = "com.test.idle"
SVC = f"{PKG}/{PKG}.NightlyService"
JOB = 41


def unsatisfied(lab: RunningLab) -> list[str]:
    dump = sh(lab, f"dumpsys jobscheduler {PKG}")[0]
    m = re.search(r"^    Unsatisfied constraints:(.*)$", dump, re.M)
    assert m is not None, dump
    return [name for name in m.group(1).split() if not name.startswith("[")]


@pytest.fixture
def rec(lab: RunningLab) -> Iterator[Recorder]:
    dev = lab.device(NAME)
    recorder = Recorder()
    lab.call(lambda: (dev.packages.get(PKG) or dev.packages.install(PKG), dev.jobs.register_client(PKG, recorder)))
    lab.call(lambda: dev.jobs.schedule(PKG, JobInfo(JOB, SVC, requires_charging=True, requires_device_idle=True)))
    yield recorder
    for command in ("input keyevent 224", "dumpsys deviceidle unforce", "dumpsys battery reset"):
        sh(lab, command)
    lab.call(lambda: (dev.jobs.clients.pop(PKG, None), dev.jobs.cancel_all(PKG, "test cleanup")))


@pytest.mark.parametrize(("command", "expected"), [
    ("cmd activity idle-maintenance", ("Performing idle maintenance...\n", "", 0)),
    ("am idle-maintenance", ("Performing idle maintenance...\n", "", 0)),
    ("am idle-maintenance -x", ("", "Error: Unknown option: -x\n", 255)),
])
def test_idle_maintenance_texts(lab: RunningLab, command: str, expected: tuple[str, str, int]) -> None:
    assert sh(lab, command) == expected


def test_job_waits_for_charging_and_idle_then_runs(lab: RunningLab, rec: Recorder) -> None:
    assert unsatisfied(lab) == ["IDLE"]  # plugged in, screen on
    sh(lab, "am idle-maintenance")
    assert unsatisfied(lab) == ["IDLE"]  # the trigger does nothing while the screen is on
    sh(lab, "dumpsys battery unplug")
    sh(lab, "input keyevent 223")
    sh(lab, "am idle-maintenance")
    assert unsatisfied(lab) == ["CHARGING"]
    assert rec.started == []
    sh(lab, "dumpsys battery reset")
    wait_for(lambda: rec.started == [JOB])


def test_screen_on_stops_the_running_job_and_ends_triggered_idle(lab: RunningLab, rec: Recorder) -> None:
    sh(lab, "input keyevent 223")
    sh(lab, "am idle-maintenance")
    wait_for(lambda: rec.started == [JOB])
    sh(lab, "input keyevent 224")
    wait_for(lambda: len(rec.stopped) == 1)  # IDLE lost: stopNonReadyActiveJobsLocked
    sh(lab, "input keyevent 223")  # off again: idle only after the threshold or a new trigger
    assert "IDLE" in unsatisfied(lab)


def test_forced_doze_is_not_device_idle(lab: RunningLab, rec: Recorder) -> None:
    sh(lab, "input keyevent 223")
    assert sh(lab, "dumpsys deviceidle force-idle")[0] == "Now forced in to deep idle mode\n"
    assert unsatisfied(lab) == ["IDLE"]
    sh(lab, "am idle-maintenance")
    assert unsatisfied(lab) == []  # idle now, but deep Doze defers the job even on the charger
    assert "      readyNotDozing: false\n" in sh(lab, f"dumpsys jobscheduler {PKG}")[0]
    assert rec.started == []
    sh(lab, "dumpsys deviceidle unforce")  # on the charger with the screen off Doze ends at once
    wait_for(lambda: rec.started == [JOB])
