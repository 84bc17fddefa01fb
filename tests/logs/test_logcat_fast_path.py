"""The threadtime fast path (issue 18: 300k lines/s) reads every line exactly as the general formats do.

``LogcatParser.feed`` matches most lines with one regex built for speed (ASCII digits, possessive repeats, the
year as an alternative) and caches what it derives from the columns (seconds, pids, tags). These tests hold it
to the plain regex it replaced and to the general ``_FORMATS`` table, on the lines where they could part ways.
"""

from __future__ import annotations

import calendar
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.logs.logcat import _FORMATS, _THREADTIME_ANY_DIGIT, _THREADTIME_FAST, LogcatParser, parse_logcat

# The fast path's regex before it was tuned for speed: greedy repeats, an optional year, any Unicode digit.
PLAIN = re.compile(r"(((?:\d{4}-)?\d\d-\d\d \d\d:\d\d:\d\d)\.(\d{1,9})) +(\d+) +(\d+) ([VDIWEFSA]) ([^:]*): (.*)")

# Lines the fast path takes, lines it must leave to the general formats, and lines in between.
LINES = [
    "11-28 08:15:02.311  4321  4350 I ActivityManager: Killing 30487:x/u0a1 (adj 900): empty #17",
    "11-28 08:15:02.311  4321  4350 I Zygote  : padded tag",
    "2026-11-28 08:15:02.311  4321  4350 I Tag: with -v year",
    "11-28 08:15:02.311123  4321  4350 I Tag: -v usec",
    "11-28 08:15:02.311123456  4321  4350 I Tag: -v nsec",
    "11-28 08:15:02.3  4321  4350 I Tag: one fraction digit",
    "11-28 08:15:02.311     1     1 D Tag:   leading spaces kept",
    "11-28 08:15:02.311 12345 12345 W My Tag With Spaces: msg: with: colons",
    "11-28 08:15:02.311  4321  4350 W Tag:with:colons: msg: more",
    "11-28 08:15:02.311  4321  4350 E Tag     : ",
    "11-28 08:15:02.311  4321  4350 E Tag:",
    "11-28 08:15:02.311  4321  4350 E : no tag",
    "11-28 08:15:02.311  4321  4350 A Tag: assert priority",
    "11-28 08:15:02.311  1000  4321  4350 I Tag     : with -v uid",
    "11-28 08:15:02.311  u0_a12  4321  4350 I Tag: -v uid by name",
    "11-28 08:15:02.311 +0100  4321  4350 I Tag: -v zone",
    "11-28 08:15:02.3111234567890  4321  4350 I Tag: more fraction digits than logcat prints",
    "11-28 08:15:02  4321  4350 I Tag: no fraction",
    "1732781702.311  4321  4350 I Tag: -v epoch",
    "١١-٢٨ ٠٨:١٥:٠٢.٣١١  ٤٣٢١  ٤٣٥٠ I Tag: Arabic-Indic digits",
    "11-28 08:15:02.311  ٤٣٢١  4350 I Tag: one column in other digits",
    "2026-11-28 08:15:02.311  ４３２１  4350 W Tag: full-width pid",
    "11-28 08:15:02.311  4321 4350 I Tag: one space between pid and tid",
    "11-28 08:15:02.311  4321  4350  I Tag: two spaces before the priority",
    "11-28 08:15:02.311  4321  4350I Tag: no space before the priority",
    "11-28 08:15:02.311  4321  4350 ITag: no space after the priority",
    "11-28 08:15:02.311  4321  4350 X Tag: no priority letter",
    "11-28  08:15:02.311  4321  4350 I Tag: two spaces in the time",
]


def general(line: str) -> tuple[object, ...] | None:
    """The record fields the general formats give: the first ``_FORMATS`` pattern that matches."""
    for fmt, pattern in _FORMATS:
        m = pattern.match(line)
        if m is not None:
            g = m.groupdict()
            pid, tid = g.get("pid"), g.get("tid")
            return (fmt, g["t"].strip() if g.get("t") else None, int(pid) if pid else None,
                    int(tid) if tid else None, g.get("p"), g.get("tag"), g.get("msg") or "", g.get("uid"))
    return None


def seconds(text: str, year: int) -> float | None:
    """What a printed MM-DD / YYYY-MM-DD time is, the way _Clock.epoch defines it."""
    m = re.fullmatch(r"(?:(\d{4})-)?(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d+))?", text)
    if m is None:
        return None
    y, *rest = (int(v) if v else None for v in m.groups()[:6])
    base = float(calendar.timegm((y or year, *rest, 0, 0, 0)))  # type: ignore[arg-type]
    frac = m[7]
    return base + (int(frac) / 10 ** len(frac) if frac else 0.0)


