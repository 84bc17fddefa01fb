"""A device's events as they arrive: appended to a capture file, parsed, and waited on by position.

Mark a position, act, then wait for an event since the mark with a timeout in *device* time (the
wall timeout is device time over the clock rate, plus slack). Thread-safe: a reader thread feeds
lines while the test thread waits.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from harness.logs.events import Event
from harness.logs.logcat import LogLine
from harness.logs.platforms import EventSource, LineParser, parser_pair

__all__ = ["EventStream", "Mark", "WaitObserver", "observe_waits"]

_WALL_SLACK_S = 1.0  # log delivery through adb takes milliseconds; this covers a busy machine

# Told when a wait starts (the live progress display): the stream, what it waits for (a predicate or a text)
# and the window in device seconds; what it returns is called when the wait ends. Never called under the lock.
WaitObserver = Callable[["EventStream", object, float], Callable[[], None] | None]
_observer: list[WaitObserver] = []  # at most one; a list, so setting it needs no ``global``


def observe_waits(observer: WaitObserver | None) -> WaitObserver | None:
    """Set (None: clear) the observer; returns the one it replaced, for the caller to put back when done."""
    previous = _observer[0] if _observer else None
    _observer[:] = [observer] if observer is not None else []
    return previous


@contextlib.contextmanager
def _observed(stream: EventStream, what: object, window_s: float) -> Iterator[None]:
    done = _observer[0](stream, what, window_s) if _observer else None
    try:
        yield
    finally:
        if done is not None:
            done()


@dataclass(frozen=True, slots=True)
class Mark:
    index: int  # events before this index happened before the mark
    line: int  # raw lines before this number happened before the mark
    device_time: float | None  # the device time of the newest line seen at the mark


class EventStream:
    def __init__(self, device: str, clock_rate: float = 1.0, capture: Path | None = None,
                 year: int | None = None, device_clock: Callable[[], float | None] | None = None,
                 platform: str = "android") -> None:
        self.device = device
        # The device's current time, asked at each mark: the newest log line can be much older than
        # "now" on a quiet phone (deep Doze logs nothing for an hour).
        self.device_clock = device_clock
        self.clock_rate = clock_rate
        self.events: list[Event] = []
        self.lines: deque[tuple[int, str]] = deque(maxlen=20_000)
        self.last_time: float | None = None
        self.platform = platform
        self._parser: LineParser
        self._builder: EventSource
        self._parser, self._builder = parser_pair(platform, year=year)
        self._cond = threading.Condition()
        self._line_count = 0
        self._file: TextIO | None = capture.open("a", encoding="utf-8") if capture is not None else None
        self.closed = False

    # -- feeding (reader thread) ----------------------------------------------------------------
    def feed(self, raw_lines: Iterable[str]) -> None:
        lines = list(raw_lines)
        if self._file is not None:
            self._file.writelines(line + "\n" for line in lines)
            self._file.flush()
        records = self._parser.feed(lines)
        self._publish(records, lines)

    def flush(self) -> None:
        """The source went quiet: release a record the parser was holding for continuation lines."""
        self._publish(self._parser.close(), [])

    def _publish(self, records: list[LogLine], lines: list[str]) -> None:
        with self._cond:
            for line in lines:
                self._line_count += 1
                self.lines.append((self._line_count, line))
            if records:
                before = len(self._builder.events)
                self._builder.feed(records)
                self.events.extend(self._builder.events[before:])
                times = [r.time for r in records if r.time is not None]
                if times:
                    self.last_time = max(times[-1], self.last_time or times[-1])
            self._cond.notify_all()

    def close(self) -> None:
        self.flush()
        with self._cond:
            self.closed = True
            self._cond.notify_all()
        if self._file is not None:
            self._file.close()
            self._file = None

    # -- reading (test thread) ------------------------------------------------------------------
    def mark(self) -> Mark:
        now = self.device_clock() if self.device_clock is not None else None
        with self._cond:
            if now is None:
                now = self.last_time
            elif self.last_time is not None:
                now = max(now, self.last_time)
            return Mark(len(self.events), self._line_count, now)

    def since(self, mark: Mark) -> list[Event]:
        with self._cond:
            return list(self.events[mark.index :])

    def logged_since(self, mark: Mark) -> list[Event]:
        """Every event the device logged at or after the mark's device time, wherever it sits in the stream: a
        capture can start with lines from before it opened (an iPhone's relay sends its buffer first)."""
        with self._cond:
            events = list(self.events)
        if mark.device_time is None:
            return events
        return [e for e in events if e.time is None or e.time >= mark.device_time]

    def lines_since(self, mark: Mark, limit: int = 200) -> list[tuple[int, str]]:
        with self._cond:
            picked = [(n, text) for n, text in self.lines if n > mark.line]
        return picked[-limit:]

    def wait_for(self, match: Callable[[Event], bool], since: Mark, within_s: float) -> Event | None:
        """The first event since ``since`` that matches, waiting up to ``within_s`` of device time."""
        deadline = time.monotonic() + within_s / self.clock_rate + _WALL_SLACK_S
        limit = None if since.device_time is None else since.device_time + within_s
        scanned = since.index
        with _observed(self, match, within_s), self._cond:
            while True:
                for event in self.events[scanned:]:
                    if limit is not None and event.time is not None and event.time > limit:
                        return None
                    if match(event):
                        return event
                scanned = len(self.events)
                if limit is not None and self.last_time is not None and self.last_time > limit:
                    return None
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.closed:
                    return None
                self._cond.wait(remaining)

    def wait_for_line(self, needle: str, since: Mark, within_s: float) -> str | None:
        """The first raw line since ``since`` containing ``needle``, waiting up to ``within_s`` of device time
        (as wall time over the clock rate: a raw line has no parsed time)."""
        deadline = time.monotonic() + within_s / self.clock_rate + _WALL_SLACK_S
        scanned = since.line
        with _observed(self, f"a log line with {needle!r}", within_s), self._cond:
            while True:
                for number, text in self.lines:
                    if number > scanned and needle in text:
                        return text
                scanned = max(scanned, self._line_count)
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.closed:
                    return None
                self._cond.wait(remaining)

    def wait_quiet_until(self, device_time: float) -> None:
        """Block until the device's log clock has passed ``device_time`` (or the wall equivalent)."""
        now = self.last_time
        wall = (device_time - now) / self.clock_rate if now is not None else 0.0
        deadline = time.monotonic() + max(0.0, wall) + _WALL_SLACK_S
        window = max(0.0, wall) * self.clock_rate if now is not None else float("nan")  # nan: no line seen yet
        with _observed(self, "the window to pass", window), self._cond:
            while (self.last_time is None or self.last_time < device_time) and not self.closed:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                self._cond.wait(remaining)
