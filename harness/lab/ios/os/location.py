"""Core Location's side: each app's authorization and the regions it monitors.

- Authorization is ``not_determined`` until the user answers the system dialog (or changes it in
  Settings); background location updates and geofencing need ``always`` (expo-location's
  ``startLocationUpdatesAsync``/``startGeofencingAsync`` reject without background permission).
- Regions: "Core Location will not let one app monitor more than 20 conditions/regions of any type at
  once" (CoreLocation docs, reference §4.7; ``startMonitoring(for:)``: "An app can register up to 20 regions
  at a time"). The extra ones fail with ``kCLErrorRegionMonitoringFailure``. Regions are a system resource:
  they outlive the app's process and a reboot, but monitoring resumes only after the first unlock.
- Where the phone is: the simulated location a developer tool sets (DVT ``LocationSimulation``,
  ``com.apple.dt.simulatelocation``, XCUITest's simulated location); ``move`` returns the monitored regions
  whose boundary the phone crossed. A region is "outside" until a position falls in it; a phone already
  inside a region when it is registered gets no event (the lab does not model ``requestStateForRegion``).
  Apple: "the user must travel a minimum distance over the boundary and remain on the same side of the
  boundary for at least 20 seconds" before the crossing is reported (``CROSSING_DWELL_S``; the system model
  waits that long and checks the side again).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.contracts.geofence import DOCUMENTED_LIMITS, Region
from harness.lab.ios.os import texts
from harness.lab.ios.os.processes import emit

if TYPE_CHECKING:
    from harness.lab.ios.device import VirtualIPhone

__all__ = ["AUTHORIZATIONS", "CROSSING_DWELL_S", "GEOFENCE_LIMIT", "LocationService"]

AUTHORIZATIONS = ("not_determined", "when_in_use", "always", "denied")
GEOFENCE_LIMIT = DOCUMENTED_LIMITS["ios"].regions
CROSSING_DWELL_S = 20.0


class LocationService:
    def __init__(self, phone: VirtualIPhone) -> None:
        self.phone = phone
        self.auth: dict[str, str] = {}
        self.regions: dict[str, list[str]] = {}  # bundle → monitored region ids, in registration order
        self.shapes: dict[tuple[str, str], Region] = {}  # (bundle, region id) → its circle, when known
        self.inside: set[tuple[str, str]] = set()  # (bundle, region id) the phone is in
        self.reported: set[tuple[str, str]] = set()  # (bundle, region id) the app was last told it is in
        self.position: tuple[float, float] | None = None  # the simulated location; None = no fix

    def authorization(self, bundle_id: str) -> str:
        return self.auth.get(bundle_id, "not_determined")

    def set_authorization(self, bundle_id: str, status: str) -> None:
        if status not in AUTHORIZATIONS:
            raise ValueError(f"location authorization must be one of {', '.join(AUTHORIZATIONS)}, not {status!r}")
        self.auth[bundle_id] = status
        emit(self.phone, [(texts.LOCATIOND, texts.locationd_authorization(bundle_id, status))])

    def start_monitoring(self, bundle_id: str, regions: list[Region]) -> list[str]:
        """``startMonitoring(for:)`` for each region (same identifier replaces); returns the ids that failed."""
        monitored = self.regions.setdefault(bundle_id, [])
        failed: list[str] = []
        for region in regions:
            key = (bundle_id, region.identifier)
            if region.identifier not in monitored and len(monitored) >= GEOFENCE_LIMIT:
                failed.append(region.identifier)
                continue
            if region.identifier not in monitored:
                monitored.append(region.identifier)
            self.shapes[key] = region
            self.inside.discard(key)
            self.reported.discard(key)
            if self.position is not None and region.contains(*self.position):
                self.inside.add(key)
                self.reported.add(key)
        return failed

    def stop_monitoring(self, bundle_id: str) -> None:
        for region_id in self.regions.pop(bundle_id, []):
            self.shapes.pop((bundle_id, region_id), None)
            self.inside.discard((bundle_id, region_id))
            self.reported.discard((bundle_id, region_id))

    def move(self, latitude: float, longitude: float) -> list[tuple[str, str]]:
        """The phone is now at ``latitude, longitude``: the (bundle, region id) whose boundary it crossed."""
        self.position = (latitude, longitude)
        crossed: list[tuple[str, str]] = []
        for key, region in self.shapes.items():
            now_inside = region.contains(latitude, longitude)
            if now_inside != (key in self.inside):
                crossed.append(key)
                if now_inside:
                    self.inside.add(key)
                else:
                    self.inside.discard(key)
        return crossed

    def clear_position(self) -> None:
        """Location simulation stopped: the phone is back at its real position, which the lab does not know."""
        self.position = None

    def is_inside(self, bundle_id: str, region_id: str) -> bool:
        return (bundle_id, region_id) in self.inside

    def settle(self, bundle_id: str, region_id: str, inside: bool) -> bool:
        """The dwell after a crossing to ``inside`` ended: True when the phone is still on that side and the app
        was last told the other one (a crossing to report now, which this records)."""
        key = (bundle_id, region_id)
        if key not in self.shapes or (key in self.inside) != inside or (key in self.reported) == inside:
            return False
        if inside:
            self.reported.add(key)
        else:
            self.reported.discard(key)
        return True

    def monitoring(self, bundle_id: str, region_id: str) -> bool:
        return region_id in self.regions.get(bundle_id, [])
