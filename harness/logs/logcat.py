"""Parse logcat text, in any of logcat's ``-v`` formats, into typed ``LogLine`` records.

Pure: text in, records out. The format is detected per line, so a file that mixes formats (a
``threadtime`` dump pasted after a ``brief`` one) still parses. Prefix templates follow
liblog/logprint.cpp (``android_log_formatLogLine``); see docs in shared/reference/android.md §6.1.

- ``threadtime`` (the default), ``time``, ``brief``, ``tag``, ``process``, ``thread``, ``long``;
- time modifiers ``epoch`` (19-column right-aligned seconds), ``monotonic``, ``year``, ``usec``,
  ``nsec``, ``zone`` (`` +0000``) and ``uid`` (an extra column);
- the cut-down forms seen in real captures (``I Tag: msg`` and ``Tag: msg`` with the time and pid
  columns removed, ``[time pid:tid P/Tag]`` long headers without padding), and Android Studio's
  log view ("studio") as a best effort.

logcat repeats the full prefix on every row of a multi-line message, so consecutive rows with the
same time/pid/tid/priority/tag are joined back into one record with ``\\n``. That also joins two
separate messages logged by one thread in the same millisecond; event extraction therefore works
row by row (``LogLine.rows``).
"""

from __future__ import annotations

import calendar
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

__all__ = ["LogLine", "LogcatParse", "LogcatParser", "parse_line", "parse_logcat"]


class LogLine(NamedTuple):
    """One logcat message. A NamedTuple rather than a dataclass: it is built once per input line,
    and tuple construction is several times cheaper."""

    time: float | None  # seconds since 1970 (device time; None for monotonic or no time)
    time_text: str | None  # the time as printed, e.g. "02-15 19:41:49.159"
    pid: int | None
    tid: int | None
    prio: str | None  # V D I W E F S (A in Studio)
    tag: str | None
    msg: str  # rows of a multi-line message joined with "\n"
    line_no: int  # 1-based line of the first physical line (the header for -v long)
    buffer: str | None = None  # from the last "--------- beginning of X" divider
    uid: str | None = None  # -v uid column
    process: str | None = None  # the process name Android Studio prints
    fmt: str = "threadtime"  # detected format
    raw: str = ""  # the physical line(s), joined with "\n"
    msg_line: int = 0  # line of the first message row when it is not line_no (-v long)

    @property
    def first_msg_line(self) -> int:
        return self.msg_line or self.line_no

    def rows(self) -> list[tuple[int, str, str]]:
        """(line number, message row, source text) for each row of the message; the source text
        of a -v long row keeps its header line."""
        msgs = self.msg.split("\n")
        raws = self.raw.split("\n")
        offset = len(raws) - len(msgs)  # -v long: the header line comes first
        head = raws[0] + "\n" if offset > 0 else ""
        first = self.first_msg_line
        return [(first + i, m, head + raws[offset + i] if 0 <= offset + i < len(raws) else m)
                for i, m in enumerate(msgs)]


@dataclass(frozen=True, slots=True)
class LogcatParse:
    lines: list[LogLine]
    skipped: int  # non-blank lines that matched no format
    skipped_line_nos: list[int]


_PRIO = r"[VDIWEFSA]"
_DATE = r"(?:\d{4}-)?\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?"
_NUM = r" *\d+(?:\.\d+)?"
_TIME = rf"(?P<t>(?:{_DATE}|{_NUM})(?: [+-]\d{{4}})?)"
_UIDP = r"(?:(?P<uid>[^:()\s]+): *)?"  # "( 1000: 1370)" / "( shell: 1370)" with -v uid
_TAG_MSG = r"(?P<tag>.*?) *:(?: (?P<msg>.*))?$"
_CLOCK = r"\d\d:\d\d:\d\d\.\d{1,9}"  # a time of day with no date: it places nothing (LogLine.time stays None)


