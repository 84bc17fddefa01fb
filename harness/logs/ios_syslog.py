"""Parse an iPhone's log, as the usual tools print it, into the same ``LogLine`` records as logcat.

Pure: text in, records out. The format is detected per line (like ``logcat.py``), so a file that mixes
them still parses. Formats, each with the source its shape was read from:

- ``syslog_relay``: ``Nov 28 08:00:01 iPhone dasd(DuetActivitySchedulerDaemon)[139] <Notice>: msg``, the
  ``com.apple.syslog_relay`` text that ``pymobiledevice3 syslog live-old`` prints as is
  (``pmd3:services/syslog.py:SyslogService.watch``). ``idevicesyslog`` prints it without the device name
  unless ``-d``, and in colour on a terminal (``limd:tools/idevicesyslog.c:syslog_callback``); its
  ``[connected]`` / ``[disconnected]`` lines are not records. No year: the capture's year is assumed, as
  logcat does; no zone: the wall-clock fields are read as UTC, as logcat's are.
- ``pmd3``: what ``pymobiledevice3 syslog live`` prints for an os_trace entry
  (``pmd3:cli/syslog.py:_format_line_fields``): ``str(timestamp) process{image[+0xoff]}[pid] <LEVEL>:
  message``, then `` [subsystem][category]`` with ``--label`` (a bare trailing space when the entry has no
  label), in colour on a terminal. The timestamp is ``datetime.fromtimestamp`` of the entry's time, i.e. the
  *local time of the machine that ran pymobiledevice3*, with no fraction when it is a whole second; it is
  read back in this machine's zone, which gives the device's clock again when the capture was made here
  (the harness's own capture, ``harness/ios/syslog.py``). ``--format json`` (``format_json_line``) too.
- ``console``: a Console.app export, ``<type>\\t<time±zone>\\t<process>\\t[<library>\\t…]message``;
  the type column may be missing, old exports use spaces instead of tabs, and the time usually has no
  date, so those records carry ``time=None`` (the text stays in ``time_text``).
- ``xcode``: the Xcode debug console, ``2022-10-11 17:33:48.620501-0700 App[pid:tid] message``
  (app-side lines only; the app name may be empty).

Every format continues a multi-line message on the following lines without a header; those lines are
joined to the record with ``\\n`` (so ``LogLine.rows()`` works as for logcat). An os_trace entry fed as one
string with newlines inside counts one line per physical line, as in the capture file.

Fields: ``tag`` is the process name (idevicesyslog's ``-p`` filters on it), ``pid``/``tid`` as printed,
``prio`` a letter for the level: Notice / os_log default → ``N`` (iOS's default level, which Android lacks),
Info → ``I``, Debug → ``D``, Error → ``E``, Fault → ``F``, Warning → ``W``, pmd3's UserAction → ``U``; the
legacy ASL Emergency/Alert/Critical fold into ``F``. The sender image and the os_log label stay in ``raw``
only.
"""

from __future__ import annotations

import calendar
import json
import posixpath
import re
import time
from collections.abc import Iterable

from harness.logs.logcat import LogcatParse, LogLine, parse_line

__all__ = ["IOSLogParser", "looks_like_ios", "parse_ios"]

_PRIO = {"notice": "N", "default": "N", "info": "I", "debug": "D", "error": "E", "fault": "F", "warning": "W",
         "critical": "F", "alert": "F", "emergency": "F", "user_action": "U",
         # Console's type column in other languages, and log(1)'s compact abbreviations
         "standard": "N", "fehler": "E", "par défaut": "N", "erreur": "E", "predeterminado": "N",
         "información": "I", "depuración": "D", "fallo": "F", "デフォルト": "N", "情報": "I", "デバッグ": "D",
         "エラー": "E", "フォールト": "F", "df": "N", "in": "I", "db": "D", "e": "E", "er": "E", "f": "F", "fa": "F"}
_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                                       "Dec"), start=1)}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")

_PMD3 = re.compile(r"^(?P<t>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,6})?) (?P<proc>[^{}]*?)"
                   r"\{[^{}]*?\}\[(?P<pid>\d+)\] <(?P<level>[A-Z_]+|\d+)>: (?P<msg>.*)$")
