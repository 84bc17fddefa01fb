"""The modelled app under test. Work in progress by the apps owner."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.config import AppConfig
    from harness.lab.android.device import AndroidDevice


def install(dev: AndroidDevice, app: AppConfig | None) -> None:
    """Placeholder until this part lands: the device runs without it."""
