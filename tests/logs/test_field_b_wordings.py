"""Wordings the third held-out batch (tests/logs/field/b*.txt, c*.txt) showed the parsers did not read, by class.

Each class is read in every wording its source prints, not only the one line a capture showed: the source is
named beside each table (AOSP EventLogTags.logtags, ActivityManagerService, CachedAppOptimizer,
PermissionManagerService, xnu kern_memorystatus.c), and the capture that showed the gap. Lines marked with a
capture are verbatim from it; the others are the same source's other wordings, built from its format string.
"""

from __future__ import annotations

import pytest

from harness.logs.attribution import Attributor
from harness.logs.cli_logs import capture_events
from harness.logs.events import Event
from harness.logs.logcat import parse_line


def events(*lines: str) -> list[Event]:
    found, _ = capture_events("\n".join(lines) + "\n", year=2021)
    return found


def brief(found: list[Event]) -> list[tuple[object, ...]]:
    return [(e.kind, e.package, e.pid, e.killer) for e in found]


# -- am_proc_died (EventLogTags 30011): 2, 3, 4 or 5 fields -------------------------------------------------------
@pytest.mark.parametrize(("line", "expected"), [
    # Android 4.1 and older: [PID, Process Name] (field a020)
    ("12-24 03:22:00.131 I/am_proc_died( 1097): [18971,net.pmarks.chromadoze]",
     ("process_died", "net.pmarks.chromadoze", 18971, {"process": "net.pmarks.chromadoze"})),
    # AOSP 4.2-9: [User, PID, Process Name]
    ("08-21 15:30:14.222   582  1051 I am_proc_died: [0,7340,com.amazon.kor.demo]",
     ("process_died", "com.amazon.kor.demo", 7340, {"process": "com.amazon.kor.demo"})),
    # one number after the name (gityuan's blog, field b003): the process state
    ("01-19 19:02:33.913 12635 13399 I am_proc_died: [0,6686,com.xxx.calculator,18]",
     ("process_died", "com.xxx.calculator", 6686, {"process": "com.xxx.calculator", "proc_state": "18"})),
    # AOSP 10+: [User, PID, Process Name, OomAdj, ProcState] (field b001)
    ("10-01 19:45:54.765   623   738 I am_proc_died: [0,1879,io.nekohasekai.sfa,999,19]",
     ("process_died", "io.nekohasekai.sfa", 1879,
      {"process": "io.nekohasekai.sfa", "adj": "999", "proc_state": "19"})),
])
def test_am_proc_died_in_every_field_count(line: str, expected: tuple[object, ...]) -> None:
    (event,) = events(line)
    assert (event.kind, event.package, event.pid, event.extra) == expected


# -- a force-stop's kill: "stop PKG due to WHY" (ActivityManagerService.forceStopPackageLocked, Android 13+) --------
@pytest.mark.parametrize(("reason", "killer"), [
    ("stop com.omnidownloader.app due to stop by com.vivo.abe", "vivo"),  # field b005: vivo's ABE asked
    ("stop com.myhbcfo.hive.development due to clear data", "aosp"),  # field b011: the package manager
    ("stop com.x due to uninstall pkg", "aosp"),
    ("stop com.x due to from pid 4473", "user"),  # field a094's wording: a force-stop whose requester is unknown
    ("stop user 10 due to stop user", "aosp"),
    ("stop com.x due to stop by com.example.cleaner", "unknown"),  # a requester that is no vendor: never a guess
    ("stop com.x due to some words nobody documented", "unknown"),
    ("stop com.x", "unknown"),  # Android 5-12, with no force-stop line before it
])
def test_a_force_stops_kill_is_whoever_asked_for_the_stop(reason: str, killer: str) -> None:
    assert Attributor().killer("com.x", None, reason, None, 10) == killer


def test_the_events_buffer_kill_of_a_vendor_force_stop() -> None:
    # field b005's line without the javadoc around it
    found = events("09-25 10:00:00.000  1000  1500 I am_kill : [0,11208,com.omnidownloader.app,100,stop "
                   "com.omnidownloader.app due to stop by com.vivo.abe]")
    assert brief(found) == [("kill", "com.omnidownloader.app", 11208, "vivo")]


