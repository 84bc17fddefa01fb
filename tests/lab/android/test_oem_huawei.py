"""Huawei's PowerGenie on a ManualClock: the screen-off clean-up, its lines, and what spares an app."""

from __future__ import annotations

import re

from harness.lab.android.device import AndroidDevice
from harness.lab.android.os import activity, oem
from harness.lab.clock import ManualClock
from tests.lab.android.test_activity_standins import PKG, logcat, model_device, sh

MONKEY = f"monkey -p {PKG} -c android.intent.category.LAUNCHER 1"


def _advance(dev: AndroidDevice, seconds: float) -> None:
    clock = dev.clock
    assert isinstance(clock, ManualClock)
    clock.advance(seconds)


def _background_then_screen_off(dev: AndroidDevice, *, screen_on_s: float = 30.0) -> int:
    sh(dev, MONKEY)
    sh(dev, "input keyevent 3")
    pid = activity.manager(dev).pid_of(PKG)
    assert pid is not None
    _advance(dev, screen_on_s)
    sh(dev, "input keyevent 26")
    return pid


def test_the_p60_runs_the_huawei_profile_and_reports_its_android_base() -> None:
    dev = model_device("huawei-p60")
    assert oem.profile_of(dev).name == "huawei"
    assert sh(dev, "getprop ro.product.manufacturer").stdout == "HUAWEI\n"
    assert sh(dev, "getprop ro.build.version.release").stdout == "12\n"
    assert sh(dev, "getprop ro.build.version.sdk").stdout == "31\n"
    assert sh(dev, "getprop ro.build.version.emui").stdout == "EmotionUI_14.0.0\n"


def test_screen_off_clean_force_stops_a_background_app_three_seconds_later() -> None:
    dev = model_device("huawei-p60")
    pid = _background_then_screen_off(dev)
    _advance(dev, 2.9)
    assert activity.manager(dev).pid_of(PKG) == pid  # the 2 s + 1 s of ScreenLockClean have not passed
    _advance(dev, 0.2)
    lines = logcat(dev)
    daemon = oem.profile_of(dev).daemon_pid
    start = lines.index("ScreenLockClean: Screen Off get Clean Apps Num:1 expend time(ms):3")
    assert lines[start + 1] == f"AppManager: Force stop:{PKG} Reason:Screen Off Clean"
    assert lines[start + 2] == f"ActivityManager: Force stopping {PKG} appid=10200 user=0: from pid {daemon}"
    assert any(re.fullmatch(rf"ActivityManager: Killing {pid}:{PKG}/u0a200 \(adj \d+\): stop {PKG} due to from pid "
                            rf"{daemon}", line) for line in lines)
    assert "ScreenLockClean: Screen Off Clean Apps Num:1 expend time(ms):12" in lines
    assert activity.manager(dev).pid_of(PKG) is None
    assert dev.jobs.job_ids(PKG) == []  # a force-stop: the app's jobs are gone until it is opened


def test_the_powergenie_process_is_the_requester() -> None:
    dev = model_device("huawei-p60")
    daemon = oem.profile_of(dev).daemon_pid
    assert daemon is not None
    assert "com.huawei.powergenie" in sh(dev, "ps -A").stdout


def test_manage_manually_spares_the_app() -> None:
    dev = model_device("huawei-p60")
    sh(dev, f"settings put secure lab.huawei.manage_manually.{PKG} 1")
    pid = _background_then_screen_off(dev)
    _advance(dev, 3600)
    assert activity.manager(dev).pid_of(PKG) == pid
    assert not any(line.startswith("AppManager: ") for line in logcat(dev))


def test_the_app_on_top_at_screen_off_is_spared() -> None:
    dev = model_device("huawei-p60")
    sh(dev, MONKEY)
    pid = activity.manager(dev).pid_of(PKG)
    _advance(dev, 30)
    sh(dev, "input keyevent 26")
    _advance(dev, 3600)
    assert activity.manager(dev).pid_of(PKG) == pid


def test_a_screen_off_within_ten_seconds_of_screen_on_cleans_nothing() -> None:
    dev = model_device("huawei-p60")
    sh(dev, "input keyevent 26")  # off, then on again: the 10 s count starts here
    _advance(dev, 60)
    sh(dev, "input keyevent 26")
    pid = _background_then_screen_off(dev, screen_on_s=5)
    _advance(dev, 3600)
    assert activity.manager(dev).pid_of(PKG) == pid


def test_the_screen_coming_back_on_cancels_the_pending_clean() -> None:
    dev = model_device("huawei-p60")
    pid = _background_then_screen_off(dev)
    _advance(dev, 1)
    sh(dev, "input keyevent 26")
    _advance(dev, 3600)
    assert activity.manager(dev).pid_of(PKG) == pid