def _threadtime(digit: str) -> re.Pattern[str]:
    """The default format, with a tag without ":", gets a regex of its own: it is most of every capture, and
    this shape matches about twice as fast as the general one. With or without ``-v year`` (the harness's own
    capture asks for the year, harness/android/logcat.py). Groups: the time, its whole seconds and its
    fraction (the seconds are cached, LogcatParser.feed), pid, tid, priority, tag (padding kept), message.

    Built for speed, matching what the plain form would: the year and no-year times are alternatives (one
    starts with 2 digits and a "-", the other with 4), and every repeat is possessive, as none can give a
    character back that the next item would take (digits before spaces, spaces before digits, a tag of
    non-colons before its ":")."""
    d = digit
    date = f"{d}{d}-{d}{d} {d}{d}:{d}{d}:{d}{d}"
    return re.compile(rf"((?>({date}|{d}{{4}}-{date}))\.({d}{{1,9}}+)) ++({d}++) ++({d}++) ({_PRIO}) ([^:]*+): (.*+)")


# ``[0-9]`` rather than ``\d`` (any Unicode digit, a table lookup per character): a line whose columns hold other
# digits misses it and is read by _THREADTIME_ANY_DIGIT, which is the same pattern with ``\d``.
_THREADTIME_FAST = _threadtime("[0-9]")
_THREADTIME_ANY_DIGIT = _threadtime(r"\d")
_FORMATS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("threadtime", re.compile(rf"^{_TIME} +(?P<pid>\d+) +(?P<tid>\d+) (?P<p>{_PRIO}) {_TAG_MSG}")),
    ("threadtime", re.compile(rf"^{_TIME} +(?P<uid>\S+) +(?P<pid>\d+) +(?P<tid>\d+) (?P<p>{_PRIO}) {_TAG_MSG}")),
    ("time", re.compile(rf"^{_TIME} (?P<p>{_PRIO})/(?P<tag>.*?) *\( *{_UIDP}(?P<pid>\d+)\):(?: (?P<msg>.*))?$")),
    # Eclipse DDMS "Save as text": the time column ends in ": " ("08-29 12:30:01.157: I/Tag(4666): msg").
    ("ddms", re.compile(rf"^{_TIME}: (?P<p>{_PRIO})/(?P<tag>.*?) *\( *{_UIDP}(?P<pid>\d+)\):(?: (?P<msg>.*))?$")),
    ("brief", re.compile(rf"^(?P<p>{_PRIO})/(?P<tag>.*?) *\( *{_UIDP}(?P<pid>\d+)\):(?: (?P<msg>.*))?$")),
    # threadtime with the pid and tid columns cut away ("09-07 01:54:50.502 I am_kill : [0,31426,…]", field b011)
    # or elided to "..." ("06-25 10:07:22.284 ... I am_kill : […]", field b006), as reports trim a capture.
    ("threadtime", re.compile(rf"^{_TIME} +(?:(?:\.{{3}}|…) +)?(?P<p>{_PRIO}) (?P<tag>[^\s:/][^:]*?) *:"
                              r"(?: (?P<msg>.*))?$")),
    # Both the date and the clock cut away, the pid and tid kept ("1494 2963 I am_kill : [0,5253,…]", field j012:
    # an example line in Xiaomi's notes).
    ("threadtime", re.compile(rf"^(?P<pid>\d+) +(?P<tid>\d+) (?P<p>{_PRIO}) (?P<tag>[^\s:/][^:]*?) *:"
                              r"(?: (?P<msg>.*))?$")),
    # The date cut away, the clock kept ("13:39:01.203 I/OplusHansManager: freeze uid: 10045 …", field h001):
    # -v time with or without its pid column, and threadtime, as people trim a capture to fit a comment.
    ("time", re.compile(rf"^(?P<t>{_CLOCK}) (?P<p>{_PRIO})/(?P<tag>.*?) *\( *{_UIDP}(?P<pid>\d+)\):"
                        r"(?: (?P<msg>.*))?$")),
    ("time", re.compile(rf"^(?P<t>{_CLOCK}) (?P<p>{_PRIO})/(?P<tag>[^:(]*?) *:(?: (?P<msg>.*))?$")),
    ("threadtime", re.compile(rf"^(?P<t>{_CLOCK}) +(?P<pid>\d+) +(?P<tid>\d+) (?P<p>{_PRIO}) {_TAG_MSG}")),
    # A clock (its fraction may be gone too), then the tag: a report's own summary of a capture ("19:21:19
    # ActivityManager: Killing 29305:…", field c004; "13:48:14  FreecessController: …", field c002).
    ("time", re.compile(r"^(?P<t>\d\d:\d\d:\d\d(?:\.\d{1,9})?) +(?P<tag>[A-Za-z][\w.\-$]*): (?P<msg>.*)$")),
    ("process", re.compile(rf"^(?P<p>{_PRIO})\( *{_UIDP}(?P<pid>\d+)\) (?P<msg>.*)  \((?P<tag>[^()]*)\)$")),
    ("thread", re.compile(rf"^(?P<p>{_PRIO})\( *{_UIDP}(?P<pid>\d+): *(?P<tid>\d+)\) (?P<msg>.*)$")),
    ("tag", re.compile(rf"^(?P<p>{_PRIO})/(?P<tag>[^:(]*?) *:(?: (?P<msg>.*))?$")),
    # Android Studio before Flamingo: "2020-02-13 14:21:37.990 29528-29660/pkg I/Tag: msg".
    ("studio", re.compile(r"^(?P<t>(?:\d{4}-)?\d\d-\d\d \d\d:\d\d:\d\d\.\d+) (?P<pid>\d+)-(?P<tid>\d+)/"
                          rf"(?P<proc>\S+) (?P<p>{_PRIO})/(?P<tag>.*?): (?P<msg>.*)$")),
    # The same with the time column cut away: "1529-1841/system_process I/ActivityManager: msg" (field a085).
    ("studio", re.compile(r"^(?P<pid>\d+)-(?P<tid>\d+)/"
                          rf"(?P<proc>\S+) (?P<p>{_PRIO})/(?P<tag>.*?): (?P<msg>.*)$")),
    # Android Studio's newer columns: [date time pid-tid] tag process level message.
    ("studio", re.compile(r"^(?P<t>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) +(?P<pid>\d+)-(?P<tid>\d+) +"
                          rf"(?P<tag>\S+) +(?P<proc>\S+) +(?P<p>{_PRIO}) +(?P<msg>.*)$")),
    ("studio", re.compile(rf"^(?P<tag>\S+) {{2,}}(?P<proc>\S+) {{2,}}(?P<p>{_PRIO}) {{2}}(?P<msg>.*)$")),
    # … with the tag column's padding collapsed to one space (field b023): the process must then read as a package.
    ("studio", re.compile(rf"^(?P<tag>\S+) (?P<proc>[a-z][\w\-]*(?:\.[\w\-]+)+(?::[\w.\-]+)?) {{2,}}"
                          rf"(?P<p>{_PRIO}) {{2}}(?P<msg>.*)$")),
    # devicehub / STF's log export: epoch seconds, pid, tag, the level as a word, message; tab-separated (field a090).
    ("devicehub", re.compile(r"^(?P<t>\d{9,10}(?:\.\d{1,6})?)\t(?P<pid>\d+)\t(?P<tag>[^\t]*)\t"
                             r"(?P<p>[VDIWEFA])(?:erbose|ebug|nfo|arn(?:ing)?|rror|atal|ssert)\t(?P<msg>.*)$")),
    # The kernel's own log (the kernel low-memory killer of Android 4-8 logs there, fields f001-f003), in the three
    # shapes Linux prints it: /proc/kmsg "<6>msg", /dev/kmsg "6,2302,533604004,-;msg"
    # (Documentation/ABI/testing/dev-kmsg) and dmesg "[  823.441022] msg". The time is since boot: no instant.
    ("kernel", re.compile(r"^(?:<[0-7]>|[0-7],\d+,\d+,[-c+]*;|\[ *\d+\.\d+\] )(?P<tag>[A-Za-z][\w.\-]*): "
                          r"(?P<msg>.*)$")),
    # Captures with the time and pid columns cut away (android-captures.md §8).
    ("bare", re.compile(rf"^(?P<p>{_PRIO}) (?P<tag>[^\s:][^:]*?) *:(?: (?P<msg>.*))?$")),
    ("bare", re.compile(r"^(?P<tag>[A-Za-z_][\w.\-$]*):(?: (?P<msg>.*))?$")),
)
# Lines that certainly start a new entry, whatever came before: a time, then pid columns.
_ANY_TIME = rf"(?:{_DATE}|{_NUM})(?: [+-]\d{{4}})?"
_TIMED = re.compile(rf"^{_ANY_TIME} +(?:\S+ +)?\d+ +\d+ {_PRIO} |^{_ANY_TIME} {_PRIO}/"
                    r"|^\d{4}-\d\d-\d\d [\d:.]+ +\d+-\d+"
                    # untimed headers too: a brief line after one that ends in a space is no wrap (field a088)
                    rf"|^{_PRIO}/[^:(]*\( *\d+\): |^\d+-\d+/\S+ {_PRIO}/")
