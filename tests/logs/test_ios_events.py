"""``IOSEventBuilder``: iOS log records → typed events, with who ended the app.

Lines come from the real captures (tests/logs/data/ios_*.txt), from the wording public threads attest
(named per case, with this project's bundle ids), from the lines the virtual iPhone writes, and, at the
end, from the real clients (``pymobiledevice3 syslog live`` and ``idevicesyslog``) reading a lab iPhone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pymobiledevice3.cli.syslog import format_line
from pymobiledevice3.services.os_trace import SyslogEntry, SyslogLabel, SyslogLogLevel

from harness.config import load_config
from harness.lab.clock import RealtimeClock
from harness.lab.ios import build_iphone
from harness.lab.ios.contracts import RUN_TASK_ARGUMENT
from harness.lab.ios.os import IOSModel, texts
from harness.lab.ios.syslog import SyslogEntry as LabEntry
from harness.lab.ios.syslog import format_relay_line
from harness.logs.attribution import ios_exit
from harness.logs.events import Event
from harness.logs.ios_events import IOSEventBuilder, ios_events
from harness.logs.ios_syslog import IOSLogParser, parse_ios
from harness.logs.platforms import parser_pair
from tests.lab.ios.conftest import IOSLab
from tests.lab.ios.test_clients import PMD3, needs_limd, streaming

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[2]
BUNDLE = "com.example.courier"
UDID = "00008120-001A2C3E0E90201E"  # devices.toml: iphone-15


def events_of(text: str, year: int = 2026) -> list[Event]:
    parsed = parse_ios(text, year=year)
    return ios_events(parsed.lines)


def brief(events: list[Event]) -> list[tuple[object, ...]]:
    return [(e.kind, e.package, e.pid, e.task, e.reason, e.killer, e.line) for e in events]


def relay(process: str, pid: int, message: str, image: str | None = None, level: str = "Notice") -> str:
    """A line exactly as the virtual iPhone's syslog_relay writes it."""
    return format_relay_line(LabEntry(1, 1795852800.0, process, pid, level, message, image), "iPhone", UTC)


RB = "Nov 28 08:00:00 iPhone runningboardd(RunningBoard)[92] <Notice>: "
APP = "Nov 28 08:00:01 iPhone Courier[412] <Info>: "


# -- the real captures ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "expected"), [
    ("ios_s01_a.txt", [
        ("push", "com.********.test", None, None, "priority 5", None, 1),
        ("activity", "com.********.test", None, None, "submitted", None, 5),
        ("activity", "com.********.test", None, None, "canceled", None, 6),
    ]),
    ("ios_s02_a.txt", [("push", "gg.hc.apnstest", None, None, "priority 1", None, 1)]),
    ("ios_s03_a.txt", [("push", "de.xyz.xyz.dev", None, None, "priority 10", None, 1)]),
    ("ios_s04_a.txt", [("activity", None, 2318, None, "simulated_launch", None, 1),
                       ("activity", None, 2318, None, "not_scheduled", None, 2)]),
    ("ios_s04_b.txt", [("activity", None, 1163, None, "not_scheduled", None, 1)]),
    ("ios_s04_c.txt", [("activity", None, 5127, None, "simulated_launch", None, 1)]),
    ("ios_s05_a.txt", []),  # a plugin's own line: nothing the OS or Expo says
    ("ios_s06_a.txt", []),
])
def test_real_captures(name: str, expected: list[tuple[object, ...]]) -> None:
    assert brief(events_of((DATA / name).read_text(encoding="utf-8"))) == expected


def test_activity_details() -> None:
    push, submitted, canceled = events_of((DATA / "ios_s01_a.txt").read_text(encoding="utf-8"))
    assert push.extra == {"topic": "com.********.test", "priority": "5"}
    assert submitted.extra == {"activity": "com.apple.pushLaunch.com.********.test:DDAF46", "source": "dasd",
                               "priority": "5"}
    assert canceled.extra["activity"] == "com.apple.pushLaunch.com.********.test:8F4B6C"
    [simulated] = events_of((DATA / "ios_s04_c.txt").read_text(encoding="utf-8"))
    assert simulated.extra == {"activity": "com.ranchero.NetNewsWire.FeedRefresh", "request_class": "BGAppRefreshTask",
                               "source": "NetNewsWire"}
    [_, missing] = events_of((DATA / "ios_s04_a.txt").read_text(encoding="utf-8"))
    assert missing.extra["activity"] == "<decode: missing data>"