# -- AMS's own kills: the cached-app freezer and permission revocation ---------------------------------------------
@pytest.mark.parametrize(("line", "expected"), [
    # CachedAppOptimizer.binderErrorInternal (field b006, a Pixel bugreport)
    ("06-25 10:07:22.284  1000  1500 I am_kill : [0,8524,android.process.acore,935,Sync transaction while frozen,"
     "125168]", ("kill", "android.process.acore", 8524, "aosp")),
    # … and its async twin (field b007)
    ("06-25 10:07:22.284  1000  1500 I am_kill : [0,19634,com.google.android.gms.learning,935,Async binder space "
     "running out while frozen,134448]", ("kill", "com.google.android.gms.learning", 19634, "aosp")),
    ("06-25 10:07:22.284  1000  1500 I ActivityManager: Killing 8524:android.process.acore/u0a43 (adj 935): "
     "Unable to freeze binder interface", ("kill", "android.process.acore", 8524, "aosp")),
    # PermissionManagerService (field c004's reason)
    ("09-13 19:21:19.000  1000  1500 I ActivityManager: Killing 29305:com.google.android.googlequicksearchbox:"
     "interactor/u0a413 (adj 100): permissions revoked",
     ("kill", "com.google.android.googlequicksearchbox", 29305, "aosp")),
    ("09-13 19:21:19.000  1000  1500 I ActivityManager: Killing 29305:com.x/u0a413 (adj 100): permission grant or "
     "revoke changed gids", ("kill", "com.x", 29305, "aosp")),
])
def test_ams_own_kills_are_aosp(line: str, expected: tuple[object, ...]) -> None:
    assert brief(events(line)) == [expected]


def test_an_elided_process_name_names_no_package() -> None:
    found = events("09-13 19:21:19.000  1000  1500 I ActivityManager: Killing 29305:...:interactor (adj 100): "
                   "permissions revoked")
    assert brief(found) == [("kill", None, 29305, "aosp")]


# -- one death reported twice: the second report names what the first did not --------------------------------------
def test_zygote_then_activity_manager_is_one_death_with_the_package() -> None:
    # field b016 (brief, no pid column)
    found = events("I/Zygote: Process 31323 exited due to signal (9)",
                   "I/ActivityManager: Process com.example.backgroundwork (pid 31323) has died: cch+6CRE")
    assert brief(found) == [("process_died", "com.example.backgroundwork", 31323, None)]


# -- Samsung Freecess and ColorOS hans ------------------------------------------------------------------------------
@pytest.mark.parametrize(("lines", "expected"), [
    # field c001: the state move and Freecess' FZ record are one freeze
    (["FreecessController: com.senioradguard (state: Initial -> Frozen, Reason: Bg)",
      "FreecessController: FZ : com.senioradguard(10367) reason: Bg"],
     [("freeze", "com.senioradguard", None, "samsung")]),
    (["FreecessController: FZ : com.whatsapp(10250) reason: LEV"], [("freeze", "com.whatsapp", None, "samsung")]),
    # field c002: a state ("BG freezed, skip … unfreeze") and the thaw (UFZ) are no freeze
    (["FreecessController: BG freezed, skip OLAF unfreeze for (com.claudewidgets.spike)",
      "FreecessController: UFZ : com.claudewidgets.spike reason: activity"], []),
    # field c003: hans' freeze padded to line up with "unfreeze"; the thaw is none
    (["OplusHansManager: unfreeze uid: 10266 com.curios.remindme ... reason: Broadcast",
      "OplusHansManager: freeze   uid: 10266 com.curios.remindme ... scene: LcdOn"],
     [("freeze", "com.curios.remindme", None, "oppo")]),
])
def test_oem_freezers(lines: list[str], expected: list[tuple[object, ...]]) -> None:
    assert brief(events(*lines)) == expected


