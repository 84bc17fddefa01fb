"""``AndroidDriver``: every verb a scenario needs on one Android phone, real or virtual alike."""

from __future__ import annotations

from harness.android._app import AppVerbs, ProcessState
from harness.android._power import DozeStates, PowerVerbs
from harness.android.transport import AdbTransport
from harness.config import Config, DeviceConfig

__all__ = ["AndroidDriver", "DozeStates", "ProcessState"]


class AndroidDriver(AppVerbs, PowerVerbs):
    @classmethod
    def for_device(cls, cfg: Config, dev: DeviceConfig, timeout_s: float = 20.0) -> AndroidDriver:
        host, port = dev.adb_host_port
        transport = AdbTransport(dev.name, dev.serial or "", host, port, default_timeout_s=timeout_s)
        return cls(transport, cfg.app.android_package)
