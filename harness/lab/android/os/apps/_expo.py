"""expo-task-manager's TaskService, the JS task runner, and the expo-background-task / -fetch consumers.

Log lines are the sources' (reference §7.3–7.5; TaskService.java of the SDK 50+ tree read through the
code index, BackgroundTaskConsumer.kt @00bfb4d, BackgroundTaskScheduler.kt @05879ef,
BackgroundTaskWork.kt @05879ef, all ``Log.i`` unless noted):

- TaskService: ``Registered task with name '%s' for app with scoping identifier '%s'.``, ``Handling
  intent with task name '%s' and app scoping identifier '%s'.``, ``Handling job with task name '%s'
  for app with scoping identifier '%s'.``, ``Finished task '%s' with eventId '%s'.``, ``Job for task
  '%s' has been cancelled by the system.``, W ``Task or consumer not found.``; a job is finished
  after 15 s at the latest (``MAX_TASK_EXECUTION_TIME_MS``).
- TaskJobService jobs (``TaskManagerUtils.scheduleJob``): the lowest id >= 0 the app's pending jobs
  do not use, override deadline 60 s, extras ``appId``/``taskName``.
- expo-background-task runs its task only while the app is in the background (release semantics).
  When it skips, the stored revision never completes the worker (the job would hang until
  JobScheduler's timeout); the lab completes it at once [simplification].
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from harness.config import TaskConfig
from harness.lab.android.os.apps._host import AppHost
from harness.lab.android.os.apps._probe import Probe
from harness.lab.android.os.apps._workmanager import Constraints, WorkManager, WorkSpec
from harness.lab.android.os.contracts import JobInfo

__all__ = ["BG_TASK_WORK", "TASK_JOB_SERVICE", "TASK_RECEIVER", "WORKER_ID", "BackgroundFetchConsumer",
           "BackgroundTaskConsumer", "Consumer", "TaskRunner", "TaskService"]

TASK_JOB_SERVICE = "expo.modules.taskManager.TaskJobService"
TASK_RECEIVER = "expo.modules.taskManager.TaskBroadcastReceiver"
RECEIVER_ACTION = TASK_RECEIVER + ".INTENT_ACTION"
BG_TASK_WORK = "expo.modules.backgroundtask.BackgroundTaskWork"
WORKER_ID = "EXPO_BACKGROUND_WORKER"
MAX_TASK_EXECUTION_S = 15.0
JOB_DEADLINE_S = 60.0

JobKey = tuple[str | None, int]


@dataclass
class _Run:
    task: str
    run: int
    started: float
    key: JobKey | None
    alive: bool = True


class TaskRunner:
    """The JS side: the ``TaskManager.defineTask`` executor, instrumented with the probe."""

    def __init__(self, host: AppHost, probe: Probe) -> None:
        self.host = host
        self.probe = probe
        self._runs: list[_Run] = []

    def run(self, task: TaskConfig, trigger: str, done: Callable[[str], None], *, key: JobKey | None = None) -> None:
        now = self.host.dev.clock.now()
        current = _Run(task.name, self.probe.next_run(task.name), now, key)
        self._runs.append(current)
        self.probe.emit("task_start", task=task.name, run=current.run, trigger=trigger)

        def finish() -> None:
            if not current.alive:
                return
            current.alive = False
            self._runs.remove(current)
            result = "failed" if self.host.dev.rng.random() < task.failure_rate else "success"
            duration_ms = round((self.host.dev.clock.now() - current.started) * 1000)
            self.probe.emit("task_end", task=task.name, run=current.run, result=result, duration_ms=duration_ms)
            done(result)

        self.host.later(task.duration_s, finish)

    def expire(self, key: JobKey) -> None:
        """The OS stopped the job the task runs for (``onStopJob``)."""
        for current in [r for r in self._runs if r.key == key]:
            current.alive = False
            self._runs.remove(current)
            self.probe.emit("task_expired", task=current.task, run=current.run)

    def process_died(self) -> None:
        self._runs.clear()


class Consumer:
    """expo's TaskConsumer: one per registered task, alive as long as the process."""

    kind = ""
    trigger = "jobscheduler"

    def __init__(self, service: TaskService, task: TaskConfig) -> None:
        self.service = service
        self.task = task
        self.host = service.host

    def did_register(self) -> None: ...

    def resume(self) -> None: ...

    def pause(self) -> None: ...

    def did_receive_broadcast(self) -> None:
        self.service.schedule_job(self.task.name)

    def did_execute_job(self, key: JobKey, done: Callable[[], None]) -> None:
        self.service.execute(self.task, self.trigger, lambda _result: done(), key=key)

    def process_died(self) -> None: ...