# -- iOS / macOS: the kernel's jetsam (xnu kern_memorystatus.c) ------------------------------------------------------
@pytest.mark.parametrize(("line", "expected"), [
    # field i013's wording, from the relay
    ("kernel: memorystatus: killing_specific_process pid 2776 [Pythonista3] (per-process-limit 10) - "
     "memorystatus_available_pages: 42511", ("kill", 2776, "jetsam: per-process-limit")),
    # macOS 26 log show: the cause as its jetsam reason code (field b018)
    ("2026-09-28 16:10:17.591 Df kernel[0:1cd] [com.apple.xnu:memorystatus] memorystatus: killing_idle_process pid "
     "386 [wallpaperexportd] jetsam_reason->osr_code: 9", ("kill", 386, "jetsam: idle-exit")),
    ("2026-09-28 16:12:02.114 Df kernel[0:1cd] [com.apple.xnu:memorystatus] memorystatus: killing_top_process pid "
     "901 [node] jetsam_reason->osr_code: 2", ("kill", 901, "jetsam: highwater")),
    # iOS 15+, no pid (field b017)
    ("memorystatus: killing_highwater_process [com.apple.WebKit.WebContent] (highwater 100 17s) 8579568KB",
     ("kill", None, "jetsam: highwater")),
    # no_paging_space_action (field b020 elided the pid; xnu prints it)
    ("memorystatus: killing largest compressed process python3.11 [...] 198602 MB",
     ("kill", None, "jetsam: no paging space")),
    ("kernel: memorystatus: killing largest compressed process ddirecta [94572] 176853 MB",
     ("kill", 94572, "jetsam: no paging space")),
    # a limit crossed "(non-fatal)" is no kill (field b017)
    ("memorystatus: com.apple.WebKit.WebContent exceeded mem limit: ActiveSoft 1536 MB (non-fatal)", None),
])
def test_jetsam_in_every_wording(line: str, expected: tuple[object, ...] | None) -> None:
    found = events(line)
    assert [(e.kind, e.pid, e.reason) for e in found] == ([expected] if expected else [])
    assert all(e.killer == "ios" for e in found)


def test_a_log_line_kept_as_a_string_literal() -> None:
    # field b018: the log show line inside a TypeScript array
    found = events('const JETSAM_LINES = [',
                   '  "2026-09-28 16:12:09.020 Df kernel[0:1cd] [com.apple.xnu:memorystatus] memorystatus: '
                   'killing_specific_process pid 915 [swift-build] (per-process-limit 14)",',
                   '].join("\\n");')
    assert [(e.kind, e.pid, e.killer) for e in found] == [("kill", 915, "ios")]


def test_a_runningboard_line_wrapped_after_the_identity() -> None:
    # field b019
    found = events("runningboardd: [app<application.com.kerf.editor...>:9614]",
                   "               termination reported by launchd (0, 0, 0)")
    assert [(e.kind, e.pid, e.killer) for e in found] == [("process_died", 9614, None)]


def test_dasd_started_is_a_run() -> None:
    # dasd's "STARTED: %@" (its format string beside SUBMITTED / CANCELED / COMPLETED)
    found = events("Sep 30 11:00:15 iPhone dasd(DuetActivitySchedulerDaemon)[139] <Notice>: STARTED: "
                   "bgRefresh-com.example.app:6796B3 <private>")
    assert [(e.kind, e.reason, e.extra.get("activity")) for e in found] == \
        [("activity", "run", "bgRefresh-com.example.app:6796B3")]


