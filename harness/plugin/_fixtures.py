"""The fixtures scenarios use: ``device``, ``android``, ``ios``, ``ui``, ``timeline``, ``app``.

``device`` is parametrized over every matching device (``test_x[xiaomi-13]``); it leases the phone
for the test and releases it at teardown, whatever happens. The lease stays on the session, and the drivers
check it before every device action (``guard``): a run that lost its lease (paused past ``--lease-timeout``,
forced out) errors at its next action with LeaseLost, naming who took the phone.

Right after the lease is taken, before the health check, it puts back whatever the phone's restore journal
says an earlier run left changed (harness.journal); a phone that cannot be put back is quarantined for the run.
Everything heavy (the lab, the pool, the log capture) is created only when a test asks for it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from harness.android import AndroidDriver
from harness.android.logcat import LogcatCapture
from harness.config import AppConfig, DeviceConfig, TaskConfig
from harness.config._roles import unmapped_reason
from harness.errors import DeviceError, DeviceQuarantined, HarnessError
from harness.ios import IOSDriver
from harness.ios.syslog import SyslogCapture
from harness.journal.replay import restore_device
from harness.logs.expect import Expect
from harness.logs.stream import EventStream, Mark
from harness.plugin._lab import ensure_lab
from harness.plugin._run import RUN_KEY, Run
from harness.pool import HealthCheck, Lease
from harness.ui import AppiumProcessControl, UiDriver

__all__ = ["App", "DeviceSession", "android", "app", "device", "ios", "timeline", "ui"]

log = logging.getLogger("harness.plugin")
ACQUIRE_TIMEOUT_S = 900.0
BATTERY_FLOOR = 5
SNAPSHOTS = {"jobscheduler": "dumpsys jobscheduler {pkg}", "deviceidle": "dumpsys deviceidle",
             "activity-processes": "dumpsys activity processes", "battery": "dumpsys battery"}


@dataclass
class DeviceSession:
    """One leased device for one test: its config, its artifacts folder, and what the test started."""

    config: DeviceConfig
    artifacts: Path
    run: Run
    android: AndroidDriver | None = None
    ios: IOSDriver | None = None
    stream: EventStream | None = None
    opened: Mark | None = None  # the stream when the test's capture started: the report's timeline begins there
    captures: list[LogcatCapture | SyslogCapture] = field(default_factory=list)
    lease: Lease | None = None

    def guard(self, what: str) -> None:
        """Before a device action: LeaseLost when this test no longer holds the phone."""
        if self.lease is not None:
            self.lease.check()

    @property
    def name(self) -> str:
        return self.config.name


def _artifacts_dir(run: Run, node: pytest.Item) -> Path:
    return run.writer.artifact_dir(node.nodeid)


def device_health(run: Run) -> HealthCheck:
    def check(dev: DeviceConfig) -> str | None:
        if dev.platform == "ios":
            return _ios_health(run, dev)
        drv = AndroidDriver.for_device(run.config, dev, timeout_s=10)
        try:
            state = drv.transport.state()
            if state != "device":
                return f"adb state is {state!r} (want 'device'): check the cable / `adb connect`"
            if not drv.boot_completed():
                return "not booted (sys.boot_completed != 1)"
            level = drv.battery().level
            if level is not None and level < BATTERY_FLOOR:
                return f"battery at {level}% (floor {BATTERY_FLOOR}%): charge it"
        except HarnessError as exc:
            return str(exc)
        return None

    return check


def restoring_health(run: Run, holder: str) -> HealthCheck:
    """The health check, preceded by replaying the phone's journal (a killed run's leftovers): it runs while
    the lease is held and before the test, so no test starts on a phone left restricted or unplugged."""
    healthy = device_health(run)

    def check(dev: DeviceConfig) -> str | None:
        problems = restore_device(run.config, dev)
        if problems:
            reason = (f"left changed by an earlier run and could not be put back ({'; '.join(problems)}); "
                      f"once it answers, `harness restore {dev.name}`")
            # Not a flaky failure worth a second try: take it out of the run at once (the pool's own count of
            # this health failure is the last one to its quarantine limit).
            for _ in range(run.pool.quarantine_after - 1):
                run.pool.report_failure(dev.name, reason, holder)
            return reason
        return healthy(dev)

    return check


def _ios_health(run: Run, dev: DeviceConfig) -> str | None:
    drv = IOSDriver.for_device(run.config, dev, timeout_s=10)
    try:
        battery = drv.battery()
        level = battery.get("BatteryCurrentCapacity")
        if isinstance(level, int) and level < BATTERY_FLOOR and not battery.get("BatteryIsCharging"):
            return f"battery at {level}% (floor {BATTERY_FLOOR}%): charge it"
    except HarnessError as exc:
        return str(exc)
    return None


@pytest.fixture
def device(request: pytest.FixtureRequest) -> Iterator[DeviceSession]:
    """The device this test runs on, leased exclusively for the test."""
    dev: DeviceConfig | None = getattr(request, "param", None)
    if dev is None:
        pytest.skip("no configured device matches this test")
    run = request.config.stash[RUN_KEY]
    if dev.lab:
        ensure_lab(run.config, run.run_id, run.lab_allowed)
    try:
        lease = run.pool.acquire(dev, ACQUIRE_TIMEOUT_S, holder=request.node.nodeid,
                                 health=restoring_health(run, request.node.nodeid))
    except DeviceQuarantined as exc:
        pytest.skip(str(exc))
    with lease:
        session = DeviceSession(dev, _artifacts_dir(run, request.node), run, lease=lease)
        request.node.stash[SESSION_KEY] = session
        yield session


SESSION_KEY = pytest.StashKey[DeviceSession]()


@pytest.fixture
def android(device: DeviceSession, request: pytest.FixtureRequest) -> Iterator[AndroidDriver]:
    """The Android driver for the leased phone, with logcat captured for the whole test."""
    if device.config.platform != "android":
        pytest.skip(f"{device.name} is not an Android phone")
    drv = AndroidDriver.for_device(device.run.config, device.config)
    drv.guards.append(device.guard)
    device.guard("logcat")
    require_app(drv, device.config, device.run.config.app)
    capture, stream = drv.capture(device.artifacts / "logcat.txt")
    device.android, device.stream, device.opened = drv, stream, stream.mark()
    device.captures.append(capture)
    try:
        yield drv
    finally:
        _teardown_android(drv, device, request.node)
        capture.stop()


def _teardown_android(drv: AndroidDriver, session: DeviceSession, node: pytest.Item) -> None:
    failed = getattr(node, "bgh_failed", False)
    if failed:
        for name, command in SNAPSHOTS.items():
            try:
                drv.guard(command)
                out = drv.transport.shell(command.format(pkg=drv.package or ""), timeout_s=20)
            except HarnessError as exc:
                out = f"could not read: {exc}\n"
            (session.artifacts / f"{name}.txt").write_text(out)
    problems = drv.restore()
    if problems:
        log.warning("[%s] state not fully restored: %s", session.name, "; ".join(problems))


@pytest.fixture
def ios(device: DeviceSession, request: pytest.FixtureRequest) -> Iterator[IOSDriver]:
    """The iOS driver for the leased iPhone, with its log captured for the whole test."""
    if device.config.platform != "ios":
        pytest.skip(f"{device.name} is not an iPhone")
    appium = None
    if device.config.process_control == "appium":  # launch and kill through the device's XCUITest session
        appium = AppiumProcessControl(request.getfixturevalue("ui"))
    drv = IOSDriver.for_device(device.run.config, device.config, appium=appium)
    drv.guards.append(device.guard)
    device.guard("syslog")
    require_app(drv, device.config, device.run.config.app)
    capture, stream = drv.capture(device.artifacts / "syslog.txt")
    device.ios, device.stream, device.opened = drv, stream, stream.mark()
    device.captures.append(capture)
    try:
        yield drv
    finally:
        if getattr(request.node, "bgh_failed", False):
            _ios_snapshots(drv, device)
        problems = drv.restore()  # e.g. a simulated location
        if problems:
            log.warning("[%s] state not fully restored: %s", device.name, "; ".join(problems))
        capture.stop()


def require_app(drv: AndroidDriver | IOSDriver, dev: DeviceConfig, app: AppConfig) -> None:
    """A phone without the app under test gives no verdict on it: the cell is an error saying "app not installed",
    never a FAIL with the launcher's raw output ("No activities found")."""
    ident = app.android_package if dev.platform == "android" else app.ios_bundle_id
    if ident and not drv.installed():
        raise DeviceError(dev.name, "app", f"app not installed: {ident} is not on the phone",
                          "install the build under test (`harness doctor` checks each phone), or fix the id in [app]")


