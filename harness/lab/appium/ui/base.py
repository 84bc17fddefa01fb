"""What the WebDriver endpoint needs from a phone's UI model, and helpers both platforms share."""

from __future__ import annotations

import inspect
from typing import Any, Protocol

from harness.lab.appium._actions import Gesture
from harness.lab.appium.ui.tree import Node
from harness.lab.clock import Clock, sleep_device

__all__ = ["PhoneUI", "device_delay", "hit", "run_tap"]


class PhoneUI(Protocol):
    """One virtual phone as a UI automation driver sees it. Every method runs on the lab's loop."""

    platform: str  # "android" | "ios"
    udid: str  # appium:udid: the adb serial (Android) or the UDID (iOS)
    name: str  # the devices.toml name
    width: int  # screen size in the driver's units: pixels (UiAutomator2) or points (XCUITest)
    height: int
    scale: float  # screenshot pixels per unit
    caps: dict[str, Any]  # the session's capabilities (appPackage / bundleId …); set at session start

    @property
    def clock(self) -> Clock:
        """The phone's clock: an implicit wait on a virtual clock steps it (harness/lab/clock.py)."""
        ...

    def tree(self) -> Node:
        """The current screen, built from the device model's state now."""
        ...

    def reachable(self) -> bool:
        """Whether the driver can reach the phone's automation agent now (an iPhone's WebDriverAgent is reached
        through usbmuxd: not while the phone is off USB)."""
        ...

    def device_info(self) -> dict[str, Any]:
        """Capabilities a driver adds to the new-session reply (deviceName, platformVersion, …)."""
        ...

    async def start_session(self, caps: dict[str, Any]) -> None:
        """What the driver does at session start (``autoLaunch`` the app); raises WebDriverError."""
        ...

    async def tap(self, x: int, y: int) -> None: ...

    async def swipe(self, gesture: Gesture) -> None: ...

    async def mobile(self, command: str, args: dict[str, Any], *, relaxed: bool) -> Any:
        """A ``mobile:`` execute method (without the prefix); raises WebDriverError."""
        ...


async def run_tap(node: Node) -> None:
    if node.on_tap is not None:
        result = node.on_tap()
        if inspect.isawaitable(result):
            await result


def hit(root: Node, x: int, y: int) -> Node | None:
    """The element a touch at (x, y) lands on: the last-drawn clickable node containing the point."""
    found: Node | None = None
    for node in root.walk():
        if node.on_tap is not None and node.contains(x, y):
            found = node
    return found


async def device_delay(clock: Clock, seconds: float) -> None:
    """Wait ``seconds`` of the phone's time (the lab clock may run faster than the wall clock, or be virtual)."""
    if seconds > 0:
        await sleep_device(clock, seconds)