@pytest.mark.parametrize(("line", "reason"), [
    # iOS 11's dasd wording (reference ios.md §4.4): no "at priority", and the score line.
    ("Sep 30 11:00:15 iphone dasd(DuetActivitySchedulerDaemon)[139] <Notice>: COMPLETED "
     "com.apple.pushLaunch.com.example.courier:ABC123 <private>!", "completed"),
    ("Sep 30 11:00:15 iphone dasd(DuetActivitySchedulerDaemon)[139] <Notice>: 'com.apple.pushLaunch.com.example."
     "courier:ABC123' CurrentScore: 0.76, ThresholdScore: 0.5 DecisionToRun:1", "run"),
    ("Sep 30 11:00:15 iphone dasd(DuetActivitySchedulerDaemon)[139] <Notice>: 'com.apple.pushLaunch.com.example."
     "courier:ABC123' CurrentScore: 0.1, ThresholdScore: 0.5 DecisionToRun:0", "deferred"),
])
def test_dasd_ios11_wording(line: str, reason: str) -> None:
    [event] = events_of(line)
    assert (event.kind, event.package, event.reason, event.extra["activity"]) == (
        "activity", BUNDLE, reason, "com.apple.pushLaunch.com.example.courier:ABC123")


def test_a_bgtask_activity_names_no_package() -> None:
    [event] = events_of("Nov 28 08:00:00 iPhone dasd[139] <Notice>: Submitted Activity: com.example.courier.sync "
                        "<private>")
    assert (event.kind, event.package, event.reason) == ("activity", None, "submitted")


# -- process lifecycle (RunningBoard) ----------------------------------------------------------------------------
def test_start_and_crash_ios14_console_with_repeated_lines() -> None:
    # The shape of ms-intune-app-sdk-ios#137 (iOS 14.5): a Library column, and every line exported twice.
    text = "\n".join([
        "default\t08:00:54.150000-0600\trunningboardd\tRunningBoard\t[application<com.example.courier>:432] This "
        "process will be managed.",
        "default\t08:00:54.150001-0600\trunningboardd\tRunningBoard\t[application<com.example.courier>:432] This "
        "process will be managed.",
        "default\t08:00:54.700689-0600\trunningboardd\tRunningBoard\t[application<com.example.courier>:432] "
        "termination reported by launchd (2, 10, 10)",
        "default\t08:00:54.702044-0600\trunningboardd\tRunningBoard\tRemoving process: "
        "[application<com.example.courier>:432]",
        "default\t08:00:54.701992-0600\trunningboardd\tRunningBoard\tRemoving process: "
        "[application<com.example.courier>:432]",
    ])
    events = events_of(text)
    assert brief(events) == [("process_start", BUNDLE, 432, None, None, None, 1),
                             ("process_died", BUNDLE, 432, None, "crashed: SIGBUS", None, 3)]
    assert events[1].extra == {"namespace": "SIGNAL", "code": "10", "status": "10"}


def test_ios17_identity_and_start_lines() -> None:
    # iOS 17+ names the process app<bundle(persona)> and logs both lines (microsoft/vscode-dotnettools#1282).
    text = ("default\t21:58:46.916656+0100\trunningboardd\t[app<com.example.courier(195463C9-7E4D-48E0-83B5-"
            "E88FA15340ED)>:1292] This process will be managed.\n\n"
            "default\t21:58:46.916738+0100\trunningboardd\tNow tracking process: [app<com.example.courier(195463C9-"
            "7E4D-48E0-83B5-E88FA15340ED)>:1292]\n\n"
            "default\t21:58:47.000000+0100\tCourier\tBgProbe v1 task_start task=sync-orders run=1 trigger=test\n")
    events = events_of(text)
    # The Console export has no pid column, so the app's own line cannot be tied to the bundle.
    assert brief(events) == [("process_start", BUNDLE, 1292, None, None, None, 1),
                             ("task_start", None, None, "sync-orders", "test", None, 5)]


def test_managed_with_a_memorystatus_error_is_a_start() -> None:
    # dotnet/maui#1175: "This process will be managed, but informing memorystatus failed …".
    [event] = events_of("error\t13:10:56.675591-0500\trunningboardd\t[application<com.example.courier>:34717] This "
                        "process will be managed, but informing memorystatus failed with error: Operation not "
                        "permitted (1)")
    assert (event.kind, event.package, event.pid) == ("process_start", BUNDLE, 34717)


