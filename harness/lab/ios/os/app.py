"""The modelled app under test on iOS: an Expo app with expo-task-manager, -background-task, -background-fetch,
-location, a push task, and the probe.

What lives "on disk" (EXTaskService's registered tasks in UserDefaults, the container with the probe's ring
buffer) stays on this object across process deaths; what lives in the process (runs, windows, location
updates) goes with it (``Runner.process_died``).

Launch: ``didFinishLaunching`` restores the registered tasks (EXTaskService ``restoreTasks``), whose consumers
re-arm themselves (expo-background-task submits its BGProcessingTaskRequest when none is pending,
BackgroundTaskConsumer.swift ``didRegisterTask``; expo-background-fetch sets the minimum fetch interval);
then the JS bundle registers every configured task (location and geofencing only with ``always``
authorization). The lab app's ``processing`` tasks are its own BGProcessingTaskRequests, identifier
``<bundle>.<task>``, ``requiresExternalPower`` = the task's ``requires_charging``.

Time the system gives a backgrounded app (then it is suspended): a BGProcessingTask "can take minutes"
(Apple; ``PROCESSING_LIMIT_S`` is the lab's number) and ends early when the user starts using the phone; a
background fetch, a silent push: 30 s (Apple); a region event: "about 10 seconds"
(sjitech/iOS_Monitor_Location_Region_In_Background's README).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING

from harness.config import AppConfig, TaskConfig
from harness.contracts.geofence import GEOFENCE_ARGUMENT, region
from harness.lab.ios.contracts import RUN_TASK_ARGUMENT
from harness.lab.ios.os import texts
from harness.lab.ios.os.probe import RN_CATEGORY, RN_SUBSYSTEM, Container, Probe
from harness.lab.ios.os.runs import Runner, Window
from harness.lab.ios.os.scheduler import TaskRequest

if TYPE_CHECKING:
    from harness.lab.ios.os.processes import AppProcess
    from harness.lab.ios.os.system import IOSModel

__all__ = ["FETCH_LIMIT_S", "GEOFENCE_ARGUMENT", "PROCESSING_LIMIT_S", "REGION_WINDOW_S", "ExpoApp"]

PROCESSING_LIMIT_S = 600.0
REFRESH_LIMIT_S = 30.0
FETCH_LIMIT_S = 30.0
PUSH_LIMIT_S = 30.0
REGION_WINDOW_S = 10.0


class ExpoApp:
    def __init__(self, system: IOSModel, cfg: AppConfig, bundle_id: str, executable: str) -> None:
        self.sys = system
        self.cfg = cfg
        self.bundle_id = bundle_id
        self.executable = executable
        self.container = Container(system.phone.clock.now())
        self.probe = Probe(self.container, system.phone.clock.now, self._log_probe)
        self.runner = Runner(system.processes, self.probe, system.rng)
        self.registered: dict[str, TaskConfig] = {}  # EXTaskService's config in UserDefaults
        self.geofence_regions = 3
        self._location_on = False

    # -- logging from the app's process ----------------------------------------------------------
    def _log(self, message: str, *, level: str = "Notice", image: str | None = None, subsystem: str | None = None,
             category: str | None = None) -> None:
        proc = self.runner.proc
        if proc is not None:
            self.sys.phone.log(self.executable, message, pid=proc.pid, level=level, image=image, subsystem=subsystem,
                               category=category)

    def _log_probe(self, line: str) -> None:
        self._log(line, level="Info", subsystem=RN_SUBSYSTEM, category=RN_CATEGORY)

    def _nslog(self, message: str) -> None:
        self._log(message, image="Foundation")

    def _expo(self, kind: str, message: str) -> None:
        if kind == "debug" and not self.cfg.debuggable:
            return  # Logger.swift: minLevel is .info in release builds
        level, text = texts.expo_line(kind, message, private_data=self.sys.private_data_logging)
        self._log(text, level=level, subsystem="dev.expo.modules", category="expo")

    # -- tasks --------------------------------------------------------------------------------------
    def tasks_of(self, kind: str) -> list[TaskConfig]:
        return [t for t in self.registered.values() if t.kind == kind]

    def processing_identifier(self, task: TaskConfig) -> str:
        return f"{self.bundle_id}.{task.name}"

    def _task_for_identifier(self, identifier: str) -> TaskConfig | None:
        return next((t for t in self.tasks_of("processing") if self.processing_identifier(t) == identifier), None)

    # -- process lifecycle (called by the system) --------------------------------------------------
    def launched(self, proc: AppProcess, arguments: Sequence[str] = ()) -> None:
        """didFinishLaunching: restore the registered tasks, then the JS bundle registers the configured ones."""
        self.runner.attach(proc)
        self._parse_arguments(arguments)
        for task in list(self.registered.values()):
            self._did_register(task)
        for task in self.cfg.tasks:
            self._register_from_js(task, at_launch=True)
        run_task = _argument_after(arguments, RUN_TASK_ARGUMENT)
        if run_task is not None and self.cfg.debuggable:
            self._debug_run(run_task)

    def foregrounded(self) -> None:
        """The app came to the screen: the JS asks again for what needs permission (location, geofences)."""
        for task in self.cfg.tasks:
            if task.kind in ("location", "geofence"):
                self._register_from_js(task)

    def process_died(self) -> None:
        self.runner.process_died()
        self._location_on = False

    def _parse_arguments(self, arguments: Sequence[str]) -> None:
        count = _argument_after(arguments, GEOFENCE_ARGUMENT)
        if count is not None and count.isdigit():
            self.geofence_regions = int(count)

    def _register_from_js(self, task: TaskConfig, *, at_launch: bool = False) -> None:
        """The JS registration call. Registering a known task only updates its options; for geofencing that
        restarts monitoring (EXGeofencingTaskConsumer ``setOptions``), which the bundle's top level does on
        every launch."""
        if task.kind in ("location", "geofence") and self.sys.location.authorization(self.bundle_id) != "always":
            return  # startLocationUpdatesAsync / startGeofencingAsync reject without background permission
        if task.name in self.registered and not (at_launch and task.kind == "geofence"):
            return
        self.registered[task.name] = task
        self._did_register(task)

    def _did_register(self, task: TaskConfig) -> None:
        """The task's consumer ``didRegisterTask``: what each Expo module does when a task (re)registers."""
        if task.kind == "background-task":
            if self.sys.dasd.pending(self.bundle_id, texts.EXPO_BG_TASK_ID) is None:
                self._schedule_expo_worker()
        elif task.kind == "processing":
            if self.sys.dasd.pending(self.bundle_id, self.processing_identifier(task)) is None:
                self._schedule_processing(task)
        elif task.kind == "background-fetch":
            self.sys.dasd.set_fetch_interval(self.bundle_id, max(60.0, task.interval_min * 60))
        elif task.kind == "location":
            self._start_location()
        elif task.kind == "geofence":
            self._start_geofencing(task)

    # -- BGTaskScheduler ----------------------------------------------------------------------------
    def _schedule_expo_worker(self) -> str | None:
        """BackgroundTaskScheduler.tryScheduleWorker: cancel, then submit a BGProcessingTaskRequest."""
        intervals = [t.interval_min for t in self.tasks_of("background-task")] or [12 * 60.0]
        now = self.sys.phone.clock.now()
        self.sys.dasd.cancel(self.bundle_id, texts.EXPO_BG_TASK_ID)
        return self.sys.dasd.submit(TaskRequest(self.bundle_id, texts.EXPO_BG_TASK_ID, "processing",
                                                now + min(intervals) * 60, requires_network=True))

    def _schedule_processing(self, task: TaskConfig) -> str | None:
        now = self.sys.phone.clock.now()
        return self.sys.dasd.submit(TaskRequest(self.bundle_id, self.processing_identifier(task), "processing",
                                                now + task.interval_min * 60, requires_network=task.requires_network,
                                                requires_power=task.requires_charging))

    def run_bgtask(self, request: TaskRequest, trigger: str = "bgtask") -> None:
        """The system launched the task's handler (dasd, or a simulated launch)."""
        if request.identifier == texts.EXPO_BG_TASK_ID:
            self._run_expo_worker(trigger)
            return
        task = self._task_for_identifier(request.identifier)
        if task is None:  # NSInternalInconsistencyException in a real app (expo/expo#39406)
            return
        limit = PROCESSING_LIMIT_S if request.kind == "processing" else REFRESH_LIMIT_S
        self.runner.open_window(Window("processing", request.identifier), [(task, trigger)], limit,
                                on_complete=lambda: self._reschedule_own(request.identifier),
                                on_expire=lambda: self._reschedule_own(request.identifier))

    def _run_expo_worker(self, trigger: str) -> None:
        """BackgroundTaskAppDelegate.swift's launch handler: runTasks(BackgroundTask), then reschedule."""
        self._expo("debug", "Expo Background Tasks - starting background work")

        def completed() -> None:
            self._expo("debug", "Background task successfully finished. Rescheduling")
            self._reschedule_expo_worker()

        def expired() -> None:
            self._expo("warn", "Expo Background Tasks - task expired")
            self._reschedule_expo_worker()

        tasks = [(t, trigger) for t in self.tasks_of("background-task")]
        self.runner.open_window(Window("processing", texts.EXPO_BG_TASK_ID), tasks, PROCESSING_LIMIT_S,
                                on_complete=completed, on_expire=expired,
                                before_each=lambda t: self._nslog(texts.executing_task(t.name)))

    def _reschedule_expo_worker(self) -> None:
        error = self._schedule_expo_worker()
        if error == "unavailable":
            self._expo("error", "Could not reschedule the worker after task finished: Expo BackgroundTasks: The "
                                "task could not be registered: Background task scheduling is unavailable.")

    def user_active(self) -> None:
        """The user started using the phone: running processing tasks expire (BGProcessingTaskRequest docs)."""
        for window in [w for w in self.runner.windows if w.reason == "processing"]:
            identifier = window.identifier
            if identifier == texts.EXPO_BG_TASK_ID:
                self.runner.expire_window(window, self._expo_expired)
            else:
                self.runner.expire_window(window, partial(self._reschedule_own, identifier))

    def _reschedule_own(self, identifier: str | None) -> None:
        task = self._task_for_identifier(identifier or "")
        if task is not None:
            self._schedule_processing(task)

    def _expo_expired(self) -> None:
        self._expo("warn", "Expo Background Tasks - task expired")
        self._reschedule_expo_worker()

    # -- debug trigger (the probe's RUN_TASK_ARGUMENT) ----------------------------------------------
    def _debug_run(self, name: str) -> None:
        task = next((t for t in self.cfg.tasks if t.name == name), None)
        if task is None:
            return
        # The probe's trigger calls the task's JS function directly (probe/src: runTaskNow): no BGTaskScheduler,
        # no dasd, nothing needs to be scheduled first. ``simulate_launch`` is the debugger path, kept separate.
        self.runner.open_window(Window("test"), [(task, "test")], None, on_complete=lambda: None,
                                on_expire=lambda: None)

    def simulate_launch(self, identifier: str) -> None:
        """``_simulateLaunchForTaskWithIdentifier:`` as Expo's ``triggerTaskWorkerForTestingAsync`` calls it."""
        self._log(texts.simulating_launch(identifier), image="BackgroundTasks")
        request = self.sys.dasd.pending(self.bundle_id, identifier)
        if request is None:
            self._log(texts.no_task_request(identifier), image="BackgroundTasks")
            return
        self.sys.dasd.cancel(self.bundle_id, identifier)
        self._log(texts.starting_simulated(identifier, "BGProcessingTask"), image="BackgroundTasks")
        self.run_bgtask(request, trigger="bgtask")  # the app cannot tell a simulated launch from a real one

    # -- background fetch, push ---------------------------------------------------------------------
    def run_fetch(self) -> None:
        """``application(_:performFetchWithCompletionHandler:)`` → EXTaskService.runTasks(BackgroundFetch)."""
        self.probe.emit("wake", reason="fetch")
        proc = self.runner.proc
        tasks = [(t, "fetch") for t in self.tasks_of("background-fetch")]

        def overran() -> None:  # no expiration handler for a fetch: past 30 s the watchdog ends the app
            if proc is not None:
                self.sys.watchdog_kill(proc)

        self.runner.open_window(Window("fetch"), tasks, FETCH_LIMIT_S, on_complete=lambda: None, on_expire=overran,
                                before_each=lambda t: self._nslog(texts.executing_task(t.name)))

    def run_push(self, payload: Mapping[str, object], done: Callable[[], None]) -> None:
        """``didReceiveRemoteNotification:fetchCompletionHandler:`` → EXTaskService.runTasks(RemoteNotification)."""
        self.probe.emit("wake", reason="push")
        tasks = [(t, "push") for t in self.tasks_of("push")]
        self.runner.open_window(Window("push"), tasks, PUSH_LIMIT_S, on_complete=done, on_expire=done,
                                before_each=lambda t: self._nslog(texts.executing_task(t.name)))

    # -- location -----------------------------------------------------------------------------------
    def _start_location(self) -> None:
        """EXLocationTaskConsumer: updates keep a backgrounded app running, one task run per batch."""
        if self._location_on or self.runner.proc is None:
            return
        if self.sys.location.authorization(self.bundle_id) != "always":
            return
        self._location_on = True
        self.sys.processes.acquire(self.runner.proc, "location")
        self._next_batch()

    def _next_batch(self) -> None:
        tasks = self.tasks_of("location")
        interval = max(1.0, min(t.interval_min for t in tasks) * 60) if tasks else 60.0
        self.runner.later(interval, self._batch)

    def _batch(self) -> None:
        if not self._location_on:
            return
        for task in self.tasks_of("location"):
            self._nslog(texts.executing_task(task.name))
            self.runner.run(task, "location", lambda _r: None)
        self._next_batch()

    def stop_location(self) -> None:
        proc = self.runner.proc
        if self._location_on and proc is not None:
            self._location_on = False
            self.sys.processes.release(proc, "location")

    def authorization_changed(self, status: str) -> None:
        if status != "always":
            self.stop_location()
            self.sys.location.stop_monitoring(self.bundle_id)
            for task in [t for t in self.registered.values() if t.kind in ("location", "geofence")]:
                del self.registered[task.name]
        elif self.runner.proc is not None and self.runner.proc.state == "foreground":
            self.foregrounded()

    def _start_geofencing(self, task: TaskConfig) -> None:
        regions = [region(task.name, i) for i in range(self.geofence_regions)]
        for region_id in self.sys.location.start_monitoring(self.bundle_id, regions):
            self._log(texts.region_monitoring_failed(region_id), level="Error", image="CoreLocation")

    def region_event(self, region_id: str) -> None:
        """EXGeofencingTaskConsumer: ``didEnterRegion``/``didDetermineState`` → the geofence task runs."""
        self.probe.emit("wake", reason="geofence", task=region_id.rsplit("-", 1)[0])
        tasks = [(t, "geofence") for t in self.tasks_of("geofence") if region_id.startswith(f"{t.name}-")]
        self.runner.open_window(Window("location"), tasks, REGION_WINDOW_S, on_complete=lambda: None,
                                on_expire=lambda: None, before_each=lambda t: self._nslog(texts.executing_task(t.name)))


def _argument_after(arguments: Sequence[str], flag: str) -> str | None:
    items = list(arguments)
    if flag in items:
        index = items.index(flag)
        if index + 1 < len(items):
            return items[index + 1]
    return None
