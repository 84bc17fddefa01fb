"""ActivityManager on a ManualClock: process states, kills and their log lines, recents, reboots, dumps."""

from __future__ import annotations

import re

from harness.lab.android.os import activity
from harness.lab.clock import ManualClock
from tests.lab.android.test_activity_standins import PKG, logcat, model_device, sh

MONKEY = f"monkey -p {PKG} -c android.intent.category.LAUNCHER 1"


def _clock(dev: object) -> ManualClock:
    clock = dev.clock  # type: ignore[attr-defined]
    assert isinstance(clock, ManualClock)
    return clock


def _state(dev: object) -> tuple[int, str]:
    rec = activity.manager(dev).record(PKG)  # type: ignore[arg-type]
    assert rec is not None
    return rec.proc.adj, rec.proc.proc_state


def test_launch_home_and_cache_walk_the_oom_ladder() -> None:
    dev = model_device("pixel-8")
    assert sh(dev, MONKEY).code == 0
    assert _state(dev) == (0, "TOP")
    assert activity.manager(dev).in_foreground(PKG)
    sh(dev, "input keyevent 3")
    assert _state(dev) == (700, "LAST")
    _clock(dev).advance(61)
    adj, state = _state(dev)
    assert state == "CAC" and 900 <= adj <= 999
    start = next(line for line in logcat(dev) if line.startswith("ActivityManager: Start proc"))
    assert re.fullmatch(rf"ActivityManager: Start proc \d+:{PKG}/u0a\d+ for pre-top-activity "
                        rf"\{{{PKG}/{PKG}.MainActivity\}}", start), start
    assert any(re.fullmatch(rf"am_proc_start: \[0,\d+,10\d\d\d,{PKG},pre-top-activity,\{{{PKG}/{PKG}"
                            r"\.MainActivity\}\]", line) for line in logcat(dev, "events"))


def test_screen_off_pauses_the_top_app() -> None:
    dev = model_device("pixel-8")
    sh(dev, MONKEY)
    sh(dev, "input keyevent 26")
    assert not activity.manager(dev).in_foreground(PKG)
    assert _state(dev) == (0, "TPSL")
    sh(dev, "input keyevent 26")
    assert activity.manager(dev).in_foreground(PKG)


def test_crash_logs_fatal_exception_and_has_died_with_trailing_space() -> None:
    dev = model_device("pixel-8")
    sh(dev, MONKEY)
    pid = activity.manager(dev).pid_of(PKG)
    assert sh(dev, f"am crash {PKG}").code == 0
    lines = logcat(dev)
    assert "AndroidRuntime: FATAL EXCEPTION: main" in lines
    assert f"AndroidRuntime: Process: {PKG}, PID: {pid}" in lines
    assert f"ActivityManager: Process {PKG} (pid {pid}) has died: fg  TOP " in lines
    assert f"Zygote: Process {pid} exited due to signal 9 (Killed)" in lines
    assert sh(dev, f"pidof {PKG}").code == 1


def test_kill_all_takes_only_cached_processes() -> None:
    dev = model_device("pixel-8")
    sh(dev, MONKEY)
    sh(dev, "am kill-all")
    assert activity.manager(dev).pid_of(PKG) is not None
    sh(dev, "input keyevent 3")
    _clock(dev).advance(61)
    sh(dev, "am kill-all")
    assert activity.manager(dev).pid_of(PKG) is None
    assert any(re.fullmatch(rf"ActivityManager: Killing \d+:{PKG}/u0a\d+ \(adj 9\d\d\): kill all background", line)
               for line in logcat(dev))


def test_stock_recents_swipe_kills_with_remove_task() -> None:
    dev = model_device("pixel-8")
    sh(dev, MONKEY)
    sh(dev, "input keyevent 187; input swipe 540 1600 540 300 150")
    assert activity.manager(dev).pid_of(PKG) is None
    assert any(line.endswith("): remove task") for line in logcat(dev))
    assert PKG not in activity.manager(dev).recents


