"""``logcat``: dump or follow the device's log buffers (system/logging/logcat/logcat.cpp semantics).

``-t`` implies ``-d``; ``-T`` selects the same way but keeps following. Without ``-D``, a
``--------- beginning of <buffer>`` divider is printed before a buffer's first line.
"""

from __future__ import annotations

import asyncio
import calendar
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harness.lab.android.device import AndroidDevice
from harness.lab.android.logbuf import BUFFERS, FORMATS, MODIFIERS, LogEntry, LogFormat, format_entry
from harness.lab.android.shell.runtime import Invocation

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = ["logcat"]

_DEFAULT_BUFFERS = ("main", "system", "crash")
_PRIO_LEVEL = {"V": 2, "D": 3, "I": 4, "W": 5, "E": 6, "F": 7, "S": 8}
_HELP = "Usage: logcat [options] [filterspecs]\n"


class UsageError(Exception):
    pass


@dataclass
class Options:
    buffers: list[str] = field(default_factory=list)
    fmt: LogFormat = field(default_factory=LogFormat)
    dump: bool = False
    clear: bool = False
    sizes: bool = False
    dividers: bool = False
    tail_count: int | None = None
    tail_since: float | None = None
    max_count: int | None = None
    regex: re.Pattern[str] | None = None
    pid: int | None = None
    filters: dict[str, int] = field(default_factory=dict)
    default_level: int = _PRIO_LEVEL["V"]


def _parse_time(text: str, now: float) -> float:
    text = text.strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    for fmt in ("%Y-%m-%d %H:%M:%S", "%m-%d %H:%M:%S"):
        whole, _, frac = text.partition(".")
        try:
            parsed = time.strptime(whole if "%Y" in fmt else f"{time.gmtime(now).tm_year}-{whole}",
                                   "%Y-%m-%d %H:%M:%S")
        except ValueError:
            continue
        return calendar.timegm(parsed) + (float("0." + frac) if frac else 0.0)
    raise UsageError(f"unknown time format '{text}'")


def _apply_format(opts: Options, value: str) -> None:
    for word in re.split(r"[,\s]+", value.strip()):
        if not word:
            continue
        if word in FORMATS:
            opts.fmt = LogFormat(word, **{k: getattr(opts.fmt, k) for k in _MOD_FIELDS})
        elif word in MODIFIERS:
            key = {"UTC": "utc"}.get(word, word)
            if key in _MOD_FIELDS:
                opts.fmt = LogFormat(opts.fmt.style, **{k: (True if k == key else getattr(opts.fmt, k))
                                                        for k in _MOD_FIELDS})
        else:
            raise UsageError(f'Invalid parameter "{word}" to -v.')


_MOD_FIELDS = ("epoch", "monotonic", "year", "usec", "nsec", "utc", "zone", "uid")


def _buffers(value: str) -> list[str]:
    out: list[str] = []
    for name in value.split(","):
        if name == "all":
            out.extend(b for b in BUFFERS if b not in ("kernel", "security"))
        elif name == "default":
            out.extend(_DEFAULT_BUFFERS)
        elif name in BUFFERS:
            out.append(name)
        else:
            raise UsageError(f"unknown buffer: {name}")
    return out


def _filterspec(opts: Options, spec: str) -> None:
    tag, _, level = spec.rpartition(":")
    if not tag:
        tag, level = spec, "V"
    level_num = _PRIO_LEVEL.get(level[:1].upper()) if level else _PRIO_LEVEL["V"]
    if level_num is None:
        raise UsageError(f"Invalid filter expression '{spec}'")
    if tag == "*":
        opts.default_level = level_num
    else:
        opts.filters[tag] = level_num


_WITH_VALUE = {"-v", "-b", "-t", "-T", "-m", "-e", "-f", "-r", "-n", "-G", "-p", "-P"}


