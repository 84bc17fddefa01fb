"""Puts the Android OS model on a device: power and Doze, jobs and alarms, activity, the app, the OEM skin."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.config import AppConfig
    from harness.lab.android.device import AndroidDevice

__all__ = ["install"]


def install(dev: AndroidDevice, app: AppConfig | None) -> None:
    """Called once per device after ``install_base``. Each part registers its services and commands."""
    del dev, app
