"""OEM profiles on a ManualClock: who kills or freezes the app, with which lines, and which setting stops it."""

from __future__ import annotations

import re

from harness.lab.android.os import activity, oem
from harness.lab.clock import ManualClock
from tests.lab.android.test_activity_standins import PKG, logcat, model_device, sh

MONKEY = f"monkey -p {PKG} -c android.intent.category.LAUNCHER 1"


def _advance(dev: object, seconds: float) -> None:
    clock = dev.clock  # type: ignore[attr-defined]
    assert isinstance(clock, ManualClock)
    clock.advance(seconds)


def _to_background_screen_off(dev: object) -> int:
    sh(dev, MONKEY)  # type: ignore[arg-type]
    sh(dev, "input keyevent 3")  # type: ignore[arg-type]
    pid = activity.manager(dev).pid_of(PKG)  # type: ignore[arg-type]
    assert pid is not None
    sh(dev, "input keyevent 26")  # type: ignore[arg-type]
    return pid


def test_profiles_follow_the_device_oem() -> None:
    expected = {"pixel-8": "google", "xiaomi-13": "xiaomi", "oppo-find-x6": "oppo", "samsung-s23": "samsung"}
    for name, profile in expected.items():
        assert oem.profile_of(model_device(name)).name == profile


def test_google_screen_off_kills_nothing() -> None:
    dev = model_device("pixel-8")
    _to_background_screen_off(dev)
    _advance(dev, 4 * 3600)
    assert activity.manager(dev).pid_of(PKG) is not None


def test_xiaomi_recents_swipe_is_onekeyclean_then_zygote() -> None:
    dev = model_device("xiaomi-13")
    sh(dev, MONKEY)
    pid = activity.manager(dev).pid_of(PKG)
    sh(dev, "input keyevent 187; input swipe 540 1600 540 300 150")
    lines = logcat(dev)
    kill = next(i for i, line in enumerate(lines) if line.endswith("): OneKeyClean"))
    assert re.fullmatch(rf"ActivityManager: Killing {pid}:{PKG}/u0a\d+ \(adj \d+\): OneKeyClean", lines[kill])
    assert lines[kill + 1] == f"Zygote: Process {pid} exited due to signal 9 (Killed)"
    assert dev.jobs.job_ids(PKG)  # a kill, not a force-stop


def test_xiaomi_lock_in_recents_spares_the_app() -> None:
    dev = model_device("xiaomi-13")
    sh(dev, f"settings put secure lab.miui.lock_recents.{PKG} 1")
    sh(dev, MONKEY)
    activity.clear_recents(dev, PKG)
    assert activity.manager(dev).pid_of(PKG) is not None


def test_xiaomi_screen_off_force_stops_after_a_delay_unless_autostart_and_no_restrictions() -> None:
    dev = model_device("xiaomi-13")
    pid = _to_background_screen_off(dev)
    _advance(dev, 901)
    lines = logcat(dev)
    keeper = next(line for line in lines if line.startswith("PowerKeeper: "))
    assert f"force stop {PKG}" in keeper
    daemon = oem.profile_of(dev).daemon_pid
    assert f"ActivityManager: Force stopping {PKG} appid=10200 user=0: from pid {daemon}" in lines
    assert any(re.fullmatch(rf"ActivityManager: Killing {pid}:{PKG}/u0a200 \(adj \d+\): stop {PKG} due to from pid "
                            rf"{daemon}", line) for line in lines)
    assert dev.jobs.job_ids(PKG) == []

    dev = model_device("xiaomi-13")
    sh(dev, f"settings put secure lab.miui.autostart.{PKG} 1; "
            f"settings put secure lab.miui.battery_saver.{PKG} no_restrictions")
    _to_background_screen_off(dev)
    _advance(dev, 3600)
    assert activity.manager(dev).pid_of(PKG) is not None


def test_xiaomi_setting_change_cancels_a_pending_kill() -> None:
    dev = model_device("xiaomi-13")
    _to_background_screen_off(dev)
    _advance(dev, 60)
    sh(dev, f"settings put secure lab.miui.autostart.{PKG} 1; "
            f"settings put secure lab.miui.battery_saver.{PKG} no_restrictions")
    _advance(dev, 3600)
    assert activity.manager(dev).pid_of(PKG) is not None