# "-v long": "[ 11-28 08:15:02.311  4321: 4350 I/Tag ]"; OEM log viewers drop the inner spaces.
_LONG_HEADER = re.compile(rf"^\[ *{_TIME} +{_UIDP}(?P<pid>\d+): *(?P<tid>\d+) (?P<p>{_PRIO})/(?P<tag>.*?) *\]$")
_DIVIDER = re.compile(r"^-{9} (?:beginning of|switch to) (\S+)")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_RAW_AM = re.compile(r"^(?:Start proc \d+:\S+/\S+ for |Killing \d+:\S+/\S+ \(adj -?\d+\): "
                     r"|Process \S+ \(pid \d+\)(?: ?\(adj -?\d+\))? has died"
                     r"|Force stopping \S+ appid=\d+ user=-?\d+: |No longer want \S+ \(pid \d+\): )")
# WorkManager's WorkerWrapper wordings are as much its own (a message-only paste, field e006): the worker's result.
_RAW_WM = re.compile(r"^(?:Worker result \w+ for Work \[ id=|Work \[ id=[0-9a-fA-F-]{36}\b.*\] was cancelled)")
# Records whose line breaks were lost in a paste (a page's stored copy, a forum that joins lines): brief, time and
# DDMS records one after another on one line, separated by a space ("I/ActivityManager( 2258): Process … has died.
# I/ActivityManager( 2258): Process …", field j004; "04-28 14:47:37.844: I/ActivityManager(597): … hidden #25
# 04-28 14:47:37.925: I/…", field j011). Only a line that itself starts with such a header is cut, and only before
# another full header, so a message that merely mentions a tag stays whole.
_JOINED_HEADER = rf"(?:(?:\d{{4}}-)?\d\d-\d\d \d\d:\d\d:\d\d\.\d+:? )?{_PRIO}/[^\s:()]+ *\( *\d+\): "
_JOINED_START = re.compile(_JOINED_HEADER)
_JOINED_NEXT = re.compile(rf" (?={_JOINED_HEADER})")
_JSON_JOIN = '\\n","'  # the separator of a JSON array of log lines: an escaped newline, quote, comma, quote
_WRAP_WIDTH = 80
_WRAP_MIN = 72  # mail and issue trackers wrap between 72 and 80 columns
_WRAPPABLE = frozenset({"threadtime", "time", "brief", "ddms", "thread", "process"})
# logcat's own reports (`logcat -g`), not log messages: neither records nor unparseable.
_META = re.compile(r"^\S+: ring buffer is \d")
# What pasting into an issue does to a line's start: indentation, a Markdown quote ("> "), an inline-code
# backtick ("` 2019-10-18 …"), bold ("**"), a comma left from lines kept as a list (field a060), or grep -n /
# Select-String's "logcat.txt:1200510:". Such a line is read again without it.
# … or grep -n's "file:line:", or Notepad++'s Find All "Line 65671: " (field a097)
# Code that quotes a capture adds its comment markers: "# " (Python, shell; fields b014, b015), "// " and "/// "
# (b023, d004) and a doc comment's " * " (b005, b024, c001); a test runner labels its child's streams
# ("[stdout] ", d004).
_DAMAGE = re.compile(r"^(?:[ \t]+|>+ ?|`+ ?|\*\*|\*(?= )|#+(?= )|//+ ?|\[std(?:out|err)\] |,"
                     r"|[\w.\-]+\.(?:txt|log):\d+:|Line \d+: )+")