def test_frontboard_watchdog_exit_is_an_os_kill() -> None:
    # iOS 14.2, dotnet/macios#10086: FrontBoard's account of a watchdog kill, then RunningBoard's removal.
    text = ("Nov 12 12:24:57 iPad SpringBoard(FrontBoard)[510] <Notice>: [application<com.example.courier>:796] "
            "Process exited: <FBProcessExitContext; watchdog (\"watchdog provision violated\")>.\n"
            "Nov 12 12:24:57 iPad runningboardd(RunningBoard)[31] <Notice>: Removing process: "
            "[application<com.example.courier>:796]\n")
    assert brief(events_of(text)) == [
        ("kill", BUNDLE, 796, None, "watchdog: watchdog provision violated", "ios", 1)]


# RunningBoard logs "%{public}@ Terminating with context: %{public}@" (rbs_process_log) and "%{public}@
# termination reported by launchd (%u, %llu, %u)" (_handleDeath), per public decompilations of RunningBoard.
# The force-quit context is SpringBoard's, as quoted publicly: "<RBSTerminateContext| domain:10
# code:0xDEADFA11 explanation:killed from app switcher / ProcessVisibility: Background / ProcessState:
# Suspended reportType:None maxTerminationResistance:Interactive>", and launchd reports that death as
# "namespace: 10 code: 0xdeadfa11" with SIGKILL. The combined lines below are assembled from those parts:
# no capture of them was found.
_IDENT = "[app<com.example.courier(6C1E2A9E-0B11-4A8F-9E4C-3C5E1E0A7F01)>:412]"
_QUIT_CONTEXT = (f"{RB}{_IDENT} Terminating with context: <RBSTerminateContext| domain:10 code:0xDEADFA11 "
                 "explanation:killed from app switcher\nProcessVisibility: Background\nProcessState: Suspended "
                 "reportType:None maxTerminationResistance:Interactive>")
_QUIT_TERMINATED = f"{RB}{_IDENT} termination reported by launchd (10, 3735943697, 9)"
_REMOVED = f"{RB}Removing process: {_IDENT}"


def test_user_force_quit_with_runningboards_context() -> None:
    events = events_of("\n".join([f"{RB}{_IDENT} This process will be managed.", _QUIT_CONTEXT, _QUIT_TERMINATED,
                                  _REMOVED]))
    assert brief(events) == [
        ("process_start", BUNDLE, 412, None, None, None, 1),
        ("force_stop", BUNDLE, 412, None, "killed from app switcher", "user", 2),
        ("kill", BUNDLE, 412, None, "killed from app switcher", "user", 5),
    ]
    assert events[2].extra == {"namespace": "SPRINGBOARD", "code": "0xdeadfa11", "status": "9"}


def test_user_force_quit_from_the_launchd_report_alone() -> None:
    events = events_of("\n".join([_QUIT_TERMINATED, _REMOVED]))
    assert brief(events) == [("force_stop", BUNDLE, 412, None, "killed from app switcher", "user", 1),
                             ("kill", BUNDLE, 412, None, "killed from app switcher", "user", 1)]


def test_a_context_names_the_killer_of_a_bare_sigkill() -> None:
    context = (f"{RB}{_IDENT} Terminating with context: <RBSTerminateContext| domain:15 code:0x2182BAD2 "
               "explanation:background task assertion expired reportType:CrashLog "
               "maxTerminationResistance:Interactive>")
    events = events_of("\n".join([context, f"{RB}{_IDENT} termination reported by launchd (2, 9, 9)"]))
    assert brief(events) == [("kill", BUNDLE, 412, None, "background task assertion expired", "ios", 2)]


def test_a_bare_sigkill_names_nobody() -> None:
    # What the lab writes today for every kill: texts.termination_lines(…, 9).
    lines = [relay(d.name, d.pid, m, d.image) for d, m in texts.termination_lines(BUNDLE, 412, 9)]
    assert brief(events_of("\n".join(lines))) == [("kill", BUNDLE, 412, None, "SIGKILL", "unknown", 1)]


def test_a_new_process_after_removal_gets_its_own_events() -> None:
    start = f"{RB}{_IDENT} This process will be managed."
    stop = f"{RB}{_IDENT} termination reported by launchd (0, 0, 0)"
    events = events_of("\n".join([start, stop, _REMOVED, start, stop]))
    assert [(e.kind, e.reason) for e in events] == [
        ("process_start", None), ("process_died", "exited with status 0"),
        ("process_start", None), ("process_died", "exited with status 0")]