def test_oppo_freezes_then_kills_unless_auto_launch() -> None:
    dev = model_device("oppo-find-x6")
    sh(dev, "settings put global lab.coloros.freeze_delay_s 120; settings put global lab.coloros.kill_delay_s 600")
    pid = _to_background_screen_off(dev)
    _advance(dev, 121)
    assert "do_freezer_trap" in sh(dev, f"ps -A | grep {PKG}").stdout
    assert sh(dev, f"pidof {PKG}").stdout == f"{pid}\n"
    assert any(line.startswith(f"OplusHansManager: freeze uid: 10200 package: {PKG}") for line in logcat(dev))
    _advance(dev, 600)
    lines = logcat(dev)
    assert any(line.startswith(f"athena: ScreenOffClean: kill {PKG}") for line in lines)
    assert any(f"Force stopping {PKG} appid=10200 user=0: from pid {oem.profile_of(dev).daemon_pid}" in line
               for line in lines)
    assert sh(dev, f"pidof {PKG}").code == 1

    dev = model_device("oppo-find-x6")
    sh(dev, f"settings put secure lab.coloros.auto_launch.{PKG} 1")
    _to_background_screen_off(dev)
    _advance(dev, 4 * 3600)
    assert activity.manager(dev).pid_of(PKG) is not None


def test_oppo_frozen_app_does_no_work_until_thawed() -> None:
    dev = model_device("oppo-find-x6")
    sh(dev, "settings put global lab.coloros.freeze_delay_s 60; settings put global lab.coloros.kill_delay_s 99999")
    _to_background_screen_off(dev)
    _advance(dev, 61)
    before = sum("task_end task=sync-orders" in line for line in logcat(dev))
    _advance(dev, 1800)
    assert sum("task_end task=sync-orders" in line for line in logcat(dev)) == before
    sh(dev, "input keyevent 26")
    assert f"OplusHansManager: unfreeze uid: 10200 package: {PKG} reason: screen on" in logcat(dev)


def test_samsung_mars_force_stops_sleeping_apps_after_screen_off() -> None:
    dev = model_device("samsung-s23")
    sh(dev, f"settings put secure lab.samsung.sleeping.{PKG} 1")
    pid = _to_background_screen_off(dev)
    _advance(dev, 601)
    lines = logcat(dev)
    assert f"ActivityManager: Force stopping {PKG} appid=10200 user=0: MARs #1" in lines
    assert any(re.fullmatch(rf"ActivityManager: Killing {pid}:{PKG}/u0a200 \(adj \d+\): stop {PKG},MARs #1", line)
               for line in lines)
    assert dev.packages.get(PKG).stopped  # type: ignore[union-attr]

    dev = model_device("samsung-s23")
    sh(dev, f"settings put secure lab.samsung.sleeping.{PKG} 1; settings put secure lab.samsung.never_sleeping.{PKG} 1")
    _to_background_screen_off(dev)
    _advance(dev, 3600)
    assert activity.manager(dev).pid_of(PKG) is not None


def test_samsung_puts_unused_apps_to_sleep_after_three_days() -> None:
    dev = model_device("samsung-s23")
    sh(dev, MONKEY)
    sh(dev, "input keyevent 3")
    _advance(dev, 3 * 86_400 + 6 * 3600)
    assert sh(dev, f"settings get secure lab.samsung.sleeping.{PKG}").stdout == "1\n"
    assert sh(dev, f"am get-standby-bucket {PKG}").stdout == "45\n"
    assert any(line.startswith("DeviceCare: AppSleepingPolicy: ") for line in logcat(dev))


def test_samsung_freecess_keeps_the_pid_but_stops_work() -> None:
    dev = model_device("samsung-s23")
    sh(dev, MONKEY)
    sh(dev, "input keyevent 3")
    pid = activity.manager(dev).pid_of(PKG)
    _advance(dev, 61)
    assert f"FreecessController: {PKG}(state: Freezeable -> Frozen, Reason: uidIdle)" in logcat(dev, "system")
    assert sh(dev, f"pidof {PKG}").stdout == f"{pid}\n"
    before = sum("task_end task=sync-orders" in line for line in logcat(dev))  # the run at +25 s, before the freeze
    _advance(dev, 3 * 900)
    assert sum("task_end task=sync-orders" in line for line in logcat(dev)) == before
    sh(dev, MONKEY)
    assert f"FreecessController: {PKG}(state: Frozen -> Initial, Reason: foreground)" in logcat(dev)
