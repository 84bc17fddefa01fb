"""The Android driver's verbs against the lab's four phones, through the real adb server."""

from __future__ import annotations

import dataclasses

import pytest

from harness.android import AndroidDriver
from harness.config import TaskConfig
from harness.errors import CommandFailed, DeviceUnreachable, JobNotFound
from harness.logs.expect import ExpectationFailed
from tests.labkit import RunningLab

ANDROID = ("pixel-8", "xiaomi-13", "oppo-find-x6", "samsung-s23")
PKG = "com.example.courier"


def driver(lab: RunningLab, name: str) -> AndroidDriver:
    return AndroidDriver.for_device(lab.cfg, lab.cfg.device(name), timeout_s=20)


@pytest.mark.parametrize(
    ("name", "os_version", "skin"),
    [("pixel-8", "15", None), ("xiaomi-13", "14", "HyperOS OS1.0"), ("oppo-find-x6", "14", "ColorOS V14.0.0"),
     ("samsung-s23", "14", "One UI 60100")],
)
def test_identity(lab: RunningLab, name: str, os_version: str, skin: str | None) -> None:
    drv = driver(lab, name)
    assert drv.os_version() == os_version
    assert drv.skin() == skin
    assert drv.boot_completed()
    assert drv.props()["ro.product.model"] == lab.cfg.device(name).model


@pytest.mark.parametrize("name", ANDROID)
def test_app_control_and_process_state(lab: RunningLab, name: str) -> None:
    drv = driver(lab, name)
    assert drv.installed()
    drv.launch()
    state = drv.process()
    assert state.running and not state.stopped
    drv.home()
    drv.force_stop()
    state = drv.process()
    assert not state.running and state.stopped
    drv.launch()
    assert drv.process().running
    drv.home()


@pytest.mark.parametrize("name", ANDROID)
def test_doze_verbs_and_restore(lab: RunningLab, name: str) -> None:
    drv = driver(lab, name)
    drv.unplug()
    assert drv.force_idle() == "Now forced in to deep idle mode"
    assert (drv.doze_states().deep, drv.doze_states().light) == ("IDLE", "OVERRIDE")
    assert drv.battery().plugged is False
    drv.whitelist_add()
    assert drv.whitelisted()
    assert drv.restore() == []
    assert drv.doze_states().deep == "ACTIVE"
    assert drv.battery().plugged is True
    assert not drv.whitelisted()


@pytest.mark.parametrize("name", ANDROID)
def test_standby_and_background_restriction_restore(lab: RunningLab, name: str) -> None:
    drv = driver(lab, name)
    before = drv.standby_bucket()
    drv.set_standby_bucket("rare")
    assert drv.standby_bucket() == "rare"
    drv.restrict_background(True)
    assert "ignore" in lab.shell(name, f"cmd appops get {PKG} RUN_ANY_IN_BACKGROUND").stdout
    drv.restore()
    assert drv.standby_bucket() == before
    assert "allow" in lab.shell(name, f"cmd appops get {PKG} RUN_ANY_IN_BACKGROUND").stdout


def test_jobs_are_typed_and_force_stop_makes_run_fail_with_a_typed_error(lab: RunningLab) -> None:
    drv = driver(lab, "pixel-8")
    drv.launch()
    drv.home()
    job = drv.find_job("sync-orders")
    assert job is not None, drv.jobs()
    # WorkManager schedules each period as a one-off job with a minimum latency (not JobInfo.setPeriodic)
    assert (job.service or "").endswith("androidx.work.impl.background.systemjob.SystemJobService")
    assert job.namespace == "androidx.work.systemjobscheduler"  # WorkManager on API 34+
    assert drv.run_job(job) == "Running job [FORCED]"
    drv.force_stop()
    with pytest.raises(JobNotFound) as info:
        drv.run_job(job)
    assert info.value.exit_code == 23
    assert "Could not find job" in str(info.value) and "pixel-8" in str(info.value)
    drv.launch()
    drv.home()


def test_unknown_serial_is_a_clear_error(lab: RunningLab) -> None:
    dev = dataclasses.replace(lab.cfg.device("pixel-8"), serial="127.0.0.1:1")
    drv = AndroidDriver.for_device(lab.cfg, dev, timeout_s=5)
    with pytest.raises(DeviceUnreachable) as info:
        drv.os_version()
    assert "pixel-8" in str(info.value) and "127.0.0.1:1" in str(info.value)