@pytest.mark.parametrize("line", LINES)
def test_a_line_reads_as_the_general_formats_read_it(line: str) -> None:
    parsed = parse_logcat(line, year=2026)
    expected = general(line)
    if expected is None:
        assert parsed.lines == [] and parsed.skipped == 1
        return
    assert parsed.skipped == 0
    [record] = parsed.lines
    assert (record.fmt, record.time_text, record.pid, record.tid, record.prio, record.tag, record.msg,
            record.uid) == expected
    assert record.raw == line and record.line_no == 1
    expected_time = seconds(record.time_text or "", 2026)
    if expected_time is not None:  # a date, no zone
        assert record.time == expected_time


@pytest.mark.parametrize("line", LINES)
def test_the_fast_regexes_match_as_the_plain_one(line: str) -> None:
    plain = PLAIN.match(line)
    fast, any_digit = _THREADTIME_FAST.match(line), _THREADTIME_ANY_DIGIT.match(line)
    assert (any_digit.groups() if any_digit else None) == (plain.groups() if plain else None)
    if line.isascii():  # the fast regex takes every such line, or the rate falls back to the slower one
        assert (fast.groups() if fast else None) == (plain.groups() if plain else None)
    else:
        assert fast is None


_PIECES = st.tuples(
    st.sampled_from(["", "2026-", "٢٠٢٦-", "26-"]),
    st.sampled_from(["11-28 08:15:02", "١١-٢٨ 08:15:02", "11-28  08:15:02", "11-28 08:15"]),
    st.sampled_from([".311", ".3", ".311123", ".1234567890", "", ".", ".3a"]),
    st.sampled_from([" ", "  ", "   ", "", "\t"]),
    st.sampled_from(["4321", "1", "٤٣", "u0_a1", ""]),
    st.sampled_from([" ", "  ", "", " \t"]),
    st.sampled_from(["4350", "12", "٤", "x", ""]),
    st.sampled_from([" I ", " A ", "  I ", " I", "I ", " Q ", " i "]),
    st.sampled_from(["Tag", "Tag  ", "My Tag", "", "a:b", " Tag", "Tag\t", "Tag\xa0"]),
    st.sampled_from([": ", ":", " : ", ": : ", "::", ""]),
    st.sampled_from(["msg", "", "  spaced", "a: b: c", "trailing ", "x\ty"]),
)


@settings(max_examples=400, deadline=None)
@given(_PIECES)
def test_assembled_lines_match_as_the_plain_regex(pieces: tuple[str, ...]) -> None:
    line = "".join(pieces)
    plain = PLAIN.match(line)
    any_digit = _THREADTIME_ANY_DIGIT.match(line)
    assert (any_digit.groups() if any_digit else None) == (plain.groups() if plain else None)
    fast = _THREADTIME_FAST.match(line)
    assert (fast.groups() if fast else None) == (plain.groups() if plain and line.isascii() else None)


def test_caches_do_not_carry_a_line_into_the_next() -> None:
    """The hot path caches seconds, pids and tags: a record's fields are its own line's, whatever came before,
    across feeds, and after a -v long entry that ended without its blank line."""
    lines = ["11-28 08:15:02.311  4321  4350 I Tag  : one",
             "11-28 08:15:02.999  4321  4351 I Tag: two",
             "2025-11-28 08:15:02.999  4321  4351 I Tag: three, another year",
             "[ 11-28 08:15:03.000  4321: 4350 I/Long ]",
             "long body",
             "11-28 08:15:03.500  ٤٣٢١  4350 W Tag: four"]
    parser = LogcatParser(year=2026)
    records = parser.feed(lines[:2]) + parser.feed(lines[2:]) + parser.close()
    assert [(r.time_text, r.pid, r.tid, r.prio, r.tag, r.msg, r.fmt) for r in records] == [
        ("11-28 08:15:02.311", 4321, 4350, "I", "Tag", "one", "threadtime"),
        ("11-28 08:15:02.999", 4321, 4351, "I", "Tag", "two", "threadtime"),
        ("2025-11-28 08:15:02.999", 4321, 4351, "I", "Tag", "three, another year", "threadtime"),
        ("11-28 08:15:03.000", 4321, 4350, "I", "Long", "long body", "long"),
        ("11-28 08:15:03.500", 4321, 4350, "W", "Tag", "four", "threadtime"),
    ]
    assert [r.time for r in records] == [seconds(r.time_text or "", 2026) for r in records]
    assert records[1].time is not None and records[2].time == records[1].time - 365 * 86400
