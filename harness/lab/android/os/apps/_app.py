"""The modelled app under test: an Expo app with WorkManager, expo-task-manager and expo-location.

State that lives on "disk" (the WorkManager database, TaskService's SharedPreferences, the probe file,
permissions) is kept on this object across process deaths; state that lives in the process (task
consumers, timers, whether JS has started) is dropped in ``process_died``. The app is both the
process runtime ActivityManager binds to and the JobService JobScheduler calls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from harness.config import AppConfig, TaskConfig
from harness.contracts.geofence import GEOFENCE_EXTRA
from harness.lab.android.os.activity import BOOT_COMPLETED, ActivityManager, Intent, manager, register_receiver
from harness.lab.android.os.apps._expo import (
    BG_TASK_WORK,
    TASK_JOB_SERVICE,
    TASK_RECEIVER,
    BackgroundFetchConsumer,
    BackgroundTaskConsumer,
    Consumer,
    TaskRunner,
    TaskService,
    background_task_worker,
)
from harness.lab.android.os.apps._geofencer import Geofencer
from harness.lab.android.os.apps._host import THREAD_TIDS, Thread
from harness.lab.android.os.apps._location import BACKGROUND, FINE, GeofencingConsumer, LocationConsumer
from harness.lab.android.os.apps._probe import Probe
from harness.lab.android.os.apps._push import PushReceiver
from harness.lab.android.os.apps._workmanager import SYSTEM_JOB_SERVICE, Constraints, WorkManager, WorkSpec
from harness.lab.android.os.contracts import JobInfo, JobModel
from harness.lab.clock import Timer

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = ["CourierApp"]

DIAGNOSTICS_ACTION = "androidx.work.diagnostics.REQUEST_DIAGNOSTICS"
RESCHEDULE_RECEIVER = "androidx.work.impl.background.systemalarm.RescheduleReceiver"
DIAGNOSTICS_RECEIVER = "androidx.work.impl.diagnostics.DiagnosticsReceiver"
PROCESSING_WORKER = "expo.modules.backgroundtask.ProcessingWork"  # the lab app's own worker for kind=processing
_FACTORIES: dict[str, type[Consumer]] = {
    "background-task": BackgroundTaskConsumer, "background-fetch": BackgroundFetchConsumer,
    "location": LocationConsumer, "geofence": GeofencingConsumer,
}


class CourierApp:
    def __init__(self, dev: AndroidDevice, cfg: AppConfig, package: str, uid: int,
                 geofencer: Geofencer | None = None) -> None:
        self.dev = dev
        self.cfg = cfg
        self.package = package
        self.uid = uid
        self.scope_key = package
        self.geofence_regions = 3  # persisted with the task's options (Expo restores them with the task)
        self.geofencer = geofencer if geofencer is not None else Geofencer(dev)
        self._launch_extras: dict[str, str] = {}  # the launch intent's extras, read when the JS starts
        self.wm = WorkManager(self)
        self.probe = Probe(self)
        self.runner = TaskRunner(self, self.probe)
        self.tasks = TaskService(self, self.runner, self.wm, _FACTORIES)
        self.push = PushReceiver(self, self.probe, self.runner, lambda: [t for t in cfg.tasks if t.kind == "push"])
        self.wm.workers[BG_TASK_WORK] = background_task_worker(self.tasks)
        self.wm.workers[PROCESSING_WORKER] = self._processing_worker
        self.pid: int | None = None
        self._timers: list[Timer] = []
        self._js_started = False
        self._reschedule_needed = False
        self._active: dict[tuple[str | None, int], list[bool]] = {}  # running jobs → their "stopped" flag

    # -- wiring ---------------------------------------------------------------------------------
    def attach(self) -> None:
        am = self.am
        am.register_runtime(self.package, self)
        register_receiver(self.dev, self.package, BOOT_COMPLETED, RESCHEDULE_RECEIVER, self._on_boot, exported=False)
        if any(t.kind == "background-fetch" and t.start_on_boot for t in self.cfg.tasks):
            register_receiver(self.dev, self.package, BOOT_COMPLETED, TASK_RECEIVER, self._on_boot_tasks,
                              exported=False)
        register_receiver(self.dev, self.package, DIAGNOSTICS_ACTION, DIAGNOSTICS_RECEIVER,
                          lambda _i: self.wm.run_diagnostics())
        am.on_start_intent(self._start_intent)
        self._jobs()

    def _start_intent(self, package: str, intent: Intent) -> None:
        """``am start`` of our activity: a JS bundle that has not started yet will read these extras
        (react-native-launch-arguments reads the launch intent once); a running one never sees them."""
        if package == self.package and (self.pid is None or not self._js_started):
            self._launch_extras = dict(intent.extras)

    # -- AppHost --------------------------------------------------------------------------------
    @property
    def am(self) -> ActivityManager:
        return manager(self.dev)

    def alive(self) -> bool:
        return self.pid is not None

    def log(self, prio: str, tag: str, msg: str, *, thread: Thread = "main") -> None:
        if self.pid is None:
            return
        self.dev.logs.write("main", prio, tag, msg, pid=self.pid, tid=self.pid + THREAD_TIDS[thread], uid=self.uid)

    def later(self, delay_s: float, fn: Callable[[], None]) -> None:
        pid = self.pid

        def run() -> None:
            if self.pid == pid and pid is not None:
                self.am.post(self.package, fn)

        self._timers.append(self.dev.clock.call_later(delay_s, run))
        self._timers = [t for t in self._timers if not t.cancelled]

    def _jobs(self) -> JobModel | None:
        jobs: JobModel | None = getattr(self.dev, "jobs", None)
        if jobs is not None:
            jobs.register_client(self.package, self)
        return jobs

    def schedule_job(self, job: JobInfo) -> bool:
        jobs = self._jobs()
        if jobs is None:
            return False
        jobs.schedule(self.package, job)
        return True

    def cancel_job(self, job_id: int, namespace: str | None) -> None:
        jobs = self._jobs()
        if jobs is not None:
            jobs.cancel(self.package, job_id, namespace, "app cancelled")

    def job_ids(self) -> list[tuple[str | None, int]]:
        jobs = self._jobs()
        return jobs.job_ids(self.package) if jobs is not None else []

    def job_finished(self, job_id: int, namespace: str | None) -> None:
        jobs = self._jobs()
        if jobs is not None:
            jobs.job_finished(self.package, job_id, namespace)

    def granted(self, permission: str) -> bool:
        service = self.dev.services.get("package")
        granted: dict[str, set[str]] = getattr(service, "granted", {})
        return permission in granted.get(self.package, set())

    # -- AppRuntime (ActivityManager → app) -----------------------------------------------------
    def bind_application(self, pid: int, hosting: str) -> None:
        self.pid = pid
        self._js_started = False
        stops = [e.time for e in self.am.exits if e.package == self.package and e.reason == 10]
        self.wm.initialize(max(stops) if stops else None, self._reschedule_needed)
        self._reschedule_needed = False
        self.tasks.restore()

    def resume(self) -> None:
        if not self._js_started:
            self._js_started = True
            self._start_js()
        self.tasks.each(lambda c: c.resume())

    def pause(self) -> None:
        self.tasks.each(lambda c: c.pause())

    def process_died(self, pid: int) -> None:
        self._active.clear()
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        self.tasks.each(lambda c: c.process_died())
        self.tasks.consumers.clear()
        self.runner.process_died()
        self.wm.process_died()
        self.pid = None

    def _start_js(self) -> None:
        """The JS bundle's top level: defineTask + register calls for each configured task. A debug build
        reads the probe's geofence input from its launch arguments first (``harness.contracts.geofence``)."""
        extras, self._launch_extras = self._launch_extras, {}
        count = extras.get(GEOFENCE_EXTRA, "")
        if self.cfg.debuggable and count.isdigit():
            self.geofence_regions = int(count)
        for task in self.cfg.tasks:
            if task.kind in ("location", "geofence") and not (self.granted(FINE) and self.granted(BACKGROUND)):
                continue  # start*Async rejects without background location; the JS asks again next launch
            known = self.tasks.consumers.get(task.name)
            if task.kind == "geofence" and known is not None:
                known.did_register()  # startGeofencingAsync on a known task: setOptions restarts geofencing
            elif task.kind in _FACTORIES:
                self.tasks.register(task)
            elif task.kind == "processing" and self.wm.unique(task.name) is None:
                constraints = Constraints(network=task.requires_network, charging=task.requires_charging,
                                          device_idle=task.requires_idle)
                self.wm.enqueue_unique_periodic(task.name, PROCESSING_WORKER, task.interval_min * 60, constraints,
                                                initial_delay_s=0.0)

    # -- receivers ------------------------------------------------------------------------------
    def _on_boot(self, _intent: Intent) -> None:
        """WorkManager's RescheduleReceiver: jobs are not persisted, so every worker is scheduled again."""
        self.wm.log("D", "ForceStopRunnable", "Rescheduling Workers.")
        self.wm.reschedule_eligible(new_ids_for_lost=False)

    def _on_boot_tasks(self, _intent: Intent) -> None:
        self.log("I", "TaskService", f"Handling intent with action '{BOOT_COMPLETED}'.")
        for consumer in self.tasks.consumers.values():
            if isinstance(consumer, BackgroundFetchConsumer) and consumer.task.start_on_boot:
                consumer.arm()

    # -- JobClient (JobScheduler → app) ---------------------------------------------------------
    def on_start_job(self, package: str, job_id: int, namespace: str | None) -> None:
        spec = self.wm.owns(namespace, job_id)
        component = SYSTEM_JOB_SERVICE if spec is not None else TASK_JOB_SERVICE
        am = self.am
        am.ensure_process(self.package, "service", f"{self.package}/{component}")
        am.begin_work(self.package)
        stopped = [False]  # set by onStopJob, even while the start still waits in a frozen process
        self._active[(namespace, job_id)] = stopped
        am.post(self.package, lambda: self._start_job(job_id, namespace, stopped))

    def _start_job(self, job_id: int, namespace: str | None, stopped: list[bool]) -> None:
        if stopped[0]:
            return
        pid = self.pid
        spec = self.wm.owns(namespace, job_id)

        def done() -> None:
            if stopped[0] or self.pid != pid:
                return
            stopped[0] = True
            self._active.pop((namespace, job_id), None)
            self.job_finished(job_id, namespace)
            self.am.end_work(self.package)
            if spec is not None:
                self.wm.reschedule_after_run(spec)

        if spec is not None:
            self.wm.start_job(spec, done)
        elif namespace is None and self.tasks.owns_job(job_id):
            self.tasks.handle_job(job_id, done)
        else:
            self.log("W", "TaskService", "Task or consumer not found.")
            done()

    def on_stop_job(self, package: str, job_id: int, namespace: str | None, reason: str) -> None:
        """onStopJob: the system unbinds now; the app hears it when its process runs (not while frozen)."""
        stopped = self._active.pop((namespace, job_id), None)
        if stopped is None or self.pid is None:
            return
        stopped[0] = True
        self.am.end_work(self.package)
        self.am.post(self.package, lambda: self._stop_job(job_id, namespace))

    def _stop_job(self, job_id: int, namespace: str | None) -> None:
        self.runner.expire((namespace, job_id))
        spec = self.wm.owns(namespace, job_id)
        if spec is not None:
            self.wm.stop_job(spec)
        else:
            self.tasks.cancel_job(job_id)

    # -- the lab app's own worker ---------------------------------------------------------------
    def _processing_worker(self, spec: WorkSpec, finished: Callable[[str], None]) -> None:
        task = next((t for t in self.cfg.tasks if t.name == spec.unique_name), None)
        if task is None:
            finished("FAILURE")
            return
        self.runner.run(task, "workmanager", lambda r: finished("SUCCESS" if r == "success" else "FAILURE"),
                        key=(self.wm.namespace, spec.job_id or 0))

    def task(self, name: str) -> TaskConfig:
        return self.cfg.task(name)
