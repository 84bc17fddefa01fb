"""``device_config`` on the virtual phones: the command through Google's adb CLI (texts, streams, exit codes), its
persistence across a reboot, the sync-disabled modes, and what DeviceIdleController and QuotaController make of
the flags (on the session lab and on ManualClock phones).

Expected texts are DeviceConfigService's (Android 14/15 era, see docs/lab-device-config.md). Every test deletes the
flags it wrote and puts the sync mode back to ``none``: the session lab is shared.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from harness.lab.android.os.devconfig import HELP
from tests.labkit import RunningLab, Shell

PHONE = "pixel-8"
REBOOTED = "oppo-find-x6"  # the reboot test takes this phone off the adb server for a while
NS = "device_idle"


def run(lab: RunningLab, command: str, name: str = PHONE) -> Shell:
    return lab.shell(name, command)


def out(lab: RunningLab, command: str, name: str = PHONE) -> tuple[str, str, int]:
    result = run(lab, command, name)
    return result.stdout, result.stderr, result.code


@pytest.fixture
def clean(lab: RunningLab) -> Iterator[None]:
    yield
    for name in (PHONE, REBOOTED):
        flags = run(lab, "device_config list", name).stdout.splitlines()
        for line in flags:
            namespace, _, rest = line.partition("/")
            run(lab, f"device_config delete {namespace} {rest.partition('=')[0]}", name)
        run(lab, "device_config set_sync_disabled_for_tests none", name)
        assert run(lab, "device_config list", name).stdout == ""


# -- the command ----------------------------------------------------------------------------------
def test_get_put_delete_list_round_trip(lab: RunningLab, clean: None) -> None:
    assert out(lab, f"device_config get {NS} inactive_to") == ("null\n", "", 0)
    assert out(lab, f"device_config put {NS} inactive_to 5000") == ("", "", 0)
    assert out(lab, "device_config put jobscheduler qc_max_session_count_rare 1 default") == ("", "", 0)
    assert out(lab, f"device_config get {NS} inactive_to") == ("5000\n", "", 0)
    assert out(lab, "cmd device_config get device_idle inactive_to") == ("5000\n", "", 0)
    assert out(lab, f"device_config put {NS} sensing_to 4000") == ("", "", 0)
    assert out(lab, f"device_config list {NS}") == ("inactive_to=5000\nsensing_to=4000\n", "", 0)
    assert out(lab, "device_config list") == ("device_idle/inactive_to=5000\ndevice_idle/sensing_to=4000\n"
                                              "jobscheduler/qc_max_session_count_rare=1\n", "", 0)
    assert out(lab, "device_config list alarm_manager") == ("", "", 0)
    assert out(lab, f"device_config delete {NS} inactive_to") == ("Successfully deleted inactive_to from device_idle\n",
                                                                  "", 0)
    assert out(lab, f"device_config delete {NS} inactive_to") == ("Failed to delete inactive_to from device_idle\n",
                                                                  "", 0)
    assert out(lab, f"device_config get {NS} inactive_to") == ("null\n", "", 0)
    assert "DeviceConfig flags:\ndevice_idle/sensing_to=4000\n" in run(lab, "dumpsys device_config").stdout


@pytest.mark.parametrize("command", ["device_config", "device_config help", "device_config -h", "cmd device_config"])
def test_help_is_printed_and_returns_minus_one(lab: RunningLab, command: str) -> None:
    assert out(lab, command) == (HELP, "", 255)


@pytest.mark.parametrize(
    ("command", "stderr"),
    [
        ("device_config frob", "Invalid command: frob\n"),
        ("device_config HELP", "Invalid command: HELP\n"),
        ("device_config override device_idle inactive_to 1", "Invalid command: override\n"),
        ("device_config get", "Bad arguments\n"),
        ("device_config get device_idle", "Bad arguments\n"),
        ("device_config get device_idle inactive_to extra", "Too many arguments\n"),
        ("device_config put device_idle inactive_to", "Bad arguments\n"),
        ("device_config put device_idle inactive_to 1 sticky", "Bad arguments\n"),
        ("device_config put device_idle inactive_to 1 default extra", "Too many arguments\n"),
        ("device_config delete device_idle", "Bad arguments\n"),
        ("device_config list device_idle extra", "Too many arguments\n"),
        ("device_config reset", "Bad arguments\n"),
        ("device_config reset everything", "Invalid reset mode: everything\n"),
        ("device_config reset trusted_defaults device_idle extra", "Too many arguments\n"),
        ("device_config set_sync_disabled_for_tests", "Bad arguments\n"),
        ("device_config set_sync_disabled_for_tests forever", "Invalid sync disabled mode: forever\n"),
        ("device_config set_sync_disabled_for_tests none extra", "Bad arguments\n"),
        ("device_config get_sync_disabled_for_tests extra", "Bad arguments\n"),
        ("device_config list_namespaces --PUBLIC", "Bad arguments\n"),
    ],
)
def test_bad_input_gets_the_services_text_on_stderr_and_255(lab: RunningLab, command: str, stderr: str) -> None:
    assert out(lab, command) == ("", stderr, 255)


def test_verbs_and_modes_ignore_case_and_default_is_the_last_word(lab: RunningLab, clean: None) -> None:
    assert out(lab, f"device_config PUT {NS} idle_to 7000 sticky DEFAULT") == ("", "", 0)
    assert out(lab, f"device_config Get {NS} idle_to") == ("7000\n", "", 0)
    assert out(lab, "device_config set_sync_disabled_for_tests Until_Reboot") == ("", "", 0)
    assert out(lab, "device_config get_sync_disabled_for_tests") == ("until_reboot\n", "", 0)


def test_reset_is_refused_to_the_shell_on_a_user_build(lab: RunningLab, clean: None) -> None:
    run(lab, f"device_config put {NS} inactive_to 5000")
    assert out(lab, f"device_config reset trusted_defaults {NS}") == (
        "", "\nException occurred while executing 'reset':\njava.lang.SecurityException: Only system, shell/root on "
            "a debuggable build can reset to trusted defaults\n", 255)
    assert out(lab, f"device_config get {NS} inactive_to") == ("5000\n", "", 0)


# -- sync modes and reboots ----------------------------------------------------------------------------
def test_sync_modes_round_trip_and_persistent_is_the_global_setting(lab: RunningLab, clean: None) -> None:
    assert out(lab, "device_config get_sync_disabled_for_tests") == ("none\n", "", 0)
    assert out(lab, "device_config set_sync_disabled_for_tests persistent") == ("", "", 0)
    assert out(lab, "device_config get_sync_disabled_for_tests") == ("persistent\n", "", 0)
    assert out(lab, "settings get global device_config_sync_disabled") == ("1\n", "", 0)
    assert out(lab, "device_config set_sync_disabled_for_tests none") == ("", "", 0)
    assert out(lab, "settings get global device_config_sync_disabled") == ("0\n", "", 0)
    assert out(lab, "device_config get_sync_disabled_for_tests") == ("none\n", "", 0)


def reboot(lab: RunningLab, name: str) -> None:
    assert lab.adb(name, "reboot").code == 0
    deadline = time.monotonic() + 60
    while lab.adb(name, "wait-for-device", "shell", "getprop sys.boot_completed", timeout_s=60).stdout.strip() != "1":
        assert time.monotonic() < deadline, f"{name} did not come back from its reboot"


def test_flags_and_the_persistent_mode_survive_a_reboot_until_reboot_does_not(lab: RunningLab, clean: None) -> None:
    run(lab, f"device_config put {NS} inactive_to 5000; device_config set_sync_disabled_for_tests until_reboot",
        REBOOTED)
    reboot(lab, REBOOTED)
    assert out(lab, f"device_config get {NS} inactive_to", REBOOTED) == ("5000\n", "", 0)
    assert out(lab, "device_config get_sync_disabled_for_tests", REBOOTED) == ("none\n", "", 0)
    run(lab, "device_config set_sync_disabled_for_tests persistent", REBOOTED)
    reboot(lab, REBOOTED)
    assert out(lab, "device_config get_sync_disabled_for_tests", REBOOTED) == ("persistent\n", "", 0)