# A line kept as a string literal in code (test fixtures, scripts): an optional assignment, the quoted line, then
# "," ";" or ")" ("s3 = \"06-05 17:20:41.243  3093  4830 I am_kill : […]\"", fields b008-b010).
_LITERAL = re.compile(r"""^(?:[A-Za-z_][\w.]*\s*[:=]\s*)?(["'])(?P<body>.+)\1\s*[,;)]*$""")


class _Clock:
    """Turns printed times into seconds since 1970, caching per printed second."""

    def __init__(self, year: int) -> None:
        self._year = year
        self.seconds: dict[str, float | None] = {}  # "MM-DD hh:mm:ss" → seconds since 1970

    def epoch(self, text: str) -> float | None:
        zone = 0
        if len(text) > 6 and text[-6] == " " and text[-5] in "+-":
            sign = -1 if text[-5] == "-" else 1
            zone = sign * (int(text[-4:-2]) * 3600 + int(text[-2:]) * 60)
            text = text[:-6]
        whole, dot, frac = text.partition(".")
        try:
            base = self.seconds[whole]
        except KeyError:
            if len(self.seconds) > 65536:
                self.seconds.clear()
            base = self.seconds[whole] = self._whole(whole)
        if base is None:
            return None
        return base - zone + (int(frac) / 10 ** len(frac) if dot else 0.0)

    def _whole(self, whole: str) -> float | None:
        if ":" in whole and "-" not in whole:
            return None  # a time of day with no date (the clock-only formats): no instant to place it at
        if "-" not in whole:
            # -v epoch (%19lld, padding already stripped) or -v monotonic (%6lld seconds since
            # boot, not a wall-clock time); no uptime reaches 2001-09-09, so size tells them apart.
            value = int(whole)
            return float(value) if value >= 1_000_000_000 else None
        year = self._year
        if whole[4] == "-":
            year, whole = int(whole[:4]), whole[5:]
        month, day, hour, minute, second = (int(whole[0:2]), int(whole[3:5]), int(whole[6:8]), int(whole[9:11]),
                                            int(whole[12:14]))
        if not (1 <= month <= 12 and 1 <= day <= 31 and hour <= 23 and minute <= 59 and second <= 60):
            return None  # no clock prints it (a damaged paste, "13-01 ..."): a line with no instant, never a crash
        return float(calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)))


