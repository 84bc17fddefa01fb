"""How app processes die, with the lines a real phone logs for each way.

- ``Killing <pid>:<proc>/<uid> (adj N): <reason>``: ProcessRecord.killLocked [IDX]; reasons below.
- Force-stop (AMS.forceStopPackageLocked, 13+ tree read via IDX): ``Force stopping PKG appid=N
  user=0: from pid P``, then the kill reason ``stop PKG due to <reason>`` (the ``due to`` suffix came
  with Android 13; older captures show a bare ``stop PKG``). OEMs pass their own kill reason (Samsung
  ``stop PKG,MARs #1``, captures §2).
- ``stop-app`` (AMS.stopAppForUserInternal): kill reason ``fully stop PKG/0 by user request``
  [unverified wording, recalled from the 14-era source], no stopped state, jobs and alarms kept.
- ``am kill``: killBackgroundProcesses, only processes at adj >= SERVICE_ADJ, reason ``kill background``.
- ``am kill-all``: cached processes only, reason ``kill all background``.
- recents swipe: ActivityTaskSupervisor.cleanUpRemovedTaskLocked skips apps with a foreground
  service, reason ``remove task``.
- Uninstall (DeletePackageHelper.deletePackageX freezes the package: PackageFreezer calls
  AMS.killApplication with the reason ``deletePackageX`` for user -1, USER_ALL, when every user loses it;
  then AMS's ACTION_PACKAGE_REMOVED handler force-stops it again as ``pkg removed`` for each user).
  A GrapheneOS Android 17 capture of ``cmd package 'uninstall'`` shows both lines in that order
  (``Force stopping … user=-1: deletePackageX``, then ``pkg removed``); the process dies in the first.
- After SIGKILL: ``Zygote  : Process N exited due to signal 9 (Killed)`` (MIUI capture) and
  ``libprocessgroup: Successfully killed process cgroup uid U pid N in 0ms`` (APDOCS capture).
  ``Process X (pid N) has died: fg  TOP `` only when AMS did not kill it itself (appDiedLocked).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from harness.lab.android.os.activity._records import (
    PROC_STATES,
    SERVICE_ADJ,
    AppRecord,
    ExitInfo,
    oom_adj_compact,
    proc_state_text,
)
from harness.lab.android.os.processes import ProcessTable

if TYPE_CHECKING:
    from harness.lab.android.os.activity._manager import ActivityManager

__all__ = ["clear_recents", "crash", "force_stop", "freeze_for_delete", "kill", "kill_all_background",
           "kill_background", "kill_record", "stop_app", "uninstall"]

REASON_CRASH, REASON_USER_REQUESTED, REASON_OTHER = 4, 10, 13
_MAX_EXITS = 16


def kill(am: ActivityManager, package: str, reason: str, *, tag: str = "ActivityManager", adj: int | None = None,
         exit_reason: int = REASON_OTHER) -> bool:
    rec = am.apps.get(package)
    if rec is None:
        return False
    kill_record(am, rec, reason, tag=tag, adj=adj, exit_reason=exit_reason)
    return True


def kill_record(am: ActivityManager, rec: AppRecord, reason: str, *, tag: str = "ActivityManager",
                adj: int | None = None, exit_reason: int = REASON_OTHER) -> None:
    shown = rec.proc.adj if adj is None else adj
    am.dev.syslog("I", tag, f"Killing {rec.short} (adj {shown}): {reason}")
    am.dev.event("am_kill", 0, rec.pid, rec.proc.name, shown, reason, rec.proc.rss_kb)
    reap(am, rec, exit_reason, reason)


def reap(am: ActivityManager, rec: AppRecord, exit_reason: int, description: str, *, died_line: bool = False) -> None:
    """The process is gone: zygote and libprocessgroup notice, AMS cleans up (appDiedLocked)."""
    dev = am.dev
    pid, name, adj, state = rec.pid, rec.proc.name, rec.proc.adj, rec.proc.proc_state
    dev.syslog("I", "Zygote", f"Process {pid} exited due to signal 9 (Killed)", pid=ProcessTable.ZYGOTE_PID,
               tid=ProcessTable.ZYGOTE_PID, buffer="main")
    dev.syslog("I", "libprocessgroup", f"Successfully killed process cgroup uid {rec.uid} pid {pid} in 0ms",
               buffer="main")
    if died_line:
        dev.syslog("I", "ActivityManager", f"Process {name} (pid {pid}) has died: {oom_adj_compact(adj)} "
                   f"{proc_state_text(state)}")
    dev.event("am_proc_died", 0, pid, name, adj, PROC_STATES.get(state, 20))
    dev.processes.remove(pid)
    am.exits.append(ExitInfo(rec.package, pid, dev.clock.now(), exit_reason, description))
    del am.exits[:-_MAX_EXITS]
    runtime = am.runtimes.get(rec.package)
    am.forget(rec)
    if runtime is not None:
        runtime.process_died(pid)
    am.fire("died", rec.package, pid)


def _finish_activity_lines(am: ActivityManager, rec: AppRecord) -> None:
    if rec.has_activity:
        launcher = next(iter(am.activities(rec.package)), rec.package + ".MainActivity")
        short = launcher[len(rec.package):] if launcher.startswith(rec.package + ".") else launcher
        task = 10 + am.recents.index(rec.package) if rec.package in am.recents else 1
        am.dev.syslog("I", "ActivityTaskManager", f"  Force finishing activity ActivityRecord{{"
                      f"{am.ids.getrandbits(28):x} u0 {rec.package}/{short} t{task}}}")


def force_stop(am: ActivityManager, package: str, reason: str, *, kill_reason: str | None = None) -> None:
    """``am force-stop`` and the OEM killers that call forceStopPackage: the whole package stops."""
    dev = am.dev
    pkg = dev.packages.get(package)
    if pkg is None:
        dev.syslog("W", "ActivityManager", f"Invalid packageName: {package}")
        return
    pkg.stopped = True
    _stop_package(am, package, pkg.app_id, 0, reason, kill_reason or f"stop {package} due to {reason}",
                  REASON_USER_REQUESTED)
    _cancel_work(am, package, "app force stopped")
    am.fire("force_stop", package, reason)


def _stop_package(am: ActivityManager, package: str, app_id: int, user: int, reason: str, kill_reason: str,
                  exit_reason: int) -> None:
    """AMS.forceStopPackageLocked's lines and kill: the activity finishes, the process dies, its services
    and notifications go."""
    dev = am.dev
    dev.syslog("I", "ActivityManager", f"Force stopping {package} appid={app_id} user={user}: {reason}")
    rec = am.apps.get(package)
    if rec is not None:
        _finish_activity_lines(am, rec)
        services = list(rec.services)
        kill_record(am, rec, kill_reason, exit_reason=exit_reason)
        for svc in services:
            dev.syslog("I", "ActivityManager", f"  Force stopping service {svc}")
    am.notifications = [n for n in am.notifications if n.package != package]


def _cancel_work(am: ActivityManager, package: str, job_reason: str) -> None:
    jobs = getattr(am.dev, "jobs", None)
    if jobs is not None:
        jobs.cancel_all(package, job_reason)
    alarms = getattr(am.dev, "alarms", None)
    if alarms is not None:
        alarms.cancel_all(package)


def freeze_for_delete(am: ActivityManager, package: str, app_id: int, *, all_users: bool) -> None:
    """DeletePackageHelper.deletePackageX freezes the package before it asks whether it may delete it
    (PackageFreezer → AMS.killApplication, reason ``deletePackageX``, exit reason REASON_OTHER as the freezer
    passes it; user -1, USER_ALL, when every user loses it): the app dies even when the delete then fails, as
    a system app's without ``--user`` does."""
    _stop_package(am, package, app_id, -1 if all_users else 0, "deletePackageX",
                  f"stop {package} due to deletePackageX", REASON_OTHER)
    am.fire("force_stop", package, "deletePackageX")


