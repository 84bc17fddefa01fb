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

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import pytest

from harness.config import AppConfig, DeviceConfig, TaskConfig
from harness.config._roles import unmapped_reason
from harness.driver import Capture, Driver
from harness.errors import DeviceError, DeviceQuarantined, HarnessError
from harness.journal.replay import restore_device
from harness.logs.expect import Expect
from harness.logs.stream import EventStream, Mark
from harness.plugin._lab import ensure_lab
from harness.plugin._run import RUN_KEY, Run
from harness.pool import HealthCheck, Lease

if TYPE_CHECKING:  # the drivers load their clients (ppadb, pymobiledevice3, Appium) only when a test drives a phone
    from harness.android import AndroidDriver
    from harness.ios import IOSDriver
    from harness.ios.process import ProcessControl
    from harness.ui import UiDriver

__all__ = ["App", "DeviceSession", "android", "app", "device", "ios", "timeline", "ui"]

log = logging.getLogger("harness.plugin")
ACQUIRE_TIMEOUT_S = 900.0
BATTERY_FLOOR = 5
D = TypeVar("D", bound=Driver)


@dataclass
class DeviceSession:
    """One leased device for one test: its config, its artifacts folder, and what the test started."""

    config: DeviceConfig
    artifacts: Path
    run: Run
    driver: Driver | None = None  # the platform's driver, once the test asked for it (``android`` / ``ios``)
    stream: EventStream | None = None
    opened: Mark | None = None  # the stream when the test's capture started: the report's timeline begins there
    captures: list[Capture] = field(default_factory=list)
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


def open_driver(run: Run, dev: DeviceConfig, timeout_s: float = 20.0,
                appium: Callable[[], ProcessControl | None] = lambda: None) -> Driver:
    """The platform's driver for ``dev``; its client library is imported here, the first time a phone of that
    platform is driven (``appium``: the XCUITest process control of an iPhone whose devices.toml says so)."""
    if dev.platform == "ios":
        from harness.ios import IOSDriver  # noqa: PLC0415 - pymobiledevice3 loads only in a run that drives an iPhone

        return IOSDriver.for_device(run.config, dev, timeout_s, appium=appium())
    from harness.android import AndroidDriver  # noqa: PLC0415 - ppadb loads only in a run that drives a phone

    return AndroidDriver.for_device(run.config, dev, timeout_s)


def device_health(run: Run) -> HealthCheck:
    def check(dev: DeviceConfig) -> str | None:
        driver = open_driver(run, dev, timeout_s=10)
        try:
            return driver.health(BATTERY_FLOOR)
        finally:
            driver.close()

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
    try:
        with lease:
            session = DeviceSession(dev, _artifacts_dir(run, request.node), run, lease=lease)
            request.node.stash[SESSION_KEY] = session
            yield session
    finally:
        request.node.stash[RELEASED_KEY] = time.time()


SESSION_KEY = pytest.StashKey[DeviceSession]()
# When the cell let its phone go (its lease released): the result's end, so the cells a report lists for one phone
# never overlap, where the teardown report comes a moment after the next holder has begun.
RELEASED_KEY = pytest.StashKey[float]()
LOG_FILE = {"android": "logcat.txt", "ios": "syslog.txt"}


def _driven(device: DeviceSession, node: pytest.Item, drv: D) -> Iterator[D]:
    """Both platforms' fixture: the driver checks the lease before each action, the app must be installed, the
    phone's log is captured for the whole test; at teardown a failed test keeps the failure artifacts, the
    test's changes are undone (the journal), the capture stops and the driver closes its session."""
    drv.guards.append(device.guard)
    device.guard("capture")
    require_app(drv, device.config, device.run.config.app)
    capture, stream = drv.capture(device.artifacts / LOG_FILE[device.config.platform])
    stream.caught_up()  # a virtual phone: the report's timeline starts after what it logged before the cell
    device.driver, device.stream, device.opened = drv, stream, stream.mark()
    device.captures.append(capture)
    try:
        yield drv
    finally:
        if getattr(node, "bgh_failed", False):
            drv.failure_artifacts(device.artifacts)
        problems = drv.restore()
        if problems:
            log.warning("[%s] state not fully restored: %s", device.name, "; ".join(problems))
        with contextlib.suppress(HarnessError):  # a virtual phone: what the restore logged is in the timeline,
            stream.caught_up()  # whatever the host's load (a lost phone: the capture has what it could read)
        capture.stop()
        drv.close()