# With --label the line ends in " [subsystem][category]", or in a bare space when the entry has none.
_PMD3_LABEL = re.compile(r" \[[^\[\]\n]*\]\[[^\[\]\n]*\]$| $")
# The device name is optional (idevicesyslog hides it) and may hold spaces; the process may not.
_RELAY = re.compile(r"^(?P<t>(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (?P<day>[ \d]\d) "
                    r"(?P<hms>\d\d:\d\d:\d\d)) (?:\S.*? )?(?P<proc>[^\s\[\]()]+)(?:\([^()]*\))?"
                    # the Mac's own syslog (a simulator's system.log) prints no <Level> (field n025)
                    r"\[(?P<pid>\d+)\](?: <(?P<level>[A-Za-z]+)>)?:(?: (?P<msg>.*))?$")
_XCODE = re.compile(r"^(?P<t>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+[+-]\d{4}) (?P<proc>[^\[\]]*?)"
                    r"\[(?P<pid>\d+):(?P<tid>\d+)\] ?(?P<msg>.*)$")
_CTIME = r"(?P<t>(?:\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d\.\d+ ?[+-]\d{4})"
# Console prints the type in the Mac's language ("standard"/"fehler" in German, field i006), so the tab
# format takes any short word there; the space-separated form (old exports, or tabs turned into runs of
# spaces by a paste, field i005) needs an English or known word, as a first word is otherwise ambiguous.
_CTYPE_ANY = r"(?P<type>[^\t\d][^\t]{0,24})"
_CTYPE = r"(?P<type>(?i:default|info|debug|error|fault|notice|standard|fehler))"
_CONSOLE_TAB = re.compile(rf"^(?:{_CTYPE_ANY}\t)?{_CTIME}\t(?P<proc>[^\t]+)\t(?P<msg>.*)$")
_CONSOLE_SPACE = re.compile(rf"^{_CTYPE} +{_CTIME} +(?P<proc>\S+) +(?P<msg>.*)$")
# `log show` / `log stream` on a Mac (a sysdiagnose's logarchive): the default style
#   2021-06-01 10:00:00.123456-0700 0x1a2b     Default     0x0                  123    0    runningboardd: msg
# the compact style "2021-06-01 10:00:00.123 Df runningboardd[123:1a2b] msg" and the syslog style
# "2021-06-01 10:00:00.123456-0700  localhost runningboardd[123]: msg" (log(1)); "(Library)" and
# "[subsystem:category]" may follow the process. The default style is field n012; the compact one is the shape
# appium/appium#13503 shows (its thread id is hex); the syslog style is [unverified].
_LOGSHOW = re.compile(r"^(?P<t>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+[+-]\d{4}) +0x[0-9a-f]+ +(?P<type>\w+) +0x[0-9a-f]+ +"
                      r"(?P<pid>\d+) +\d+ +(?P<proc>[^:\s]+): (?P<msg>.*)$")
_LOGSHOW_COMPACT = re.compile(r"^(?P<t>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) (?P<type>Df|In|Db|E |Er|F |Fa|A ) +"
                              r"(?P<proc>[^\[\s]+)\[(?P<pid>\d+):(?P<tid>[0-9a-f]+)\] (?P<msg>.*)$")
_LOGSHOW_SYSLOG = re.compile(r"^(?P<t>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+[+-]\d{4}) +\S+ "
                             r"(?P<proc>[^\[\s]+)\[(?P<pid>\d+)\]: (?P<msg>.*)$")
# What log(1) adds before the message: "(Library) [subsystem:category] ".
_LOGSHOW_LABELS = re.compile(r"^(?:\([^()]*\) )?(?:\[[\w.\-]+:[\w.\-]+\] )?")
# Console's optional Library / Subsystem / Category columns: single tokens before the message.
_COLUMN = re.compile(r"^[\w.+\-]+\t")
_MAX_COLUMNS = 3
# Only after paste damage was cut away (field i013): a relay line without its date and device.
_RELAY_BARE = re.compile(r"^(?P<proc>[^\s\[\]()]+)(?:\([^()]*\))?\[(?P<pid>\d+)\] <(?P<level>[A-Za-z]+)>:"
                         r"(?: (?P<msg>.*))?$")