# -- logcat lines as reports and code quote them --------------------------------------------------------------------
@pytest.mark.parametrize(("line", "fmt", "tag", "msg"), [
    # threadtime with the pid and tid columns cut away (field b011) or elided to "..." (field b006)
    ("09-07 01:54:50.502 I am_kill : [0,31426,com.myhbcfo.hive.development,0,stop com.myhbcfo.hive.development due "
     "to clear data,469716]", "threadtime", "am_kill",
     "[0,31426,com.myhbcfo.hive.development,0,stop com.myhbcfo.hive.development due to clear data,469716]"),
    ("09-07 01:55:45.922 I ActivityManager: Process dev.mobile.maestro (pid 5126) has died: fg  FGS", "threadtime",
     "ActivityManager", "Process dev.mobile.maestro (pid 5126) has died: fg  FGS"),
    ("    06-25 10:07:22.284 ... I am_kill : [0,8524,android.process.acore,935,Sync transaction while frozen,125168]",
     "threadtime", "am_kill", "[0,8524,android.process.acore,935,Sync transaction while frozen,125168]"),
    # a clock, with or without its fraction, then the tag (fields c002, c004)
    ("19:21:19  ActivityManager: Killing 29305:...:interactor (adj 100): permissions revoked", "time",
     "ActivityManager", "Killing 29305:...:interactor (adj 100): permissions revoked"),
    ("13:48:21.411  FreecessController: UFZ : com.claudewidgets.spike reason: activity", "time",
     "FreecessController", "UFZ : com.claudewidgets.spike reason: activity"),
    # comment markers: Python / shell (b014), // (b023), a doc comment's star (b024, c001)
    ("# 08-21 15:29:07.975   582  1266 I ActivityManager: Killing 4299:com.amazon.sync.service/u0a22112 (adj 12): "
     "empty #13", "threadtime", "ActivityManager", "Killing 4299:com.amazon.sync.service/u0a22112 (adj 12): empty #13"),
    ("    //WM-WorkerWrapper com.provigos.android  I  Worker result SUCCESS for Work [ id=ca8d7639-e270-4716-a0f3-"
     "83c3ced5a7f6,", "studio", "WM-WorkerWrapper",
     "Worker result SUCCESS for Work [ id=ca8d7639-e270-4716-a0f3-83c3ced5a7f6,"),
    ("  * TSBackgroundFetch: - Background Fetch event received: capacitor-background-fetch", "bare",
     "TSBackgroundFetch", "- Background Fetch event received: capacitor-background-fetch"),
    (" *     FreecessController: FZ : com.senioradguard(10367) reason: Bg", "bare", "FreecessController",
     "FZ : com.senioradguard(10367) reason: Bg"),
    # string literals (b008-b010)
    ('    log_line = "12-02 12:33:24.140988  2188 18274 I am_kill : [0,16920,com.ss.android.ugc.aweme,200,bg anr,'
     '563460]"', "threadtime", "am_kill", "[0,16920,com.ss.android.ugc.aweme,200,bg anr,563460]"),
    ('            "08-22 15:24:11.000  1000  2837  5011 I am_kill : [0,13556,com.example.app,0,remove task,0]",',
     "threadtime", "am_kill", "[0,13556,com.example.app,0,remove task,0]"),
    ('s3 = "06-05 17:20:41.243  3093  4830 I am_kill : [0,7680,com.volte.config,906,empty #17]"', "threadtime",
     "am_kill", "[0,7680,com.volte.config,906,empty #17]"),
])
def test_quoted_and_trimmed_lines_parse(line: str, fmt: str, tag: str, msg: str) -> None:
    ln = parse_line(line, year=2021)
    assert ln is not None
    assert (ln.fmt, ln.tag, ln.msg) == (fmt, tag, msg)


@pytest.mark.parametrize(("lines", "expected"), [
    # field b007: an events entry wrapped before its "]"
    (["I am_kill : [0,19634,com.google.android.gms.learning,935,",
      "             Async binder space running out while frozen,134448]"],
     [("kill", "com.google.android.gms.learning", 19634, "aosp")]),
    # field b005: … inside a javadoc, the wrap at a space, prose after the "]"
    (["     * `I am_kill : [0,11208,com.omnidownloader.app,100,stop com.omnidownloader.app due to stop by",
      "     * com.vivo.abe]`. A vendor force-stop ALSO clears `enabled_accessibility_services`, so the"],
     [("kill", "com.omnidownloader.app", 11208, "vivo")]),
    # field b003: trailing spaces on a line do not make the next, indented, entry its continuation
    (["    01-19 19:02:33.911 12635 13399 I am_proc_bound: [0,6686,com.xxx.calculator]    ",
      "    01-19 19:02:33.913 12635 13399 I am_proc_died: [0,6686,com.xxx.calculator,18]  "],
     [("process_died", "com.xxx.calculator", 6686, None)]),
])
def test_wrapped_and_padded_entries(lines: list[str], expected: list[tuple[object, ...]]) -> None:
    assert brief(events(*lines)) == expected


