"""Part activity of the OS model. Work in progress by the power owner."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice


def install(dev: AndroidDevice) -> None:
    """Placeholder until this part lands: the device runs without it."""
