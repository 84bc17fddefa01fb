"""logcat line formats: a table per format, the real captures, and round trips through the lab's
formatter (harness/lab/android/logbuf.py), which follows liblog/logprint.cpp."""

from __future__ import annotations

import calendar
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.lab.android.logbuf import LogEntry, LogFormat, format_entry
from harness.logs.logcat import LogcatParser, LogLine, parse_line, parse_logcat

DATA = Path(__file__).parent / "data"


def data(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def utc(text: str) -> float:
    return float(calendar.timegm(time.strptime(text, "%Y-%m-%d %H:%M:%S")))


# (line, fmt, time_text, pid, tid, prio, tag, msg)
FORMATS = [
    ("02-15 19:41:49.159  1416  3981 I ActivityManager: Killing 30487:x/u0a1 (adj 900): empty #17", "threadtime",
     "02-15 19:41:49.159", 1416, 3981, "I", "ActivityManager", "Killing 30487:x/u0a1 (adj 900): empty #17"),
    ("11-28 08:15:02.311  4321  4350 I Zygote  : padded tag", "threadtime", "11-28 08:15:02.311", 4321, 4350, "I",
     "Zygote", "padded tag"),
    ("11-28 08:15:02.311  1000  4321  4350 I Tag     : with -v uid", "threadtime", "11-28 08:15:02.311", 4321, 4350,
     "I", "Tag", "with -v uid"),
    ("11-28 08:15:02.311  4321  4350 W Tag:with:colons: msg: more", "threadtime", "11-28 08:15:02.311", 4321, 4350,
     "W", "Tag:with:colons", "msg: more"),
    ("11-28 08:15:02.311  4321  4350 E Tag     : ", "threadtime", "11-28 08:15:02.311", 4321, 4350, "E", "Tag", ""),
    ("08-08 17:23:56.527 I/OHPD    ( 1370): [BgDetect][PD] total usage 6 over thold", "time", "08-08 17:23:56.527",
     1370, None, "I", "OHPD", "[BgDetect][PD] total usage 6 over thold"),
    ("08-08 17:23:56.527 I/OHPD    ( 1000: 1370): uid in time", "time", "08-08 17:23:56.527", 1370, None, "I", "OHPD",
     "uid in time"),
    ("I/OHPD    ( 1370): [BgDetect][PD] force stop com.adguard.android (uid 10273) level 0", "brief", None, 1370,
     None, "I", "OHPD", "[BgDetect][PD] force stop com.adguard.android (uid 10273) level 0"),
    ("D/Tag     : tag format", "tag", None, None, None, "D", "Tag", "tag format"),
    ("I( 1370) process format  (MyTag)", "process", None, 1370, None, "I", "MyTag", "process format"),
    ("I( 1370: 1371) thread format", "thread", None, 1370, 1371, "I", None, "thread format"),
    ("         1700000000.123  1416  3981 I Tag     : epoch", "threadtime", "1700000000.123", 1416, 3981, "I", "Tag",
     "epoch"),
    ("  3601.250  1416  3981 I Tag     : monotonic", "threadtime", "3601.250", 1416, 3981, "I", "Tag", "monotonic"),
    ("2024-02-15 19:41:49.159  1416  3981 I Tag     : year", "threadtime", "2024-02-15 19:41:49.159", 1416, 3981,
     "I", "Tag", "year"),
    ("02-15 19:41:49.159123  1416  3981 I Tag     : usec", "threadtime", "02-15 19:41:49.159123", 1416, 3981, "I",
     "Tag", "usec"),
    ("02-15 19:41:49.159123456  1416  3981 I Tag     : nsec", "threadtime", "02-15 19:41:49.159123456", 1416, 3981,
     "I", "Tag", "nsec"),
    ("02-15 19:41:49.159 +0100  1416  3981 I Tag     : zone", "threadtime", "02-15 19:41:49.159 +0100", 1416, 3981,
     "I", "Tag", "zone"),
    ("I ActivityManager: Killing PhantomProcessRecord {9ccd0ab 5683:5641:bash/u0a147}: Trimming phantom processes",
     "bare", None, None, None, "I", "ActivityManager",
     "Killing PhantomProcessRecord {9ccd0ab 5683:5641:bash/u0a147}: Trimming phantom processes"),
    ("ActivityManager: Killing 879:com.android.settings/1000 (adj 945): empty #17", "bare", None, None, None, None,
     "ActivityManager", "Killing 879:com.android.settings/1000 (adj 945): empty #17"),
    ("2020-02-13 14:21:37.990 29528-29660/androidx.work.integration.testapp I/WM-DiagnosticsWrkr: "
     "Recently completed work:",
     "studio", "2020-02-13 14:21:37.990", 29528, 29660, "I", "WM-DiagnosticsWrkr", "Recently completed work:"),
    ("2023-06-27 10:04:47.123  1234-1280  ActivityManager         system_server                        I  Start proc",
     "studio", "2023-06-27 10:04:47.123", 1234, 1280, "I", "ActivityManager", "Start proc"),
    ("FreecessController      system_server                        D  me.clarius.clarius(state: Initial -> Freezeable, "
     "Reason: uidIdle)", "studio", None, None, None, "D", "FreecessController",
     "me.clarius.clarius(state: Initial -> Freezeable, Reason: uidIdle)"),
]


@pytest.mark.parametrize(("line", "fmt", "time_text", "pid", "tid", "prio", "tag", "msg"), FORMATS)
def test_each_format_is_detected(line: str, fmt: str, time_text: str | None, pid: int | None, tid: int | None,
                                 prio: str | None, tag: str | None, msg: str) -> None:
    rec = parse_line(line, year=2024)
    assert rec is not None
    assert (rec.fmt, rec.time_text, rec.pid, rec.tid, rec.prio, rec.tag, rec.msg) == (
        fmt, time_text, pid, tid, prio, tag, msg)
    assert rec.raw == line


@pytest.mark.parametrize(("line", "expected"), [
    ("02-15 19:41:49.159  1 2 I T: m", utc("2024-02-15 19:41:49") + 0.159),
    ("02-15 19:41:49.159123  1 2 I T: m", utc("2024-02-15 19:41:49") + 0.159123),
    ("02-15 19:41:49.159123456  1 2 I T: m", utc("2024-02-15 19:41:49") + 0.159123456),
    ("2019-11-04 13:03:41.000  1 2 I T: m", utc("2019-11-04 13:03:41")),
    ("02-15 19:41:49.159 +0100  1 2 I T: m", utc("2024-02-15 18:41:49") + 0.159),
    ("02-15 19:41:49.159 -0230  1 2 I T: m", utc("2024-02-15 22:11:49") + 0.159),
    ("         1700000000.123  1 2 I T: m", 1700000000.123),
    ("  3601.250  1 2 I T: m", None),  # seconds since boot: no wall-clock time
    # stamps no clock prints (a damaged paste): the line is read, with no instant, and nothing raises
    ("13-01 00:00:00.000  1 2 I T: m", None),
    ("00-15 19:41:49.159  1 2 I T: m", None),
    ("02-32 19:41:49.159  1 2 I T: m", None),
    ("02-15 24:41:49.159  1 2 I T: m", None),
    ("2019-11-04 13:61:41.000  1 2 I T: m", None),
    ("12-31 23:59:60.000  1 2 I T: m", utc("2025-01-01 00:00:00")),  # a leap second, as timegm counts it
])
def test_times_become_seconds_since_1970(line: str, expected: float | None) -> None:
    rec = parse_line(line, year=2024)
    assert rec is not None
    if expected is None:
        assert rec.time is None
    else:
        assert rec.time == pytest.approx(expected, abs=1e-6)


def test_times_without_a_year_default_to_this_year() -> None:
    rec = parse_line("01-01 00:00:00.000  1 2 I T: m")
    assert rec is not None and rec.time is not None
    assert time.gmtime(rec.time).tm_year == time.gmtime().tm_year


def test_multi_line_message_rows_are_joined() -> None:
    text = ("11-28 08:15:02.311  4321  4350 W WM-SystemJobScheduler: JobScheduler 150 job limit exceeded.\n"
            "11-28 08:15:02.311  4321  4350 W WM-SystemJobScheduler: We count 151 WorkManager jobs\n"
            "11-28 08:15:02.312  4321  4350 W WM-SystemJobScheduler: next message\n")
    result = parse_logcat(text, year=2024)
    assert [(r.line_no, r.msg) for r in result.lines] == [
        (1, "JobScheduler 150 job limit exceeded.\nWe count 151 WorkManager jobs"), (3, "next message")]
    assert [row[0] for row in result.lines[0].rows()] == [1, 2]


@pytest.mark.parametrize("second", [
    "11-28 08:15:02.311  4321  4351 I T: other thread",
    "11-28 08:15:02.311  4322  4350 I T: other pid",
    "11-28 08:15:02.311  4321  4350 I U: other tag",
    "11-28 08:15:02.311  4321  4350 W T: other priority",
])
def test_rows_with_another_prefix_are_not_joined(second: str) -> None:
    result = parse_logcat("11-28 08:15:02.311  4321  4350 I T: first\n" + second + "\n", year=2024)
    assert len(result.lines) == 2


def test_rows_are_joined_only_when_adjacent() -> None:
    text = ("11-28 08:15:02.311  1 2 I T: a\n--------- beginning of system\n11-28 08:15:02.311  1 2 I T: b\n"
            "11-28 08:15:02.311  1 2 I T: c\nnot a log line\n11-28 08:15:02.311  1 2 I T: d\n")
    result = parse_logcat(text, year=2024)
    assert [r.msg for r in result.lines] == ["a", "b\nc", "d"]
    assert result.skipped == 1 and result.skipped_line_nos == [5]


def test_lines_without_a_time_are_never_joined() -> None:
    result = parse_logcat(data("s08_a.txt"))
    assert len(result.lines) == 9


def test_dividers_set_the_buffer_and_are_not_counted() -> None:
    text = ("--------- beginning of main\n11-28 08:15:02.311  1 2 I T: a\n--------- switch to system\n"
            "11-28 08:15:02.312  1 2 I T: b\n")
    result = parse_logcat(text)
    assert [(r.buffer, r.msg) for r in result.lines] == [("main", "a"), ("system", "b")]
    assert result.skipped == 0


def test_long_format_entries_with_several_rows() -> None:
    text = ("[ 11-28 08:15:02.311  4321: 4350 I/ReactNativeJS ]\nrow one\nrow two\n\n"
            "[ 11-28 08:15:02.312  1000: 4321: 4350 D/Other    ]\nsingle\n\n")
    first, second = parse_logcat(text, year=2024).lines
    assert (first.fmt, first.tag, first.pid, first.tid, first.msg) == ("long", "ReactNativeJS", 4321, 4350,
                                                                       "row one\nrow two")
    assert (first.line_no, first.msg_line, [r[0] for r in first.rows()]) == (1, 2, [2, 3])
    assert (second.uid, second.tag, second.msg, second.first_msg_line) == ("1000", "Other", "single", 6)


def test_crlf_line_ends() -> None:
    result = parse_logcat("11-28 08:15:02.311  1 2 I T: a\r\n11-28 08:15:02.312  1 2 I T: b\r\n")
    assert [r.msg for r in result.lines] == ["a", "b"]


def test_incremental_feeding_matches_a_whole_parse() -> None:
    text = data("s02_a.txt") + data("s07_a.txt") + data("s25_a.txt") + data("s13_a.txt")
    whole = parse_logcat(text, year=2020)
    parser = LogcatParser(year=2020)
    pieces: list[LogLine] = []
    for line in text.splitlines():
        pieces.extend(parser.feed([line]))
    pieces.extend(parser.close())
    assert pieces == whole.lines
    assert parser.skipped == whole.skipped


# -- every logcat capture in shared/reference/captures/android.md -------------------------------
# file → (records, skipped, [(fmt, tag, pid, msg prefix) of each record])
_WM_COLUMNS = "Id  Class Name   State  Unique Name Tags"
Head = tuple[str, str, int | None, str]
CAPTURES: dict[str, tuple[int, int, list[Head]]] = {
    "s02_a.txt": (7, 0, [
        ("threadtime", tag, 4027, prefix) for tag, prefix in [
            ("AlarmManagerEXT", "(AppSync) im.vector.app.debug : 300(420)"),
            ("AlarmManagerEXT", "(AppSync) im.vector.app.debug : 300(800)"),
            ("ActivityManager", "Force stopping im.vector.app.debug appid=10157 user=0: MARs #1"),
            ("ActivityManager", "Killing 29855:im.vector.app.debug/u0a157 (adj 700)"),
            ("ActivityManager", "  Force finishing activity ActivityRecord{6d15e01"),
            ("MultiScreenManagerService", "moveTaskBackToDisplayIfNeeded()"),
            ("ActivityManager", "  Force finishing activity ActivityRecord{4f5ee2")]]),
    "s03_a.txt": (1, 0, [("threadtime", "libprocessgroup", 3802, "Killing pid 12181 in uid 10294")]),
    # The four libprocessgroup rows share time, pid, tid and tag: logcat cannot tell them from one
    # multi-line message, so they join (event extraction reads them row by row).
    "s03_b.txt": (2, 0, [("threadtime", "ActivityManager", 3805, "Killing 11364:com.termux/u0a294 (adj 906)"),
                         ("threadtime", "libprocessgroup", 3805, "Killing pid 11521 in uid 10294")]),
    "s05_a.txt": (1, 0, [("long", "OPBF", 1235, "setCGroupState():tofreeze=true, uid:10423")]),
    "s06_a.txt": (1, 0, [("studio", "FreecessController", None, "me.clarius.clarius(state: Initial")]),
    "s07_a.txt": (3, 0, [("long", "PFW.HwPFWAppWakeLockPolicy", 4230, "getUidWakeLock uid: 10185"),
                         ("long", "PFW.HwPFWAppWakeLockPolicy", 4230, "uid: 10185 wakelock > 60 mins"),
                         ("long", "PFW.HwPFWAppWakeLockPolicy", 4230, "force stop abnormal wakelock app")]),
    "s08_a.txt": (9, 0, [("bare", "ActivityManager", None, "Killing 879:com.android.settings/1000")]),
    "s08_b.txt": (3, 0, [("bare", "ActivityManager", None, "Killing PhantomProcessRecord"),
                         ("bare", "libprocessgroup", None, "Successfully killed process cgroup"),
                         ("bare", "ActivityManager", None, "Process PhantomProcessRecord")]),
    "s10_a.txt": (1, 0, [("threadtime", "ActivityManager", 561, "Process com.nullij.androidcodestudio (pid 14362)")]),
    "s10_b.txt": (1, 0, [("threadtime", "ActivityManager", 247, "Process com.mservice.momotransfer (pid 35228)")]),
    "s10_c.txt": (1, 0, [("threadtime", "ActivityManager", 8977, "Force stopping org.mysite.grr appid=10150")]),
    "s11_a.txt": (0, 0, []),  # `logcat -g` output: logcat's own report, not a message
    "s11_b.txt": (3, 0, [("threadtime", "ActivityManager", 1448, "Unable to start service"),
                         ("threadtime", "ActivityManager", 1448, "freezing 11950 app.revanced.android.youtube"),
                         ("threadtime", "ActivityManager", 1448, "freezing 30033 app.revanced.android.gms")]),
    "s13_a.txt": (1, 1, [("threadtime", "TSBackgroundFetch", 6354, "- configure")]),
    "s14_a.txt": (0, 1, []),  # a bare events payload: no tag, no prefix (see test_android_events)
    "s21_a.txt": (1, 0, [("threadtime", "JobServiceContext", 1867, "Client timed out while executing")]),
    "s22_a.txt": (0, 2, []),  # shell session (see test_dumpsys: parse_jobscheduler_run)
    "s23_a.txt": (1, 1, [("bare", "TSBackgroundFetch", None, "- registerTask: com.transistorsoft.customtask")]),
    "s23_b.txt": (0, 1, []),
    "s25_a.txt": (4, 0, [("studio", "WM-DiagnosticsWrkr", 29528, "Recently completed work:"),
                         ("studio", "WM-DiagnosticsWrkr", 29528, f"{_WM_COLUMNS}\n08be261c"),
                         ("studio", "WM-DiagnosticsWrkr", 29528, "Running work:"),
                         ("studio", "WM-DiagnosticsWrkr", 29528, f"{_WM_COLUMNS}\nb87c8a4f")]),
}


@pytest.mark.parametrize("name", sorted(CAPTURES))
def test_real_captures(name: str) -> None:
    count, skipped, heads = CAPTURES[name]
    result = parse_logcat(data(name), year=2024)
    assert (len(result.lines), result.skipped) == (count, skipped)
    for rec, (fmt, tag, pid, prefix) in zip(result.lines, heads, strict=False):
        assert (rec.fmt, rec.tag, rec.pid) == (fmt, tag, pid)
        assert rec.msg.startswith(prefix), rec.msg


def test_capture_details() -> None:
    died = parse_logcat(data("s10_a.txt")).lines[0]
    assert died.msg.endswith("has died: fore TOP ")  # the trailing space survives
    studio = parse_logcat(data("s25_a.txt")).lines[1]
    assert studio.process == "androidx.work.integration.testapp"
    assert studio.msg.count("\n") == 2 and studio.raw.count("\n") == 2
    huawei = parse_logcat(data("s07_a.txt"), year=2016).lines
    assert [r.line_no for r in huawei] == [1, 5, 9] and huawei[2].first_msg_line == 10
    assert huawei[2].time == pytest.approx(utc("2016-05-25 18:10:17") + 0.249)


# -- round trips through the lab's formatter ----------------------------------------------------
_TAGS = st.from_regex(r"[A-Za-z][A-Za-z0-9_.\-]{0,22}", fullmatch=True)
_MSGS = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")), max_size=60)
_STYLES = st.sampled_from(["threadtime", "time", "brief", "long"])
_ENTRIES = st.builds(
    LogEntry, seq=st.just(1), buffer=st.just("main"),
    sec=st.integers(1_000_000_000, 4_000_000_000).map(lambda s: s + 0.25),  # exact in binary
    uptime=st.just(100.0), pid=st.integers(1, 99999), tid=st.integers(1, 99999), uid=st.integers(0, 99999),
    prio=st.sampled_from("VDIWEF"), tag=_TAGS, msg=_MSGS)


@settings(max_examples=150, deadline=None)
@given(entry=_ENTRIES, style=_STYLES, year=st.booleans(), epoch=st.booleans(), usec=st.booleans(),
       zone=st.booleans(), uid=st.booleans())
def test_lab_lines_read_back_exactly(entry: LogEntry, style: str, year: bool, epoch: bool, usec: bool, zone: bool,
                                     uid: bool) -> None:
    if style == "long" and (not entry.msg.strip() or entry.msg.lstrip().startswith("[")):
        return  # -v long ends an entry at a blank row
    fmt = LogFormat(style, epoch=epoch, year=year and not epoch, usec=usec, zone=zone and not epoch, uid=uid)
    text = format_entry(entry, fmt)
    result = parse_logcat(text, year=time.gmtime(entry.sec).tm_year)
    assert result.skipped == 0, text
    [rec] = result.lines
    assert (rec.pid, rec.prio, rec.tag, rec.msg) == (entry.pid, entry.prio, entry.tag, entry.msg), text
    if style in ("threadtime", "long"):
        assert rec.tid == entry.tid
    if style != "brief":
        assert rec.time == pytest.approx(entry.sec, abs=1e-6), text
        assert rec.time_text is not None and text.lstrip("[ ").startswith(rec.time_text)


@settings(max_examples=60, deadline=None)
@given(entry=_ENTRIES, rows=st.lists(_MSGS, min_size=2, max_size=4))
def test_lab_multi_line_messages_read_back_whole(entry: LogEntry, rows: list[str]) -> None:
    msg = "\n".join(rows)
    entry = LogEntry(entry.seq, entry.buffer, entry.sec, entry.uptime, entry.pid, entry.tid, entry.uid,
                     entry.prio, entry.tag, msg)
    result = parse_logcat(format_entry(entry, LogFormat("threadtime")), year=time.gmtime(entry.sec).tm_year)
    assert [r.msg for r in result.lines] == [msg]


# logcat -v color wraps each line in ANSI colours (logprint.cpp); -v raw prints the message alone, which is
# read only for ActivityManager's own wordings (issue 18).
@pytest.mark.parametrize(("line", "tag", "msg"), [
    ("\x1b[38;5;40mI/ActivityManager( 1370): Killing 20509:com.a.b/u0a273 (adj 200): remove task\x1b[0m",
     "ActivityManager", "Killing 20509:com.a.b/u0a273 (adj 200): remove task"),
    ("Killing 20509:com.a.b/u0a273 (adj 200): remove task", "ActivityManager",
     "Killing 20509:com.a.b/u0a273 (adj 200): remove task"),
    ("Process com.a.b (pid 14362) has died: fore TOP", "ActivityManager",
     "Process com.a.b (pid 14362) has died: fore TOP"),
])
def test_color_and_raw_lines(line: str, tag: str, msg: str) -> None:
    parsed = parse_logcat(line)
    assert [(r.tag, r.msg) for r in parsed.lines] == [(tag, msg)] and parsed.skipped == 0


def test_raw_lines_that_are_not_activitymanager_are_skipped() -> None:
    assert parse_logcat("some message an app printed\nKilling time at the station\n").skipped == 2



def test_a_stamp_no_clock_prints_is_read_without_an_instant_every_time() -> None:
    """The hot path caches each second's instant: the second line of a bad second meets the cache, not the check."""
    parser = LogcatParser(year=2024)
    rows = ["13-01 00:00:00.000  1  2 I T: a", "13-01 00:00:00.001  1  2 I T: b", "01-01 00:00:00.001  1  2 I T: c"]
    out = parser.feed(rows) + parser.close()
    assert [(r.time, r.msg) for r in out] == [(None, "a"), (None, "b"), (utc("2024-01-01 00:00:00") + 0.001, "c")]
    assert parser.skipped == 0
