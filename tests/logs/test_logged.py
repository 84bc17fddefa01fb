"""Waiting for a raw log line (``Expect.logged``): the geofence refusals are matched this way."""

from __future__ import annotations

import threading

import pytest

from harness.logs.expect import Expect, ExpectationFailed
from harness.logs.stream import EventStream


def test_logged_waits_for_a_line_written_after_the_mark() -> None:
    stream = EventStream("pixel-8", clock_rate=1.0)
    stream.feed(["11-28 08:00:00.000  2330  2370 W GeofencerStateMachine: GEOFENCE_TOO_MANY_GEOFENCES (old)"])
    timeline = Expect(stream, "com.example.courier")
    line = "11-28 08:00:01.000  2330  2370 W GeofencerStateMachine: addGeofences rejected (GEOFENCE_TOO_MANY_GEOFENCES)"
    threading.Timer(0.05, stream.feed, args=([line],)).start()
    assert timeline.logged("GEOFENCE_TOO_MANY_GEOFENCES", within_s=5) == line


def test_logged_fails_with_the_timeline_when_the_line_never_comes() -> None:
    stream = EventStream("iphone-12", clock_rate=1000.0)
    timeline = Expect(stream, "com.example.courier")
    stream.feed(["11-28 08:00:00.000  2330  2370 W GeofencerStateMachine: something else"])
    with pytest.raises(ExpectationFailed, match="no log line with 'kCLErrorDomain Code=5' within"):
        timeline.logged("kCLErrorDomain Code=5", within_s=60)
