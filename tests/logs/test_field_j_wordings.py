"""Wordings and shapes the held-out batch j (tests/logs/field/j*.txt) showed the parsers did not read, by class.

Each class is read in every form its source prints, not only the one line a capture showed; the source is named
beside each table (AOSP 4.x ActivityManagerService, MIUI's ExtraActivityManagerService and its process-management
notes, iOS 4-7 SpringBoard, Apple's crash reports) with the capture that showed the gap. Lines marked with a
capture are verbatim from it; the others are the same source's other forms, built from its format string.
"""

from __future__ import annotations

import pytest

from harness.logs.cli_logs import capture_events
from harness.logs.events import Event
from harness.logs.logcat import LogcatParser


def events(*lines: str) -> list[Event]:
    found, _ = capture_events("\n".join(lines) + "\n", year=2021)
    return found


def brief(found: list[Event]) -> list[tuple[object, ...]]:
    return [(e.kind, e.package, e.pid, e.killer) for e in found]


# -- records whose line breaks a paste lost (brief, time, DDMS; fields j004, j011) -------------------------------
_J004 = ("I/ActivityManager( 2258): Process com.google.android.partnersetup (pid 32242) (adj 10) has died. "
         "I/ActivityManager( 2258): Process com.metago.astro (pid 32446) (adj 10) has died. D/dalvikvm(32602): "
         "WAIT_FOR_CONCURRENT_GC blocked 0ms I/ActivityManager( 2258): Process com.whatsapp (pid 12041) (adj 8) has "
         "died.")
_J011 = ("04-28 14:47:37.844: I/ActivityManager(597): No longer want com.cleanmaster.miui_module (pid 918): hidden #25 "
         "04-28 14:47:43.020: W/ExtraActivityManagerService(597): No longer want com.miui.networkassistant (pid 1823) "
         "for more free memory")


@pytest.mark.parametrize(("line", "expected"), [
    (_J004, [("process_died", "com.google.android.partnersetup", 32242, None),
             ("process_died", "com.metago.astro", 32446, None), ("process_died", "com.whatsapp", 12041, None)]),
    (_J011, [("kill", "com.cleanmaster.miui_module", 918, "aosp"),
             ("kill", "com.miui.networkassistant", 1823, "miui")]),
    # -v time records joined the same way
    ("08-29 12:30:01.337 I/ActivityManager(4666): Killing 8552:android.process.media/u0a6 (adj 15): empty #17 "
     "08-29 12:30:01.717 I/ActivityManager(4666): Killing 10125:com.android.settings/1000 (adj 15): empty #17",
     [("kill", "android.process.media", 8552, "aosp"), ("kill", "com.android.settings", 10125, "aosp")]),
])
def test_joined_records_are_read_one_by_one(line: str, expected: list[tuple[object, ...]]) -> None:
    assert brief(events(line)) == expected


@pytest.mark.parametrize("line", [
    # a record's own header is not a cut: the time stays with it
    "08-29 12:30:01.337 I/ActivityManager(4666): Start proc 10383:fm.a2d.s2/u0a171 for broadcast fm.a2d.s2/.wid_wid",
    # a message that mentions another header without starting with one stays whole
    "08-29 12:30:01.337  4666  4666 I Tag: see I/ActivityManager( 2258): Process x (pid 1) has died.",
])
def test_one_record_is_not_cut(line: str) -> None:
    parser = LogcatParser(year=2021)
    records = parser.feed([line]) + parser.close()
    assert len(records) == 1 and records[0].time_text is not None and parser.skipped == 0


# -- Android 4.1-4.3 ActivityManagerService (field j002) ---------------------------------------------------------
@pytest.mark.parametrize(("line", "expected"), [
    # killAppAtUsersRequest: the user's Force close in a system dialog (field j002)
    ("I/ActivityManager( 3650): Killing ProcessRecord{4180dd60 6393:org.openobservatory.ooniprobe/u0a55}: "
     "user's request", ("kill", "org.openobservatory.ooniprobe", 6393, "user")),
    # the same form with another reason AMS gives
    ("I/ActivityManager( 3650): Killing ProcessRecord{41b3e1c8 7102:com.example.app:remote/u0a61}: crash",
     ("kill", "com.example.app", 7102, "aosp")),
    # forceStopPackageLocked logs no reason (field j002); who asked, the line does not say
    ("I/ActivityManager( 3650): Force stopping package org.openobservatory.ooniprobe uid=10055",
     ("force_stop", "org.openobservatory.ooniprobe", None, "unknown")),
])
def test_android4_process_record_kill_and_force_stop(line: str, expected: tuple[object, ...]) -> None:
    assert brief(events(line)) == [expected]