def uninstall(am: ActivityManager, package: str, app_id: int, *, all_users: bool, remove: Callable[[], None]) -> None:
    """The ActivityManager side of ``pm uninstall``: the freeze kills the app, ``remove()`` takes the package
    out of PackageManager, then the PACKAGE_REMOVED broadcast force-stops it again (``pkg removed``),
    JobScheduler cancels its jobs with ``app uninstalled`` (JobSchedulerService's PACKAGE_REMOVED receiver,
    INTERNAL_STOP_REASON_UNINSTALL) and AlarmManager drops its alarms. The app's code is gone: its runtime,
    manifest receivers, recents task and exit records go too."""
    freeze_for_delete(am, package, app_id, all_users=all_users)
    remove()
    _stop_package(am, package, app_id, 0, "pkg removed", f"stop {package} due to pkg removed", REASON_OTHER)
    _cancel_work(am, package, "app uninstalled")
    am.runtimes.pop(package, None)
    am.receivers.pop(package, None)
    if package in am.recents:
        am.recents.remove(package)
    am.exits = [e for e in am.exits if e.package != package]


def stop_app(am: ActivityManager, package: str) -> None:
    """``am stop-app`` (Android 15): like force-stop for processes, but jobs, alarms and state stay."""
    rec = am.apps.get(package)
    if rec is not None:
        _finish_activity_lines(am, rec)
        kill_record(am, rec, f"fully stop {package}/0 by user request", exit_reason=REASON_USER_REQUESTED)