class _Fractions(dict[str, float]):
    """A time's fraction digits → seconds, exactly as ``_Clock.epoch`` computes them (``int(frac) / 10 **
    len(frac)``). Milliseconds, logcat's default, are all held; any other width (``-v usec``, ``nsec``) is
    computed on each lookup and not kept, so the table never grows."""

    def __missing__(self, frac: str) -> float:
        scale: int = 10 ** len(frac)
        return int(frac) / scale


_FRACTIONS = _Fractions({f"{n:03d}": n / 10**3 for n in range(1000)})
_CACHE_MAX = 4096  # seconds, pids and tids, tags: what the hot path keeps of each (LogcatParser._fresh)


def _undamaged(line: str) -> str:
    """``line`` without the paste damage at its start (indentation, quote marks, comment markers)."""
    damage = _DAMAGE.match(line)
    return line[damage.end():] if damage is not None else line


def _wrapped(head: str, tail: str) -> bool:
    """Whether ``tail`` reads as the rest of ``head`` cut by a wrap at about 72-80 columns."""
    word = tail.split(None, 1)[0] if tail.strip() else ""
    return len(head) <= _WRAP_WIDTH and len(head) + 1 + len(word) > _WRAP_MIN


def _int(text: str | None) -> int | None:
    return int(text) if text is not None else None


