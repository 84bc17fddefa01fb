"""One virtual Android phone: properties, file system, log buffers, processes and system services.

The adbd in front of it (``adbd.py``) only moves bytes; everything a command prints comes from here
and from the OS model under ``os/``.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.lab.android.catalog import props_for
from harness.lab.android.logbuf import LogBuffers
from harness.lab.android.os.base import SystemService
from harness.lab.android.os.contracts import (
    ActivityModel,
    AlarmModel,
    AppOpsModel,
    JobModel,
    PowerModel,
    StandbyModel,
)
from harness.lab.android.os.packages import PackageManager
from harness.lab.android.os.processes import ProcessTable
from harness.lab.android.shell.runtime import Registry
from harness.lab.android.vfs import FileSystem
from harness.lab.clock import Clock

__all__ = ["AndroidDevice", "DeviceIdentity", "install_base"]

log = logging.getLogger("harness.lab.android")

SYSTEM_SERVER = ProcessTable.SYSTEM_SERVER_PID


@dataclass(frozen=True, slots=True)
class DeviceIdentity:
    name: str  # the devices.toml name, e.g. "xiaomi-13"
    serial: str  # ro.serialno
    model: str  # ro.product.model
    os_version: str  # "14", "15"
    oem: str  # google | xiaomi | oppo | samsung | …
    profile: str  # OEM policy profile name (defaults to the oem)
    seed: int = 0
    boot_delay_s: float = 30.0  # device time from `reboot` until adbd answers again
    settings: dict[str, str] = field(default_factory=dict)  # initial OEM/user settings from devices.toml


class AndroidDevice:
    # The OS model's parts, set by their install() functions (os/model.py); see os/contracts.py.
    power: PowerModel
    jobs: JobModel
    alarms: AlarmModel
    standby: StandbyModel
    appops: AppOpsModel
    activity: ActivityModel

    def __init__(self, ident: DeviceIdentity, clock: Clock) -> None:
        self.ident = ident
        self.name = ident.name
        self.clock = clock
        self.rng = random.Random(ident.seed)
        self.props: dict[str, str] = props_for(ident.model, ident.os_version, ident.serial)
        self.fs = FileSystem(clock.now)
        self.logs = LogBuffers(clock.now, clock.uptime)
        self.packages = PackageManager(ident.oem)
        self.processes = ProcessTable(clock.now())
        self.commands = Registry()
        self.services: dict[str, SystemService] = {}
        self.settings: dict[str, dict[str, str]] = {"global": {}, "system": {}, "secure": {}}
        self.sdk = int(self.props["ro.build.version.sdk"])
        self.booted = True
        self.outbound: set[asyncio.Future[Any]] = set()  # requests the phone's apps have in flight (wake reports)
        self._key_listeners: list[Callable[[int], None]] = []
        self._swipe_listeners: list[Callable[[int, int, int, int], None]] = []
        self._boot_listeners: list[Callable[[], None]] = []
        self._shutdown_listeners: list[Callable[[], None]] = []

    # -- logging ------------------------------------------------------------------------------
    def syslog(self, prio: str, tag: str, msg: str, *, pid: int = SYSTEM_SERVER, tid: int | None = None,
               buffer: str = "system") -> None:
        """A line from a system process (system_server by default) into the system buffer."""
        self.logs.write(buffer, prio, tag, msg, pid=pid, tid=tid if tid is not None else pid + 17, uid=1000)

    def event(self, tag: str, *fields: object, pid: int = SYSTEM_SERVER) -> None:
        self.logs.event(tag, fields, pid=pid, tid=pid + 17)

    def internal_error(self, argv: list[str], exc: BaseException) -> None:
        log.error("[%s] model error in %r", self.name, argv, exc_info=exc)

    # -- hooks the OS model subscribes to ---------------------------------------------------------
    def on_key(self, listener: Callable[[int], None]) -> None:
        self._key_listeners.append(listener)

    def on_boot(self, listener: Callable[[], None]) -> None:
        self._boot_listeners.append(listener)

    def on_shutdown(self, listener: Callable[[], None]) -> None:
        self._shutdown_listeners.append(listener)

    def key(self, code: int) -> None:
        for listener in list(self._key_listeners):
            listener(code)

    def on_swipe(self, listener: Callable[[int, int, int, int], None]) -> None:
        self._swipe_listeners.append(listener)

    def swipe(self, x1: int, y1: int, x2: int, y2: int) -> None:
        """A touch swipe (``input swipe``) on the screen, in pixels."""
        for listener in list(self._swipe_listeners):
            listener(x1, y1, x2, y2)

    # -- reboot -------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Power off: the OS model drops its volatile state (processes, non-persisted jobs, RAM logs)."""
        self.booted = False
        self.props["sys.boot_completed"] = ""
        self.props["dev.bootcomplete"] = ""
        for listener in list(self._shutdown_listeners):
            listener()
        for proc in self.processes.all():
            if proc.package is not None:
                self.processes.remove(proc.pid)
        self.logs.clear(self.logs_names())

    def boot(self) -> None:
        self.clock.mark_boot()
        self.booted = True
        self.syslog("I", "Zygote", "Zygote64 started, preloading classes", pid=ProcessTable.ZYGOTE_PID,
                    buffer="main")
        self.syslog("I", "SystemServer", "Entered the Android system server!")
        self.event("boot_progress_system_run", int(self.clock.uptime() * 1000))
        self.props["sys.boot_completed"] = "1"
        self.props["dev.bootcomplete"] = "1"
        self.syslog("I", "ActivityManager", "Finished processing BOOT_COMPLETED for u0")
        for listener in list(self._boot_listeners):
            listener()

    @staticmethod
    def logs_names() -> list[str]:
        return ["main", "system", "events", "crash", "radio", "kernel"]


def install_base(dev: AndroidDevice) -> None:
    """The commands and services every virtual phone has, before the OS model adds its own."""
    from harness.lab.android.os.package_service import PackageService  # noqa: PLC0415 - the shell and the services import the device: installed here, not at import
    from harness.lab.android.os.settings import SettingsService  # noqa: PLC0415 - the shell and the services import the device: installed here, not at import
    from harness.lab.android.shell import binder, builtins  # noqa: PLC0415 - the shell and the services import the device: installed here, not at import
    from harness.lab.android.shell.logcat import logcat  # noqa: PLC0415 - the shell and the services import the device: installed here, not at import

    builtins.install(dev)
    binder.install(dev)
    dev.commands.add("logcat", logcat)
    dev.services["package"] = PackageService(dev)
    dev.services["settings"] = SettingsService(dev)
