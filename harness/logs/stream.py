"""A device's events as they arrive: appended to a capture file, parsed, and waited on by position.

Mark a position, act, then wait for an event since the mark with a timeout in *device* time (the
wall timeout is device time over the clock rate, plus slack). Thread-safe: a reader thread feeds
lines while the test thread waits.

A capture that loses its phone (disconnected, offline, unauthorized, the capture itself dead) says so with
``lost(how)``: every wait, running or to come, ends at once with ``DeviceLost`` — never a ``None`` that a negative
expectation would read as a pass. A phone taken away on purpose (a reboot, an iPhone unplugged through its hub)
is announced by its driver with ``away(why)`` … ``back()``; the capture does not call that a loss.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TextIO, TypeVar

from harness.errors import DeviceLost
from harness.logs.events import Event
from harness.logs.logcat import LogLine
from harness.logs.platforms import EventSource, LineParser, parser_pair

__all__ = ["EventStream", "Loss", "Mark", "StepResult", "TimeStepper", "WaitObserver", "observe_waits"]

_WALL_SLACK_S = 1.0  # log delivery through adb takes milliseconds; this covers a busy machine
# Past a wait's wall deadline, while the capture has read nothing timed after the window's end (it lags a busy
# host's phone), the wait goes on for a line past the window, up to this long: only then is "nothing came" known.
_CATCH_UP_WALL_S = 15.0
_MARKER_WALL_S = 30.0  # a step's marker line travels lab → adb/usbmuxd → capture in milliseconds; a loaded host
_CLOCK_GRAIN_S = 0.001  # a log timestamp's resolution, at worst (logcat's milliseconds)
_MARKER_TAG = "LabClock"  # harness.virtual_time.MARKER_TAG (this module imports no client)
T = TypeVar("T")


class StepResult(Protocol):
    @property
    def now(self) -> float: ...
    @property
    def marker(self) -> str: ...


class TimeStepper(Protocol):
    """A virtual lab phone's clock as a wait moves it (``harness.virtual_time.LabTime``)."""

    def now(self) -> float: ...
    def step(self, until: float) -> StepResult: ...
    def sync(self) -> StepResult: ...

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


@dataclass(frozen=True, slots=True)
class Loss:
    """How the phone was lost, and when: its device time (estimated from its last line) and the host's."""

    how: str  # "disconnected", "went offline", "its log capture died (…)"
    device_time: float | None
    monotonic: float
    fix: str = ""

    def describe(self) -> str:
        if self.device_time is None:
            return self.how
        return f"{self.how} at {time.strftime('%H:%M:%S', time.gmtime(self.device_time))} (device time)"


_FIX = "check the phone's cable and `harness devices`; its other cells in this run are not run"
_RESUME_MEMORY = 2000  # raw lines a resumed capture may send again (logcat -T from the last second, a relay's buffer)


