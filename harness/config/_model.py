"""The frozen objects ``devices.toml`` becomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from harness.config._farm import FarmConfig
from harness.config._push import CollectorConfig, PushConfig

__all__ = ["AppConfig", "CollectorConfig", "Config", "DeviceConfig", "LabConfig", "PushConfig", "TaskConfig"]

Platform = Literal["android", "ios"]
PLATFORMS: tuple[str, ...] = ("android", "ios")
OEMS: tuple[str, ...] = ("google", "xiaomi", "oppo", "samsung", "oneplus", "huawei", "vivo", "realme",
                         "motorola", "sony", "nokia", "lenovo", "apple")
TASK_KINDS: tuple[str, ...] = ("background-task", "background-fetch", "location", "geofence", "processing",
                               "push", "job")


@dataclass(frozen=True, slots=True)
class TaskConfig:
    name: str  # the name the app registers (TaskManager.defineTask)
    kind: str  # one of TASK_KINDS
    interval_min: float = 15.0
    job_id: int | None = None  # for kind = "job": the JobScheduler id to run
    requires_charging: bool = False
    requires_idle: bool = False
    requires_network: bool = True
    start_on_boot: bool = False
    duration_s: float = 2.0  # how long one run takes on the device (modelled app)
    failure_rate: float = 0.0  # modelled app: share of runs that fail
    role: str | None = None  # the scenarios' name for what it does (harness/config/_roles.py): "periodic", "push", …


@dataclass(frozen=True, slots=True)
class AppConfig:
    name: str
    android_package: str | None = None
    ios_bundle_id: str | None = None
    launcher_activity: str = ".MainActivity"
    debuggable: bool = True
    tasks: tuple[TaskConfig, ...] = ()

    def app_id(self, platform: str) -> str | None:
        """The app under test's id on ``platform``: its package on Android, its bundle id on iOS (None if unset)."""
        return self.android_package if platform == "android" else self.ios_bundle_id

    def task(self, name: str) -> TaskConfig:
        for task in self.tasks:
            if task.name == name:
                return task
        known = ", ".join(t.name for t in self.tasks) or "none"
        raise KeyError(f"no task named {name!r} in [app] (known: {known})")

    def role_name(self, role: str) -> str:
        """The name of the task that plays ``role`` (``role = "periodic"``), or "" when none does."""
        return next((t.name for t in self.tasks if t.role == role), "")


@dataclass(frozen=True, slots=True)
class LabConfig:
    host: str = "127.0.0.1"
    adb_server_port: int = 5137
    usbmuxd_port: int = 27115
    appium_port: int = 4724
    clock_rate: float = 60.0
    seed: int = 1
    state_dir: str = ".lab"
    boot_delay_s: float = 30.0
    push_port: int = 2197  # the lab's push gateway: APNs provider API (h2c), FCM v1 REST and its OAuth token URL
    hub_port: int = 43425  # the lab's USB hub API (Cambrionix's CambrionixApiService listens on 43424)
    log_noise_per_s: float = 100.0  # other apps' and the system's log lines per wall second on each lab phone
    # "virtual": a lab phone's clock stands still while the harness acts and jumps from event to event while it
    # waits (docs/architecture.md, "Lab time"); "realtime": it runs clock_rate times the wall clock by itself.
    clock: str = "virtual"
    time_port: int = 43427  # the lab's time control, used only by the harness's waits on lab phones (virtual clock)


@dataclass(frozen=True, slots=True)
class DeviceConfig:
    name: str
    platform: Platform
    oem: str
    model: str
    os_version: str
    serial: str | None = None  # Android: what the adb server lists (host:port for TCP devices)
    udid: str | None = None  # iOS
    adb_server: str = "127.0.0.1:5037"  # host:port of the adb server that sees this phone
    adb_server_restartable: bool = False  # the harness may restart that (local) server when it dies
    usbmux: str | None = None  # iOS: "host:port" of usbmuxd over TCP, or None for the local socket
    tags: tuple[str, ...] = ()
    lab: bool = False
    lab_port: int | None = None  # lab: the TCP port of the virtual adbd / the virtual device's slot
    oem_profile: str | None = None  # lab: OEM policy profile (defaults to the oem)
    clock_rate: float | None = None  # lab: device-time rate (defaults to [lab] clock_rate)
    seed: int | None = None  # lab: seed of the OEM policy randomness (defaults to [lab] seed)
    process_control: str | None = None  # iOS: dvt | tunnel | appium
    appium_url: str | None = None
    usb_hub: str | None = None  # "host:port" of the Cambrionix hub API (CambrionixApiService) the phone's port is on
    usb_hub_port: str | None = None  # "HUBSERIAL:N" when cbrx_find cannot locate the phone (default: found by serial)
    settings: dict[str, str] = field(default_factory=dict)  # lab: initial OEM/user settings
    push_token: str | None = field(default=None, repr=False)  # the app's APNs / FCM token here: a secret, no repr
    push_token_env: str | None = None  # or: an environment variable holding it (tokens stay out of the file)

    @property
    def adb_host_port(self) -> tuple[str, int]:
        host, _, port = self.adb_server.rpartition(":")
        return host or "127.0.0.1", int(port)

    @property
    def profile(self) -> str:
        return self.oem_profile or self.oem

    @property
    def ident(self) -> str:
        """The id the transport knows the phone by: serial on Android, UDID on iOS."""
        return (self.serial if self.platform == "android" else self.udid) or self.name


@dataclass(frozen=True, slots=True)
class Config:
    path: str
    devices: tuple[DeviceConfig, ...]
    app: AppConfig
    lab: LabConfig
    push: PushConfig | None = None  # [push]; None when silent pushes are not configured
    collector: CollectorConfig = field(default_factory=CollectorConfig)  # [collector]
    farm: FarmConfig = field(default_factory=FarmConfig)  # [farm]: the shared lease database, if any

    def device(self, name: str) -> DeviceConfig:
        for dev in self.devices:
            if dev.name == name:
                return dev
        known = ", ".join(d.name for d in self.devices)
        raise KeyError(f"{self.path}: no device named {name!r} (configured: {known})")

    def virtual_time(self, dev: DeviceConfig) -> bool:
        """Whether ``dev``'s clock moves only when the harness waits (a lab phone under ``clock = "virtual"``)."""
        return dev.lab and self.lab.clock == "virtual"

    def clock_rate(self, dev: DeviceConfig) -> float:
        """Device seconds per wall second while the harness waits: 1 for a real phone, and for a virtual lab phone
        (its clock moves only in waits, one event at a time, so its windows are sized as on a real phone); the lab
        rate for a lab phone under ``clock = "realtime"``."""
        if not dev.lab or self.virtual_time(dev):
            return 1.0
        return self.lab_rate(dev)

    def lab_rate(self, dev: DeviceConfig) -> float:
        """The configured rate of a lab phone's clock (``clock_rate``): what a real-time lab clock runs at."""
        return dev.clock_rate or self.lab.clock_rate