@pytest.fixture
def ui(device: DeviceSession) -> Iterator[UiDriver]:
    """Appium on the leased phone (UiAutomator2 / XCUITest): the switcher swipe, permission dialogs, deep
    links, the diagnostics screen. The session opens on first use and closes at teardown."""
    driver = UiDriver(device.run.config, device.config)
    try:
        yield driver
    finally:
        driver.close()


def _ios_snapshots(drv: IOSDriver, session: DeviceSession) -> None:
    """What the phone lets a tool read, kept beside the log of a failed test."""
    for name, read in (("processes", drv.processes), ("battery", drv.battery), ("probe-ring-buffer", drv.ring_buffer)):
        try:
            text = json.dumps(read(), indent=1, default=str)
        except HarnessError as exc:
            text = f"could not read: {exc}"
        (session.artifacts / f"{name}.json").write_text(text + "\n")


@pytest.fixture
def timeline(device: DeviceSession, request: pytest.FixtureRequest) -> Expect:
    """Expectations on the device's timeline from this point on (``timeline.task_fired(...)``)."""
    driver: AndroidDriver | IOSDriver = request.getfixturevalue(device.config.platform)
    assert device.stream is not None
    expect = driver.expect(device.stream)
    expect.tasks = driver.tasks  # a task name the app lacks fails at once; kinds shape the diagnosis
    return expect


@dataclass(frozen=True)
class App:
    """The app under test as configured in ``[app]``, on this device."""

    config: AppConfig
    device: DeviceConfig

    @property
    def package(self) -> str:
        pkg = self.config.android_package if self.device.platform == "android" else self.config.ios_bundle_id
        if pkg is None:
            key = "android_package" if self.device.platform == "android" else "ios_bundle_id"
            raise HarnessError(f"{self.device.name}: [app] has no {key} in devices.toml")
        return pkg

    def __repr__(self) -> str:  # not the dataclass repr: that would print the phone's push token into reports
        return f"App({self.config.name!r} on {self.device.name!r})"

    def task(self, name: str) -> TaskConfig:
        return self.config.task(name)

    def role(self, role: str) -> str:
        """The name of the app's task that plays ``role`` ("periodic", "push", … in ``[[app.task]]``); a cell whose
        role no task plays is skipped, saying which key to add (harness/config/_roles.py)."""
        name = self.config.role_name(role)
        if not name:
            pytest.skip(unmapped_reason(self.config, role))
        return name

    def interval_s(self, name: str) -> float:
        return self.task(name).interval_min * 60


@pytest.fixture
def app(device: DeviceSession) -> App:
    return App(device.run.config.app, device.config)