# Only the sender and a colon, as people quote kernel and daemon lines ("kernel: killing_specific_process pid
# 24094 [backgroundtaskmanagementd] (per-process-limit 0 0s rf:- type:daemon) 15360KB", field i017). Apple's own
# daemon names only, and the kernel only for jetsam, so Android's cut-down "kernel: …" lines stay Android's.
_SENDER_ONLY = re.compile(r"^(?P<proc>launchd|com\.apple\.xpc\.launchd|runningboardd|dasd|assertiond|SpringBoard|apsd"
                          r"|ReportSystemMemory(?=: Process .* killed by jetsam)"
                          r"|kernel(?=: (?:memorystatus|killing_)))(?:\[(?P<pid>\d+)\])?: (?P<msg>.*)$")
# Console or `log` rows trimmed by hand to the process and the message, columns padded with spaces, with a time,
# a clock or nothing before them: "runningboardd  [...:30199] termination reported by launchd (0, 0, 256)" (field
# d007), "13:19:10.3857 runningboardd  [app<...playport>:13846] …" (d008), "2026-09-20 05:37:13.463 runningboardd
# [anon<Electron>(501):32442] …" (d009). Apple's own daemons only (as _SENDER_ONLY), so an Android line stays
# Android's; without a time the process must be followed by two spaces (a padded column).
_APPLE_DAEMON = r"(?P<proc>runningboardd|dasd|assertiond|SpringBoard|apsd|launchd|kernel)"
_TRIMMED = re.compile(rf"^(?:(?P<t>(?:\d{{4}}-\d\d-\d\d )?\d\d:\d\d:\d\d(?:\.\d+)?) +{_APPLE_DAEMON} +"
                      rf"|{_APPLE_DAEMON.replace('proc', 'proc2')} {{2,}})(?P<msg>\S.*)$")
# The kernel's jetsam message quoted with no sender at all ("memorystatus: killing_highwater_process [name] …",
# "memorystatus: killing largest compressed process …", fields b017, b020): the kernel's, by its own prefix.
_KERNEL_BARE = re.compile(r"^memorystatus: (?:killing|\S+ exceeded mem limit)")
# SpringBoard's account of an app's end on iOS 4-7, quoted without its sender ("<Warning>: Application
# 'UIKitApplication:ch.pitaya.X[0x1828]' exited abnormally with signal 9: Killed: 9", field j014): SpringBoard's
# own wording (SBApplication), so the line is SpringBoard's.
# A crash report's header fields, as people paste them when an app was ended ("Exception Type:  EXC_CRASH
# (SIGKILL)", "Termination Reason: FRONTBOARD 2343432205 " then the RBSTerminateContext on the next row, and the
# watchdog's fields after it; field j007). Each is a record of ReportCrash's report; the context row that follows
# "Termination Reason" has no field name and continues it.
_CRASH_FIELD = re.compile(r"^(?P<field>Exception Type|Exception Codes|Exception Subtype|Termination Reason"
                          r"|Termination Description|Triggered by Thread|ProcessVisibility|ProcessState|WatchdogEvent"
                          r"|WatchdogVisibility|WatchdogCPUStatistics):[ \t]*(?P<value>.*)$")
_SPRINGBOARD_BARE = re.compile(r"^(?:<(?P<level>[A-Za-z]+)>: )?(?P<msg>Application '[^']+' exited abnormally with "
                               r"signal \d+.*)$")
# A line kept as a string literal in code, as test fixtures and scripts quote captures: an optional
# assignment, the quoted line, then "," ";" or ")" (fields b018 and, for logcat, b008-b010).
_LITERAL = re.compile(r"""^(?:[A-Za-z_][\w.]*\s*[:=]\s*)?(["'])(?P<body>.+)\1\s*[,;)]*$""")
# … and Appium's device-log relay: "[iOSLog] [IOS_SYSLOG_ROW] " or "info: [IOS_SYSLOG_ROW ] " (field n027); a
# Markdown fence or inline-code backticks glued to the first line ("```16:49:45.424565+0100\tSpringBoard\t…",
# field h008) or bold around it, as logcat.py reads them.
_DAMAGE = re.compile(r"^(?:[ \t]+|-*> ?|`+ ?|\*\*|(?:info: |\[\w+\] )*\[IOS_SYSLOG_ROW ?\] )+")
_META = re.compile(r'^\[(?:connected(?::[^\]]*)?|disconnected)\]$|^Waiting for ".*" \.\.\.$')