def test_a_force_stop_reason_kept_in_a_list_loses_the_comma() -> None:
    # field d001: the line ends in the list's comma; Samsung's kill says "cause" where AOSP says "due to"
    found = events("08-22 12:03:39.315  1018  1043 I ActivityManager: Force stopping com.test.thalitest appid=10171 "
                   "user=-1: uninstall pkg,",
                   "08-22 12:03:39.315  1018  1043 I ActivityManager: Killing 5792:com.test.thalitest/u0a171 (adj 0): "
                   "stop com.test.thalitest cause uninstall pkg")
    assert [(e.kind, e.reason, e.killer) for e in found] == [
        ("force_stop", "uninstall pkg", "aosp"), ("kill", "stop com.test.thalitest cause uninstall pkg", "aosp")]


def test_a_test_runners_stream_label() -> None:
    # field d004: a Rust doc comment quoting the runner's "[stdout] " lines
    line = ("/// [stdout] 02-15 10:20:36.914  1735  1752 I ActivityManager: Start proc 6840:dev.flutter.scenarios/"
            "u0a98 for added application dev.flutter.scenarios")
    assert brief(events(line)) == [("process_start", "dev.flutter.scenarios", 6840, None)]


# -- iOS / macOS rows trimmed by hand to the process and the message -------------------------------------------------
@pytest.mark.parametrize(("lines", "expected"), [
    # field d007: no time, padded columns, the identity elided
    (["runningboardd  [...:30199] Set darwin role to: NonUserInteractive",
      "runningboardd  [...:30199] termination reported by launchd (0, 0, 256)"],
     [("process_died", None, 30199, None)]),
    # field d008: a clock with four fraction digits; the helper's own end is not the app's
    (["13:19:10.3857 runningboardd  [app<...playport>:13846] termination reported by launchd (2, 9, 9)",
      "13:19:10.4406 runningboardd  xpcservice<...PlayportJIT([app<...>:13846])>:13849 termination reported by "
      "launchd (2, 9, 9)"],
     [("kill", "...playport", 13846, "unknown")]),
    # field d009: a date and time, no pid column, as string literals
    (["      '2026-09-20 05:37:13.463 runningboardd [anon<Electron>(501):32442] termination reported by proc_exit',",
      "      '2026-09-20 05:37:13.002 runningboardd [osservice<com.apple.contactsd>:33431] termination reported by "
      "launchd (0, 0, 0)',"],
     [("process_died", "Electron", 32442, None)]),
])
def test_trimmed_console_rows(lines: list[str], expected: list[tuple[object, ...]]) -> None:
    assert brief(events(*lines)) == expected


@pytest.mark.parametrize("line", [
    # field e006: the message alone, as Android Studio's copy of one message gives it
    "Work [ id=1da7676e-45d7-4a5f-8aa4-10f9d892695e, tags={ info.mqtt.android.service.ping.PingWorker } ] was "
    "cancelled",
    "Worker result SUCCESS for Work [ id=422e36a1-368e-4609-b77d-2bc7fef3d615, tags={ work, com.x.SyncWorker } ]",
])
def test_workmanager_results_as_bare_messages(line: str) -> None:
    (event,) = events(line)
    assert event.kind == "work_result"


# -- the kernel's own log: the kernel low-memory killer of Android 4-8 -------------------------------------------
@pytest.mark.parametrize("lines", [
    # /proc/kmsg (field f001), the kill over four rows
    ["<6>lowmemorykiller: Killing 'd.play.games.ui' (2613), adj 1000,",
     "<6>   to free 20784kB on behalf of 'kswapd0' (442) because",
     "<6>   cache 32112kB is below limit 32384kB for oom_score_adj 1000"],
    # /dev/kmsg records (Documentation/ABI/testing/dev-kmsg; field f003, inside a // comment)
    ["      // 6,2302,533604004,-;lowmemorykiller: Killing 'd.play.games.ui' (2613),",
     "      // adj 1000,\\x0a   to free 27320kB on behalf of 'kswapd0' (47) because\\x0a"],
    # dmesg, seconds since boot
    ["[  823.441022] lowmemorykiller: Killing 'd.play.games.ui' (2613), adj 1000,",
     "[  823.441025] lowmemorykiller: to free 65536kB on behalf of 'kswapd0'"],
])
def test_the_kernels_low_memory_killer_in_its_own_log(lines: list[str]) -> None:
    assert [(e.kind, e.pid, e.killer, e.time) for e in events(*lines)] == [("kill", 2613, "lmk", None)]


