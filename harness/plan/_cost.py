"""What a cell costs in device time, known before it runs.

A scenario declares its cost from the same windows its body waits on::

    @cost(lambda c: 2 * c.period(TASK) + 3 * c.ack)
    def test_x(android, timeline): ...

``c`` is a :class:`CostContext`: the app's task periods, the phone's platform and clock rate, the ack window
(``harness.plan.ack_window``). The harness adds the cell's own overhead (launches, dumpsys reads, Appium,
teardown), which is wall time: seconds on a real phone, a fraction of a second against the lab.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from harness.config import AppConfig, DeviceConfig
from harness.plan._windows import ack_window

__all__ = ["COST_MARKER", "DEFAULT_COST_S", "PROMPT_WALL_S", "REAL_REBOOT_S", "CostContext", "CostFn", "cost",
           "overhead_wall_s"]

COST_MARKER = "cost"
CostFn = Callable[["CostContext"], float]
F = TypeVar("F", bound=Callable[..., Any])

# A cell that declares no cost gets this much device time (and the plan says it was not declared).
DEFAULT_COST_S = 15 * 60.0
# Wall seconds a cell spends outside its windows: app launches, dumpsys reads, Appium gestures, teardown. A real
# phone answers adb in milliseconds but launches an app or drives a UI in seconds; the lab answers in milliseconds.
_OVERHEAD_WALL_S = {"real": 30.0, "lab": 5.0}
# An Appium session (the ``ui`` fixture): a real UiAutomator2 / XCUITest session starts in 10-30 s; the lab's in one.
_UI_SESSION_WALL_S = {"real": 30.0, "lab": 2.0}
# The UI driver waits this long (wall) for a system prompt (harness.ui's prompt_timeout_s): a cell that answers a
# prompt that may not come ("a phone that answered in an earlier run shows no prompt") can spend it.
PROMPT_WALL_S = 10.0
REAL_REBOOT_S = 120.0  # a real phone's reboot to sys.boot_completed (Pixel 8: ~40 s; slow OEM builds: ~90 s)


def overhead_wall_s(dev: DeviceConfig, uses_ui: bool = False) -> float:
    """Wall seconds of the cell's own work outside its windows (and its Appium session's start, if it has one)."""
    kind = "lab" if dev.lab else "real"
    return _OVERHEAD_WALL_S[kind] + (_UI_SESSION_WALL_S[kind] if uses_ui else 0.0)


@dataclass(frozen=True, slots=True)
class CostContext:
    """What a cost function sees: the app (its task periods), the phone's platform and its clock rate."""

    app: AppConfig
    device: DeviceConfig
    rate: float
    boot_s: float = REAL_REBOOT_S  # device seconds from a reboot to a booted phone

    @property
    def platform(self) -> str:
        return self.device.platform

    @property
    def ack(self) -> float:
        """The window for an action's own log line (``harness.plan.ack_window``)."""
        return ack_window(self.rate)

    @property
    def prompt(self) -> float:
        """Device seconds a wait for a system prompt that does not come costs (harness.ui's prompt timeout)."""
        return PROMPT_WALL_S * self.rate

    @property
    def reboot(self) -> float:
        """Device seconds from a reboot to a booted phone, with a minute of the ack window's kind on top."""
        return self.boot_s + self.ack

    def duration(self, task: str) -> float:
        """How long one run of the task takes (``duration_s`` in ``[app]``)."""
        known = {t.name: t for t in self.app.tasks}
        return known[task].duration_s if task in known else 60.0

    def period(self, task: str) -> float:
        """The task's interval in device seconds, from ``[app]`` (0 for a task ``[app]`` does not list: the cell
        skips itself then, and costs nothing but its overhead)."""
        known = {t.name: t for t in self.app.tasks}
        return known[task].interval_min * 60.0 if task in known else 0.0


def cost(device_s: CostFn) -> Callable[[F], F]:
    """Declare a scenario's device-time cost: ``@cost(lambda c: 2 * c.period("sync-orders") + c.ack)``."""
    import pytest  # noqa: PLC0415 - only scenarios call this: harness.logs (which reads the ack window) stays free of pytest

    return pytest.mark.cost(device_s=device_s)