@pytest.mark.parametrize(("report", "expected"), [
    ((0, 0, 0), ("process_died", None, "exited with status 0", "EXIT", "0", False)),
    ((0, 0, 65280), ("process_died", None, "exited with status 255", "EXIT", "255", False)),
    ((0, 0, 9), ("kill", "unknown", "SIGKILL", "EXIT", "9", False)),
    ((2, 10, 10), ("process_died", None, "crashed: SIGBUS", "SIGNAL", "10", False)),
    ((2, 11, 11), ("process_died", None, "crashed: SIGSEGV", "SIGNAL", "11", False)),
    ((2, 6, 6), ("process_died", None, "crashed: SIGABRT", "SIGNAL", "6", False)),
    ((2, 9, 9), ("kill", "unknown", "SIGKILL", "SIGNAL", "9", False)),
    ((2, 15, 15), ("kill", "unknown", "SIGTERM", "SIGNAL", "15", False)),
    ((1, 7, 9), ("kill", "ios", "jetsam: per-process-limit", "JETSAM", "7", False)),
    ((1, 2, 9), ("kill", "ios", "jetsam: highwater", "JETSAM", "2", False)),
    ((1, 99, 9), ("kill", "ios", "jetsam: reason 99", "JETSAM", "99", False)),
    ((10, 0xDEADFA11, 9), ("kill", "user", "killed from app switcher", "SPRINGBOARD", "0xdeadfa11", True)),
    ((10, 0x8BADF00D, 9), ("kill", "ios", "watchdog", "SPRINGBOARD", "0x8badf00d", False)),
    ((15, 0x2182BAD2, 9), ("kill", "ios", "background task did not complete in time", "RUNNINGBOARD", "0x2182bad2",
                           False)),
    ((15, 0x2182BAD4, 9), ("kill", "ios", "background fetch did not complete in time", "RUNNINGBOARD", "0x2182bad4",
                           False)),
    ((15, 0xDEAD10CC, 9), ("kill", "ios", "held a file lock while suspended", "RUNNINGBOARD", "0xdead10cc", False)),
    ((15, 0xBADDD15C, 9), ("kill", "ios", "deleting caches to reclaim disk space", "RUNNINGBOARD", "0xbaddd15c",
                           False)),
    ((15, 0x1234, 9), ("kill", "ios", "RUNNINGBOARD 0x1234", "RUNNINGBOARD", "0x1234", False)),
    ((3, 1, 9), ("process_died", None, "CODESIGNING 0x1", "CODESIGNING", "0x1", False)),
    ((99, 5, 9), ("process_died", None, "namespace 99 0x5", "namespace 99", "0x5", False)),
])
def test_ios_exit(report: tuple[int, int, int], expected: tuple[object, ...]) -> None:
    ex = ios_exit(*report)
    assert (ex.kind, ex.killer, ex.reason, ex.namespace, ex.code, ex.user_quit) == expected


def test_an_extensions_death_is_not_the_apps() -> None:
    # An xpcservice identity nests its host app's; both spellings are RunningBoard's (the bracketed one as a
    # public test fixture quotes it, the bare one from a public runningboardd capture).
    text = "\n".join([
        f"{RB}{_IDENT} This process will be managed.",
        f"{RB}[xpcservice<com.apple.WebKit.WebContent([app<com.example.courier((null))>:412])>{{vt hash: 71395982}}"
        "[uuid:73F78BD3-4534-458B-8203-E22838B343D0]:21255] termination reported by launchd (0, 0, 0)",
        f"{RB}xpcservice<com.example.courier.widget([app<com.example.courier>:412])>:13849 termination reported by "
        "launchd (2, 9, 9)",
        f"{RB}Removing process: [xpcservice<com.apple.WebKit.WebContent([app<com.example.courier((null))>:412])>"
        ":21255]",
    ])
    assert [e.kind for e in events_of(text)] == ["process_start"]


def test_termination_without_exit_status() -> None:
    assert brief(events_of(f"{RB}{_IDENT} termination reported by launchd without exit status")) == [
        ("process_died", BUNDLE, 412, None, None, None, 1)]


# -- the app's own lines ---------------------------------------------------------------------------------------
_APP_STARTED = f"{RB}[application<{BUNDLE}>:412] This process will be managed."


