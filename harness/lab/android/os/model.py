"""Puts the Android OS model on a device: power and Doze, jobs and alarms, activity, the app, the OEM skin."""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.lab.android.os import activity, apps, devconfig, jobs, location, oem, power

if TYPE_CHECKING:
    from harness.config import AppConfig
    from harness.lab.android.device import AndroidDevice

__all__ = ["install"]


def install(dev: AndroidDevice, app: AppConfig | None) -> None:
    """Called once per device after ``install_base``; the order is the order of dependencies."""
    devconfig.install(dev)  # "device_config": the flag store the parts below read (before them: boot order)
    power.install(dev)  # dev.power; services "battery", "deviceidle", "power"; screen keys
    jobs.install(dev)  # dev.jobs, dev.alarms, dev.standby, dev.appops; "jobscheduler", "alarm", "usagestats", "appops"
    activity.install(dev)  # dev.activity; "activity", "notification"; monkey
    location.install(dev)  # "location": cmd location (the switch, test providers)
    apps.install(dev, app)  # the modelled app under test (Expo background task/fetch, location, geofences)
    oem.install(dev)  # the OEM policy profile named by dev.ident.profile