class TaskService:
    def __init__(self, host: AppHost, runner: TaskRunner, wm: WorkManager,
                 factories: dict[str, type[Consumer]]) -> None:
        self.host = host
        self.runner = runner
        self.wm = wm
        self.factories = factories
        self.registered: dict[str, TaskConfig] = {}  # SharedPreferences "TaskManagerModule" (on disk)
        self.jobs: dict[int, str] = {}  # TaskJobService job id -> task name (the JobInfo's extras)
        self.consumers: dict[str, Consumer] = {}  # in the process
        self._events = random.Random(host.dev.ident.seed * 131 + 3)

    def _log(self, msg: str, prio: str = "I") -> None:
        self.host.log(prio, "TaskService", msg)

    def restore(self) -> None:
        """A new process: TaskService's constructor re-registers the persisted tasks (restoreTasks)."""
        self.consumers.clear()
        for task in list(self.registered.values()):
            self._internal_register(task)

    def register(self, task: TaskConfig) -> None:
        if task.name in self.registered and task.name in self.consumers:
            return  # "Task already exists. Let's just update its options."
        self.registered[task.name] = task
        self._internal_register(task)

    def _internal_register(self, task: TaskConfig) -> None:
        factory = self.factories.get(task.kind)
        if factory is None:
            return
        consumer = factory(self, task)
        self.consumers[task.name] = consumer
        self._log(f"Registered task with name '{task.name}' for app with scoping identifier '{self.host.scope_key}'.")
        consumer.did_register()

    def handle_intent(self, task_name: str) -> None:
        self._log(f"Handling intent with task name '{task_name}' and app scoping identifier "
                  f"'{self.host.scope_key}'.")
        consumer = self.consumers.get(task_name)
        if consumer is None:
            self._log("Task or consumer not found.", "W")
            return
        consumer.did_receive_broadcast()

    def schedule_job(self, task_name: str) -> int:
        used = {job_id for ns, job_id in self.host.job_ids() if ns is None}
        job_id = next(i for i in range(len(used) + 1) if i not in used)
        job = JobInfo(job_id, f"{self.host.package}/{TASK_JOB_SERVICE}", deadline_s=JOB_DEADLINE_S,
                      extras={"expo.modules.taskManager": "true", "appId": self.host.scope_key,
                              "taskName": task_name, "dataSize": "1"}, tag=task_name)
        self.jobs[job_id] = task_name
        self.host.schedule_job(job)
        return job_id

    def owns_job(self, job_id: int) -> bool:
        return job_id in self.jobs

    def handle_job(self, job_id: int, done: Callable[[], None]) -> None:
        task_name = self.jobs.get(job_id, "")
        consumer = self.consumers.get(task_name)

        def finish() -> None:
            self.jobs.pop(job_id, None)
            done()

        if consumer is None:
            self._log("Task or consumer not found.", "W")
            finish()
            return
        self._log(f"Handling job with task name '{task_name}' for app with scoping identifier "
                  f"'{self.host.scope_key}'.")
        finished = _Once(finish)
        consumer.did_execute_job((None, job_id), finished)
        self.host.later(MAX_TASK_EXECUTION_S, finished)

    def cancel_job(self, job_id: int) -> None:
        task_name = self.jobs.pop(job_id, None)
        if task_name is not None:
            self._log(f"Job for task '{task_name}' has been cancelled by the system.")
        self.runner.expire((None, job_id))

    def execute(self, task: TaskConfig, trigger: str, callback: Callable[[str], None], *,
                key: JobKey | None = None) -> None:
        event_id = str(uuid.UUID(int=self._events.getrandbits(128), version=4))

        def finished(result: str) -> None:
            self._log(f"Finished task '{task.name}' with eventId '{event_id}'.")
            callback(result)

        self.runner.run(task, trigger, finished, key=key)

    def each(self, action: Callable[[Consumer], None]) -> None:
        for consumer in list(self.consumers.values()):
            action(consumer)


