"""Jobs and alarms of the OS model: JobScheduler, AlarmManager, App Standby buckets and app ops.

``install(dev)`` sets ``dev.jobs`` (:class:`JobScheduler`), ``dev.alarms`` (:class:`AlarmManager`),
``dev.standby`` (:class:`StandbyTracker`) and ``dev.appops`` (:class:`AppOps`), and registers the
``jobscheduler``, ``alarm``, ``usagestats`` and ``appops`` services. QuotaController's limits follow the
``qc_*`` flags of the ``jobscheduler`` DeviceConfig namespace (quota.py), AlarmManager's app-standby quotas the
``alarm_manager`` ones (alarm_config.py). The parts subscribe to
``dev.power`` and ``dev.activity`` when those exist (they may be installed later) and fall back to an
idle, unplugged-but-healthy phone's answers until then.

For the activity part: ``am set-standby-bucket``/``get-standby-bucket`` parse with
:func:`parse_bucket` (raises :class:`UnknownBucketError`, whose text is the stderr line) and print
with :func:`bucket_name`; ``am set-inactive``/``get-inactive`` call ``dev.standby.set_inactive`` /
``is_inactive``. For the app part: WorkManager on API 34+ schedules in :data:`WORKMANAGER_NAMESPACE`
(see :func:`workmanager_namespace`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.lab.android.os.devconfig.store import store_of
from harness.lab.android.os.jobs.alarm_config import NAMESPACE as ALARM_NAMESPACE
from harness.lab.android.os.jobs.alarm_config import AlarmConstants
from harness.lab.android.os.jobs.alarm_service import AlarmService
from harness.lab.android.os.jobs.alarms import AlarmManager
from harness.lab.android.os.jobs.appops import AppOps, AppOpsService
from harness.lab.android.os.jobs.constraints import DeviceState
from harness.lab.android.os.jobs.jobscheduler import WORKMANAGER_NAMESPACE, JobScheduler
from harness.lab.android.os.jobs.quota import apply_properties
from harness.lab.android.os.jobs.shell import JobSchedulerService
from harness.lab.android.os.jobs.standby import (
    StandbyTracker,
    UnknownBucketError,
    UsageStatsService,
    bucket_name,
    parse_bucket,
)

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

NAMESPACE = "jobscheduler"  # DeviceConfig.NAMESPACE_JOB_SCHEDULER

__all__ = [
    "WORKMANAGER_NAMESPACE",
    "AlarmManager",
    "AppOps",
    "JobScheduler",
    "StandbyTracker",
    "UnknownBucketError",
    "bucket_name",
    "install",
    "parse_bucket",
    "workmanager_namespace",
]


def workmanager_namespace(dev: AndroidDevice) -> str | None:
    """The namespace WorkManager's SystemJobScheduler uses on this phone (``forNamespace`` on API 34+)."""
    return WORKMANAGER_NAMESPACE if dev.sdk >= 34 else None


def install(dev: AndroidDevice) -> None:
    standby = StandbyTracker(dev)
    appops = AppOps(dev)
    state = DeviceState(dev, standby, appops)
    jobs = JobScheduler(dev, state)
    alarms = AlarmManager(dev, state)
    dev.standby, dev.appops, dev.jobs, dev.alarms = standby, appops, jobs, alarms
    dev.services["jobscheduler"] = JobSchedulerService(dev, jobs)
    dev.services["alarm"] = AlarmService(dev, alarms)
    dev.services["usagestats"] = UsageStatsService(dev, standby)
    dev.services["appops"] = AppOpsService(dev, appops)
    jobs.hook_parts()
    _follow_flags(dev, jobs)
    _follow_alarm_flags(dev, alarms)


def _follow_flags(dev: AndroidDevice, jobs: JobScheduler) -> None:
    """JobSchedulerService's ConstantsObserver for the ``qc_*`` keys of the ``jobscheduler`` namespace: read all
    at start, then each change; a changed limit re-evaluates every job at once (mShouldReevaluateConstraints)."""
    store = store_of(dev)
    if store is None:
        return

    def changed(keys: dict[str, str | None]) -> None:
        if apply_properties(jobs.quota.c, keys, store.properties(NAMESPACE)):
            jobs.evaluate()

    store.on_change(NAMESPACE, changed)
    everything = store.properties(NAMESPACE)
    apply_properties(jobs.quota.c, dict(everything), everything)


def _follow_alarm_flags(dev: AndroidDevice, alarms: AlarmManager) -> None:
    """AlarmManagerService.Constants for the app-standby keys of ``alarm_manager``; pending alarms are
    re-evaluated at once (``updateAllAlarmsForStandbyBucket`` after a change of the quotas)."""
    store = store_of(dev)
    if store is None:
        return

    def changed(keys: dict[str, str | None]) -> None:
        if AlarmConstants.concerns(keys):
            alarms.consts.load(store.properties(ALARM_NAMESPACE))
            alarms.reschedule()

    store.on_change(ALARM_NAMESPACE, changed)
    alarms.consts.load(store.properties(ALARM_NAMESPACE))