@pytest.mark.parametrize(("line", "expected"), [
    (f"{APP}BgProbe v1 task_start task=sync-orders run=3 trigger=bgtask",
     ("task_start", BUNDLE, 412, "sync-orders", "bgtask", None)),
    (f"{APP}BgProbe v1 task_end task=sync-orders run=3 result=success duration_ms=840",
     ("task_end", BUNDLE, 412, "sync-orders", "success", None)),
    (f"{APP}BgProbe v1 task_error task=sync-orders run=3 error=\"no network\"",
     ("task_end", BUNDLE, 412, "sync-orders", "error", None)),
    (f"{APP}BgProbe v1 task_expired task=sync-orders run=3", ("task_end", BUNDLE, 412, "sync-orders", "expired", None)),
    (f"{APP}BgProbe v1 wake reason=push", ("wake", BUNDLE, 412, None, "push", None)),
    (f"{APP}BgProbe v1 wake reason=geofence task=arrive", ("wake", BUNDLE, 412, "arrive", "geofence", None)),
    ("Nov 28 08:00:01 iPhone Courier(Foundation)[412] <Notice>: EXTaskService: Executing task 'sync-orders' for app "
     "'main'.", ("task_start", BUNDLE, 412, "sync-orders", None, None)),
    ("Nov 28 08:00:01 iPhone Courier[412] <Debug>: 🔵 Expo Background Tasks - starting background work",
     ("task_start", BUNDLE, 412, None, "bgtask", None)),
    ("Nov 28 08:00:01 iPhone Courier[412] <Notice>: 🟡 Expo Background Tasks - task expired",
     ("task_end", BUNDLE, 412, None, "expired", None)),
    (f"{APP}Starting simulated task: <BGProcessingTask: {texts.EXPO_BG_TASK_ID}>",
     ("activity", BUNDLE, 412, None, "simulated_launch", None)),
    (f"{APP}Simulating launch for task with identifier {texts.EXPO_BG_TASK_ID}",
     ("activity", BUNDLE, 412, None, "simulated_launch", None)),
    (f"{APP}No task request with identifier {texts.EXPO_BG_TASK_ID} has been scheduled",
     ("activity", BUNDLE, 412, None, "not_scheduled", None)),
    # Without the private-data logging profile Expo's os.Logger text is "<private>": nothing to read.
    ("Nov 28 08:00:01 iPhone Courier[412] <Notice>: <private>", None),
    (f"{APP}BgProbe v1", None),
])
def test_app_lines(line: str, expected: tuple[object, ...] | None) -> None:
    events = events_of(f"{_APP_STARTED}\n{line}")[1:]
    assert [(e.kind, e.package, e.pid, e.task, e.reason, e.killer) for e in events] == ([expected] if expected else [])


def test_probe_fields_are_kept() -> None:
    [_, wake, end] = events_of("\n".join([_APP_STARTED, f"{APP}BgProbe v1 wake reason=push",
                                          f"{APP}BgProbe v1 task_end task=a run=3 result=success duration_ms=840"]))
    assert wake.extra == {"reason": "push", "event": "wake"}
    assert end.extra == {"run": "3", "result": "success", "duration_ms": "840", "event": "task_end"}
    assert (end.time_text, end.line, end.raw) == ("Nov 28 08:00:01", 3,
                                                  f"{APP}BgProbe v1 task_end task=a run=3 result=success "
                                                  "duration_ms=840")


def test_expo_executing_task_names_its_app_id() -> None:
    [event] = events_of("2022-10-11 17:33:48.620501-0700 Courier[412:1] EXTaskService: Executing task 'a b' for app "
                        "'main'.")
    assert (event.task, event.extra) == ("a b", {"source": "EXTaskService", "app_id": "main"})


# -- what the virtual iPhone writes, as syslog_relay and as the driver's pmd3 capture ------------------------------
def _lab_story() -> list[tuple[texts.Daemon, str]]:
    activity = "com.apple.pushLaunch.com.example.courier:00ABCD"
    return [*texts.launch_lines(BUNDLE, 412, False), *texts.push_received(BUNDLE, 5, "61A7-2E2F"),
            *texts.push_submitted(BUNDLE, activity), texts.push_completed(activity),
            *texts.termination_lines(BUNDLE, 412, 9)]


