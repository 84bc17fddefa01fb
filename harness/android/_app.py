"""Identity, app control, jobs, reboot and the app's ring buffer (android.md §2, §3, §7)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from harness.android._base import DriverBase
from harness.config import TaskConfig
from harness.contracts.ring import parse_ring, ring_path
from harness.errors import (
    CommandFailed,
    DeviceTimeout,
    DeviceUnreachable,
    JobHasFunctionalConstraints,
    JobNotFound,
    PackageNotFound,
)
from harness.logs.dumpsys import Job, parse_jobscheduler

__all__ = ["WORKMANAGER_SERVICE", "AppVerbs", "ProcessState"]

WORKMANAGER_SERVICE = "androidx.work.impl.background.systemjob.SystemJobService"
EXPO_TASK_SERVICE = "expo.modules.taskManager.TaskJobService"
_SKIN_PROPS = (("ro.mi.os.version.name", "HyperOS"), ("ro.miui.ui.version.name", "MIUI"),
               ("ro.build.version.oplusrom", "ColorOS"), ("ro.build.version.oneui", "One UI"))


def _asks_like(task: TaskConfig, job: Job) -> bool:
    """The job requires charging and device idle exactly when the task does (WorkManager maps its
    ``Constraints`` onto the JobInfo one for one: SystemJobInfoConverter)."""
    required = set(job.required)
    return ("CHARGING" in required) == task.requires_charging and ("IDLE" in required) == task.requires_idle


@dataclass(frozen=True, slots=True)
class ProcessState:
    package: str
    pid: int | None
    stopped: bool  # the force-stop "stopped state" (no jobs, alarms or broadcasts until launched)

    @property
    def running(self) -> bool:
        return self.pid is not None


class AppVerbs(DriverBase):
    # -- identity and health ------------------------------------------------------------------
    def prop(self, key: str) -> str:
        return self._check("prop", f"getprop {key}").strip()

    def props(self) -> dict[str, str]:
        out = self._check("props", "getprop")
        return dict(re.findall(r"^\[([^\]]+)\]: \[([^\]]*)\]$", out, re.M))

    def os_version(self) -> str:
        return self.prop("ro.build.version.release")

    def skin(self) -> str | None:
        """The OEM skin and its version (``HyperOS OS1.0``, ``ColorOS V14.0.0``, ``One UI 60100``), or None."""
        props = self.props()
        for key, label in _SKIN_PROPS:
            if props.get(key):
                return f"{label} {props[key]}"
        return None

    def boot_completed(self) -> bool:
        return self.prop("sys.boot_completed") == "1"

    def installed(self, package: str | None = None) -> bool:
        pkg = self._pkg(package)
        return self._run("installed", f"pm path {pkg}").exit_code == 0

    def process(self, package: str | None = None) -> ProcessState:
        pkg = self._pkg(package)
        out = self._run("process", f"pidof {pkg}").output.split()
        dump = self._check("process", f"dumpsys package {pkg} | grep stopped=")
        return ProcessState(pkg, int(out[0]) if out else None, "stopped=true" in dump)

    # -- app control --------------------------------------------------------------------------
    def launch(self, package: str | None = None) -> None:
        pkg = self._pkg(package)
        out = self._check("launch", f"monkey -p {pkg} -c android.intent.category.LAUNCHER 1")
        if "Events injected: 1" not in out:
            raise CommandFailed(self.name, f"monkey -p {pkg}", out.strip()[-300:], "is the app installed?")

    def home(self) -> None:
        """Press HOME: the app goes to the background."""
        self._check("home", "input keyevent 3")

    def force_stop(self, package: str | None = None) -> None:
        self._check("force_stop", f"am force-stop {self._pkg(package)}")

    def stop_app(self, package: str | None = None) -> None:
        """Android 15's ``am stop-app``: kill without cancelling jobs and alarms."""
        self._check("stop_app", f"am stop-app {self._pkg(package)}")

    def kill(self, package: str | None = None) -> None:
        """``am kill``: kills the app only if it is in the background (as the low-memory killer would)."""
        self._check("kill", f"am kill {self._pkg(package)}")

    def crash(self, package: str | None = None) -> None:
        self._check("crash", f"am crash {self._pkg(package)}")

    def clear_recents(self) -> None:
        """Open the app switcher and swipe the top card away, as a user clears recents.

        What this does depends on the OEM (a Pixel only removes the task; MIUI force-stops the app);
        the precise swipe on a real screen belongs to the Appium layer (harness.ui).
        """
        self._check("clear_recents", "input keyevent 187")
        self._check("clear_recents", "input swipe 540 1400 540 200 150")
        self._check("clear_recents", "input keyevent 3")

    # -- jobs ---------------------------------------------------------------------------------
    def jobs(self, package: str | None = None) -> list[Job]:
        pkg = self._pkg(package)
        out = self._check("jobs", f"dumpsys jobscheduler {pkg}")
        return [job for job in parse_jobscheduler(out).jobs if job.package in (None, pkg)]

    def running_jobs(self, package: str | None = None) -> list[Job]:
        """The app's jobs JobScheduler is running now (its ``Active jobs:`` slots)."""
        pkg = self._pkg(package)
        dump = parse_jobscheduler(self._check("running_jobs", f"dumpsys jobscheduler {pkg}"))
        return [job for job in dump.jobs if job.package in (None, pkg) and (job.uid, job.job_id) in dump.running]

    def find_job(self, task: str, package: str | None = None, job_id: int | None = None) -> Job | None:
        """The job behind a task: an explicit id (argument, or ``job_id`` of the task in devices.toml),
        WorkManager's worker for expo-background-task, Expo's TaskJobService for the transient job of
        expo-background-fetch; for a task devices.toml does not know, either service."""
        jobs = self.jobs(package)
        kind = self.tasks[task].kind if task in self.tasks else None
        if job_id is None and task in self.tasks:
            job_id = self.tasks[task].job_id
        if job_id is not None:
            return next((j for j in jobs if j.job_id == job_id), None)
        services = {"background-task": (WORKMANAGER_SERVICE,), "processing": (WORKMANAGER_SERVICE,),
                    "background-fetch": (EXPO_TASK_SERVICE,)}.get(kind or "", (WORKMANAGER_SERVICE, EXPO_TASK_SERVICE))
        for service in services:
            match = [j for j in jobs if (j.service or "").endswith(service)]
            if task in self.tasks:  # one WorkManager serves several tasks: tell their jobs apart by constraints
                fitting = [j for j in match if _asks_like(self.tasks[task], j)]
                match = fitting if fitting or kind == "processing" else match
            if match:
                return match[0]
        return None

    def run_job(self, job: Job, *, force: bool = True, package: str | None = None, soft: bool = False) -> str:
        """``cmd jobscheduler run``: ``-f`` (every constraint ignored), ``-s`` with ``force=False`` (only if its
        constraints are already met), or with ``soft=True`` no flag: JobScheduler treats the job as due and
        ignores its soft constraints (charging, idle, the timing delay), but not Doze, background restriction or
        quota (JobStatus OVERRIDE_SOFT; android.md §2.1): the job runs as soon as nothing *but the OS* holds it."""
        pkg = self._pkg(package)
        flag = "" if soft else "-f" if force else "-s"
        namespace = f" -n {job.namespace}" if job.namespace else ""
        command = f"cmd jobscheduler run{' ' if flag else ''}{flag}{namespace} {pkg} {job.job_id}"
        result = self._run("run_job", command)
        text = result.output.strip()
        errors = {24: PackageNotFound, 23: JobNotFound, 22: JobHasFunctionalConstraints}
        if result.exit_code in errors:
            raise errors[result.exit_code](self.name, command, text, exit_code=result.exit_code)
        if result.exit_code != 0:
            raise CommandFailed(self.name, command, text, exit_code=result.exit_code)
        return text

    # -- reboot and the app's data ------------------------------------------------------------
    def reboot(self, timeout_s: float = 120.0) -> None:
        """Reboot and wait until ``sys.boot_completed`` is 1 again. The capture follows the phone meanwhile (it is
        away on purpose); a phone lost before or during the wait (its capture gave up) ends it with DeviceLost."""
        self.guard("reboot")
        if self.stream is not None:
            self.stream.away("rebooting")
        try:
            limit = self.stepper.now() + timeout_s if self.stepper is not None else None
            self.transport.reboot()
            deadline = time.monotonic() + timeout_s
            reached = False
            while not reached:
                if self.stream is not None:
                    self.stream.check_present("while waiting for the reboot to finish")
                try:
                    if self.boot_completed():
                        return
                except (DeviceUnreachable, DeviceTimeout, CommandFailed):
                    pass
                if self.stepper is not None and limit is not None and self.stepper.now() < limit:
                    self.stepper.step(limit)  # a virtual lab phone: its clock moves only here
                else:  # a real phone; or a virtual one whose window is over (its transport may still be catching up)
                    time.sleep(0.2)  # the phone is down: there is no stream to wait on until adbd answers
                    reached = time.monotonic() >= deadline
        finally:
            if self.stream is not None:
                self.stream.back()
        raise DeviceTimeout(self.name, "reboot", f"not booted within {timeout_s:g} s", "check the phone's screen")

    def ring_buffer(self, package: str | None = None, path: str = ring_path("android")) -> list[dict[str, object]]:
        """The probe's ring buffer, read with ``run-as`` (debuggable builds)."""
        pkg = self._pkg(package)
        return parse_ring(self._check("ring_buffer", f"run-as {pkg} cat {path}"))