@pytest.fixture
def android(device: DeviceSession, request: pytest.FixtureRequest) -> Iterator[AndroidDriver]:
    """The Android driver for the leased phone, with logcat captured for the whole test."""
    if device.config.platform != "android":
        pytest.skip(f"{device.name} is not an Android phone")
    from harness.android import AndroidDriver  # noqa: PLC0415 - ppadb loads only in a run that drives a phone

    yield from _driven(device, request.node, AndroidDriver.for_device(device.run.config, device.config))


@pytest.fixture
def ios(device: DeviceSession, request: pytest.FixtureRequest) -> Iterator[IOSDriver]:
    """The iOS driver for the leased iPhone, with its log captured for the whole test."""
    if device.config.platform != "ios":
        pytest.skip(f"{device.name} is not an iPhone")
    from harness.ios import IOSDriver  # noqa: PLC0415 - pymobiledevice3 loads only in a run that drives an iPhone

    drv = IOSDriver.for_device(device.run.config, device.config, appium=_appium(device, request))
    yield from _driven(device, request.node, drv)


def _appium(device: DeviceSession, request: pytest.FixtureRequest) -> ProcessControl | None:
    """Launch and kill through the device's XCUITest session, when its devices.toml entry says so."""
    if device.config.process_control != "appium":
        return None
    from harness.ui import AppiumProcessControl  # noqa: PLC0415 - Appium's client loads only for an Appium iPhone

    ui_driver: UiDriver = request.getfixturevalue("ui")
    return AppiumProcessControl(ui_driver)


def require_app(drv: Driver, dev: DeviceConfig, app: AppConfig) -> None:
    """A phone without the app under test gives no verdict on it: the cell is an error saying "app not installed",
    never a FAIL with the launcher's raw output ("No activities found")."""
    ident = app.app_id(dev.platform)
    if ident and not drv.installed():
        raise DeviceError(dev.name, "app", f"app not installed: {ident} is not on the phone",
                          "install the build under test (`harness doctor` checks each phone), or fix the id in [app]")


@pytest.fixture
def ui(device: DeviceSession) -> Iterator[UiDriver]:
    """Appium on the leased phone (UiAutomator2 / XCUITest): the switcher swipe, permission dialogs, deep
    links, the diagnostics screen. The session opens on first use and closes at teardown."""
    from harness.ui import UiDriver  # noqa: PLC0415 - Appium's client loads only when a test asks for the screen

    driver = UiDriver(device.run.config, device.config)
    try:
        yield driver
    finally:
        driver.close()


@pytest.fixture
def timeline(device: DeviceSession, request: pytest.FixtureRequest) -> Expect:
    """Expectations on the device's timeline from this point on (``timeline.task_fired(...)``)."""
    request.getfixturevalue(device.config.platform)  # the platform's driver, capturing
    driver, stream = device.driver, device.stream
    assert driver is not None and stream is not None
    expect = driver.expect(stream)
    expect.tasks = driver.tasks  # a task name the app lacks fails at once; kinds shape the diagnosis
    return expect


@dataclass(frozen=True)
class App:
    """The app under test as configured in ``[app]``, on this device."""

    config: AppConfig
    device: DeviceConfig

    @property
    def package(self) -> str:
        pkg = self.config.app_id(self.device.platform)
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
