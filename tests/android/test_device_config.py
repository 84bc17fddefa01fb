"""The driver's device_config verbs against the lab's DeviceConfigService, through the real adb server: a put
reads the old value first, disables sync, and both are journaled and undone."""

from __future__ import annotations

import pytest

from harness.android import AndroidDriver
from harness.errors import CommandFailed
from harness.journal.replay import restore_device
from tests.labkit import RunningLab

PHONE = "samsung-s23"


def _driver(lab: RunningLab) -> AndroidDriver:
    return AndroidDriver.for_device(lab.cfg, lab.cfg.device(PHONE), timeout_s=20)


def _listing(lab: RunningLab) -> tuple[str, str]:
    return (lab.shell(PHONE, "device_config list").stdout,
            lab.shell(PHONE, "device_config get_sync_disabled_for_tests").stdout)


def test_put_and_delete_are_undone_with_the_sync_mode(lab: RunningLab) -> None:
    drv = _driver(lab)
    before = _listing(lab)
    assert drv.device_config_get("device_idle", "inactive_to") is None  # unset: the shell prints "null"
    drv.device_config_put("device_idle", "inactive_to", 60_000)
    drv.device_config_put("device_idle", "inactive_to", 30_000)  # the first change keeps the undo to "unset"
    drv.device_config_put("jobscheduler", "qc_max_job_count_rare", "2")
    assert drv.device_config_get("device_idle", "inactive_to") == "30000"
    assert drv.device_config_sync_mode() == "persistent"
    assert [e.key for e in drv.journal.pending()] == ["device_config jobscheduler qc_max_job_count_rare",
                                                      "device_config device_idle inactive_to", "device_config sync"]
    assert drv.restore() == []
    assert _listing(lab) == before
    assert drv.device_config_get("device_idle", "inactive_to") is None


def test_a_value_that_was_set_is_put_back_after_a_killed_run(lab: RunningLab) -> None:
    lab.shell(PHONE, "device_config put alarm_manager min_futurity 5000")
    try:
        before = _listing(lab)
        drv = _driver(lab)
        drv.device_config_delete("alarm_manager", "min_futurity")
        assert drv.device_config_get("alarm_manager", "min_futurity") is None
        del drv  # no teardown: the next lease puts it back from the journal
        assert restore_device(lab.cfg, lab.cfg.device(PHONE)) == []
        assert _listing(lab) == before
    finally:
        lab.shell(PHONE, "device_config delete alarm_manager min_futurity")


@pytest.mark.parametrize("namespace, key", [("device_idle", "inactive_to; reboot"), ("", "inactive_to")])
def test_a_name_that_is_not_a_flag_is_refused_before_the_phone_sees_it(lab: RunningLab, namespace: str,
                                                                        key: str) -> None:
    drv = _driver(lab)
    with pytest.raises(CommandFailed, match=r"\[samsung-s23\] device_config .*is not a DeviceConfig name"):
        drv.device_config_put(namespace, key, "1")
    assert drv.history == []
