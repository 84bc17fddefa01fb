"""expo-location's background updates (a ``location`` foreground service) and geofencing consumers.

LocationTaskService (expo-location ``services/LocationTaskService.kt``): notification id from
``sServiceId = 481756``, channel ``<appScopeKey>:<taskName>`` (IMPORTANCE_LOW, category service),
foreground service type location (0x08, ServiceInfo). Since Android 12 a foreground service cannot be
started from the background, so the lab starts it only while the app's activity is resumed, as the
JS ``startLocationUpdatesAsync`` call does when the user opens the app. Each location batch reaches
TaskBroadcastReceiver and is run through a TaskJobService job (LocationTaskConsumer).

Geofencing (GeofencingTaskConsumer.kt): regions go to Play services' ``addGeofences`` (``_geofencer.py``:
100 per app, the whole request fails beyond that, transitions from the fused provider's fixes). The
regions are the probe's test layout (``harness.contracts.geofence``), as many as the launch extra asked for.
"""

from __future__ import annotations

from harness.config import TaskConfig
from harness.contracts.geofence import region
from harness.lab.android.os.apps._expo import Consumer, TaskService, fire_task_intent
from harness.lab.android.os.apps._geofencer import GEOFENCE_LIMIT

__all__ = [
    "BACKGROUND",
    "FGS_TYPE_LOCATION",
    "FINE",
    "GEOFENCE_LIMIT",
    "LOCATION_SERVICE",
    "GeofencingConsumer",
    "LocationConsumer",
]

LOCATION_SERVICE = "expo.modules.location.services.LocationTaskService"
FGS_TYPE_LOCATION = 0x08
SERVICE_ID = 481_756
FINE = "android.permission.ACCESS_FINE_LOCATION"
BACKGROUND = "android.permission.ACCESS_BACKGROUND_LOCATION"


class LocationConsumer(Consumer):
    kind = "location"
    trigger = "location"

    def __init__(self, service: TaskService, task: TaskConfig) -> None:
        super().__init__(service, task)
        self.running = False

    def permitted(self) -> bool:
        return self.host.granted(FINE) and self.host.granted(BACKGROUND)

    def did_register(self) -> None:
        if self.host.am.in_foreground(self.host.package):
            self.start()

    def resume(self) -> None:
        if not self.running:
            self.start()

    def start(self) -> None:
        if self.running or not self.permitted():
            return
        am, package = self.host.am, self.host.package
        if am.record(package) is None:
            return
        am.start_foreground_service(package, LOCATION_SERVICE, SERVICE_ID, FGS_TYPE_LOCATION,
                                    f"{self.host.scope_key}:{self.task.name}")
        self.running = True
        self._next_batch()

    def _next_batch(self) -> None:
        self.host.later(max(1.0, self.task.interval_min * 60), self._batch)

    def _batch(self) -> None:
        if not self.running:
            return
        fire_task_intent(self.service, self.task.name)
        self._next_batch()

    def stop(self) -> None:
        if self.running:
            self.host.am.stop_service(self.host.package, LOCATION_SERVICE)
            self.running = False

    def process_died(self) -> None:
        self.running = False


class GeofencingConsumer(Consumer):
    """expo-location's GeofencingTaskConsumer: its regions go to Play services (``_geofencer.py``), each
    transition is a PendingIntent broadcast to TaskBroadcastReceiver, then a TaskJobService job."""

    kind = "geofence"
    trigger = "geofence"

    def __init__(self, service: TaskService, task: TaskConfig) -> None:
        super().__init__(service, task)
        self.active: list[str] = []

    def did_register(self) -> None:
        count = self.host.geofence_regions
        if not (self.host.granted(FINE) and self.host.granted(BACKGROUND)):
            self.host.log("W", "GeofencingTaskConsumer", "Geofencing request has been rejected.")
            return
        regions = [region(self.task.name, i) for i in range(count)]
        service, name = self.service, self.task.name
        accepted = self.host.geofencer.add(self.host.package, name, regions,
                                           lambda _region: fire_task_intent(service, name))
        self.active = [r.identifier for r in regions] if accepted else []

    def transition(self, region_id: str) -> bool:
        """Play services reports a transition of ``region_id`` now (the lab's shortcut, without a fix)."""
        if region_id not in self.active:
            return False
        fire_task_intent(self.service, self.task.name)
        return True