class LogcatParser:
    """Incremental parser: ``feed`` lines, collect finished records, ``close`` at the end.

    A record is held back until the next line shows it is complete (multi-line messages, ``-v
    long`` bodies), so a follower sees each record once, whole.
    """

    def __init__(self, *, year: int | None = None, first_line_no: int = 1) -> None:
        self._clock = _Clock(time.gmtime().tm_year if year is None else year)
        self._line_no = first_line_no - 1
        self._pending: LogLine | None = None
        self._long: LogLine | None = None  # a -v long header waiting for its body
        self._long_rows: list[str] = []
        self._buffer: str | None = None
        self._last_line = 0  # physical line last added to the pending record
        # LogcatParser.feed's hot path: a date and time to the second → seconds since 1970, the pid and tid
        # columns parsed, the tag column as matched → the tag with its padding cut.
        self._bases: dict[str, float] = {}
        self._ints: dict[str, int] = {}
        self._tags: dict[str, str] = {}
        self.skipped = 0
        self.skipped_line_nos: list[int] = []

    def feed(self, raw_lines: Iterable[str]) -> list[LogLine]:
        out: list[LogLine] = []
        append = out.append
        fast = _THREADTIME_FAST.match
        bases, ints, tags = self._bases, self._ints, self._tags
        fracs, make, record = _FRACTIONS, tuple.__new__, LogLine  # locals: a global lookup per line shows in the rate
        # The parser's state lives in locals on the hot path and goes back to ``self`` around the slow one.
        line_no, last, pending, buffer = self._line_no, self._last_line, self._pending, self._buffer
        in_long = self._long is not None
        for raw in raw_lines:
            line_no += 1
            line = raw.rstrip("\r\n")
            m = None if in_long else fast(line)
            if m is None:
                self._line_no, self._last_line, self._pending = line_no, last, pending
                if not in_long or not self._long_body(line, out):
                    # Not read yet (a -v long entry ended without its blank line), or not in ASCII digits.
                    m = _THREADTIME_ANY_DIGIT.match(line)
                    if m is None:
                        self._slow(line, out)
                last, pending, buffer = self._last_line, self._pending, self._buffer
                in_long = self._long is not None
                if m is None:
                    continue
            # The hot path, inlined: the benchmark measures this loop. Per-line work is a few dict lookups;
            # anything new (a second not seen yet, a pid, a tag) goes through ``_fresh`` once.
            t, whole, frac, pid, tid, prio, tag, msg = m.groups()
            try:
                when: float | None = bases[whole] + fracs[frac]
                ipid, itid, tag = ints[pid], ints[tid], tags[tag]
            except KeyError:
                when, ipid, itid, tag = self._fresh(t, whole, pid, tid, tag)
            if (pending is not None and pending[1] == t and last == line_no - 1 and pending[3] == itid
                    and pending[2] == ipid and pending[5] == tag and pending[4] == prio and pending[8] == buffer):
                pending = pending._replace(msg=pending[6] + "\n" + msg, raw=pending[12] + "\n" + line)
            else:
                if pending is not None:
                    append(pending)
                pending = make(record, (when, t, ipid, itid, prio, tag, msg, line_no, buffer, None, None,
                                        "threadtime", line, 0))
            last = line_no
        self._line_no, self._last_line, self._pending = line_no, last, pending
        return out

    def _fresh(self, t: str, whole: str, pid: str, tid: str, tag: str) -> tuple[float | None, int, int, str]:
        """The hot path's fields when a cache missed: a second, pid, tid or tag not seen yet. Fills the caches,
        each bounded (cleared when full) so a long follow cannot grow them without end."""
        bases, ints, tags = self._bases, self._ints, self._tags
        for cache in (bases, ints, tags):
            if len(cache) > _CACHE_MAX:
                cache.clear()
        ipid = ints[pid] = int(pid)
        itid = ints[tid] = int(tid)
        name = tags[tag] = tag.rstrip()
        base = self._clock.epoch(whole)  # a whole second: what the hot path adds the fraction to
        if base is not None:
            bases[whole] = base
        return self._clock.epoch(t), ipid, itid, name

    def close(self) -> list[LogLine]:
        out: list[LogLine] = []
        self._finish_long(out)
        self._flush(out)
        return out

    # -- internals ------------------------------------------------------------------------------
    def _push(self, rec: LogLine, out: list[LogLine]) -> None:
        prev = self._pending
        last, self._last_line = self._last_line, rec.line_no
        # Android Studio prints a message's prefix once, so equal studio prefixes are two messages.
        if (prev is not None and prev.time_text == rec.time_text and rec.time_text is not None
                and rec.fmt != "studio" and last == rec.line_no - 1 and prev.tid == rec.tid and prev.pid == rec.pid
                and prev.tag == rec.tag and prev.prio == rec.prio and prev.buffer == rec.buffer):
            self._pending = prev._replace(msg=prev.msg + "\n" + rec.msg, raw=prev.raw + "\n" + rec.raw)
            return
        if prev is not None:
            out.append(prev)
        self._pending = rec

    def _flush(self, out: list[LogLine]) -> None:
        if self._pending is not None:
            out.append(self._pending)
            self._pending = None

    def _skip(self) -> None:
        self.skipped += 1
        self.skipped_line_nos.append(self._line_no)

    def _slow(self, line: str, out: list[LogLine]) -> None:
        if not line.strip():
            self._flush(out)
            return
        if _JSON_JOIN in line:
            # Lines kept as a JSON array of strings ("…empty for 1803s\\n\",\"ActivityManager: …", field a099):
            # one physical line holding many messages; read each piece as its own line.
            for piece in line.split(_JSON_JOIN):
                if piece.strip(' ",[]'):
                    self._slow(piece.strip(' ",[]').removesuffix("\\n"), out)
            return
        head = _JOINED_START.match(line)
        if head is not None and _JOINED_NEXT.search(line, head.end()):
            start, cut = 0, _JOINED_NEXT.search(line, head.end())
            while cut is not None:
                self._slow(line[start:cut.start()], out)
                start = cut.end()
                # Search on after the next record's own header: a date's "04-28 14:47:37.925: " is not a cut.
                after = _JOINED_START.match(line, start)
                cut = _JOINED_NEXT.search(line, after.end() if after is not None else start)
            self._slow(line[start:], out)
            return
        prev = self._pending
        if prev is not None and prev.fmt == "studio" and line[0] in " \t":
            # Android Studio prints the continuation rows of a message without a prefix.
            self._pending = prev._replace(msg=prev.msg + "\n" + line.strip(), raw=prev.raw + "\n" + line)
            self._last_line = self._line_no
            return
        if (prev is not None and prev.fmt in _WRAPPABLE and self._last_line == self._line_no - 1
                and prev.raw[-1:] in " \t" and not _TIMED.match(_undamaged(line))):
            # A hard-wrapped paste (Google Code exports, mail) breaks a line after a space and carries on
            # at the start of the next: join the pieces back into one message row.
            self._pending = prev._replace(msg=prev.msg + line, raw=prev.raw + "\n" + line)
            self._last_line = self._line_no
            return
        divider = _DIVIDER.match(line)
        if divider is not None or _META.match(line):
            self._flush(out)
            if divider is not None:
                self._buffer = divider.group(1)
            return
        text = _ANSI.sub("", line) if "\x1b" in line else line  # logcat -v color
        if self._match(text, line, out):
            return
        damage = _DAMAGE.match(text)
        if damage is not None and self._match(text[damage.end():], line, out):
            return
        core = text[damage.end():] if damage is not None else text
        if core[-1:] in "\"',;)" and (core[:1] in "\"'" or "= \"" in core[:40] or "= '" in core[:40]):
            literal = _LITERAL.match(core)
            if literal is not None and self._match(literal["body"].replace('\\"', '"'), line, out):
                return
        if self._close_list(core, line):
            return
        prev = self._pending
        if (prev is not None and prev.fmt in _WRAPPABLE and self._last_line == self._line_no - 1
                and _wrapped(prev.raw.rsplit("\n", 1)[-1], text)):
            # E-mail wraps at ~80 columns and drops the space at the break (field a059): a line that stops short
            # because its next word would not fit, then one that fits no format, are one message.
            self._pending = prev._replace(msg=prev.msg + " " + text.strip(), raw=prev.raw + "\n" + line)
            self._last_line = self._line_no
            return
        raw_tag = "ActivityManager" if _RAW_AM.match(text) else "WM-WorkerWrapper" if _RAW_WM.match(text) else None
        if raw_tag is not None:
            # -v raw prints the message alone; these wordings are ActivityManager's (or WorkManager's) and nobody
            # else's.
            self._push(LogLine(None, None, None, None, None, raw_tag, text, self._line_no, self._buffer,
                               None, None, "raw", line), out)
            return
        self._flush(out)
        self._skip()

    def _close_list(self, core: str, line: str) -> bool:
        """An events-buffer entry's field list wrapped before its "]" ("… am_kill : [0,19634,pkg,935," then
        "Async binder space running out while frozen,134448]", field b007): the next line that closes the list
        completes it; prose after the "]" (a doc comment's, field b005) is not the entry's."""
        prev = self._pending
        if prev is None or self._last_line != self._line_no - 1:
            return False
        row = prev.msg.rsplit("\n", 1)[-1]
        close = core.find("]")
        if not row.startswith("[") or "]" in row or close < 0 or "[" in core[:close]:
            return False
        sep = "" if row.endswith(",") else " "
        self._pending = prev._replace(msg=prev.msg + sep + core[:close + 1].strip(), raw=prev.raw + "\n" + line)
        self._last_line = self._line_no
        return True

    def _match(self, text: str, line: str, out: list[LogLine]) -> bool:
        """Read ``text`` (``line`` with any paste damage cut away) in every format; False when none fits."""
        header = _LONG_HEADER.match(text)
        if header is not None:
            self._flush(out)
            self._long = self._record(header, "long", line)
            self._long_rows = []
            return True
        for fmt, pattern in _FORMATS:
            m = pattern.match(text)
            if m is not None:
                self._push(self._record(m, fmt, line), out)
                return True
        return False

    def _record(self, m: re.Match[str], fmt: str, line: str) -> LogLine:
        g = m.groupdict()
        text = g["t"].strip() if g.get("t") else None
        return LogLine(
            self._clock.epoch(text) if text else None, text, _int(g.get("pid")), _int(g.get("tid")),
            g.get("p"), g.get("tag"), g.get("msg") or "", self._line_no, self._buffer, g.get("uid"),
            g.get("proc"), fmt, line,
        )

    def _long_body(self, line: str, out: list[LogLine]) -> bool:
        """Handle a line after a -v long header; False when it is not part of that entry."""
        if line.strip() == "":
            self._finish_long(out)
            return True
        if _LONG_HEADER.match(line) or _DIVIDER.match(line) or _TIMED.match(line):
            # The blank separator was lost (OEM log viewers drop it): the entry has ended.
            self._finish_long(out)
            return False
        self._long_rows.append(line)
        return True

    def _finish_long(self, out: list[LogLine]) -> None:
        head = self._long
        if head is None:
            return
        self._long = None
        rows, self._long_rows = self._long_rows, []
        rec = head._replace(msg="\n".join(rows), raw="\n".join([head.raw, *rows]),
                            msg_line=head.line_no + 1 if rows else 0)
        self._push(rec, out)
        self._flush(out)  # -v long never repeats a prefix, so nothing merges into it


def parse_logcat(text: str | Iterable[str], *, year: int | None = None) -> LogcatParse:
    """Parse a whole capture. Times without a year are placed in ``year`` (default: this year)."""
    parser = LogcatParser(year=year)
    rows = text.splitlines() if isinstance(text, str) else text
    lines = parser.feed(rows)
    lines.extend(parser.close())
    return LogcatParse(lines, parser.skipped, parser.skipped_line_nos)


def parse_line(line: str, *, year: int | None = None, line_no: int = 1) -> LogLine | None:
    """One physical line in any single-line format (not a -v long header), or None."""
    parser = LogcatParser(year=year, first_line_no=line_no)
    found = parser.feed([line]) + parser.close()
    return found[0] if found else None
