"""OEM killers on lab phones through adb: the kill or freeze, its logcat signature, the setting that stops it."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest

from tests.labkit import RunningLab

PKG = "com.example.courier"
MONKEY = f"monkey -p {PKG} -c android.intent.category.LAUNCHER 1"
# (phone, settings that make the policy act within seconds of wall time, the exempting setting, signature)
CASES = [
    ("xiaomi-13", "settings put global lab.miui.screen_off_kill_delay_s 60",
     f"settings put secure lab.miui.autostart.{PKG} 1; settings put secure lab.miui.battery_saver.{PKG} "
     "no_restrictions", r"I PowerKeeper: SleepModeClean: .* force stop " + PKG + r" .*\n(.*\n)*?"
     r".* I ActivityManager: Killing {pid}:" + PKG + r"/u0a\d+ \(adj \d+\): stop " + PKG + r" due to from pid \d+$"),
    ("oppo-find-x6",
     # the kill comes an hour after the freeze, so a loaded machine cannot race past the frozen state
     "settings put global lab.coloros.freeze_delay_s 30; settings put global lab.coloros.kill_delay_s 3600",
     f"settings put secure lab.coloros.auto_launch.{PKG} 1",
     r"I OplusHansManager: freeze uid: \d+ package: " + PKG + " reason: screen off$"),
    ("samsung-s23",
     f"settings put secure lab.samsung.sleeping.{PKG} 1; settings put global lab.samsung.mars_delay_s 60",
     f"settings put secure lab.samsung.never_sleeping.{PKG} 1",
     r"I ActivityManager: Killing {pid}:" + PKG + r"/u0a\d+ \(adj \d+\): stop " + PKG + ",MARs #1$"),
]
KEYS = ("global lab.miui.screen_off_kill_delay_s", f"secure lab.miui.autostart.{PKG}",
        f"secure lab.miui.battery_saver.{PKG}", "global lab.coloros.freeze_delay_s", "global lab.coloros.kill_delay_s",
        f"secure lab.coloros.auto_launch.{PKG}", f"secure lab.samsung.sleeping.{PKG}",
        "global lab.samsung.mars_delay_s", f"secure lab.samsung.never_sleeping.{PKG}")


@pytest.fixture
def restore(lab: RunningLab) -> Iterator[RunningLab]:
    yield lab
    for name in ("xiaomi-13", "oppo-find-x6", "samsung-s23"):
        lab.shell(name, "; ".join(f"settings delete {key}" for key in KEYS))
        lab.shell(name, f"input keyevent 224; am force-stop {PKG}")


def _background_then_screen_off(lab: RunningLab, name: str) -> str:
    lab.shell(name, f"input keyevent 224; {MONKEY}; input keyevent 3")
    pid = lab.shell(name, f"pidof {PKG}").stdout.strip()
    lab.shell(name, "input keyevent 223")
    return pid


def _until(check: object, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize(("name", "fast", "exempt", "signature"), CASES, ids=[c[0] for c in CASES])
def test_oem_policy_acts_after_screen_off_until_the_setting_exempts_the_app(
        restore: RunningLab, name: str, fast: str, exempt: str, signature: str) -> None:
    lab = restore
    lab.shell(name, fast)
    # The process started below has a pid no earlier kill can carry: its kill line is the new one.
    seen = 0
    pid = _background_then_screen_off(lab, name)
    pattern = signature.replace("{pid}", pid)
    assert _until(lambda: len(re.findall(pattern, lab.adb(name, "logcat", "-d").stdout, re.M)) > seen, 10.0), pattern
    if "freeze" in signature:  # ColorOS keeps the pid while frozen
        assert "do_freezer_trap" in lab.shell(name, f"ps -A | grep {PKG}").stdout
        assert lab.shell(name, f"pidof {PKG}").stdout.strip() == pid
    else:
        assert lab.shell(name, f"pidof {PKG}").code == 1
    lab.shell(name, exempt)
    lab.shell(name, "input keyevent 224; am force-stop " + PKG)
    pid = _background_then_screen_off(lab, name)
    time.sleep(0.6)  # 360 s of device time: longer than every delay set above
    ps = lab.shell(name, f"ps -A | grep {PKG}").stdout
    assert pid and pid in ps and "do_freezer_trap" not in ps


def test_xiaomi_recents_swipe_logs_onekeyclean(restore: RunningLab) -> None:
    lab = restore
    lab.shell("xiaomi-13", MONKEY)
    pid = lab.shell("xiaomi-13", f"pidof {PKG}").stdout.strip()
    lab.shell("xiaomi-13", "input keyevent 187; input swipe 540 1600 540 300 150")
    assert lab.shell("xiaomi-13", f"pidof {PKG}").code == 1
    log = lab.adb("xiaomi-13", "logcat", "-d").stdout
    assert re.search(rf"I ActivityManager: Killing {pid}:{PKG}/u0a\d+ \(adj \d+\): OneKeyClean\n"
                     rf".* I Zygote  : Process {pid} exited due to signal 9 \(Killed\)$", log, re.M)
