"""A capture can begin with lines from before it opened (an iPhone's log relay sends its buffer first): the test's
own timeline is what the device logged from the moment the capture opened, wherever the lines sit in the stream."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from harness.logs.stream import _CATCH_UP_WALL_S, EventStream, observe_waits

PROBE = ("11-28 08:00:{s:02d}.000  4730  4761 I ReactNativeJS: "
         "BgProbe v1 task_start task=sync-orders run={run} trigger=test")


def test_logged_since_leaves_out_lines_logged_before_the_capture_opened() -> None:
    now: list[float] = []
    stream = EventStream("pixel-8", year=2026, device_clock=lambda: now[0] if now else None)
    stream.feed([PROBE.format(s=0, run=1)])
    stream.flush()  # a row is held until the next one shows it is not continued
    first = stream.events[0].time
    assert first is not None
    now.append(first + 5)
    opened = stream.mark()
    stream.feed([PROBE.format(s=1, run=2), PROBE.format(s=7, run=3)])  # a replayed line, then a new one
    stream.flush()
    assert [e.extra["run"] for e in stream.since(opened)] == ["2", "3"]
    assert [e.extra["run"] for e in stream.logged_since(opened)] == ["3"]


def test_without_a_device_time_every_line_counts() -> None:
    stream = EventStream("pixel-8", year=2026)  # no device clock and nothing logged yet: the mark has no time
    opened = stream.mark()
    assert opened.device_time is None
    stream.feed([PROBE.format(s=0, run=1)])
    stream.flush()
    assert len(stream.logged_since(opened)) == 1


WM_LINE = ("11-28 08:00:03.000  4730  4761 D WM-SystemJobScheduler: "
           "Scheduling work ID 08be261c-2def-4bd6-a716-1e4410968dc4Job ID 33")


def scheduled_package(known: dict[int, str]) -> str | None:
    stream = EventStream("pixel-8", year=2026)
    for pid, package in known.items():
        stream.known_process(pid, package)
    stream.feed([WM_LINE])
    stream.flush()
    [event] = stream.events
    assert event.kind == "work_scheduled"
    return event.package


def test_a_process_known_when_the_capture_opened_owns_its_lines() -> None:
    """WorkManager's lines name no package: they are the app's by their pid, which the process's start line maps,
    and that line may be far older than the capture's first (the app started cells ago). The driver tells the
    stream the app's running pid when it opens the capture (``pidof``)."""
    assert scheduled_package({}) is None
    assert scheduled_package({4730: "com.example.courier"}) == "com.example.courier"
    assert scheduled_package({4000: "com.example.courier"}) is None


def test_a_resumed_relay_does_not_add_what_was_logged_before_the_capture_began() -> None:
    """An iPhone's syslog_relay sends its whole buffer to each connection: after a reconnect (the phone was
    unplugged) the lines from before the capture's first are sent too, and they are not the test's events."""
    stream = EventStream("pixel-8", year=2026)
    stream.feed([PROBE.format(s=10, run=1), PROBE.format(s=11, run=2)])
    stream.resuming()
    stream.feed([PROBE.format(s=5, run=0), PROBE.format(s=10, run=1), PROBE.format(s=11, run=2),
                 PROBE.format(s=12, run=3)])
    stream.flush()
    assert [e.extra["run"] for e in stream.events] == ["1", "2", "3"]


def _started(what: Callable[[], None]) -> threading.Thread:
    """``what`` on another thread once the test thread's wait has started (the wait observer says so)."""
    began = threading.Event()

    def observer(_stream: EventStream, _what: object, _window: float) -> None:
        began.set()

    def run() -> None:
        if began.wait(30):
            what()

    observe_waits(observer)
    feeder = threading.Thread(target=run, daemon=True)
    feeder.start()
    return feeder


def _feeding(stream: EventStream, *lines: str, after: threading.Event | None = None) -> Callable[[], None]:
    def feed() -> None:
        if after is not None:
            after.wait(1.6)  # the capture lags past the wait's wall deadline (0.25 s + 1 s of slack)
        stream.feed(list(lines))
        stream.flush()
    return feed


def test_a_wait_past_its_wall_deadline_waits_for_a_lagging_capture_to_read_its_window() -> None:
    """A 240x phone's 60 s window is 0.25 s of wall time, plus a second of slack: on a host loaded past that, the
    line that ends the window's question arrives late. Until the capture has read a line timed after the window,
    "nothing came" is not known, and a kill still in flight must not read as "never killed"."""
    stream = EventStream("pixel-8", clock_rate=240.0, year=2026)
    stream.feed([PROBE.format(s=0, run=1)])
    stream.flush()
    mark = stream.mark()
    never = threading.Event()
    feeder = _started(_feeding(stream, PROBE.format(s=30, run=2), after=never))
    try:
        found = stream.wait_for(lambda e: e.extra.get("run") == "2", mark, 60)
    finally:
        observe_waits(None)
        feeder.join(5)
    assert found is not None and found.extra["run"] == "2"


def test_a_line_past_the_window_ends_the_wait_at_once() -> None:
    stream = EventStream("pixel-8", clock_rate=240.0, year=2026)
    stream.feed([PROBE.format(s=0, run=1)])
    stream.flush()
    mark = stream.mark()
    feeder = _started(_feeding(stream, PROBE.format(s=59, run=9), PROBE.format(s=59, run=10)))
    started = time.monotonic()
    try:
        assert stream.wait_for(lambda e: e.extra.get("run") == "2", mark, 30) is None
    finally:
        observe_waits(None)
        feeder.join(5)
    assert time.monotonic() - started < _CATCH_UP_WALL_S  # it did not wait out the catch-up