def kill_background(am: ActivityManager, package: str) -> None:
    rec = am.apps.get(package)
    if rec is not None and rec.proc.adj >= SERVICE_ADJ:
        kill_record(am, rec, "kill background", exit_reason=REASON_USER_REQUESTED)


def kill_all_background(am: ActivityManager) -> None:
    for rec in [r for r in am.apps.values() if r.proc.adj >= 900]:
        kill_record(am, rec, "kill all background", exit_reason=REASON_USER_REQUESTED)


def clear_recents(am: ActivityManager, package: str) -> None:
    """The user swiped the app's card away in recents."""
    if package in am.recents:
        am.recents.remove(package)
    if am.top == package:
        am.move_to_background(package)
    if am.policy is not None and am.policy.task_removed(package):
        return
    rec = am.apps.get(package)
    if rec is None or rec.has_foreground_service:
        return
    kill_record(am, rec, "remove task", exit_reason=REASON_USER_REQUESTED)


_CRASH_STACK = (  # Android 14 frame lines [unverified line numbers]
    "\tat android.app.ActivityThread.throwRemoteServiceException(ActivityThread.java:2085)",
    "\tat android.app.ActivityThread.-$$Nest$mthrowRemoteServiceException(Unknown Source:0)",
    "\tat android.app.ActivityThread$H.handleMessage(ActivityThread.java:2372)",
    "\tat android.os.Handler.dispatchMessage(Handler.java:106)",
    "\tat android.os.Looper.loopOnce(Looper.java:205)",
    "\tat android.os.Looper.loop(Looper.java:294)",
    "\tat android.app.ActivityThread.main(ActivityThread.java:8177)",
    "\tat java.lang.reflect.Method.invoke(Native Method)",
    "\tat com.android.internal.os.RuntimeInit$MethodAndArgsCaller.run(RuntimeInit.java:552)",
    "\tat com.android.internal.os.ZygoteInit.main(ZygoteInit.java:971)",
)


def crash(am: ActivityManager, target: str) -> None:
    """``am crash PKG|PID``: the app throws CrashedByAdbException and dies (not killed by AMS)."""
    rec = next((r for r in am.apps.values() if target in (r.package, str(r.pid))), None)
    if rec is None:
        return
    dev, pid = am.dev, rec.pid
    exc = "android.app.RemoteServiceException$CrashedByAdbException"
    for line in ("FATAL EXCEPTION: main", f"Process: {rec.package}, PID: {pid}", f"{exc}: shell-induced crash",
                 *_CRASH_STACK):
        dev.logs.write("crash", "E", "AndroidRuntime", line, pid=pid, tid=pid, uid=rec.uid)
    # am_crash (30039) fields user, pid, process, flags, exception, message, file, line, recoverable
    # [unverified field list and flags value]
    dev.event("am_crash", 0, pid, rec.package, 0x38c8be46, exc, "shell-induced crash", "ActivityThread.java",
              2085, 0)
    dev.logs.write("main", "I", "Process", f"Sending signal. PID: {pid} SIG: 9", pid=pid, tid=pid, uid=rec.uid)
    _finish_activity_lines(am, rec)
    reap(am, rec, REASON_CRASH, "crash", died_line=True)
