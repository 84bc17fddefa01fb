"""The parsers' hot paths under real volume (issues 20 and 22): the harness's own capture formats take the fast
path, and the fast path reads every line exactly as the general one does."""

from __future__ import annotations

import itertools

from harness.config import load_config
from harness.lab.android.logbuf import LogFormat, format_entry
from harness.lab.android.noise import LogNoise
from harness.lab.clock import ManualClock
from harness.lab.runner import build_android
from harness.logs.ios_events import IOSEventBuilder
from harness.logs.ios_syslog import _PMD3_LABEL, IOSLogParser, _strip_label
from harness.logs.logcat import _FORMATS, LogcatParser
from tests.labkit import ROOT


def noise_lines(fmt: LogFormat, count: int = 5000) -> list[str]:
    cfg = load_config(ROOT / "devices.toml")
    dev = build_android(cfg, cfg.device("pixel-8"), ManualClock())
    LogNoise(dev, 100.0, cfg.app.android_package).emit(count)
    entries = dev.logs.entries(["main", "system", "events", "radio"])
    return [format_entry(e, fmt).rstrip("\n") for e in entries]


def test_the_captures_year_threadtime_reads_as_the_general_threadtime_pattern() -> None:
    lines = noise_lines(LogFormat(year=True))
    parser = LogcatParser(year=2026)
    records = parser.feed(lines) + parser.close()
    general = _FORMATS[0][1]
    rows = [(record, row, raw) for record in records for _, row, raw in record.rows()]
    # one row a line: consecutive lines of one thread, tag and millisecond are one message's rows, as logcat prints
    # a multi-line message (the events are read row by row, android_events.EventBuilder.feed)
    assert [raw for _, _, raw in rows] == lines
    for record, row, raw in rows:
        m = general.match(raw)
        assert m is not None, raw
        assert (record.time_text, record.pid, record.tid, record.prio, record.tag, row) == \
               (m["t"].strip(), int(m["pid"]), int(m["tid"]), m["p"], m["tag"], m["msg"] or "")
        assert record.time is not None and record.fmt == "threadtime"


def test_year_and_no_year_give_the_same_times() -> None:
    with_year = LogcatParser(year=2026).feed(noise_lines(LogFormat(year=True), 500))
    without = LogcatParser(year=2026).feed(noise_lines(LogFormat(), 500))
    assert [r.time for r in with_year] == [r.time for r in without]


def test_the_label_strip_is_the_regex_it_replaces() -> None:
    parts = ["", " ", "a", "[", "]", "[x]", "[a][b]", " [a][b]", " [a b][c]", "x ", " [][]", "[[a][b]", " [a]][b]",
             " [a][b]]", "\t"]
    for combo in itertools.product(parts, repeat=3):
        msg = "".join(combo)
        assert _strip_label(msg) == _PMD3_LABEL.sub("", msg, count=1), repr(msg)


def test_a_pmd3_one_row_record_and_a_two_row_record() -> None:
    parser = IOSLogParser(year=2026)
    lines = ["2026-11-28 08:00:00.500000 dasd{DuetActivityScheduler}[139] <NOTICE>: one row [com.apple.dasd][x]",
             "2026-11-28 08:00:01 SpringBoard{FrontBoard}[58] <ERROR>: first row",
             "second row [com.apple.FrontBoard][Scene]",
             "2026-11-28 08:00:02 kernel{kernel}[0] <DEBUG>: bare space "]
    records = parser.feed(lines) + parser.close()
    assert [(r.tag, r.pid, r.prio, r.msg) for r in records] == [
        ("dasd", 139, "N", "one row"), ("SpringBoard", 58, "E", "first row\nsecond row"),
        ("kernel", 0, "D", "bare space")]
    assert records[0].raw == lines[0] and records[1].raw == "\n".join(lines[1:3])


def test_apples_own_dasd_activities_are_not_the_apps() -> None:
    """A real iPhone's dasd scores and runs dozens of Apple's own activities an hour; with no owner they read as
    the app's (``Expect`` counts an event without a package as the app's) and flood its failure timeline."""
    parser, builder = IOSLogParser(year=2026), IOSEventBuilder()
    lines = [
        "Nov 28 08:00:01 iPhone dasd(DuetActivitySchedulerDaemon)[139] <Notice>: 'com.apple.suggestd.harvesting:e1c9bc'"
        " CurrentScore: 0.21, ThresholdScore: 0.16, DecisionToRun:0",
        "Nov 28 08:00:02 iPhone dasd(DuetActivitySchedulerDaemon)[139] <Notice>: Submitted Activity: "
        "com.apple.fetch.com.example.courier:45cbb8 at priority 20 <private>",
        "Nov 28 08:00:03 iPhone dasd(DuetActivitySchedulerDaemon)[139] <Notice>: Submitted Activity: "
        "bgRefresh-com.example.courier:AB12CD at priority 30 <private>",
        "Nov 28 08:00:04 iPhone dasd(DuetActivitySchedulerDaemon)[139] <Notice>: COMPLETED "
        "com.apple.pushLaunch.com.example.courier:9F at priority 5 <private>",
    ]
    builder.feed(parser.feed(lines) + parser.close())
    assert [(e.kind, e.package) for e in builder.events] == [
        ("activity", "com.apple.suggestd"), ("activity", None), ("activity", None), ("activity", "com.example.courier")]
