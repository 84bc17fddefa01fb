"""``device_config`` on the virtual phones: the command through Google's adb CLI (texts, streams, exit codes), its
persistence across a reboot, the sync-disabled modes, and what DeviceIdleController and QuotaController make of
the flags (on the session lab and on ManualClock phones).

Expected texts are DeviceConfigService's (Android 14/15 era, see docs/lab-device-config.md). Every test deletes the
flags it wrote and puts the sync mode back to ``none``: the session lab is shared.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from functools import partial

import pytest

from harness.lab.android.device import AndroidDevice
from harness.lab.android.os.contracts import JobInfo
from harness.lab.android.os.devconfig import HELP, store_of
from harness.lab.android.os.jobs.alarms import AlarmManager
from harness.lab.android.os.jobs.jobscheduler import JobScheduler
from harness.lab.android.os.power import LabPower
from harness.lab.android.shell.runtime import Input, Invocation, Output, run_script
from harness.lab.clock import ManualClock
from harness.lab.runner import build_android
from tests import labkit
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
        # mInactiveTimeout keeps the inactive_to of the last becomeActive: leave ACTIVE and come back so the
        # next test on this shared phone gets the default again.
        run(lab, "dumpsys battery unplug; input keyevent KEYCODE_SLEEP; input keyevent KEYCODE_WAKEUP; "
                 "dumpsys battery reset", name)
        assert "  mInactiveTimeout=+30m0s0ms\n" in run(lab, "dumpsys deviceidle", name).stdout


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
    # DeviceIdleController reads the whole namespace when it starts: the flag is live after the reboot.
    assert "    inactive_to=+5s0ms\n" in run(lab, "dumpsys deviceidle", REBOOTED).stdout


# -- the device_idle flags on a ManualClock phone ---------------------------------------------------------
FAST = {"inactive_to": 5000, "idle_after_inactive_to": 5000, "sensing_to": 5000, "locating_to": 5000}


class ModelPhone:
    """A virtual phone on a manual clock, driven through its own shell; records deep states in device seconds."""

    def __init__(self, name: str = PHONE) -> None:
        cfg = labkit.test_config(names=(name,))
        self.clock = ManualClock()
        self.dev: AndroidDevice = build_android(cfg, cfg.device(name), clock=self.clock)
        assert isinstance(self.dev.power, LabPower)
        assert isinstance(self.dev.jobs, JobScheduler) and isinstance(self.dev.alarms, AlarmManager)
        self.power: LabPower = self.dev.power
        self.jobs, self.alarms = self.dev.jobs, self.dev.alarms  # the concrete models: the tests read their state
        self.t0 = self.clock.now()
        self.deep: list[tuple[float, str]] = []
        self.power.on_change(self._record)

    def _record(self, what: str) -> None:
        if what == "deep":
            self.deep.append((round(self.clock.now() - self.t0, 3), self.power.deep_state()))

    def sh(self, line: str) -> tuple[str, str, int]:
        stdout, stderr = bytearray(), bytearray()
        inv = Invocation(["sh"], self.dev, Input.of(b""), Output(stdout.extend), Output(stderr.extend), env={"?": "0"})
        code = asyncio.run(run_script(line, inv))
        return stdout.decode(), stderr.decode(), code

    def settings(self) -> str:
        dump = self.sh("dumpsys deviceidle")[0]
        return dump[dump.index("  Settings:"):dump.index("\n  ", dump.index("    use_mode_manager"))]

    def reboot(self) -> None:
        self.dev.shutdown()
        self.clock.advance(30)
        self.dev.boot()
        self.t0, self.deep = self.clock.now(), []

    def unplug_and_screen_off(self) -> None:
        self.sh("dumpsys battery unplug; input keyevent KEYCODE_SLEEP")

    def times(self, state: str) -> list[float]:
        return [t for t, s in self.deep if s == state]


def put_all(phone: ModelPhone, flags: dict[str, int]) -> None:
    for key, value in flags.items():
        assert phone.sh(f"device_config put {NS} {key} {value}") == ("", "", 0)


def test_a_put_changes_the_settings_dump_and_a_delete_restores_the_default() -> None:
    phone = ModelPhone()
    assert "    idle_to=+1h0m0s0ms\n" in phone.settings()
    phone.sh(f"device_config put {NS} idle_to 120000")
    assert "    idle_to=+2m0s0ms\n" in phone.settings()
    phone.sh(f"device_config put {NS} idle_factor 1.5f")
    assert "    idle_factor=1.5\n" in phone.settings()  # Float.parseFloat takes the f suffix
    phone.sh(f"device_config put {NS} light_idle_factor 0.5")
    assert "    light_idle_factor=1.0\n" in phone.settings()  # Math.max(1, …)
    phone.sh(f"device_config put {NS} light_idle_factor lots")
    assert "    light_idle_factor=2.0\n" in phone.settings()  # unparsable: the default
    phone.sh(f"device_config delete {NS} light_idle_factor")
    assert "    light_idle_factor=2.0\n" in phone.settings()


def test_each_change_recomputes_from_the_changed_keys_only_so_an_earlier_put_falls_back() -> None:
    # DIC-new hands the mediator only the callback's keys: the second put drops the first one from the live
    # constants, while device_config still stores both.
    phone = ModelPhone()
    put_all(phone, {"inactive_to": 5000, "sensing_to": 6000})
    assert phone.sh(f"device_config list {NS}")[0] == "inactive_to=5000\nsensing_to=6000\n"
    settings = phone.settings()
    assert "    inactive_to=+30m0s0ms\n" in settings
    assert "    sensing_to=+6s0ms\n" in settings


def test_on_android_14_puts_accumulate_and_the_setting_string_is_not_read() -> None:
    phone = ModelPhone("xiaomi-13")  # Android 14: the 13-era per-key onPropertiesChanged
    put_all(phone, {"inactive_to": 5000, "sensing_to": 6000})
    phone.sh("settings put global device_idle_constants idle_to=180000")
    settings = phone.settings()
    assert "    inactive_to=+5s0ms\n" in settings and "    sensing_to=+6s0ms\n" in settings
    assert "    idle_to=+1h0m0s0ms\n" in settings
    phone.sh(f"device_config delete {NS} inactive_to")
    assert "    inactive_to=+30m0s0ms\n" in phone.settings() and "    sensing_to=+6s0ms\n" in phone.settings()


def test_after_a_reboot_every_flag_is_live_and_deep_idle_comes_within_seconds() -> None:
    phone = ModelPhone()
    put_all(phone, FAST)
    phone.reboot()
    settings = phone.settings()
    assert all(f"    {key}=+5s0ms\n" in settings for key in FAST), settings
    phone.unplug_and_screen_off()
    phone.clock.advance(60)
    # INACTIVE at 0, IDLE_PENDING after inactive_to, SENSING after idle_after_inactive_to, LOCATING after
    # sensing_to, IDLE when locating_to ends without a fix.
    assert [(t, s) for t, s in phone.deep if s != "ACTIVE"][:5] == [
        (0.0, "INACTIVE"), (5.0, "IDLE_PENDING"), (10.0, "SENSING"), (15.0, "LOCATING"), (20.0, "IDLE")]


def test_the_inactive_timeout_is_taken_when_the_phone_last_became_active() -> None:
    phone = ModelPhone()
    phone.sh("settings put global device_idle_constants " + ",".join(f"{k}={v}" for k, v in FAST.items()))
    assert all(f"    {key}=+5s0ms\n" in phone.settings() for key in FAST)
    phone.unplug_and_screen_off()  # ACTIVE since boot: mInactiveTimeout is still 30 min
    phone.clock.advance(60)
    assert phone.power.deep_state() == "INACTIVE"
    phone.sh("input keyevent KEYCODE_WAKEUP")  # becomeActiveLocked takes the new inactive_to
    start = round(phone.clock.now() - phone.t0, 3)
    phone.sh("input keyevent KEYCODE_SLEEP")
    phone.clock.advance(60)
    assert [round(t - start, 3) for t in phone.times("IDLE")][:1] == [20.0]
    phone.sh("settings delete global device_idle_constants")
    assert "    inactive_to=+30m0s0ms\n" in phone.settings()


def test_the_setting_string_wins_over_a_flag_key_by_key() -> None:
    phone = ModelPhone()
    put_all(phone, {"idle_to": 120000})
    phone.sh("settings put global device_idle_constants idle_to=180000,sensing_to=7000")
    settings = phone.settings()
    assert "    idle_to=+3m0s0ms\n" in settings and "    sensing_to=+7s0ms\n" in settings
    phone.sh("settings put global device_idle_constants sensing_to")  # one bad pair empties the whole map
    assert "    idle_to=+2m0s0ms\n" in phone.settings()


def test_on_a_debuggable_build_reset_goes_back_to_put_defaults_and_deletes_the_rest() -> None:
    phone = ModelPhone()
    phone.dev.props["ro.debuggable"] = "1"  # a userdebug build (the lab's phones are user builds)
    phone.sh(f"device_config put {NS} idle_to 120000 default; device_config put {NS} idle_to 60000; "
             f"device_config put {NS} sensing_to 7000; device_config put alarm_manager standby_quota_rare 3")
    assert phone.sh(f"device_config reset untrusted_defaults {NS}") == ("", "", 0)
    assert phone.sh("device_config list")[0] == "alarm_manager/standby_quota_rare=3\ndevice_idle/idle_to=120000\n"


def test_until_reboot_ends_at_the_reboot_and_a_bulk_sync_is_refused_meanwhile() -> None:
    phone = ModelPhone()
    store = store_of(phone.dev)
    assert store is not None
    phone.sh("device_config set_sync_disabled_for_tests until_reboot")
    assert not store.set_properties(NS, {"idle_to": "1000"})
    assert phone.sh(f"device_config get {NS} idle_to")[0] == "null\n"
    phone.reboot()
    assert phone.sh("device_config get_sync_disabled_for_tests")[0] == "none\n"
    assert store.set_properties(NS, {"idle_to": "1000"})
    assert phone.sh(f"device_config list {NS}")[0] == "idle_to=1000\n"
    phone.sh("device_config set_sync_disabled_for_tests persistent")
    phone.reboot()
    assert not store.set_properties(NS, {})
    assert phone.sh(f"device_config list {NS}")[0] == "idle_to=1000\n"


# -- the same through adb on the session lab --------------------------------------------------------------
def test_shortened_timeouts_bring_deep_idle_within_seconds_of_device_time(lab: RunningLab, clean: None) -> None:
    name = REBOOTED
    run(lab, "; ".join(f"device_config put {NS} {key} {value}" for key, value in FAST.items()), name)
    reboot(lab, name)  # Constants() reads the whole namespace at boot (on 15 separate puts keep only the last key)
    settings = run(lab, "dumpsys deviceidle", name).stdout
    assert all(f"    {key}=+5s0ms\n" in settings for key in FAST), settings
    try:
        run(lab, "logcat -b events -c; dumpsys battery unplug; input keyevent KEYCODE_SLEEP", name)
        deadline = time.monotonic() + 30
        while run(lab, "dumpsys deviceidle get deep", name).stdout != "IDLE\n":
            assert time.monotonic() < deadline, "deep Doze never reached IDLE"
        events = run(lab, "logcat -b events -d -v epoch -s device_idle", name).stdout
    finally:
        run(lab, "input keyevent KEYCODE_WAKEUP; dumpsys battery reset", name)
    stamps = {int(m.group(2)): float(m.group(1)) for m in re.finditer(r"^\s*(\d+\.\d+) .*device_idle: \[(\d),",
                                                                      events, re.MULTILINE)}
    # INACTIVE → IDLE takes 4 × 5 s of device time (exactly so on the ManualClock phone above); the session lab's
    # timers fire a little late on a loaded machine at 600×, so the bound here is only "minutes, not an hour".
    assert 20.0 <= stamps[5] - stamps[1] < 300.0, events
    assert sorted(stamps, key=stamps.__getitem__) == [1, 2, 3, 4, 5], events


# -- the jobscheduler flags: QuotaController ---------------------------------------------------------------
JOBS_PKG = "com.test.jobs"


def rare_phone() -> ModelPhone:
    """A phone on battery with ``com.test.jobs`` in the RARE bucket (its jobs finish as soon as they start)."""
    phone = ModelPhone()
    phone.dev.packages.install(JOBS_PKG)
    assert phone.sh(f"dumpsys battery unplug; am set-standby-bucket {JOBS_PKG} rare")[2] == 0
    return phone


def sessions_run(phone: ModelPhone, jobs: int) -> int:
    """Schedule ``jobs`` one-shot jobs 30 s apart (each its own timing session); how many ran within the hour."""
    for job_id in range(1, jobs + 1):
        phone.dev.jobs.schedule(JOBS_PKG, JobInfo(job_id, f"{JOBS_PKG}/.TestJobService"))
        phone.clock.advance(30)
    phone.clock.advance(3600 - 30 * jobs)
    return sum(1 for _, js in phone.jobs.completed if js.package == JOBS_PKG)


def test_rare_apps_get_three_sessions_by_default_and_one_once_the_flag_says_so() -> None:
    assert sessions_run(rare_phone(), 4) == 3
    phone = rare_phone()
    assert phone.sh("device_config put jobscheduler qc_max_session_count_rare 1") == ("", "", 0)
    assert "    qc_max_session_count_rare=1\n" in phone.sh("dumpsys jobscheduler")[0]
    assert sessions_run(phone, 4) == 1
    assert "Unsatisfied constraints: WITHIN_QUOTA" in phone.sh(f"dumpsys jobscheduler {JOBS_PKG}")[0]


def test_a_changed_limit_applies_at_once_and_is_clamped_like_quota_controller() -> None:
    phone = rare_phone()
    phone.sh("device_config put jobscheduler qc_max_session_count_rare 0")  # at least MIN_BUCKET_SESSION_COUNT (1)
    assert "    qc_max_session_count_rare=0\n" in phone.sh("dumpsys jobscheduler")[0]
    assert sessions_run(phone, 2) == 1
    # Raising the limit re-evaluates the waiting job now, not at its next quota check.
    phone.sh("device_config put jobscheduler qc_max_session_count_rare 5")
    phone.clock.advance(1)
    assert sum(1 for _, js in phone.jobs.completed if js.package == JOBS_PKG) == 2
    phone.sh("device_config delete jobscheduler qc_max_session_count_rare")
    assert "    qc_max_session_count_rare=3\n" in phone.sh("dumpsys jobscheduler")[0]


def test_a_window_key_rereads_its_whole_group_and_a_bad_value_reads_as_the_default() -> None:
    phone = rare_phone()
    phone.sh("device_config put jobscheduler qc_allowed_time_per_period_rare_ms 60000")
    phone.sh("device_config put jobscheduler qc_window_size_rare_ms soon")
    dump = phone.sh("dumpsys jobscheduler")[0]
    assert "    qc_allowed_time_per_period_rare_ms=60000\n" in dump  # the group is read as a set: still there
    assert "    qc_window_size_rare_ms=86400000\n" in dump
    quota = phone.jobs.quota.c
    assert (quota.allowed_s[3], quota.window_s[3]) == (60.0, 86_400.0)


# -- the alarm_manager flags: AlarmManager's app-standby quotas ---------------------------------------------
def alarms_delivered(phone: ModelPhone, count: int, within_s: float) -> int:
    fired: list[str] = []
    for i in range(count):
        phone.alarms.set(JOBS_PKG, f"tick{i}", 60.0 * (i + 1), partial(fired.append, f"tick{i}"))
    phone.clock.advance(within_s)
    return len(fired)


def test_a_rare_app_gets_one_alarm_an_hour_until_standby_quota_rare_says_more() -> None:
    assert alarms_delivered(rare_phone(), 3, 30 * 60) == 1
    phone = rare_phone()
    assert phone.sh("device_config put alarm_manager standby_quota_rare 3") == ("", "", 0)
    assert "    standby_quota_rare=3\n" in phone.sh("dumpsys alarm")[0]
    assert alarms_delivered(phone, 3, 30 * 60) == 3


def test_a_missing_quota_defaults_to_the_lesser_of_the_bucket_above_and_the_window_is_capped() -> None:
    phone = rare_phone()
    phone.sh("device_config put alarm_manager standby_quota_working 1; "
             "device_config put alarm_manager app_standby_window 7200000")
    settings = phone.sh("dumpsys alarm")[0]
    assert ("    app_standby_window=+1h0m0s0ms\n    standby_quota_active=720\n    standby_quota_working=1\n"
            "    standby_quota_frequent=1\n    standby_quota_rare=1\n    standby_quota_never=0\n"
            "    standby_quota_restricted=1\n    app_standby_restricted_window=+1d0h0m0s0ms\n") in settings