class _Clock:
    """Printed times → seconds since 1970, cached per printed second."""

    def __init__(self, year: int) -> None:
        self.year = year
        self._cache: dict[str, float] = {}

    def relay(self, mon: str, day: str, hms: str) -> float:
        key = f"{mon}{day}{hms}"
        found = self._cache.get(key)
        if found is None:
            fields = (self.year, _MONTHS[mon], int(day), int(hms[0:2]), int(hms[3:5]), int(hms[6:8]), 0, 0, 0)
            found = self._cache[key] = float(calendar.timegm(fields))
        return found

    def local(self, text: str) -> float:
        """``YYYY-MM-DD HH:MM:SS[.ffffff]`` in this machine's zone (how pmd3 printed it)."""
        whole, _, frac = text.partition(".")
        base = self._cache.get(whole)
        if base is None:
            fields = (int(whole[0:4]), int(whole[5:7]), int(whole[8:10]), int(whole[11:13]), int(whole[14:16]),
                      int(whole[17:19]), 0, 0, -1)
            base = self._cache[whole] = time.mktime(fields)
        return base + (int(frac) / 10 ** len(frac) if frac else 0.0)

    @staticmethod
    def zoned(text: str) -> float | None:
        """``[YYYY-MM-DD ]HH:MM:SS.ffffff[ ]±hhmm``: exact with a date, None without one."""
        if text[4:5] != "-":
            return None
        zone = text[-5:]
        offset = (1 if zone[0] == "+" else -1) * (int(zone[1:3]) * 3600 + int(zone[3:5]) * 60)
        whole, _, rest = text[:-5].rstrip().partition(".")
        fields = (int(whole[0:4]), int(whole[5:7]), int(whole[8:10]), int(whole[11:13]), int(whole[14:16]),
                  int(whole[17:19]), 0, 0, 0)
        return calendar.timegm(fields) - offset + (int(rest) / 10 ** len(rest) if rest else 0.0)


_PRIO_SEEN: dict[str, str | None] = {}  # a level as printed → its letter (a capture prints a handful of levels)


def _prio(level: str | None) -> str | None:
    if not level:
        return None
    found = _PRIO_SEEN.get(level, "")
    if found == "":
        found = _PRIO.get(level.strip().lower())
        if len(_PRIO_SEEN) < 256:
            _PRIO_SEEN[level] = found
    return found


def _strip_label(msg: str) -> str:
    """``_PMD3_LABEL.sub("", msg, count=1)`` for a one-row message, without the regex in the common cases: the
    label (or pmd3's bare trailing space) can only be at the end."""
    if msg.endswith(" "):
        return msg[:-1]
    if not msg.endswith("]"):
        return msg
    cat = msg.rfind("[")  # the label is " [subsystem][category]", neither part holding a bracket or a newline
    sub = msg.rfind("[", 0, cat - 1) if cat > 0 and msg[cat - 1] == "]" else -1
    if (sub > 0 and msg[sub - 1] == " " and "]" not in msg[sub + 1:cat - 1] and "]" not in msg[cat + 1:-1]
            and "\n" not in msg[sub:]):
        return msg[:sub - 1]
    return msg


