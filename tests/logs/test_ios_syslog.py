"""``IOSLogParser``: every iOS log format, from real captures, the real pymobiledevice3 formatter, the shape
``idevicesyslog`` prints (tools/idevicesyslog.c), and the lines the virtual iPhone writes."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pymobiledevice3.cli.syslog import format_json_line, format_line
from pymobiledevice3.services.os_trace import SyslogEntry, SyslogLabel, SyslogLogLevel

from harness.lab.ios.os import texts
from harness.lab.ios.syslog import LEVELS, format_relay_line
from harness.lab.ios.syslog import SyslogEntry as LabEntry
from harness.logs.ios_syslog import IOSLogParser, looks_like_ios, parse_ios
from harness.logs.logcat import LogLine

DATA = Path(__file__).parent / "data"


def one(line: str, year: int = 2026) -> LogLine:
    parsed = parse_ios(line, year=year)
    assert parsed.skipped == 0, parsed.skipped_line_nos
    [record] = parsed.lines
    return record


def fields(ln: LogLine) -> tuple[object, ...]:
    return ln.fmt, ln.time_text, ln.pid, ln.tid, ln.prio, ln.tag, ln.msg


def utc(*args: int) -> float:
    return float(calendar.timegm((*args, 0, 0, 0)))


# -- the captures in shared/reference/captures/ios.md, copied verbatim --------------------------------------
@pytest.mark.parametrize(("name", "expected"), [
    ("ios_s01_a.txt", [
        ("console", "05:40:26.372168+0400", None, None, "N", "SpringBoard",
         "Received incoming message on topic com.********.test at priority 5"),
        ("console", "05:40:26.401046+0400", None, None, "N", "SpringBoard",
         "[com.********.test] Received remote notification request 61A7-2E2F [ waking: 0, hasAlertContent: 0, "
         "hasSound: 0 hasBadge: 0 hasContentAvailable: 1 hasMutableContent: 0 pushType: Background]"),
        ("console", "05:40:26.401424+0400", None, None, "N", "SpringBoard",
         "[com.********.test] Request DUET delivers content-available push notification to application"),
        ("console", "05:40:26.401604+0400", None, None, "N", "SpringBoard",
         "SUBMITTING: com.apple.pushLaunch.com.********.test:DDAF46"),
        ("console", "05:40:26.402957+0400", None, None, "N", "dasd",
         "Submitted Activity: com.apple.pushLaunch.com.********.test:DDAF46 at priority 5 <private>"),
        ("console", "05:40:26.405965+0400", None, None, "N", "dasd",
         "CANCELED: com.apple.pushLaunch.com.********.test:8F4B6C at priority 5 <private>!"),
    ]),
    ("ios_s02_a.txt", [
        ("console", "10:03:39.139515 +0100", None, None, "N", "SpringBoard",
         "Received incoming message on topic gg.hc.apnstest at priority 1"),
        ("console", "10:03:39.140955 +0100", None, None, "N", "SpringBoard",
         "[gg.hc.apnstest] Received remote notification request 306D-00B4 [ hasAlertContent: 0, hasSound: 0 "
         "hasBadge: 0 hasContentAvailable: 1 hasMutableContent: 0 ]"),
    ]),
    ("ios_s03_a.txt", [
        ("console", "16:49:45.424565+0100", None, None, None, "SpringBoard",
         "Received incoming message on topic de.xyz.xyz.dev at priority 10"),
    ]),
    ("ios_s04_a.txt", [
        ("xcode", "2022-10-11 17:33:48.620501-0700", 2318, 156959, None, "RealityMaps",
         "Simulating launch for task with identifier com.transistorsoft.fetch"),
        ("xcode", "2022-10-11 17:33:51.256109-0700", 2318, 157236, None, "RealityMaps",
         "No task request with identifier <decode: missing data> has been scheduled"),
    ]),
    ("ios_s04_b.txt", [
        ("xcode", "2020-02-20 02:32:41.755488-0500", 1163, 231906, None, "ReLearn",
         "No task request with identifier com.transistorsoft.fetch has been scheduled"),
    ]),
    ("ios_s04_c.txt", [
        ("xcode", "2019-06-18 23:36:54.523814+0800", 5127, 695645, None, "NetNewsWire",
         "Starting simulated task: <BGAppRefreshTask: com.ranchero.NetNewsWire.FeedRefresh>"),
    ]),
    ("ios_s05_a.txt", [
        ("xcode", "2019-09-16 20:10:06.042027+0200", 27143, 266431, None, None,
         "[TSBackgroundFetch performFetchWithCompletionHandler]"),
    ]),
])
def test_real_captures(name: str, expected: list[tuple[object, ...]]) -> None:
    parsed = parse_ios((DATA / name).read_text(encoding="utf-8"))
    assert [fields(ln) for ln in parsed.lines] == expected
    assert parsed.skipped == 0
    assert [ln.line_no for ln in parsed.lines] == list(range(1, len(expected) + 1))


def test_a_crash_reason_is_not_a_log_line() -> None:
    parsed = parse_ios((DATA / "ios_s06_a.txt").read_text(encoding="utf-8"))
    assert (parsed.lines, parsed.skipped, parsed.skipped_line_nos) == ([], 1, [1])


@pytest.mark.parametrize(("text", "epoch"), [
    ("2022-10-11 17:33:48.620501-0700", utc(2022, 10, 12, 0, 33, 48) + 0.620501),  # Xcode prints the zone
    ("2019-06-18 23:36:54.523814+0800", utc(2019, 6, 18, 15, 36, 54) + 0.523814),
])
def test_xcode_times_are_exact(text: str, epoch: float) -> None:
    assert one(f"{text} App[1:2] hello").time == pytest.approx(epoch, abs=1e-6)


def test_console_times_without_a_date_have_no_epoch_but_with_one_are_exact() -> None:
    assert one("default\t05:40:26.372168+0400\tSpringBoard\thi").time is None
    dated = one("default\t2022-03-10 05:40:26.372168+0400\tSpringBoard\thi")
    assert dated.time == pytest.approx(utc(2022, 3, 10, 1, 40, 26) + 0.372168, abs=1e-6)


# -- console exports ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("line", "tag", "prio", "msg"), [
    # The Library column (ms-intune-app-sdk-ios#137 exports carry one): "runningboardd\tRunningBoard\t…".
    ("default\t08:00:54.700689-0600\trunningboardd\tRunningBoard\t[application<com.example.courier>:432] "
     "termination reported by launchd (2, 10, 10)", "runningboardd", "N",
     "[application<com.example.courier>:432] termination reported by launchd (2, 10, 10)"),
    # Library, Subsystem and Category columns all shown.
    ("error\t08:00:54.700689-0600\trunningboardd\tRunningBoard\tcom.apple.runningboard\tprocess\tgone away",
     "runningboardd", "E", "gone away"),
    ("fault\t08:00:54.700689-0600\tCourier\tFault here", "Courier", "F", "Fault here"),
    ("info\t08:00:54.700689-0600\tCourier\tword\tafter a tab", "Courier", "I", "after a tab"),
    ("debug\t08:00:54.700689-0600\tCourier\ttwo words\tthen a tab", "Courier", "D", "two words\tthen a tab"),
    ("Default\t08:00:54.700689-0600\tSpringBoard\tcapitalised type", "SpringBoard", "N", "capitalised type"),
])
def test_console_columns(line: str, tag: str, prio: str, msg: str) -> None:
    record = one(line)
    assert (record.fmt, record.tag, record.prio, record.msg, record.pid) == ("console", tag, prio, msg, None)


def test_console_multi_line_messages_keep_tabs_and_inner_blank_lines() -> None:
    # iOS 17+ exports put a blank line between records and indent a message's dump with tabs
    # (the shape of microsoft/vscode-dotnettools#1282 and a RunningBoard job description).
    text = ("default\t21:58:46.915138+0100\trunningboardd\t'app<com.example.courier(195463C9)>' Constructed job "
            "description:\n\n\t\"CFBundleIdentifier\" => <string: 0xb34a96730> { length = 19 }\n\n"
            "default\t21:58:46.916656+0100\trunningboardd\t[app<com.example.courier(195463C9)>:1292] This process "
            "will be managed.\n\n")
    parsed = parse_ios(text)
    assert parsed.skipped == 0
    first, second = parsed.lines
    assert first.msg == ("'app<com.example.courier(195463C9)>' Constructed job description:\n\n"
                         "\t\"CFBundleIdentifier\" => <string: 0xb34a96730> { length = 19 }")
    assert first.rows()[2] == (3, "\t\"CFBundleIdentifier\" => <string: 0xb34a96730> { length = 19 }",
                               "\t\"CFBundleIdentifier\" => <string: 0xb34a96730> { length = 19 }")
    assert (second.line_no, second.msg) == (5, "[app<com.example.courier(195463C9)>:1292] This process will be "
                                               "managed.")


# -- syslog_relay and idevicesyslog ---------------------------------------------------------------------------
@pytest.mark.parametrize(("line", "expected"), [
    # The iOS 11 example of reference ios.md §3.1 (e-mission/e-mission-phone#290).
    ("Sep 30 11:00:15 ucb-sdb-iphone-2 dasd(DuetActivitySchedulerDaemon)[139] <Notice>: Submitted Activity: …",
     ("syslog_relay", "Sep 30 11:00:15", 139, None, "N", "dasd", "Submitted Activity: …")),
    # iOS 15.2's shape, as quoted in ms-intune-app-sdk-ios#351.
    ("Jul 18 14:12:54 my-iPad runningboardd(RunningBoard)[60] <Notice>: [application<com.example.courier>:8873] "
     "termination reported by launchd (2, 10, 10)",
     ("syslog_relay", "Jul 18 14:12:54", 60, None, "N", "runningboardd",
      "[application<com.example.courier>:8873] termination reported by launchd (2, 10, 10)")),
    # idevicesyslog without -d drops the device name (tools/idevicesyslog.c: show_device_name).
    ("Nov 28 08:00:01 SpringBoard[58] <Notice>: Received incoming message on topic com.example.courier at "
     "priority 5", ("syslog_relay", "Nov 28 08:00:01", 58, None, "N", "SpringBoard",
                    "Received incoming message on topic com.example.courier at priority 5")),
    # A device name with spaces; a day padded with a space, as syslog's %e.
    ("Nov  3 08:00:01 Tom's iPhone Courier(Foundation)[412] <Error>: boom",
     ("syslog_relay", "Nov  3 08:00:01", 412, None, "E", "Courier", "boom")),
    ("Nov 28 08:00:01 iPhone kernel(AppleBiometricSensor)[0] <Debug>: x",
     ("syslog_relay", "Nov 28 08:00:01", 0, None, "D", "kernel", "x")),
    ("Nov 28 08:00:01 iPhone Courier[412] <Notice>: ", ("syslog_relay", "Nov 28 08:00:01", 412, None, "N", "Courier",
                                                         "")),
    ("Nov 28 08:00:01 iPhone Courier[412] <Notice>:", ("syslog_relay", "Nov 28 08:00:01", 412, None, "N", "Courier",
                                                        "")),
    ("Nov 28 08:00:01 iPhone Courier[412] <Warning>: w", ("syslog_relay", "Nov 28 08:00:01", 412, None, "W",
                                                          "Courier", "w")),
    ("Nov 28 08:00:01 iPhone Courier[412] <Fault>: f", ("syslog_relay", "Nov 28 08:00:01", 412, None, "F",
                                                        "Courier", "f")),
    ("Nov 28 08:00:01 iPhone Courier[412] <Critical>: c", ("syslog_relay", "Nov 28 08:00:01", 412, None, "F",
                                                           "Courier", "c")),
    ("Nov 28 08:00:01 iPhone Courier[412] <Odd>: o", ("syslog_relay", "Nov 28 08:00:01", 412, None, None,
                                                      "Courier", "o")),
])
def test_relay_lines(line: str, expected: tuple[object, ...]) -> None:
    assert fields(one(line)) == expected


def test_relay_time_is_placed_in_the_capture_year() -> None:
    assert one("Jul 18 14:12:54 iPad runningboardd[60] <Notice>: x", year=2023).time == utc(2023, 7, 18, 14, 12, 54)
    assert one("Feb 29 00:00:00 iPad runningboardd[60] <Notice>: x", year=2024).time == utc(2024, 2, 29, 0, 0, 0)


# tools/idevicesyslog.c on a terminal: the time dark white, the process name bright cyan, the rest of the
# process field cyan, <Notice>: green, the message white, then a reset.
_DARK_WHITE, _BRIGHT_CYAN, _CYAN, _GREEN, _WHITE, _RESET = ("\x1b[0;37m", "\x1b[1;36m", "\x1b[0;36m", "\x1b[0;32m",
                                                            "\x1b[1;37m", "\x1b[m")


def test_idevicesyslog_colours_are_ignored() -> None:
    line = (f"{_DARK_WHITE}Nov 28 08:00:01 {_BRIGHT_CYAN}dasd{_CYAN}(DuetActivitySchedulerDaemon)[139] "
            f"{_GREEN}<Notice>:{_WHITE} Submitted Activity: com.apple.pushLaunch.com.example.courier:ABCDEF{_RESET}")
    record = one(line)
    assert fields(record) == ("syslog_relay", "Nov 28 08:00:01", 139, None, "N", "dasd",
                              "Submitted Activity: com.apple.pushLaunch.com.example.courier:ABCDEF")
    assert record.raw == line


def test_relay_multi_line_messages_continue_without_a_header() -> None:
    # The shape of appium/appium#7535: SpringBoard's multi-line message, its rows indented.
    text = ("[connected]\n"
            "Dec 14 15:53:39 My-iPhone SpringBoard(UserNotificationsServer)[57] <Notice>: [com.example.courier] Not "
            "scheduling local notifications (user notifications: 0,\n"
            "    \"<SBApplicationInfo: 0x10924f7e0; bundleIdentifier: com.example.courier>\"\n"
            "Dec 14 15:53:42 My-iPhone SpringBoard(FrontBoard)[57] <Info>: next\n"
            "[disconnected]\n")
    parsed = parse_ios(text, year=2016)
    assert parsed.skipped == 0  # idevicesyslog's own [connected] / [disconnected] are not records
    first, second = parsed.lines
    assert first.msg.split("\n") == [
        "[com.example.courier] Not scheduling local notifications (user notifications: 0,",
        "    \"<SBApplicationInfo: 0x10924f7e0; bundleIdentifier: com.example.courier>\""]
    assert (first.line_no, second.line_no, second.prio, second.msg) == (2, 4, "I", "next")


# -- pymobiledevice3 syslog live: the real formatter -----------------------------------------------------------
def _entry(message: str, *, level: SyslogLogLevel = SyslogLogLevel.NOTICE, when: float = 1795852800.25,
           filename: str = "/private/var/containers/Bundle/Application/A/Courier.app/Courier",
           image: str = "/System/Library/Frameworks/Foundation.framework/Foundation",
           label: SyslogLabel | None = None, pid: int = 412) -> SyslogEntry:
    return SyslogEntry(pid, datetime.fromtimestamp(when), level, image, 0x1F00, filename, message, label)


_EXPO = SyslogLabel(subsystem="dev.expo.modules", category="expo")


@pytest.mark.parametrize("include_label", [True, False])
@pytest.mark.parametrize("color", [False, True])
@pytest.mark.parametrize(("level", "prio"), [
    (SyslogLogLevel.NOTICE, "N"), (SyslogLogLevel.INFO, "I"), (SyslogLogLevel.DEBUG, "D"),
    (SyslogLogLevel.ERROR, "E"), (SyslogLogLevel.FAULT, "F"), (SyslogLogLevel.USER_ACTION, "U"),
    (SyslogLogLevel(0x42), None),  # a level newer than pmd3 prints as its number
])
def test_pmd3_live_lines(level: SyslogLogLevel, prio: str | None, color: bool, include_label: bool) -> None:
    entry = _entry("🟡 Expo Background Tasks - task expired", level=level, label=_EXPO)
    record = one(format_line(entry, include_label=include_label, image_offset=color, color=color))
    assert (record.fmt, record.tag, record.pid, record.prio, record.msg) == (
        "pmd3", "Courier", 412, prio, "🟡 Expo Background Tasks - task expired")
    assert record.time == pytest.approx(1795852800.25, abs=1e-6)  # read back in the zone pmd3 printed it in
    assert record.time_text == str(entry.timestamp)


@pytest.mark.parametrize(("entry", "tag", "msg", "time"), [
    (_entry("whole second", when=1795852800.0), "Courier", "whole second", 1795852800.0),  # str() drops ".000000"
    (_entry("spaces", filename="/var/containers/Bundle/Application/A/My App.app/My App"), "My App", "spaces",
     1795852800.25),
    (_entry("no image, no process", filename="", image=""), None, "no image, no process", 1795852800.25),
    (_entry("ends with a space ", label=_EXPO), "Courier", "ends with a space ", 1795852800.25),
    (_entry("", label=None), "Courier", "", 1795852800.25),
])
def test_pmd3_live_edge_cases(entry: SyslogEntry, tag: str | None, msg: str, time: float) -> None:
    record = one(format_line(entry, include_label=True, image_offset=False, color=False))
    assert (record.tag, record.msg) == (tag, msg)
    assert record.time == pytest.approx(time, abs=1e-6)


def test_pmd3_multi_line_entry_fed_as_one_item_counts_its_physical_lines() -> None:
    # harness/ios/syslog.py feeds each os_trace entry as one string; the capture file has one line per row.
    entry = _entry("first row\nsecond row", label=_EXPO)
    parser = IOSLogParser()
    assert parser.feed([format_line(entry, include_label=True, image_offset=False, color=True)]) == []
    later = _entry("after", level=SyslogLogLevel.INFO)
    [record] = parser.feed([format_line(later, include_label=True, image_offset=False, color=False)])
    assert (record.msg, record.line_no, record.raw.count("\n")) == ("first row\nsecond row", 1, 1)
    [last] = parser.close()
    assert (last.msg, last.line_no) == ("after", 3)


def test_pmd3_json_lines() -> None:
    entry = _entry("BgProbe v1 wake reason=push", level=SyslogLogLevel.INFO,
                   label=SyslogLabel(subsystem="com.facebook.react.log", category="javascript"))
    record = one(format_json_line(entry))
    assert (record.fmt, record.tag, record.pid, record.prio, record.msg) == (
        "pmd3_json", "Courier", 412, "I", "BgProbe v1 wake reason=push")
    assert record.time == pytest.approx(1795852800.25, abs=1e-6)


# -- the virtual iPhone's syslog_relay lines (harness/lab/ios/syslog.py) -----------------------------------------
_LAB_LINES = [
    *texts.launch_lines("com.example.courier", 412, True),
    *texts.push_received("com.example.courier", 5, "61A7-2E2F"),
    *texts.push_submitted("com.example.courier", "com.apple.pushLaunch.com.example.courier:00ABCD"),
    texts.push_completed("com.apple.pushLaunch.com.example.courier:00ABCD"),
    *texts.termination_lines("com.example.courier", 412, 9),
]


@pytest.mark.parametrize(("daemon", "message"), _LAB_LINES)
def test_lab_relay_lines_parse(daemon: texts.Daemon, message: str) -> None:
    zone = UTC
    line = format_relay_line(LabEntry(1, 1795852800.0, daemon.name, daemon.pid, "Notice", message, daemon.image),
                             "QA iPhone", zone)
    record = one(line)
    assert (record.fmt, record.tag, record.pid, record.prio, record.msg, record.time) == (
        "syslog_relay", daemon.name, daemon.pid, "N", message, 1795852800.0)


@pytest.mark.parametrize("level", LEVELS)
def test_every_lab_level_parses(level: str) -> None:
    line = format_relay_line(LabEntry(1, 1795852800.0, "Courier", 412, level, "x", "Foundation"), "iPhone",
                             UTC)
    assert one(line).prio == {"Emergency": "F", "Alert": "F", "Critical": "F", "Error": "E", "Warning": "W",
                              "Notice": "N", "Info": "I", "Debug": "D", "Fault": "F"}[level]


# -- incremental feeding -------------------------------------------------------------------------------------
def _mixed() -> list[str]:
    return [
        "[connected]",
        "Nov 28 08:00:01 iPhone runningboardd(RunningBoard)[92] <Notice>: [application<com.example.courier>:412] "
        "This process will be managed.",
        "junk that continues the record above",
        format_line(_entry("two\nrows", label=_EXPO), include_label=True, image_offset=False, color=False),
        "",
        "default\t08:00:54.700689-0600\trunningboardd\tRemoving process: [application<com.example.courier>:412]",
        "2022-10-11 17:33:48.620501-0700 Courier[412:156959] Simulating launch for task with identifier x",
    ]


def test_feeding_one_line_at_a_time_gives_the_same_records() -> None:
    whole = parse_ios(_mixed(), year=2026)
    parser = IOSLogParser(year=2026)
    records: list[LogLine] = []
    for line in _mixed():
        records += parser.feed([line])
    records += parser.close()
    assert records == whole.lines
    assert [r.fmt for r in records] == ["syslog_relay", "pmd3", "console", "xcode"]
    assert [r.line_no for r in records] == [2, 4, 7, 8]
    assert records[0].msg.endswith("managed.\njunk that continues the record above")


def test_lines_before_any_record_are_skipped_with_their_numbers() -> None:
    parsed = parse_ios("not a log line\n\nstill not\nNov 28 08:00:01 iPhone Courier[412] <Notice>: x\n")
    assert (parsed.skipped, parsed.skipped_line_nos, len(parsed.lines)) == (2, [1, 3], 1)


def test_first_line_number_and_crlf() -> None:
    parser = IOSLogParser(first_line_no=10)
    parser.feed(["Nov 28 08:00:01 iPhone Courier[412] <Notice>: x\r\n"])
    [record] = parser.close()
    assert (record.line_no, record.msg) == (10, "x")


# -- which platform wrote a capture ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["ios_s01_a.txt", "ios_s02_a.txt", "ios_s03_a.txt", "ios_s04_a.txt",
                                  "ios_s04_c.txt", "ios_s05_a.txt"])
def test_ios_captures_look_like_ios(name: str) -> None:
    assert looks_like_ios((DATA / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["s02_a.txt", "s03_b.txt", "s06_a.txt", "s08_a.txt", "s10_a.txt", "s13_a.txt",
                                  "s14_a.txt", "s21_a.txt", "s25_a.txt"])
def test_logcat_captures_do_not(name: str) -> None:
    assert not looks_like_ios((DATA / name).read_text(encoding="utf-8"))


def test_nothing_parseable_is_not_ios() -> None:
    assert not looks_like_ios((DATA / "ios_s06_a.txt").read_text(encoding="utf-8"))
    assert not looks_like_ios("")


# -- log(1) on a Mac ---------------------------------------------------------------------------------------------
def test_log_show_default_style() -> None:
    # field n012 (objective-see/ProcessMonitor#6): labels "(Library) [subsystem:category]" are dropped.
    ln = one("2022-08-13 22:43:47.404958-0400 0x52a16    Error       0x0                  391    0    "
             "runningboardd: (RunningBoard) [com.apple.runningboard:general] RBSStateCapture remove item called",
             year=2022)
    assert (ln.fmt, ln.tag, ln.pid, ln.prio, ln.msg) == ("log_show", "runningboardd", 391, "E",
                                                         "RBSStateCapture remove item called")


def test_log_compact_style_prints_the_thread_in_hex() -> None:
    # The shape appium/appium#13503 relays from a simulator: "[pid:tid]" with tid in hex.
    ln = one("2019-11-06 15:01:04.002 Df assertiond[11734:352e4] [com.apple.assertiond:process_info] "
             "[yyy:15903] Invalidation complete.", year=2019)
    assert (ln.fmt, ln.tag, ln.pid, ln.tid, ln.msg) == ("log_show", "assertiond", 11734, 0x352E4,
                                                        "[yyy:15903] Invalidation complete.")


def test_a_lone_quote_mark_is_skipped_not_a_crash() -> None:
    parsed = parse_ios(">\n> \nNov 28 08:00:01 iPhone Courier[412] <Notice>: x\n")
    assert (parsed.skipped, len(parsed.lines)) == (2, 1)
    assert not looks_like_ios(">\n")