class EventStream:
    def __init__(self, device: str, clock_rate: float = 1.0, capture: Path | None = None,
                 year: int | None = None, device_clock: Callable[[], float | None] | None = None,
                 platform: str = "android", stepper: TimeStepper | None = None) -> None:
        self.device = device
        # A virtual lab phone's clock: it stands still until a wait steps it (then waits are in device time only).
        self.stepper = stepper
        self._markers: deque[str] = deque(maxlen=64)  # the newest step markers the capture delivered
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
        self.loss: Loss | None = None  # set once, by the capture: the phone is gone for the rest of the test
        self.away_for: str | None = None  # the driver took the phone away on purpose (a reboot, unplugged)
        # A device time and the host's monotonic time when it was true (the newest timed line, or the device clock
        # read at a mark): the phone's time at a loss is estimated from it.
        self._anchor: tuple[float, float] | None = None
        self._resent: set[str] | None = None  # lines a resumed capture may send again
        self._resend_left = 0
        self._replay_floor: float | None = None  # while resuming: lines timed before it predate the capture

    def known_process(self, pid: int, package: str) -> None:
        """Before the capture starts: ``pid`` is ``package``'s process, as the phone says now (``pidof``). A line
        its process logs is the app's even when the line that started it is older than the capture's first line;
        without this, whether it was depended on how much else the phone had logged since."""
        with self._cond:
            self._builder.known_process(pid, package)

    # -- feeding (reader thread) ----------------------------------------------------------------
    def feed(self, raw_lines: Iterable[str]) -> None:
        lines = list(raw_lines)
        if self._resent is not None:
            lines = self._drop_resent(lines)
        if self._file is not None:
            self._file.writelines(line + "\n" for line in lines)
            self._file.flush()
        floor = self._replay_floor
        records = self._parser.feed(lines)
        if floor is not None:  # a resumed relay's buffer: lines older than any it had are from before the capture
            records = [r for r in records if r.time is None or r.time >= floor]
        self._publish(records, lines)

    def flush(self) -> None:
        """The source went quiet: release a record the parser was holding for continuation lines."""
        self._publish(self._parser.close(), [])

    def _publish(self, records: list[LogLine], lines: list[str]) -> None:
        with self._cond:
            for line in lines:
                self._line_count += 1
                self.lines.append((self._line_count, line))
                if self.stepper is not None and _MARKER_TAG in line:
                    self._markers.append(line)
            if records:
                before = len(self._builder.events)
                self._builder.feed(records)
                self.events.extend(self._builder.events[before:])
                times = [r.time for r in records if r.time is not None]
                if times:
                    self.last_time = max(times[-1], self.last_time or times[-1])
                    self._anchor = (self.last_time, time.monotonic())
            self._cond.notify_all()

    def _drop_resent(self, lines: list[str]) -> list[str]:
        assert self._resent is not None
        kept = [line for line in lines if line not in self._resent]
        self._resend_left -= len(lines)
        if self._resend_left <= 0:  # past what the capture can have sent again
            self._resent = self._replay_floor = None
        return kept

    def resuming(self, resend: int = _RESUME_MEMORY) -> None:
        """The capture reopens after a drop asking for its last ``resend`` lines again (``logcat -T 2000``, a
        relay's buffer): among the next ``resend`` lines, those it already has are dropped (nothing is counted
        twice, nothing logged while it was closed is missed). A relay's buffer also holds lines from before this
        capture began (an iPhone's syslog_relay sends all it has), which it never had: lines timed before the
        newest it had when it dropped were all delivered then (a live stream misses nothing older), so those it
        does not have predate the capture, and are dropped too."""
        with self._cond:
            self._resent = {text for _, text in list(self.lines)[-_RESUME_MEMORY:]}
            self._resend_left = resend
            self._replay_floor = self.last_time

    # -- the phone's presence (capture and driver) ---------------------------------------------------
    def lost(self, how: str, fix: str = _FIX) -> Loss:
        """The phone is gone (``how``: "disconnected", "went offline", …): every wait ends with DeviceLost.
        The first loss stands; a phone that comes back later does not undo it (the window had a hole)."""
        with self._cond:
            if self.loss is None:
                # the phone's clock went on after it was last known
                self.loss = Loss(how, self._device_now(), time.monotonic(), fix)
            self._cond.notify_all()
            return self.loss

    def away(self, why: str) -> None:
        """The driver takes the phone away on purpose (``why``: "rebooting", "unplugged through its hub"):
        a dropped capture is followed, not lost, until ``back()``."""
        with self._cond:
            self.away_for = why

    def back(self) -> None:
        with self._cond:
            self.away_for = None

    def check_present(self, during: str) -> None:
        """Raise DeviceLost when the phone was lost (a driver calls this before a device action)."""
        loss = self.loss
        if loss is not None:
            raise DeviceLost(self.device, loss.describe(), during, loss.fix)

    def _raise_lost(self, what: object) -> None:
        """Inside a wait: the loss, naming what the wait was for."""
        self.check_present(f"while waiting for {_waited_for(what)}")

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
        now = self._clock_now()
        with self._cond:
            if now is None:
                now = self.last_time
            else:
                self._anchor = (now, time.monotonic())
                if self.last_time is not None:
                    now = max(now, self.last_time)
            # A line logged at the mark's very instant is "since" it, whatever its timestamp's rounding (logcat
            # prints milliseconds; os_trace microseconds, read back through local time). On a virtual clock that
            # instant is common: the phone's clock stands still while the harness acts.
            return Mark(len(self.events), self._line_count, None if now is None else now - _CLOCK_GRAIN_S)

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
        """The first event since ``since`` that matches, waiting up to ``within_s`` of device time. An event the
        phone logged before the mark's device time is not "since": the log stream lags the phone, so a line logged
        just before the mark can be read after it."""
        start = since.device_time
        if self.stepper is not None and start is None:
            start = self.stepper.now()
        limit = None if start is None else start + within_s
        scanned = since.index

        def found() -> Event | None:  # called under the lock
            nonlocal scanned
            for event in self.events[scanned:]:
                if start is not None and event.time is not None and event.time < start:
                    continue  # logged before the mark, read after it
                if limit is not None and event.time is not None and event.time > limit:
                    break  # the window is over: nothing matched in it
                if match(event):
                    return event  # seen before any loss: it happened
            scanned = len(self.events)
            return None

        if self.stepper is not None and limit is not None:
            return self._stepping(found, limit, match, within_s)
        deadline = time.monotonic() + within_s / self.clock_rate + _WALL_SLACK_S
        with _observed(self, match, within_s), self._cond:
            while True:
                event = found()
                if event is not None:
                    return event
                if self.loss is not None:  # a "nothing came" is worth nothing over a hole in the capture
                    self._raise_lost(match)
                if limit is not None and self.last_time is not None and self.last_time > limit:
                    return None
                remaining = self._remaining(deadline, limit)
                if remaining is None:
                    return None
                self._cond.wait(remaining)

    # -- virtual time (a lab phone under [lab] clock = "virtual") -------------------------------------
    def _stepping(self, found: Callable[[], T | None], limit: float, what: object, window_s: float) -> T | None:
        """Check; step the phone's clock to its next logged event (or to ``limit``); wait until the capture has
        what the step produced (its marker line); again, until found or the window's end in device time."""
        assert self.stepper is not None
        reached = False
        with _observed(self, what, window_s):
            # First, without moving the clock: the capture has everything the phone logged so far (what the harness
            # just did may still be on its way); otherwise the first look would depend on the host's speed.
            self._delivered(self.stepper.sync().marker, what)
            while True:
                with self._cond:
                    got = found()
                    if got is not None:
                        return got
                    if self.loss is not None:
                        self._raise_lost(what)
                    if reached or self.closed:
                        return None
                step = self.stepper.step(limit)
                self._delivered(step.marker, what)
                reached = step.now >= limit

    def caught_up(self) -> None:
        """A virtual lab phone: the capture holds everything the phone logged up to now (nothing moves). A no-op
        for any other phone, whose log cannot be told apart from what is still on its way."""
        if self.stepper is not None and not self.closed and self.loss is None:
            self._delivered(self.stepper.sync().marker, "the capture to catch up")

    def _delivered(self, marker: str, what: object) -> None:
        """Wait (wall time: delivery only) until the capture has read the step's marker line."""
        deadline = time.monotonic() + _MARKER_WALL_S
        with self._cond:
            while not any(marker in line for line in self._markers):
                if self.loss is not None:
                    self._raise_lost(what)
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.closed:
                    break
                self._cond.wait(remaining)
            else:
                return
        if not self.closed and self.away_for is None:
            self.lost(f"its log capture did not deliver the lab clock's step marker within {_MARKER_WALL_S:g} s",
                      "check `harness lab status` and the lab log (.lab/lab.log)")
            self._raise_lost(what)

    def _clock_now(self) -> float | None:
        if self.stepper is not None:
            return self.stepper.now()
        return self.device_clock() if self.device_clock is not None else None

    def _device_now(self) -> float | None:
        """The phone's time now, from the newest line or device clock reading; None before either."""
        with self._cond:
            if self._anchor is None:
                return self.last_time
            if self.stepper is not None:  # a virtual clock moves only in waits: no extrapolation
                return max(self.last_time or 0.0, self._anchor[0])
            return max(self.last_time or 0.0, self._anchor[0] + (time.monotonic() - self._anchor[1]) * self.clock_rate)

    def wait_for_line(self, needle: str, since: Mark, within_s: float) -> str | None:
        """The first raw line since ``since`` containing ``needle``, waiting up to ``within_s`` of device time
        (as wall time over the clock rate: a raw line has no parsed time)."""
        scanned = since.line
        what = f"a log line with {needle!r}"

        def found() -> str | None:  # called under the lock
            nonlocal scanned
            for number, text in self.lines:
                if number > scanned and needle in text:
                    return text
            scanned = max(scanned, self._line_count)
            return None

        if self.stepper is not None:
            start = since.device_time if since.device_time is not None else self.stepper.now()
            return self._stepping(found, start + within_s, what, within_s)
        deadline = time.monotonic() + within_s / self.clock_rate + _WALL_SLACK_S
        with _observed(self, what, within_s), self._cond:
            while True:
                text = found()
                if text is not None:
                    return text
                if self.loss is not None:
                    self._raise_lost(what)
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.closed:
                    return None
                self._cond.wait(remaining)

    def wait_quiet_until(self, device_time: float) -> None:
        """Block until the device's log clock has passed ``device_time`` (or the wall equivalent)."""
        if self.stepper is not None:
            start = self.stepper.now()
            self._stepping(lambda: None, device_time, "the window to pass", max(0.0, device_time - start))
            return
        now = self._device_now()
        wall = (device_time - now) / self.clock_rate if now is not None else 0.0
        deadline = time.monotonic() + max(0.0, wall) + _WALL_SLACK_S
        window = max(0.0, wall) * self.clock_rate if now is not None else float("nan")  # nan: no line seen yet
        with _observed(self, "the window to pass", window), self._cond:
            while self.last_time is None or self.last_time < device_time:
                if self.loss is not None:  # before ``closed``: a capture that lost its phone closes the stream
                    self._raise_lost("the window to pass")
                remaining = self._remaining(deadline, device_time)
                if remaining is None:
                    return
                self._cond.wait(remaining)

    def _remaining(self, deadline: float, limit: float | None) -> float | None:
        """Wall seconds a wait on a phone whose clock runs by itself may still wait, None to end it (under the
        lock). Past the deadline it waits on while the capture lags: it has read lines, none yet timed after the
        window's end ``limit``. A window is device time; on a loaded host the capture reads it late, and ending at
        the wall deadline would call a kill still in flight "never happened"."""
        if self.closed:
            return None
        left = deadline - time.monotonic()
        if left > 0:
            return left
        lagging = limit is not None and self.last_time is not None and self.last_time <= limit
        return left + _CATCH_UP_WALL_S if lagging and left + _CATCH_UP_WALL_S > 0 else None


def _waited_for(what: object) -> str:
    """What a wait was for, in words: the expectation that asked and its first argument (``task_fired
    'sync-orders'``), else the wait's own text, else "an event"."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.endswith(("stream.py", "contextlib.py")):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is not None and frame.f_code.co_filename.endswith("expect.py"):
        code = frame.f_code
        names = [n for n in code.co_varnames[: code.co_argcount] if n != "self"]
        first = frame.f_locals.get(names[0]) if names else None
        return code.co_name + (f" {first!r}" if first is not None and not callable(first) else "")
    return what if isinstance(what, str) else "an event"