class IOSLogParser:
    """Incremental, as ``LogcatParser``: ``feed`` lines, collect finished records, ``close`` at the end.

    A record is held back until the next header (or ``close``) shows its message is complete."""

    def __init__(self, *, year: int | None = None, first_line_no: int = 1) -> None:
        self._clock = _Clock(time.gmtime().tm_year if year is None else year)
        self._line_no = first_line_no - 1
        self._head: LogLine | None = None  # the pending record, its message rows still open
        self._rows: list[str] = []
        self._raws: list[str] = []
        self._blank = 0  # blank lines seen after the pending record: its rows, if more text follows
        self.skipped = 0
        self.skipped_line_nos: list[int] = []

    def feed(self, raw_lines: Iterable[str]) -> list[LogLine]:
        out: list[LogLine] = []
        for raw in raw_lines:
            if "\n" not in raw:  # the usual case: one physical line
                self._line_no += 1
                self._one(raw.rstrip("\r"), out)
                continue
            for line in raw.removesuffix("\n").split("\n"):
                self._line_no += 1
                self._one(line.rstrip("\r"), out)
        return out

    def close(self) -> list[LogLine]:
        out: list[LogLine] = []
        self._flush(out)
        return out

    # -- internals ------------------------------------------------------------------------------
    def _one(self, line: str, out: list[LogLine]) -> None:
        if not line.strip():
            self._blank += 1
            return
        plain = _ANSI.sub("", line) if "\x1b" in line else line
        record = self._any_header(plain, line)
        if record is not None:
            self._flush(out)
            self._head, self._rows, self._raws = record, [record.msg], [line]
        elif _META.match(plain):
            self._flush(out)
        elif self._head is not None:
            self._rows.extend([""] * self._blank + [plain])
            self._raws.extend([""] * self._blank + [line])
            self._blank = 0
        else:
            self.skipped += 1
            self.skipped_line_nos.append(self._line_no)
        self._blank = 0

    def _flush(self, out: list[LogLine]) -> None:
        self._blank = 0
        head = self._head
        if head is None:
            return
        self._head = None
        rows = self._rows
        if len(rows) == 1:  # the usual case: a one-row message, the record as its header made it
            msg = rows[0]
            if head.fmt == "pmd3":
                msg = _strip_label(msg)
            if msg is not head.msg:
                head = tuple.__new__(LogLine, (*head[:6], msg, *head[7:]))
            out.append(head)
            return
        msg = "\n".join(rows)
        if head.fmt == "pmd3":
            msg = _PMD3_LABEL.sub("", msg, count=1)
        out.append(head._replace(msg=msg, raw="\n".join(self._raws)))

    def _header(self, plain: str, line: str) -> LogLine | None:
        if not plain:
            return None  # e.g. a lone ">" left once the quote mark is cut away
        first = plain[0]
        if first.isdigit():
            m = _PMD3.match(plain)
            if m is not None:
                return self._pmd3(m, line)
            m = _LOGSHOW.match(plain) or _LOGSHOW_SYSLOG.match(plain)
            if m is not None:
                return self._record(m, "log_show", _Clock.zoned(m["t"]), line)
            m = _LOGSHOW_COMPACT.match(plain)
            if m is not None:
                return self._record(m, "log_show", self._clock.local(m["t"]), line)
            m = _XCODE.match(plain) or _CONSOLE_TAB.match(plain)
            if m is not None:
                fmt = "xcode" if m.re is _XCODE else "console"
                return self._record(m, fmt, _Clock.zoned(m["t"]), line)
        elif first == "{":
            return self._json(plain, line)
        elif first.isupper():
            m = _RELAY.match(plain)
            if m is not None:
                return self._record(m, "syslog_relay", self._clock.relay(m["mon"], m["day"], m["hms"]), line)
        if not first.isdigit() and first != "{":
            m = _CONSOLE_TAB.match(plain) or _CONSOLE_SPACE.match(plain)
            if m is not None:
                return self._record(m, "console", _Clock.zoned(m["t"]), line)
        return None

    def _any_header(self, plain: str, line: str) -> LogLine | None:
        record = self._header(plain, line) or self._bare(plain, line)
        if record is None:
            damage = _DAMAGE.match(plain)
            if damage is not None:
                # A quoted ("> "), pointed-at ("----> ") or indented line: read it again without that.
                plain = plain[damage.end():]
                record = self._header(plain, line) or self._bare(plain, line)
        if record is None and plain[-1:] in "\"',;)":
            literal = _LITERAL.match(plain)
            if literal is not None:
                body = literal["body"].replace('\\"', '"')
                record = self._header(body, line) or self._bare(body, line)
        return record

    def _bare(self, plain: str, line: str) -> LogLine | None:
        """A syslog_relay line whose date and device were cut away in a paste: ``kernel[0] <Notice>: msg``."""
        m = _RELAY_BARE.match(plain) or _SENDER_ONLY.match(plain)
        if m is not None:
            return self._record(m, "syslog_relay", None, line)
        m = _TRIMMED.match(plain)
        if m is not None:
            stamp = m["t"]
            when = self._clock.local(stamp) if stamp is not None and stamp[4:5] == "-" else None
            return LogLine(when, stamp, None, None, None, m["proc"] or m["proc2"], m["msg"], self._line_no, None, None,
                           None, "trimmed", line)
        if plain[:14] == "memorystatus: " and _KERNEL_BARE.match(plain):
            return LogLine(None, None, None, None, None, "kernel", plain, self._line_no, None, None, None,
                           "syslog_relay", line)
        if plain[:1] in "ETPW" and (field := _CRASH_FIELD.match(plain)) is not None:
            return LogLine(None, None, None, None, None, "crash_report", f"{field['field']}: {field['value']}",
                           self._line_no, None, None, None, "crash_report", line)
        if plain[:1] in "<A" and (sb := _SPRINGBOARD_BARE.match(plain)) is not None:
            return LogLine(None, None, None, None, _prio(sb["level"]) if sb["level"] else None, "SpringBoard",
                           sb["msg"], self._line_no, None, None, None, "syslog_relay", line)
        return None

    def _pmd3(self, m: re.Match[str], line: str) -> LogLine:
        """``_record`` for the harness's own capture format, the hot path: one ``group`` call, one tuple."""
        t, proc, pid, level, msg = m.group("t", "proc", "pid", "level", "msg")
        return tuple.__new__(LogLine, (self._clock.local(t), t, int(pid), None, _prio(level), proc or None, msg or "",
                                       self._line_no, None, None, None, "pmd3", line, 0))

    def _record(self, m: re.Match[str], fmt: str, when: float | None, line: str) -> LogLine:
        g = m.groupdict()
        msg = g.get("msg") or ""
        if fmt == "console" and "\t" in msg:
            msg = _drop_columns(msg)
        elif fmt == "log_show":
            msg = msg[_LOGSHOW_LABELS.match(msg).end():]  # type: ignore[union-attr]  # matches "" at worst
        level = g.get("level") or g.get("type")
        tid = g.get("tid")
        tid_no = (int(tid, 16) if fmt == "log_show" else int(tid)) if tid else None  # compact style prints hex
        return LogLine(when, g.get("t"), int(g["pid"]) if g.get("pid") else None, tid_no,
                       _prio(level), g["proc"] or None, msg, self._line_no, None, None, None, fmt, line)

    def _json(self, plain: str, line: str) -> LogLine | None:
        """``syslog live --format json``: one object per entry, the message already whole."""
        try:
            obj = json.loads(plain)
        except ValueError:
            return None
        if not isinstance(obj, dict) or not {"pid", "timestamp", "level", "message", "filename"} <= obj.keys():
            return None
        stamp = str(obj["timestamp"]).replace("T", " ")
        when = self._clock.local(stamp) if _PMD3_STAMP.match(stamp) else None
        tag = posixpath.basename(str(obj["filename"])) or None
        return LogLine(when, stamp, _int(obj["pid"]), _int(obj.get("thread_id")), _prio(str(obj["level"])), tag,
                       str(obj["message"]), self._line_no, None, None, None, "pmd3_json", line)


_PMD3_STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,6})?$")


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _drop_columns(msg: str) -> str:
    for _ in range(_MAX_COLUMNS):
        m = _COLUMN.match(msg)
        if m is None:
            break
        msg = msg[m.end():]
    return msg


def parse_ios(text: str | Iterable[str], *, year: int | None = None) -> LogcatParse:
    """Parse a whole capture. Times without a year (syslog_relay) are placed in ``year`` (default: this year)."""
    parser = IOSLogParser(year=year)
    rows = text.splitlines() if isinstance(text, str) else text
    lines = parser.feed(rows)
    lines.extend(parser.close())
    return LogcatParse(lines, parser.skipped, parser.skipped_line_nos)


_SNIFF_LINES = 200


def looks_like_ios(text: str) -> bool:
    """True when the capture's first non-blank lines read as an iPhone's log rather than logcat."""
    ios = android = 0
    probe = IOSLogParser()
    for n, line in enumerate(ln for ln in text.splitlines() if ln.strip()):
        if n >= _SNIFF_LINES:
            break
        plain = _ANSI.sub("", line) if "\x1b" in line else line
        if probe._any_header(plain, line) is not None:
            ios += 1
        elif parse_line(line) is not None:
            android += 1
    return ios > 0 and ios >= android
