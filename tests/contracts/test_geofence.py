"""The probe's geofence layout (pure geometry) and the platforms' documented region limits."""

from __future__ import annotations

import pytest

from harness.contracts.geofence import (
    AWAY,
    DOCUMENTED_LIMITS,
    RADIUS_M,
    distance_m,
    region,
    region_center,
    region_id,
    region_index,
)


@pytest.mark.parametrize(
    ("a", "b", "metres"),
    [((52.40, 5.30), (52.41, 5.30), 1112.0),  # 0.01° of latitude
     ((52.40, 5.30), (52.40, 5.31), 678.7),  # 0.01° of longitude at 52.4° N
     ((0.0, 0.0), (0.0, 180.0), 20_015_115.0)],  # half the equator
)
def test_haversine_distance(a: tuple[float, float], b: tuple[float, float], metres: float) -> None:
    assert distance_m(*a, *b) == pytest.approx(metres, rel=1e-3)


def test_every_region_holds_its_own_centre_and_no_other() -> None:
    count = DOCUMENTED_LIMITS["android"].regions + 1
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


@pytest.mark.parametrize(("platform", "regions", "host"), [("android", 100, "developer.android.com"),
                                                        ("ios", 20, "developer.apple.com")])
def test_the_limits_are_the_platforms_documented_ones(platform: str, regions: int, host: str) -> None:
    limit = DOCUMENTED_LIMITS[platform]
    assert (limit.platform, limit.regions) == (platform, regions)
    assert limit.source.startswith(f"https://{host}/")
    assert str(regions) in limit.quote  # the number is the documentation's own, quoted with its page


def test_android_refuses_the_request_and_ios_each_region_past_the_limit() -> None:
    assert DOCUMENTED_LIMITS["android"].past_limit == "request"
    assert DOCUMENTED_LIMITS["ios"].past_limit == "region"