# -- ApplicationExitInfo: the system's record of why a process ended (frameworks/base ApplicationExitInfo.java) ------
_EXIT_DUMP = """\
ACTIVITY MANAGER PROCESS EXIT INFO (dumpsys activity exit-info)
  package: io.nekohasekai.sfa
    Historical Process Exit for uid=10196
        ApplicationExitInfo #0:
          timestamp=2026-10-01 19:21:57.535 pid=3421 realUid=10196 packageUid=10196 definingUid=10196 user=0
          process=io.nekohasekai.sfa reason=4 (APP CRASH(EXCEPTION)) subreason=0 (UNKNOWN) status=0
          importance=300 pss=0.00 rss=0.00 description=crash state=empty trace=null
        ApplicationExitInfo #1:
          timestamp=2026-10-01 19:21:46.855 pid=2176 realUid=10196 packageUid=10196 definingUid=10196 user=0
          process=io.nekohasekai.sfa reason=6 (ANR) subreason=0 (UNKNOWN) status=0
          importance=300 pss=0.00 rss=0.00 description=bg anr: executing service io.nekohasekai.sfa/.bg.VPNService
        ApplicationExitInfo #2:
          timestamp=2026-09-30 20:01:10.284 pid=5410 realUid=10196 packageUid=10196 definingUid=10196 user=0
          process=io.nekohasekai.sfa reason=10 (USER REQUESTED) subreason=21 (FORCE STOP) status=0
          importance=100 pss=88MB rss=210MB description=stop io.nekohasekai.sfa due to from pid 5606 state=empty
        ApplicationExitInfo #3:
          timestamp=2023-10-01 19:00:07.413 pid=10156 realUid=10383 packageUid=10383 definingUid=10383 user=0
          process=com.termux.x11 reason=3 (LOW_MEMORY) subreason=0 (UNKNOWN) status=0
"""


def test_exit_info_dump_records_who_ended_each_process() -> None:
    # the sing-box fixture of b001/b002 (its EXIT_INFO block) and field g001's LOW_MEMORY record
    found = [(e.kind, e.package, e.pid, e.killer) for e in events(*_EXIT_DUMP.splitlines())]
    assert found == [("process_died", "io.nekohasekai.sfa", 3421, None), ("kill", "io.nekohasekai.sfa", 2176, "aosp"),
                     ("kill", "io.nekohasekai.sfa", 5410, "user"), ("kill", "com.termux.x11", 10156, "lmk")]


@pytest.mark.parametrize(("record", "expected"), [
    # field g002: ApplicationExitInfo.toString() as an app printed it
    # AMS's empty-process limit (SUBREASON_TOO_MANY_EMPTY): its own policy, aosp, not the low-memory killer
    ("reason=13 (OTHER KILLS BY SYSTEM) subreason=3 (TOO MANY EMPTY PROCS) status=0 description=too many empty",
     ("kill", "aosp")),
    ("reason=3 (LOW_MEMORY) subreason=0 (UNKNOWN) status=0 description=null", ("kill", "lmk")),
    ("reason=2 (SIGNALED) subreason=0 (UNKNOWN) status=9 description=null", ("process_died", None)),
    ("reason=10 (USER REQUESTED) subreason=22 (REMOVE TASK) status=0 description=remove task", ("kill", "aosp")),
    ("reason=13 (OTHER KILLS BY SYSTEM) subreason=0 (UNKNOWN) status=0 description=something new", ("kill", "unknown")),
    ("reason=9 (EXCESSIVE RESOURCE USAGE) subreason=7 (EXCESSIVE CPU) status=0 description=excessive cpu",
     ("kill", "aosp")),
])
def test_exit_info_tostring(record: str, expected: tuple[object, ...]) -> None:
    line = (f'    "ApplicationExitInfo(timestamp=24/07/2024, 01:38 pid=16125 realUid=10214 packageUid=10214 '
            f'definingUid=10214 user=0 process=com.termux {record} state=empty trace=null",')
    (event,) = events(line)
    assert (event.kind, event.killer) == expected
    assert (event.package, event.pid) == ("com.termux", 16125)