def parse_args(args: list[str], now: float) -> Options:  # noqa: PLR0915 - one flat option table
    opts = Options()
    specs: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        value: str | None = None
        if arg.startswith("--"):
            name, _, value = arg.partition("=")
            if name == "--pid":
                opts.pid = int(value)
            elif name == "--format":
                _apply_format(opts, value)
            elif name == "--dividers":
                opts.dividers = True
            elif name == "--buffer":
                opts.buffers += _buffers(value)
            elif name == "--regex":
                opts.regex = re.compile(value)
            elif name == "--max-count":
                opts.max_count = int(value)
            elif name == "--help":
                raise UsageError("")
            else:
                raise UsageError(f"unrecognized option '{name}'")
            i += 1
            continue
        if not arg.startswith("-") or arg == "-":
            specs.append(arg)
            i += 1
            continue
        flag = arg[:2]
        if flag in _WITH_VALUE:
            value = arg[2:] or (args[i + 1] if i + 1 < len(args) else None)
            if value is None:
                raise UsageError(f"option requires an argument -- '{flag[1]}'")
            i += 1 if arg[2:] else 2
        else:
            i += 1
        if flag == "-v":
            assert value is not None
            _apply_format(opts, value)
        elif flag == "-b":
            assert value is not None
            opts.buffers += _buffers(value)
        elif flag in ("-t", "-T"):
            assert value is not None
            if value.isdigit():
                opts.tail_count = int(value)
            else:
                opts.tail_since = _parse_time(value, now)
            opts.dump = opts.dump or flag == "-t"
        elif flag == "-m":
            opts.max_count = int(value or "0")
        elif flag == "-e":
            assert value is not None
            opts.regex = re.compile(value)
        elif flag == "-d":
            opts.dump = True
        elif flag == "-c":
            opts.clear = True
        elif flag == "-g":
            opts.sizes = True
        elif flag == "-D":
            opts.dividers = True
        elif flag == "-s":
            opts.default_level = _PRIO_LEVEL["S"]
        elif flag in ("-f", "-r", "-n", "-G", "-p", "-P", "-B", "-S", "-L", "-Q"):
            continue
        elif flag == "-h":
            raise UsageError("")
        else:
            raise UsageError(f"invalid option -- '{arg[1:2]}'")
    for spec in specs:
        _filterspec(opts, spec)
    if not opts.buffers:
        opts.buffers = list(_DEFAULT_BUFFERS)
    return opts


def _passes(entry: LogEntry, opts: Options) -> bool:
    level = opts.filters.get(entry.tag, opts.default_level)
    if _PRIO_LEVEL.get(entry.prio, 2) < level:
        return False
    if opts.pid is not None and entry.pid != opts.pid:
        return False
    return opts.regex is None or bool(opts.regex.search(entry.msg))


class _Printer:
    def __init__(self, inv: Invocation, opts: Options) -> None:
        self.inv = inv
        self.opts = opts
        self.printed: set[str] = set()
        self.last: str | None = None
        self.count = 0

    def emit(self, entry: LogEntry) -> None:
        if entry.buffer != self.last:
            if self.opts.dividers or entry.buffer not in self.printed:
                word = "switch to" if entry.buffer in self.printed else "beginning of"
                self.inv.out(f"--------- {word} {entry.buffer}\n")
            self.printed.add(entry.buffer)
            self.last = entry.buffer
        self.inv.out(format_entry(entry, self.opts.fmt))
        self.count += 1

    @property
    def done(self) -> bool:
        return self.opts.max_count is not None and self.count >= self.opts.max_count


def _sizes(dev: AndroidDevice, opts: Options) -> str:
    lines = []
    for name in opts.buffers:
        size = dev.logs.size_bytes[name] // 1024
        used = max(1, dev.logs.used(name) // 1024) if dev.logs.used(name) else 0
        lines.append(f"{name}: ring buffer is {size} KiB ({used} KiB consumed, {used} KiB readable), "
                     "max entry is 5120 B, max payload is 4068 B\n")
    return "".join(lines)


async def logcat(inv: Invocation) -> int:
    dev = inv.host
    assert isinstance(dev, AndroidDevice)
    try:
        opts = parse_args(inv.argv[1:], dev.clock.now())
    except UsageError as exc:
        inv.err((f"logcat: {exc}\n" if str(exc) else "") + _HELP)
        return 1 if str(exc) else 0
    if opts.clear:
        dev.logs.clear(opts.buffers)
        return 0
    if opts.sizes:
        inv.out(_sizes(dev, opts))
        return 0
    printer = _Printer(inv, opts)
    for entry in _backlog(dev, opts):
        printer.emit(entry)
        if printer.done:
            return 0
    if opts.dump:
        return 0
    return await _follow(dev, opts, printer)


def _backlog(dev: AndroidDevice, opts: Options) -> list[LogEntry]:
    """The entries printed before following: all that pass, those since ``-T <time>``, or the last ``-t/-T <n>``."""
    if opts.tail_count is not None and opts.tail_since is None:  # the harness's capture start: read from the end
        return dev.logs.newest(opts.buffers, opts.tail_count, lambda e: _passes(e, opts))
    backlog = [e for e in dev.logs.entries(opts.buffers) if _passes(e, opts)]
    if opts.tail_since is not None:
        backlog = [e for e in backlog if e.sec >= opts.tail_since]
    if opts.tail_count is not None:
        backlog = backlog[-opts.tail_count :] if opts.tail_count else []
    return backlog


async def _follow(dev: AndroidDevice, opts: Options, printer: _Printer) -> int:
    finished = asyncio.get_running_loop().create_future()
    wanted = set(opts.buffers)

    def on_entry(entry: LogEntry) -> None:
        if entry.buffer in wanted and _passes(entry, opts) and not finished.done():
            printer.emit(entry)
            if printer.done:
                finished.set_result(None)

    unsubscribe = dev.logs.subscribe(on_entry)
    try:
        await finished
    finally:
        unsubscribe()
    return 0