_LAB_EXPECTED = [("process_start", BUNDLE, 412, None, None, None),
                 ("push", BUNDLE, None, None, "priority 5", None),
                 ("activity", BUNDLE, None, None, "submitted", None),
                 ("activity", BUNDLE, None, None, "completed", None),
                 ("kill", BUNDLE, 412, None, "SIGKILL", "unknown")]


def test_lab_relay_story() -> None:
    lines = [relay(d.name, d.pid, m, d.image) for d, m in _lab_story()]
    assert [b[:-1] for b in brief(events_of("\n".join(lines)))] == _LAB_EXPECTED


def test_lab_story_as_the_driver_captures_it() -> None:
    # harness/ios/syslog.py writes pmd3's format_line(entry, include_label=True, …) for each os_trace entry.
    lines = [format_line(SyslogEntry(d.pid, datetime.fromtimestamp(1795852800.5), SyslogLogLevel.NOTICE,
                                     f"/System/Library/PrivateFrameworks/{d.image or d.name}.framework/x", 0,
                                     f"/usr/libexec/{d.name}", m, SyslogLabel(category="process",
                                                                              subsystem="com.apple.runningboard")),
                         include_label=True, image_offset=False, color=False) for d, m in _lab_story()]
    assert [b[:-1] for b in brief(events_of("\n".join(lines)))] == _LAB_EXPECTED


def test_feeding_records_one_at_a_time_is_the_same() -> None:
    lines = [relay(d.name, d.pid, m, d.image) for d, m in _lab_story()]
    records = parse_ios(lines).lines
    builder = IOSEventBuilder()
    for record in records:
        builder.feed([record])
    assert builder.finish() == ios_events(records)
    assert builder.pid_bundle == {412: BUNDLE}


def test_parser_pair() -> None:
    parser, builder = parser_pair("ios", year=2026)
    assert isinstance(parser, IOSLogParser) and isinstance(builder, IOSEventBuilder)
    builder.feed(parser.feed([_APP_STARTED, f"{APP}BgProbe v1 wake reason=fetch"]) + parser.close())
    assert [e.kind for e in builder.events] == ["process_start", "wake"]
    android_parser, android_builder = parser_pair("android")
    assert type(android_parser).__name__ == "LogcatParser" and type(android_builder).__name__ == "EventBuilder"
    with pytest.raises(ValueError, match="'windows'"):
        parser_pair("windows")


# -- the real clients reading a lab iPhone -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IOSLab]:
    cfg = load_config(ROOT / "devices.toml")
    clock = RealtimeClock(1.0)
    lab = IOSLab([build_iphone(cfg.device("iphone-15"), cfg.app, clock)], clock, tmp_path_factory.mktemp("home"))
    lab.start()
    try:
        yield lab
    finally:
        lab.stop()


@pytest.mark.parametrize("client", [
    pytest.param((PMD3, "syslog", "live", "--label", "--udid", UDID), id="pmd3-syslog-live"),
    pytest.param(("stdbuf", "-oL", "idevicesyslog", "-u", UDID), id="idevicesyslog", marks=needs_limd),
])
def test_events_from_a_lab_iphone_through_the_real_client(lab: IOSLab, client: tuple[str, ...]) -> None:
    system = lab.phone.system
    assert isinstance(system, IOSModel)
    ready = f"events-e2e-{client[0][-6:]}"
    with streaming(lab, *client) as stream:
        lab.call(lab.phone.log, "SpringBoard", ready, pid=58)
        stream.wait_for(ready, timeout_s=15)
        pid = lab.call(system.launch, BUNDLE, arguments=[RUN_TASK_ARGUMENT, "refresh-feed"], kill_existing=True)
        stream.wait_for("BgProbe v1 task_end task=refresh-feed")
        lab.call(system.user_force_quit, BUNDLE)
        stream.wait_for(f"Removing process: [application<{BUNDLE}>:{pid}]")
    after = stream.seen[next(i for i, line in enumerate(stream.seen) if ready in line) + 1:]
    mine = [e for e in events_of("\n".join(after)) if e.pid == pid]
    kinds = [(e.kind, e.package, e.task) for e in mine]
    assert kinds[:3] == [("process_start", BUNDLE, None), ("task_start", BUNDLE, "refresh-feed"),
                         ("task_end", BUNDLE, "refresh-feed")]
    assert mine[1].reason == "test"  # the probe's trigger for RUN_TASK_ARGUMENT
    assert kinds[-1] == ("kill", BUNDLE, None)
