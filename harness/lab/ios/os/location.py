"""Core Location's side: each app's authorization and the regions it monitors.

- Authorization is ``not_determined`` until the user answers the system dialog (or changes it in
  Settings); background location updates and geofencing need ``always`` (expo-location's
  ``startLocationUpdatesAsync``/``startGeofencingAsync`` reject without background permission).
- Regions: "Core Location will not let one app monitor more than 20 conditions/regions of any type at
  once" (CoreLocation docs, reference §4.7; ``startMonitoring(for:)``: "An app can register up to 20 regions
  at a time"). The extra ones fail with ``kCLErrorRegionMonitoringFailure``. Regions are a system resource:
  they outlive the app's process and a reboot, but monitoring resumes only after the first unlock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.lab.ios.os import texts
from harness.lab.ios.os.processes import emit

if TYPE_CHECKING:
    from harness.lab.ios.device import VirtualIPhone

__all__ = ["AUTHORIZATIONS", "GEOFENCE_LIMIT", "LocationService"]

AUTHORIZATIONS = ("not_determined", "when_in_use", "always", "denied")
GEOFENCE_LIMIT = 20


class LocationService:
    def __init__(self, phone: VirtualIPhone) -> None:
        self.phone = phone
        self.auth: dict[str, str] = {}
        self.regions: dict[str, list[str]] = {}  # bundle → monitored region ids, in registration order

    def authorization(self, bundle_id: str) -> str:
        return self.auth.get(bundle_id, "not_determined")

    def set_authorization(self, bundle_id: str, status: str) -> None:
        if status not in AUTHORIZATIONS:
            raise ValueError(f"location authorization must be one of {', '.join(AUTHORIZATIONS)}, not {status!r}")
        self.auth[bundle_id] = status
        emit(self.phone, [(texts.LOCATIOND, texts.locationd_authorization(bundle_id, status))])

    def start_monitoring(self, bundle_id: str, region_ids: list[str]) -> list[str]:
        """``startMonitoring(for:)`` for each region (same identifier replaces); returns the ones that failed."""
        monitored = self.regions.setdefault(bundle_id, [])
        failed: list[str] = []
        for region_id in region_ids:
            if region_id in monitored:
                continue
            if len(monitored) >= GEOFENCE_LIMIT:
                failed.append(region_id)
            else:
                monitored.append(region_id)
        return failed

    def stop_monitoring(self, bundle_id: str) -> None:
        self.regions.pop(bundle_id, None)

    def monitoring(self, bundle_id: str, region_id: str) -> bool:
        return region_id in self.regions.get(bundle_id, [])
