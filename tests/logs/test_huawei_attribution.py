"""Huawei (EMUI / HarmonyOS) kill and freeze attribution, one table row per wording.

The ``ash`` rows are verbatim lines of field captures (a108: AltBeacon/android-beacon-library#778, P20 lite; a039:
transistorsoft/flutter_background_fetch#83). The ``AppManager`` rows use the wording of PowerGenie's
``AppManager.forceStopApp`` (``"Force stop:" + pkg + " Reason:" + reason``, decompiled; no public thread shows it
printed), followed by AOSP's force-stop lines from PowerGenie's pid, as the lab's huawei profile writes them.
"""

from __future__ import annotations

import pytest

from harness.logs.android_events import android_events
from harness.logs.logcat import parse_logcat

Row = tuple[str, str | None, str | None]

PG = "01-10 22:41:0{s}.{ms:03d}  3120  3151 I {tag}: {msg}\n"
AM = "01-10 22:41:0{s}.{ms:03d}  1416  1433 I ActivityManager: {msg}\n"
APP = "com.example.courier"


def pg(s: int, ms: int, tag: str, msg: str) -> str:
    return PG.format(s=s, ms=ms, tag=tag, msg=msg)


def am(s: int, ms: int, msg: str) -> str:
    return AM.format(s=s, ms=ms, msg=msg)


SCREEN_OFF_CLEAN = (pg(3, 2, "ScreenLockClean", "Screen Off get Clean Apps Num:1 expend time(ms):3")
                    + pg(4, 10, "AppManager", f"Force stop:{APP} Reason:Screen Off Clean")
                    + am(4, 12, f"Force stopping {APP} appid=10200 user=0: from pid 3120")
                    + am(4, 13, f"Killing 4539:{APP}/u0a200 (adj 700): stop {APP} due to from pid 3120")
                    + pg(4, 30, "ScreenLockClean", "Screen Off Clean Apps Num:1 expend time(ms):12"))

CASES: dict[str, tuple[str, list[Row]]] = {
    "screen-off clean: PowerGenie's line, then AMS from its pid": (
        SCREEN_OFF_CLEAN, [("force_stop", APP, "huawei"), ("kill", APP, "huawei")]),
    "an app's own AppManager tag saying something else is nobody's kill": (
        pg(4, 10, "AppManager", f"Force stop requested for {APP}"), []),
    "ash moving an app to hibernation freezes it (field a108)": (
        "11-20 17:51:46.619 1825-2511/? I/ash: org.altbeacon.beaconreference { doze duration=6026 "
        "UptimeDuration=6026 } transition to: hibernation reason:\n",
        [("freeze", "org.altbeacon.beaconreference", "huawei")]),
    "ash moving an app to doze is no freeze (field a039)": (
        "02-26 17:23:40.591 I/ash     ( 2031): com.example.app { hibernation duration=1752421 "
        "UptimeDuration=347624 } transition to: doze reason:be_called_bindservice\n", []),
    "ash ignoring the front app is no freeze (field a108)": (
        "11-20 17:51:46.617 1825-2511/? I/ash: ignore front app :org.altbeacon.beaconreference screen off:12032ms\n",
        []),
}


@pytest.mark.parametrize(("text", "expected"), list(CASES.values()), ids=list(CASES))
def test_huawei_lines(text: str, expected: list[Row]) -> None:
    events = android_events(parse_logcat(text, year=2024).lines)
    assert [(e.kind, e.package, e.killer) for e in events if e.kind in ("kill", "force_stop", "freeze")] == expected


def test_the_force_stop_names_powergenies_reason() -> None:
    events = android_events(parse_logcat(SCREEN_OFF_CLEAN, year=2024).lines)
    stop = next(e for e in events if e.kind == "force_stop")
    assert stop.reason == "from pid 3120"
    assert stop.line == 3  # AMS's line carries the event; PowerGenie's only names who asked
