"""Depot geofences: the platform's region limit is visible, and the regions within it fire (issue 8).

Requirement: when the app registers more regions than the platform allows — 100 per app on Android
(Play services, GEOFENCE_TOO_MANY_GEOFENCES) and 20 per app on iOS (Core Location) — the refusal shows
in the phone's log, and the regions that were accepted run the geofence task (role `geofence`) when the phone
crosses them with the app in the background. The limits are the platforms' documented ones, written once with
their sources (`harness.contracts.geofence.DOCUMENTED_LIMITS`): the cells check the phone against the
documentation, not against a number of the lab's.

The app's debug build registers as many regions as the harness asks for at launch, on a grid the harness
knows (`harness.contracts.geofence`); the phone is moved with a mock GPS provider on Android and with location
simulation on iOS. The platforms differ in what "too many" does (`RegionLimit.past_limit`): Android refuses the
whole request, so not one region fires; iOS monitors the first 20 and refuses the rest one by one.

A failure means depots silently stop triggering: no rejection line means the refusal cannot be diagnosed
in the field; no run after a crossing within the limit means geofencing itself is broken (permissions,
the background location grant, the task not registered, or an OEM killing the app).
"""

from __future__ import annotations

import contextlib

import pytest

from harness.android import AndroidDriver
from harness.contracts.geofence import DOCUMENTED_LIMITS, RegionLimit
from harness.errors import UiError
from harness.ios import IOSDriver
from harness.logs.expect import Expect
from harness.plan import MIN, cost
from harness.plugin import App
from harness.ui import UiDriver

ROLE = "geofence"  # the role in devices.toml [[app.task]] (docs/adopting.md)
# Play services reports a crossing to a background app "every couple of minutes"; iOS waits 20 s on the
# new side of the boundary first, then launches or wakes the app. On a fast lab clock the windows also hold the
# harness's own location call (``Expect.ack_s``).
ANDROID_DELIVERY_S = 5 * MIN
IOS_DELIVERY_S = 3 * MIN
# Android geofencing is Play services' GeofencingClient (expo-location's task consumer uses it). HarmonyOS phones
# ship without Play services, so the Android cells apply to the OEMs whose phones carry it, not to Huawei's.
PLAY_SERVICES = pytest.mark.oem("google", "xiaomi", "oppo", "samsung")


def delivery(timeline: Expect, platform_s: float) -> float:
    return max(platform_s, timeline.ack_s)


def documented(platform: str, past_limit: str) -> RegionLimit:
    """The platform's documented limit; the cell's steps are written for what it says a refusal does."""
    limit = DOCUMENTED_LIMITS[platform]
    assert limit.past_limit == past_limit, f"{limit.source} now says {limit.past_limit!r}: rewrite this cell"
    return limit


@PLAY_SERVICES
@cost(lambda c: 3 * max(ANDROID_DELIVERY_S, c.ack))
def test_android_geofences_within_the_limit_fire_when_crossed(android: AndroidDriver, timeline: Expect,
                                                              app: App) -> None:
    """Exactly the documented 100 regions are accepted; entering the last, leaving it and entering the first each
    run the task from the background."""
    task = app.role(ROLE)
    limit = documented("android", past_limit="request").regions
    android.grant_location()
    android.leave_regions()
    android.launch_with_geofences(limit)
    android.home()

    timeline.reset()
    android.enter_region(limit - 1)
    timeline.task_fired(task, within_s=delivery(timeline, ANDROID_DELIVERY_S), trigger="geofence")

    timeline.reset()
    android.leave_regions()  # the exit is a transition too
    timeline.task_fired(task, within_s=delivery(timeline, ANDROID_DELIVERY_S), trigger="geofence")

    timeline.reset()
    android.enter_region(0)
    timeline.task_fired(task, within_s=delivery(timeline, ANDROID_DELIVERY_S), trigger="geofence")


@PLAY_SERVICES
@cost(lambda c: c.ack + max(ANDROID_DELIVERY_S, c.ack))
def test_android_refuses_every_geofence_past_the_limit_visibly(android: AndroidDriver, timeline: Expect,
                                                               app: App) -> None:
    """101 regions: Play services logs GEOFENCE_TOO_MANY_GEOFENCES and registers none of them."""
    task = app.role(ROLE)
    limit = documented("android", past_limit="request")
    android.grant_location()
    android.leave_regions()
    timeline.reset()
    android.launch_with_geofences(limit.regions + 1)
    timeline.logged(limit.rejection, within_s=timeline.ack_s)
    android.home()

    timeline.reset()
    android.enter_region(0)
    timeline.task_not_fired(task, during_s=delivery(timeline, ANDROID_DELIVERY_S))


@cost(lambda c: c.prompt + c.ack + 4 * max(IOS_DELIVERY_S, c.ack))
def test_iphone_monitors_the_first_20_regions_and_refuses_the_rest(ios: IOSDriver, ui: UiDriver,
                                                                  timeline: Expect, app: App) -> None:
    """25 regions: Core Location reports a monitoring failure; region 19 fires, region 24 never does."""
    task = app.role(ROLE)
    documentation = documented("ios", past_limit="region")
    limit = documentation.regions
    with contextlib.suppress(UiError):  # a phone that answered "Always" in an earlier run shows no prompt
        ui.grant_background_location()
    ios.leave_regions()
    timeline.reset()
    ios.launch_with_geofences(limit + 5)
    timeline.logged(documentation.rejection, within_s=timeline.ack_s)
    ios.home()

    timeline.reset()
    ios.enter_region(limit - 1)
    timeline.task_fired(task, within_s=delivery(timeline, IOS_DELIVERY_S), trigger="geofence")

    timeline.reset()
    ios.leave_regions()  # the exit is reported too
    timeline.task_fired(task, within_s=delivery(timeline, IOS_DELIVERY_S), trigger="geofence")

    timeline.reset()
    ios.enter_region(limit + 4)
    timeline.task_not_fired(task, during_s=delivery(timeline, IOS_DELIVERY_S))
