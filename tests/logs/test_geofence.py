"""The probe's geofence layout (pure geometry) and waiting for a raw log line (``Expect.logged``)."""

from __future__ import annotations

import threading

import pytest

from harness.logs.expect import Expect, ExpectationFailed
from harness.logs.geofence import AWAY, LIMITS, RADIUS_M, distance_m, region, region_center, region_id, region_index
from harness.logs.stream import EventStream


@pytest.mark.parametrize(
    ("a", "b", "metres"),
    [((52.40, 5.30), (52.41, 5.30), 1112.0),  # 0.01° of latitude
     ((52.40, 5.30), (52.40, 5.31), 678.7),  # 0.01° of longitude at 52.4° N
     ((0.0, 0.0), (0.0, 180.0), 20_015_115.0)],  # half the equator
)
def test_haversine_distance(a: tuple[float, float], b: tuple[float, float], metres: float) -> None:
    assert distance_m(*a, *b) == pytest.approx(metres, rel=1e-3)


def test_every_region_holds_its_own_centre_and_no_other() -> None:
    count = LIMITS["android"] + 1
    regions = [region("depot-geofence", i) for i in range(count)]
    assert len({(r.latitude, r.longitude) for r in regions}) == count
    for r in regions:
        centre = (r.latitude, r.longitude)
        assert [o.identifier for o in regions if o.contains(*centre)] == [r.identifier]
        assert not r.contains(*AWAY)
        assert r.radius_m == RADIUS_M
    assert region_center(11) == (52.41, 5.31)


def test_identifiers_round_trip() -> None:
    assert region_id("depot-geofence", 19) == "depot-geofence-19"
    assert region_index("depot-geofence-19") == 19
    assert region_index("depot-geofence") is None
    with pytest.raises(ValueError, match=">= 0"):
        region_center(-1)


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