class _Once:
    def __init__(self, fn: Callable[[], None]) -> None:
        self.fn: Callable[[], None] | None = fn

    def __call__(self) -> None:
        fn, self.fn = self.fn, None
        if fn is not None:
            fn()


class BackgroundTaskConsumer(Consumer):
    """expo-background-task: one periodic WorkManager work, ``EXPO_BACKGROUND_WORKER``."""

    kind = "background-task"
    trigger = "workmanager"

    def __init__(self, service: TaskService, task: TaskConfig) -> None:
        super().__init__(service, task)
        self.backgrounded = True  # the consumer's initial value: a headless start counts as background

    def _log(self, msg: str, prio: str = "I") -> None:
        self.host.log(prio, "BackgroundTaskConsumer", msg)

    def did_register(self) -> None:
        self._log(f"didRegister: {self.task.name}")
        if self.service.wm.unique(WORKER_ID) is not None:
            self._log("didRegister: worker already running.")
            return
        self._log("didRegister: worker not running - starting worker.")
        self.host.log("I", "BackgroundTaskScheduler", f"Enqueuing worker with identifier {WORKER_ID}")
        self.service.wm.enqueue_unique_periodic(
            WORKER_ID, BG_TASK_WORK, self.task.interval_min * 60, Constraints(battery_not_low=True, network=True),
            initial_delay_s=25.0)
        self.host.log("I", "BackgroundTaskScheduler", "Worker enqueued successfully")

    def resume(self) -> None:
        self.backgrounded = False

    def pause(self) -> None:
        self.backgrounded = True

    def execute(self, key: JobKey, callback: Callable[[], None]) -> None:
        if not self.backgrounded:
            self._log("Task was not executed since the app was not in the background or in Debug mode.", "W")
            callback()
            return
        self._log(f"Executing task '{self.task.name}'")
        self.service.execute(self.task, self.trigger, lambda _result: callback(), key=key)


def background_task_worker(service: TaskService) -> Callable[[WorkSpec, Callable[[str], None]], None]:
    """BackgroundTaskWork.doWork: run every expo-background-task consumer, then succeed."""

    def work(spec: WorkSpec, finished: Callable[[str], None]) -> None:
        log = service.host.log
        log("I", "BackgroundTaskWork", "doWork: Starting worker")
        log("I", "BackgroundTaskWork", f"doWork: {service.host.scope_key}")
        log("I", "BackgroundTaskWork", f"doWork: number of consumers {len(service.consumers)}")
        consumers = [c for c in service.consumers.values() if isinstance(c, BackgroundTaskConsumer)]
        pending = [len(consumers)]
        if not consumers:
            finished("SUCCESS")
            return

        def one_done() -> None:
            log("I", "BackgroundTaskWork", "Task successfully finished")
            pending[0] -= 1
            if pending[0] == 0:
                finished("SUCCESS")

        for consumer in consumers:
            log("I", "BackgroundTaskWork", "doWork: executing tasks for consumer of type expo-background-task")
            consumer.execute((service.wm.namespace, spec.job_id or 0), one_done)

    return work


class BackgroundFetchConsumer(Consumer):
    """expo-background-fetch: an inexact repeating alarm while the app is in the background."""

    kind = "background-fetch"
    trigger = "fetch"

    @property
    def alarm_tag(self) -> str:
        return f"{RECEIVER_ACTION}:{self.task.name}"

    def pause(self) -> None:  # onHostPause arms the alarm
        self.arm()

    def resume(self) -> None:  # onHostResume cancels it
        alarms = getattr(self.host.dev, "alarms", None)
        if alarms is not None:
            alarms.cancel(self.host.package, self.alarm_tag)

    def arm(self) -> None:
        alarms = getattr(self.host.dev, "alarms", None)
        if alarms is None:
            return
        interval = max(60.0, self.task.interval_min * 60)
        app, name = self.service, self.task.name
        alarms.set_inexact_repeating(self.host.package, self.alarm_tag, interval, interval,
                                     lambda: fire_task_intent(app, name))


def fire_task_intent(service: TaskService, task_name: str) -> None:
    """A PendingIntent to TaskBroadcastReceiver went off (alarm, location batch, geofence transition)."""
    am, package = service.host.am, service.host.package
    am.ensure_process(package, "broadcast", f"{package}/{TASK_RECEIVER}")
    am.post(package, lambda: service.handle_intent(task_name))