# -- MIUI: its ExtraActivityManagerService and its named clean-ups ---------------------------------------------------
@pytest.mark.parametrize(("line", "expected"), [
    # MIUI v5's own trimming, in AMS's Android 4 wording under MIUI's tag (field j010)
    ("04-28 14:47:43.020: W/ExtraActivityManagerService(597): No longer want com.miui.networkassistant (pid 1823) "
     "for more free memory", ("kill", "com.miui.networkassistant", 1823, "miui")),
    # an example in Xiaomi's notes: pid and tid kept, date and clock cut (field j012; its package name damaged)
    ("1494 2963 I am_kill : [0,5253,com.eg.android.AlipayGphone,500,LockScreenClean]",
     ("kill", "com.eg.android.AlipayGphone", 5253, "miui")),
    # the notes' other reasons, by the user's hand (GameClean, OptimizationClean) and by the system (AutoThermalKill)
    ("1494 2963 I am_kill : [0,5254,com.example.game,900,GameClean]", ("kill", "com.example.game", 5254, "miui")),
    ("1494 2963 I am_kill : [0,5255,com.example.app,900,OptimizationClean]", ("kill", "com.example.app", 5255, "miui")),
    ("1494 2963 I am_kill : [0,5256,com.example.app,900,AutoThermalKill]", ("kill", "com.example.app", 5256, "miui")),
])
def test_miui_kills(line: str, expected: tuple[object, ...]) -> None:
    assert brief(events(line)) == [expected]


# -- iOS 4-7 SpringBoard, quoted without its sender (field j014) ----------------------------------------------------
@pytest.mark.parametrize(("line", "expected"), [
    # a SIGKILL whose sender the line does not name (field j014)
    ("> <Warning>: Application 'UIKitApplication:ch.pitaya.iOS-Artwork-Extractor[0x1828]' exited abnormally with "
     "signal 9: Killed: 9", ("kill", "ch.pitaya.iOS-Artwork-Extractor", None, "unknown")),
    # a crash signal is the app's own death
    ("<Warning>: Application 'UIKitApplication:com.example.app[0x5e2b]' exited abnormally with signal 11: "
     "Segmentation fault: 11", ("process_died", "com.example.app", None, None)),
])
def test_springboard_signalled_exit(line: str, expected: tuple[object, ...]) -> None:
    assert brief(events(line)) == [expected]


# -- a crash report's Termination Reason with its RBSTerminateContext (field j007) -----------------------------------
_J007 = "\n".join([
    "Exception Type:  EXC_CRASH (SIGKILL)",
    "Exception Codes: 0x0000000000000000, 0x0000000000000000",
    "Termination Reason: FRONTBOARD 2343432205 ",  # the report's trailing space kept
    "<RBSTerminateContext| domain:10 code:0x8BADF00D explanation:[application<com.sample.qa.user.sea>:915] failed to "
    "terminate gracefully after 5.0s",
    "ProcessVisibility: Background",
    "ProcessState: Running",
    "WatchdogEvent: process-exit",
    "WatchdogVisibility: Background",
])


@pytest.mark.parametrize(("report", "expected"), [
    (_J007, ("kill", "com.sample.qa.user.sea", 915, "ios")),
    # the app-switcher swipe's context, as SpringBoard sends it (namespace 10, 0xdeadfa11): the user's
    ("Termination Reason: FRONTBOARD 3735943697 \n<RBSTerminateContext| domain:10 code:0xDEADFA11 "
     "explanation:[app<com.example.app(ABCD)>:4242] killed from app switcher>",
     ("kill", "com.example.app", 4242, "user")),
])
def test_crash_report_termination_context(report: str, expected: tuple[object, ...]) -> None:
    assert expected in brief(events(*report.splitlines()))
