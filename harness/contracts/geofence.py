"""The probe's geofence test input and the regions' layout, and the platforms' documented region limits.

A debug build of the app under test registers ``count`` synthetic regions for its geofence task when the
harness asks at launch, the way the probe's run-task trigger works (docs/probe-line.md):

- iOS: the launch arguments ``[GEOFENCE_ARGUMENT, "<count>"]`` (DVT ``processcontrol`` / XCUITest
  ``mobile: launchApp``);
- Android: the launch extra ``--ei GEOFENCE_EXTRA <count>`` on ``am start`` (react-native-launch-arguments
  reports Android intent extras under their own keys).

Region ``<task>-<i>`` (``i`` from 0) is a circle of ``RADIUS_M`` around ``region_center(i)``: a grid of
``GRID_COLUMNS`` columns spaced ``SPACING_DEG`` apart from ``ORIGIN`` (a field in the Dutch polders, far
from any app's real places). ``AWAY`` is ``OUTSIDE_DEG`` south of the grid, outside every region. The
harness moves the phone (a mock location provider on Android, location simulation on iOS) to a region's
centre to cross into it, and to ``AWAY`` to leave. The layout is this project's convention for test builds;
the probe package (``probe/``) does not register the regions itself yet: the app's debug code does, from
these constants.

How many regions one app may monitor is the platforms' documented limit (``DOCUMENTED_LIMITS``), written
here once as data with the documentation's words and address; the lab models it and the scenarios assert
against it (scenarios/test_geofencing.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "AWAY",
    "DOCUMENTED_LIMITS",
    "GEOFENCE_ARGUMENT",
    "GEOFENCE_EXTRA",
    "ORIGIN",
    "RADIUS_M",
    "Region",
    "RegionLimit",
    "distance_m",
    "region",
    "region_center",
    "region_id",
    "region_index",
]

GEOFENCE_ARGUMENT = "--bgprobe-geofence-regions"
GEOFENCE_EXTRA = "bgprobe-geofence-regions"
ORIGIN = (52.40, 5.30)
SPACING_DEG = 0.01  # about 1.1 km north-south, 0.68 km east-west at this latitude
GRID_COLUMNS = 10
OUTSIDE_DEG = 0.05
RADIUS_M = 150.0
AWAY = (ORIGIN[0] - OUTSIDE_DEG, ORIGIN[1])


@dataclass(frozen=True, slots=True)
class RegionLimit:
    """A platform's documented limit on the regions one app monitors, and what a registration past it does."""

    platform: Literal["android", "ios"]
    regions: int  # per app (Android: per app and device user)
    past_limit: Literal["request", "region"]  # refused: the whole request that crosses it, or each region past it
    rejection: str  # what the refusal leaves in the phone's log, matched on
    source: str  # the documentation page the number is from
    quote: str  # its words


DOCUMENTED_LIMITS: dict[str, RegionLimit] = {
    # Play services refuses the whole addGeofences request that would pass the limit, with status 1001
    # (GeofenceStatusCodes.GEOFENCE_TOO_MANY_GEOFENCES, "Your app has registered more than 100 geofences").
    # expo-location registers no failure listener, so only Play services' own line shows it [unverified: the
    # line's wording is not known; the status name is what it is matched on].
    "android": RegionLimit(
        "android", 100, "request", "GEOFENCE_TOO_MANY_GEOFENCES",
        "https://developer.android.com/develop/sensors-and-location/location/geofencing",
        "You can have multiple active geofences, with a limit of 100 per app, per device user."),
    # Core Location monitors the first 20 and hands monitoringDidFailForRegion:withError: a kCLErrorDomain
    # error 5 (CLError.Code.regionMonitoringFailure) for each region past them [unverified: no capture of the
    # line; the NSError's %@ form is matched on].
    "ios": RegionLimit(
        "ios", 20, "region", "kCLErrorDomain Code=5",
        "https://developer.apple.com/documentation/corelocation/monitoring-the-user-s-proximity-to-geographic-regions",
        "Core Location limits to 20 the number of regions that may be simultaneously monitored by a single app."),
}

_EARTH_RADIUS_M = 6_371_008.8  # the mean radius (IUGG)


@dataclass(frozen=True, slots=True)
class Region:
    identifier: str
    latitude: float
    longitude: float
    radius_m: float = RADIUS_M

    def contains(self, latitude: float, longitude: float) -> bool:
        return distance_m(self.latitude, self.longitude, latitude, longitude) <= self.radius_m


def region_id(task: str, index: int) -> str:
    return f"{task}-{index}"


def region_index(identifier: str) -> int | None:
    """The ``i`` of ``<task>-<i>``, or None for another identifier."""
    _, _, tail = identifier.rpartition("-")
    return int(tail) if tail.isdigit() else None


def region_center(index: int) -> tuple[float, float]:
    if index < 0:
        raise ValueError(f"region index must be >= 0, not {index}")
    row, column = divmod(index, GRID_COLUMNS)
    return round(ORIGIN[0] + row * SPACING_DEG, 6), round(ORIGIN[1] + column * SPACING_DEG, 6)


def region(task: str, index: int) -> Region:
    latitude, longitude = region_center(index)
    return Region(region_id(task, index), latitude, longitude)


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine) in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))