def test_failed_command_names_device_and_command(lab: RunningLab) -> None:
    drv = driver(lab, "oppo-find-x6")
    with pytest.raises(CommandFailed) as info:
        drv._check("probe", "cat /nope")
    assert "[oppo-find-x6] cat /nope: exit 1" in str(info.value)


def test_reboot_waits_for_boot(lab: RunningLab) -> None:
    drv = driver(lab, "oppo-find-x6")
    drv.reboot(timeout_s=60)
    assert drv.boot_completed()


@pytest.mark.parametrize(("name", "reason"), [("pixel-8", "remove task"), ("xiaomi-13", "OneKeyClean")])
def test_clearing_recents_kills_the_app_with_the_skins_reason(lab: RunningLab, name: str, reason: str) -> None:
    """A swipe from recents kills the app's process on both: stock Android as ``remove task``
    (ActivityTaskSupervisor.removeTask → killProcessesForRemovedTask), MIUI's clean-up as ``OneKeyClean``."""
    drv = driver(lab, name)
    drv.launch()
    pid = drv.process().pid
    drv.clear_recents()
    kills = [line for line in lab.adb(name, "logcat", "-d", "-b", "system").stdout.splitlines()
             if "ActivityManager: Killing " in line and str(drv.package) in line]
    assert kills and kills[-1].endswith(f"): {reason}"), kills[-3:]
    # that process is gone (on this 600x lab a job may start the app again within a wall second, under a new pid)
    assert pid is not None and drv.process().pid != pid
    drv.launch()
    drv.home()


def test_a_task_killed_by_miui_fails_with_the_killer_and_the_evidence(lab: RunningLab, tmp_path) -> None:  # type: ignore[no-untyped-def]

    drv = driver(lab, "xiaomi-13")
    lab.shell("xiaomi-13", "settings put global lab.miui.screen_off_kill_delay_s 1")  # kill before any run is due
    capture, stream = drv.capture(tmp_path / "x.logcat")
    try:
        drv.launch()
        drv.home()
        drv.unplug()
        expect = drv.expect(stream)  # marked before the screen-off: the kill comes a second of device time after it
        drv.screen_off()
        # The kill first: a run the launch scheduled can start in the second between the screen-off and the kill.
        expect.killed(by="miui", within_s=3600)
        expect.reset()
        with pytest.raises(ExpectationFailed) as info:
            expect.task_fired("sync-orders", within_s=3600)
    finally:
        capture.stop()
        drv.restore()
        lab.shell("xiaomi-13", "settings delete global lab.miui.screen_off_kill_delay_s")
        drv.launch()
        drv.home()
    err = info.value
    assert err.killer == "miui"
    assert "force-stopped by miui com.example.courier" in err.reason
    assert any("Force stopping com.example.courier" in line for line in err.evidence)
    assert str(err).startswith("[xiaomi-13] task 'sync-orders' did not fire within 1h of device time")


def test_find_job_uses_the_job_id_given_in_devices_toml(lab: RunningLab) -> None:
    drv = driver(lab, "pixel-8")
    drv.launch()
    drv.home()
    worker = drv.find_job("sync-orders")
    assert worker is not None
    drv.tasks = {"nightly": TaskConfig("nightly", "job", job_id=worker.job_id)}
    found = drv.find_job("nightly")
    assert found is not None and found.job_id == worker.job_id
    drv.tasks = {"nightly": TaskConfig("nightly", "job", job_id=987_654)}
    assert drv.find_job("nightly") is None


def test_dozed_waits_for_the_deep_idle_line_and_fails_without_it(lab: RunningLab, tmp_path) -> None:  # type: ignore[no-untyped-def]

    drv = driver(lab, "pixel-8")
    capture, stream = drv.capture(tmp_path / "doze.logcat")
    try:
        drv.unplug()
        drv.screen_off()
        expect = drv.expect(stream)
        with pytest.raises(ExpectationFailed, match="deep Doze did not log IDLE"):
            expect.dozed("IDLE", within_s=30)  # nothing forced it yet: the phone is still ACTIVE or INACTIVE
        expect.reset()
        drv.force_idle()
        found = expect.dozed("IDLE", within_s=60)
        assert found.kind == "doze" and found.reason == "IDLE"
    finally:
        capture.stop()
        drv.restore()
