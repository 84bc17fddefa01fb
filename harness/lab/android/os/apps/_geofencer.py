"""Play services' geofencing (``GeofencingClient``) as the lab's apps see it: regions, limit, transitions.

- ``add`` is one ``addGeofences`` request of one PendingIntent (one Expo task): it replaces that task's
  earlier geofences (expo-location's GeofencingTaskConsumer removes its geofences before it adds them again)
  and fails whole when the app would hold more than 100 (GEOFENCE_TOO_MANY_GEOFENCES, 1001); the failure
  shows only as Play services' own log line [unverified wording; tagged as Play services' geofencer].
- Transitions come from the fixes the fused provider hears (``LocationService.on_fix``: a mock ``gps``
  provider's fixes reach it as well). A region is "outside" until a fix falls in it; entering and leaving
  are both transitions (Expo asks for ENTER and EXIT). No initial trigger is modelled for a phone already
  inside a region when it registers.
- Delivery latency: "the average responsiveness for a geofencing event is every couple of minutes or so"
  for background apps since Android 8 (developer.android.com, background location limits), so a
  transition reaches a background app ``BACKGROUND_LATENCY_S`` after the fix and a foreground app
  ``FOREGROUND_LATENCY_S`` after it [lab's numbers inside that statement].
- Geofences do not survive a reboot (apps must register again after BOOT_COMPLETED, GeofencingClient docs)
  nor a force-stop, whose PACKAGE_RESTARTED makes Play services drop the package's PendingIntents
  [unverified for geofences; the app registers them again at its next launch in any case].
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harness.contracts.geofence import DOCUMENTED_LIMITS, Region

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = ["BACKGROUND_LATENCY_S", "FOREGROUND_LATENCY_S", "GEOFENCE_LIMIT", "Geofencer"]

GEOFENCE_LIMIT = DOCUMENTED_LIMITS["android"].regions
FOREGROUND_LATENCY_S = 5.0
BACKGROUND_LATENCY_S = 120.0
GMS_PID = 2330  # com.google.android.gms.persistent in the lab's process table
GMS_UID = 10_140

Deliver = Callable[[str], None]  # called with the region's identifier on a transition


@dataclass
class _Request:
    regions: dict[str, Region]
    deliver: Deliver
    inside: set[str] = field(default_factory=set)


class Geofencer:
    def __init__(self, dev: AndroidDevice) -> None:
        self.dev = dev
        self.requests: dict[tuple[str, str], _Request] = {}  # (package, task) → its geofences
        self.position: tuple[float, float] | None = None
        location = dev.services.get("location")
        on_fix = getattr(location, "on_fix", None)
        if on_fix is not None:
            on_fix(lambda _provider, lat, lng: self.moved(lat, lng))
        dev.on_shutdown(self.requests.clear)

    def connect_activity(self) -> None:
        """Forget a force-stopped package's geofences (``dev.activity`` is installed before the app)."""
        am = getattr(self.dev, "activity", None)
        on_force_stop = getattr(am, "on_force_stop", None)
        if on_force_stop is not None:
            on_force_stop(lambda package, _reason: self.remove_package(package))

    def count(self, package: str) -> int:
        return sum(len(r.regions) for (pkg, _), r in self.requests.items() if pkg == package)

    def add(self, package: str, task: str, regions: list[Region], deliver: Deliver) -> bool:
        """``addGeofences`` for one task's PendingIntent; False when Play services refused it."""
        self.requests.pop((package, task), None)
        total = self.count(package) + len(regions)
        if total > GEOFENCE_LIMIT:
            self.dev.logs.write(
                "main", "W", "GeofencerStateMachine",
                f"addGeofences rejected for {package}: {total} geofences, limit {GEOFENCE_LIMIT} "
                f"(GEOFENCE_TOO_MANY_GEOFENCES 1001)", pid=GMS_PID, tid=GMS_PID + 40, uid=GMS_UID)
            return False
        request = _Request({r.identifier: r for r in regions}, deliver)
        if self.position is not None:
            request.inside = {r.identifier for r in regions if r.contains(*self.position)}
        self.requests[(package, task)] = request
        return True

    def remove(self, package: str, task: str) -> None:
        self.requests.pop((package, task), None)

    def remove_package(self, package: str) -> None:
        for key in [k for k in self.requests if k[0] == package]:
            del self.requests[key]

    def moved(self, latitude: float, longitude: float) -> None:
        """A fix reached the fused provider: each region crossed since the last one is a transition."""
        self.position = (latitude, longitude)
        for (package, _task), request in list(self.requests.items()):
            inside = {rid for rid, r in request.regions.items() if r.contains(latitude, longitude)}
            crossed = sorted(inside ^ request.inside)
            request.inside = inside
            for region_id in crossed:
                self._deliver_later(package, request, region_id)

    def _deliver_later(self, package: str, request: _Request, region_id: str) -> None:
        am = getattr(self.dev, "activity", None)
        foreground = am is not None and am.in_foreground(package)
        delay = FOREGROUND_LATENCY_S if foreground else BACKGROUND_LATENCY_S

        def deliver() -> None:
            if any(r is request for r in self.requests.values()):  # not removed meanwhile
                request.deliver(region_id)

        self.dev.clock.call_later(delay, deliver)
