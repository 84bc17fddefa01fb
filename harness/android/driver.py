"""``AndroidDriver``: every verb a scenario needs on one Android phone, real or virtual alike."""

from __future__ import annotations

from pathlib import Path

from harness.android._app import AppVerbs, ProcessState
from harness.android._device_config import DeviceConfigVerbs
from harness.android._location import LocationVerbs
from harness.android._power import DozeStates, PowerVerbs
from harness.android._recovery import recovery_for
from harness.android._services import ServiceVerbs
from harness.android.logcat import LogcatCapture
from harness.android.transport import AdbTransport
from harness.config import Config, DeviceConfig
from harness.errors import HarnessError
from harness.journal import journal_for
from harness.logs.expect import Expect, Snapshot
from harness.logs.stream import EventStream
from harness.virtual_time import lab_time

__all__ = ["AndroidDriver", "DozeStates", "ProcessState"]

# What a failed test keeps of the phone's state, beside its logcat: file name → command.
FAILURE_DUMPS = {"jobscheduler": "dumpsys jobscheduler {pkg}", "deviceidle": "dumpsys deviceidle",
                 "activity-processes": "dumpsys activity processes", "battery": "dumpsys battery"}


class AndroidDriver(AppVerbs, PowerVerbs, ServiceVerbs, LocationVerbs, DeviceConfigVerbs):
    """The ``harness.driver.Driver`` shape over adb, plus the Android verbs of its mixins."""

    @classmethod
    def for_device(cls, cfg: Config, dev: DeviceConfig, timeout_s: float = 20.0) -> AndroidDriver:
        host, port = dev.adb_host_port
        transport = AdbTransport(dev.name, dev.serial or "", host, port, default_timeout_s=timeout_s,
                                 recovery=recovery_for(cfg, dev))  # the lab's server, or one named restartable
        driver = cls(transport, cfg.app.android_package, journal_for(cfg, dev.name))
        driver.clock_rate = cfg.clock_rate(dev)
        driver.stepper = lab_time(cfg, dev)
        driver.tasks = {task.name: task for task in cfg.app.tasks}
        return driver

    def capture(self, path: Path | None = None) -> tuple[LogcatCapture, EventStream]:
        """Start capturing logcat to ``path`` and into a stream that expectations wait on."""
        stream = EventStream(self.name, self.clock_rate, path, device_clock=self.device_time, stepper=self.stepper)
        self.stream = stream  # verbs check it: a phone its capture lost is not acted on (DriverBase.guard)
        if self.package is not None:  # the app's running process, whose start line may be long out of the log
            for pid in self._run("capture", f"pidof {self.package}").output.split():
                stream.known_process(int(pid), self.package)
        return LogcatCapture(self.transport, stream).start(), stream

    def device_time(self) -> float | None:
        """The phone's clock (seconds since 1970), or None when it cannot be read."""
        try:
            out = self.transport.shell("date +%s.%N", timeout_s=10).strip()
            return float(out) if out.replace(".", "", 1).isdigit() else float(out.split(".")[0])
        except (HarnessError, ValueError):
            return None

    def expect(self, stream: EventStream) -> Expect:
        assert self.package is not None
        return Expect(stream, self.package, self.snapshot)

    def snapshot(self, task: str | None = None) -> Snapshot:
        """What the phone says about the app's background work now (read after a failed wait)."""
        try:
            job = self.find_job(task or "") if task is not None else None
            doze = self.doze_states()
            restricted = "ignore" in self._run(
                "snapshot", f"cmd appops get {self.package} RUN_ANY_IN_BACKGROUND").output
            proc = self.process()
            return Snapshot(
                job_found=(job is not None) if task is not None else None,
                unsatisfied=tuple(job.unsatisfied) if job is not None else (),
                deep_state=doze.deep, light_state=doze.light, bucket=self.standby_bucket(),
                background_restricted=restricted, process_running=proc.running, stopped_state=proc.stopped)
        except HarnessError as exc:
            return Snapshot(notes=(f"could not read the device state: {exc}",))

    def health(self, battery_floor: int) -> str | None:
        """Why the phone cannot take a test now (adb state, boot, battery), or None."""
        try:
            state = self.transport.state()
            if state != "device":
                return f"adb state is {state!r} (want 'device'): check the cable / `adb connect`"
            if not self.boot_completed():
                return "not booted (sys.boot_completed != 1)"
            level = self.battery().level
            if level is not None and level < battery_floor:
                return f"battery at {level}% (floor {battery_floor}%): charge it"
        except HarnessError as exc:
            return str(exc)
        return None

    def failure_artifacts(self, folder: Path) -> list[Path]:
        """The dumpsys sections that explain background work (``FAILURE_DUMPS``), one text file each."""
        written = []
        for name, command in FAILURE_DUMPS.items():
            try:
                self.guard(command)
                out = self.transport.shell(command.format(pkg=self.package or ""), timeout_s=20)
            except HarnessError as exc:
                out = f"could not read: {exc}\n"
            path = folder / f"{name}.txt"
            path.write_text(out)
            written.append(path)
        return written
