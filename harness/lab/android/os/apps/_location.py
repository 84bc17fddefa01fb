"""expo-location's background updates (a ``location`` foreground service) and geofencing consumers.

LocationTaskService (expo-location ``services/LocationTaskService.kt``): notification id from
``sServiceId = 481756``, channel ``<appScopeKey>:<taskName>`` (IMPORTANCE_LOW, category service),
foreground service type location (0x08, ServiceInfo). Since Android 12 a foreground service cannot be
started from the background, so the lab starts it only while the app's activity is resumed, as the
JS ``startLocationUpdatesAsync`` call does when the user opens the app. Each location batch reaches
TaskBroadcastReceiver and is run through a TaskJobService job (LocationTaskConsumer).

Geofencing (GeofencingTaskConsumer.kt): regions go to Play services' ``addGeofences``; Play services
allows 100 geofences per app and fails the whole request with GEOFENCE_TOO_MANY_GEOFENCES (1001)
beyond that. Expo registers no failure listener, so the only trace is Play services' own log line,
whose wording is not known [unverified; plausible text, tagged as Play services' geofencer].
"""

from __future__ import annotations

from harness.config import TaskConfig
from harness.lab.android.os.apps._expo import Consumer, TaskService, fire_task_intent

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
GEOFENCE_LIMIT = 100
GMS_PID = 2330  # com.google.android.gms.persistent in the lab's process table


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
    kind = "geofence"
    trigger = "geofence"

    def __init__(self, service: TaskService, task: TaskConfig) -> None:
        super().__init__(service, task)
        self.active: list[str] = []

    def did_register(self) -> None:
        regions = self.host.geofence_regions
        if not (self.host.granted(FINE) and self.host.granted(BACKGROUND)):
            self.host.log("W", "GeofencingTaskConsumer", "Geofencing request has been rejected.")
            return
        if regions > GEOFENCE_LIMIT:
            self.host.dev.logs.write(
                "main", "W", "GeofencerStateMachine",
                f"addGeofences rejected for {self.host.package}: {regions} geofences, limit {GEOFENCE_LIMIT} "
                f"(GEOFENCE_TOO_MANY_GEOFENCES 1001)", pid=GMS_PID, tid=GMS_PID + 40, uid=10_140)
            self.active = []
            return
        self.active = [f"{self.task.name}-{i}" for i in range(regions)]

    def transition(self, region: str) -> bool:
        if region not in self.active:
            return False
        fire_task_intent(self.service, self.task.name)
        return True
