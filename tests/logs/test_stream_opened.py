"""A capture can begin with lines from before it opened (an iPhone's log relay sends its buffer first): the test's
own timeline is what the device logged from the moment the capture opened, wherever the lines sit in the stream."""

from __future__ import annotations

from harness.logs.stream import EventStream

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
