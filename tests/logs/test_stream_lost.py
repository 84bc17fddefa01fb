"""A lost phone ends every wait on its stream with DeviceLost: never a None a negative expectation reads as a pass.
The wake collector's waits (harness.collector.expect) watch the same stream.

The loss comes from another thread (the capture's reader) while the test thread waits; the wait observer
(``observe_waits``, the live progress display's hook) tells the test when the wait has started, so nothing sleeps.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from harness.collector import Collector, WakeExpect
from harness.config import CollectorConfig
from harness.errors import DeviceLost
from harness.logs.expect import Expect
from harness.logs.stream import EventStream, observe_waits

PROBE = ("11-28 08:00:{s:02d}.000  4730  4761 I ReactNativeJS: "
         "BgProbe v1 task_start task={task} run={run} trigger=test")
HOUR = 3600.0


def _stream() -> EventStream:
    stream = EventStream("pixel-8", year=2026)
    stream.feed([PROBE.format(s=5, task="other", run=1)])
    stream.flush()
    return stream


@pytest.fixture
def on_wait() -> Iterator[Callable[[Callable[[EventStream], None]], None]]:
    """``on_wait(act)``: ``act(stream)`` runs on another thread as soon as a wait starts (once)."""
    actions: list[Callable[[EventStream], None]] = []

    def observer(stream: EventStream, what: object, window_s: float) -> Callable[[], None] | None:
        if actions:
            threading.Thread(target=actions.pop(), args=(stream,), daemon=True).start()
        return None

    previous = observe_waits(observer)
    yield actions.append
    observe_waits(previous)


def _disconnect(stream: EventStream) -> None:
    stream.lost("disconnected")


def test_a_negative_wait_ends_in_an_error_naming_the_drop_and_the_wait(
        on_wait: Callable[[Callable[[EventStream], None]], None]) -> None:
    stream = _stream()
    timeline = Expect(stream, "com.example")
    on_wait(_disconnect)
    started = time.monotonic()
    with pytest.raises(DeviceLost) as lost:
        timeline.task_not_fired("sync-orders", during_s=HOUR)  # an hour at 1x: only the loss can end it early
    assert time.monotonic() - started < 30
    text = str(lost.value)
    assert text.startswith("pixel-8 disconnected at 08:00:0"), text
    assert "(device time) while waiting for task_not_fired 'sync-orders'" in text


def test_a_positive_wait_ends_in_an_error_not_a_product_failure(
        on_wait: Callable[[Callable[[EventStream], None]], None]) -> None:
    stream = _stream()
    on_wait(_disconnect)
    with pytest.raises(DeviceLost, match="while waiting for task_fired 'sync-orders'"):
        Expect(stream, "com.example").task_fired("sync-orders", within_s=HOUR)


def test_an_event_seen_before_the_drop_still_counts() -> None:
    stream = _stream()
    mark = stream.mark()
    stream.feed([PROBE.format(s=6, task="sync-orders", run=2)])
    stream.flush()
    stream.lost("disconnected")
    assert Expect(stream, "com.example", mark=mark).task_fired("sync-orders", within_s=HOUR).task == "sync-orders"


def test_a_phone_lost_before_the_wait_ends_it_at_once() -> None:
    stream = _stream()
    stream.lost("went offline")
    mark = stream.mark()
    with pytest.raises(DeviceLost, match="went offline"):
        stream.wait_for(lambda e: False, mark, HOUR)
    with pytest.raises(DeviceLost, match="while waiting for a log line with 'x'"):
        stream.wait_for_line("x", mark, HOUR)
    with pytest.raises(DeviceLost, match="while waiting for the window to pass"):
        stream.wait_quiet_until((stream.last_time or 0) + HOUR)
    with pytest.raises(DeviceLost, match="before launch"):
        stream.check_present("before launch")


def test_the_wait_for_state_ends_when_the_phone_is_lost(
        on_wait: Callable[[Callable[[EventStream], None]], None]) -> None:
    stream = _stream()
    def lose(s: EventStream) -> None:
        s.lost("became unauthorized")

    on_wait(lose)
    with pytest.raises(DeviceLost, match=r"became unauthorized at .* while waiting for settle"):
        Expect(stream, "com.example").settle(HOUR)


def test_the_first_loss_stands_and_its_device_time_follows_the_clock() -> None:
    stream = EventStream("pixel-8", clock_rate=1000.0, year=2026)
    stream.feed([PROBE.format(s=5, task="other", run=1)])
    stream.flush()
    last = stream.last_time
    assert last is not None
    first = stream.lost("disconnected")
    assert stream.lost("went offline") is first
    assert first.device_time is not None and first.device_time >= last


def test_a_phone_away_on_purpose_is_not_lost() -> None:
    stream = _stream()
    stream.away("rebooting")
    assert stream.away_for == "rebooting" and stream.loss is None
    stream.back()
    assert stream.away_for is None
    stream.check_present("before launch")  # no loss: no error


def test_a_resumed_capture_counts_no_line_twice() -> None:
    stream = _stream()
    stream.feed([PROBE.format(s=6, task="sync-orders", run=2)])
    stream.resuming()  # reopened from a little before the last line: the relay sends what we have again
    stream.feed([PROBE.format(s=5, task="other", run=1), PROBE.format(s=6, task="sync-orders", run=2),
                 PROBE.format(s=7, task="sync-orders", run=3)])
    stream.flush()
    assert [e.extra["run"] for e in stream.events] == ["1", "2", "3"]


# -- the wake collector's waits watch the same stream ----------------------------------------------------------


@contextlib.contextmanager
def _collector_expect(stream: EventStream) -> Iterator[tuple[Collector, WakeExpect]]:
    with Collector(CollectorConfig()) as collector:
        yield collector, WakeExpect(collector, "pixel-8", stream=stream, grace_s=0)


def test_a_negative_wake_wait_on_a_lost_phone_is_an_error() -> None:
    stream = _stream()
    with _collector_expect(stream) as (_, wakes):
        threading.Thread(target=_disconnect, args=(stream,), daemon=True).start()
        started = time.monotonic()
        with pytest.raises(DeviceLost, match=r"pixel-8 disconnected .* while waiting for not_woke 'push'"):
            wakes.not_woke("push", during_s=HOUR)  # an hour of wall time at 1x: only the loss ends it early
        assert time.monotonic() - started < 30


def test_a_wake_that_reached_the_collector_counts_even_after_the_drop() -> None:
    stream = _stream()
    with _collector_expect(stream) as (collector, wakes):
        body = {"device": "pixel-8", "reason": "push", "task": None, "time_ms": 1_795_852_800_000}
        response = httpx.post(f"{collector.url}/wake", content=json.dumps(body),
                              headers={"authorization": f"Bearer {collector.token}"}, timeout=5)
        assert response.status_code < 300, response.text
        stream.lost("disconnected")
        assert wakes.woke("push", within_s=HOUR).reason == "push"