def test_reboot_delivers_boot_completed_only_to_apps_not_stopped() -> None:
    dev = model_device("pixel-8")
    sh(dev, MONKEY)
    sh(dev, "input keyevent 3")
    dev.shutdown()
    dev.boot()
    assert any(re.fullmatch(rf"ActivityManager: Start proc \d+:{PKG}/u0a\d+ for broadcast \{{{PKG}/androidx\.work\.impl"
                            r"\.background\.systemalarm\.RescheduleReceiver\}", line) for line in logcat(dev))
    sh(dev, f"am force-stop {PKG}")
    dev.shutdown()
    dev.boot()
    assert activity.manager(dev).pid_of(PKG) is None


def test_dumpsys_processes_services_and_notification_show_the_location_fgs() -> None:
    dev = model_device("samsung-s23")
    sh(dev, f"pm grant {PKG} android.permission.ACCESS_FINE_LOCATION; "
            f"pm grant {PKG} android.permission.ACCESS_BACKGROUND_LOCATION")
    sh(dev, MONKEY)
    sh(dev, "input keyevent 3")
    procs = sh(dev, f"dumpsys activity processes {PKG}").stdout
    assert procs.startswith("ACTIVITY MANAGER RUNNING PROCESSES (dumpsys activity processes)\n")
    assert re.search(r"oom adj: max=1001 curRaw=200 setRaw=200 cur=200 set=200\n", procs), procs
    assert "curProcState=4 mRepProcState=4 setProcState=4" in procs
    assert "mHasForegroundServices=true" in procs
    services = sh(dev, f"dumpsys activity services {PKG}").stdout
    assert re.search(r"\n    isForeground=true foregroundId=481756 types=00000008 foregroundNoti=Notification\("
                     rf"channel={PKG}:courier-location .*flags=0x62 .*category=service vis=PRIVATE\)\n", services)
    assert f"pkg={PKG} user=UserHandle{{0}} id=481756" in sh(dev, "dumpsys notification").stdout
    empty = sh(dev, "dumpsys activity services com.android.chrome").stdout
    assert empty == "ACTIVITY MANAGER SERVICES (dumpsys activity services)\n  (nothing)\n"


def test_standby_verbs_parse_names_and_print_integers() -> None:
    dev = model_device("pixel-8")
    assert (sh(dev, f"am set-standby-bucket {PKG} ra").code, sh(dev, f"am get-standby-bucket {PKG}").stdout) == (0,
                                                                                                             "40\n")
    bad = sh(dev, f"am set-standby-bucket {PKG} sometimes")
    assert (bad.stdout, bad.stderr, bad.code) == ("", "Error: Unknown bucket: sometimes\n", 255)
    sh(dev, f"am set-inactive {PKG} false")
    assert sh(dev, f"am get-inactive {PKG}").stdout == "Idle=false\n"
    sh(dev, f"am set-inactive {PKG} true")
    assert sh(dev, f"am get-inactive {PKG}").stdout == "Idle=true\n"


CAPTURED_OOM_LEVELS = """  OOM levels:
    -900: SYSTEM_ADJ (   73,728K)
    -800: PERSISTENT_PROC_ADJ (   73,728K)
    -700: PERSISTENT_SERVICE_ADJ (   73,728K)
      0: FOREGROUND_APP_ADJ (   73,728K)
     100: VISIBLE_APP_ADJ (   92,160K)
     200: PERCEPTIBLE_APP_ADJ (  110,592K)
     225: PERCEPTIBLE_MEDIUM_APP_ADJ (  129,024K)
     250: PERCEPTIBLE_LOW_APP_ADJ (  129,024K)
     300: BACKUP_APP_ADJ (  221,184K)
     400: HEAVY_WEIGHT_APP_ADJ (  221,184K)
     500: SERVICE_ADJ (  221,184K)
     600: HOME_APP_ADJ (  221,184K)
     700: PREVIOUS_APP_ADJ (  221,184K)
     800: SERVICE_B_ADJ (  221,184K)
     900: CACHED_APP_MIN_ADJ (  221,184K)
     999: CACHED_APP_MAX_ADJ (  322,560K)
"""


def test_oom_levels_block_matches_the_real_pixel_capture() -> None:
    """reference captures §26 (Pixel, Android 12), verbatim."""
    out = sh(model_device("pixel-8"), "dumpsys activity processes").stdout
    assert CAPTURED_OOM_LEVELS in out
    assert "\n  Process OOM control (" in out
