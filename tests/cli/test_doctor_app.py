"""`harness doctor` knows the app: per phone, installed, debuggable, its lines and tasks on a launch; and a cell
on a phone without the app is an error saying "app not installed" (checked against the lab through adb)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from harness.android import AndroidDriver
from harness.cli._doctor_app import app_checks, registered_tasks
from harness.errors import DeviceError
from harness.plugin._fixtures import require_app
from tests import labkit
from tests.labkit import RunningLab


@pytest.fixture(scope="module")
def lab() -> Iterator[RunningLab]:
    running = RunningLab(labkit.test_config(names=("pixel-8",)))
    running.thread.start()
    yield running
    running.thread.stop()


def test_a_phone_with_the_app_passes_every_app_check(lab: RunningLab) -> None:
    checks = {c.name: c for c in app_checks(lab.cfg, set())}
    assert all(c.ok for c in checks.values()), checks
    assert checks["pixel-8: app com.example.courier"].detail == "installed"
    assert checks["pixel-8: debuggable"].ok
    assert "Expo's TaskService" in checks["pixel-8: log lines on launch"].detail
    assert checks["pixel-8: tasks registered"].detail == "refresh-feed, sync-orders"


def test_another_package_is_not_installed_with_the_fix(lab: RunningLab) -> None:
    cfg = dataclasses.replace(lab.cfg, app=dataclasses.replace(lab.cfg.app, android_package="org.acme.fieldops"))
    checks = app_checks(cfg, set())
    assert [(c.name, c.ok, c.detail) for c in checks] == [("pixel-8: app org.acme.fieldops", False, "not installed")]
    assert "install -r" in checks[0].fix
    with pytest.raises(DeviceError, match=r"\[pixel-8\] app: app not installed: org.acme.fieldops"):
        require_app(AndroidDriver.for_device(cfg, cfg.device("pixel-8")), cfg.device("pixel-8"), cfg.app)


def test_a_misnamed_task_is_said_not_registered(lab: RunningLab) -> None:
    tasks = tuple(dataclasses.replace(t, name="sync-order") if t.name == "sync-orders" else t
                  for t in lab.cfg.app.tasks)
    cfg = dataclasses.replace(lab.cfg, app=dataclasses.replace(lab.cfg.app, tasks=tasks))
    # The lab models the app it started with: its JS still registers "sync-orders".
    check = next(c for c in app_checks(cfg, set()) if c.name == "pixel-8: tasks registered")
    assert not check.ok and "not registered after a launch: sync-order" in check.detail


def test_a_phone_a_run_holds_is_left_alone(lab: RunningLab) -> None:
    assert [(c.ok, c.detail) for c in app_checks(lab.cfg, {"pixel-8"})] == [
        (True, "not checked: a run holds the phone now")]


def test_registrations_are_read_from_expo_lines() -> None:
    line = ("12-07 08:00:01.000  4730  4761 I TaskService: Registered task with name 'sync-orders' for app with "
            "scoping identifier 'com.example.courier'.")
    assert registered_tasks([line, "unrelated"]) == {"sync-orders"}
