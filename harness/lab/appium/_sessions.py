"""Sessions: which phone each one drives, its element references, timeouts, and who holds a phone.

Routing is by ``appium:udid`` as on an Appium server with several phones attached: UiAutomator2 looks the
udid up among ``adb devices`` (an unknown one fails with "Device <udid> was not in the list of connected
devices", appium-android-driver ``getDeviceInfoFromCaps``), XCUITest among real devices and simulators
("Unknown device or simulator UDID: '<udid>'"). Both are plain driver errors, which Appium 2 reports as
``unknown error`` 500. A phone already driven by another session is refused with ``session not created``
(the lab's rule: two sessions on one phone would fight over its screen; a real UiAutomator2 session would
instead kill the other one's instrumentation). ``newCommandTimeout`` (default 60 s, Appium's) ends a
session nobody talks to, so a crashed test does not keep its phone.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

from harness.lab.appium._caps import match_capabilities
from harness.lab.appium._errors import WebDriverError
from harness.lab.appium.ui.base import PhoneUI

__all__ = ["DRIVERS", "Session", "Sessions"]

DRIVERS = {("android", "uiautomator2"): "UiAutomator2", ("ios", "xcuitest"): "XCUITest"}
DEFAULT_NEW_COMMAND_TIMEOUT_S = 60.0


@dataclass
class Session:
    id: str
    ui: PhoneUI
    caps: dict[str, Any]
    elements: dict[str, str] = field(default_factory=dict)  # element id → node key
    implicit_s: float = 0.0
    idle_timeout_s: float = DEFAULT_NEW_COMMAND_TIMEOUT_S
    timer: asyncio.TimerHandle | None = None


class Sessions:
    def __init__(self, phones: list[PhoneUI]) -> None:
        self.phones = {phone.udid: phone for phone in phones}
        self.active: dict[str, Session] = {}

    def get(self, session_id: str) -> Session:
        session = self.active.get(session_id)
        if session is None:
            raise WebDriverError("invalid session id")
        if not session.ui.reachable():  # the driver's proxy to the agent fails [unverified: Appium's wording]
            raise WebDriverError("unknown error", "Could not proxy command to the remote server. "
                                 "Original error: socket hang up")
        self.touch(session)
        return session

    async def create(self, body: Any) -> Session:
        caps = match_capabilities(body)
        platform = str(caps["platformName"]).lower()
        automation = str(caps["automationName"])
        if (platform, automation.lower()) not in DRIVERS:
            raise WebDriverError("unknown error", f"Could not find a driver for automationName '{automation}' and "
                                 f"platformName '{caps['platformName']}'. Have you installed a driver that supports "
                                 "those capabilities? Run 'appium driver list --installed' to see. (Lower-level "
                                 "error: Could not find installed driver to support given caps)")
        ui = self._phone(platform, caps.get("udid"))
        holder = next((s for s in self.active.values() if s.ui is ui), None)
        if holder is not None:
            raise WebDriverError("session not created", f"The device '{ui.udid}' ({ui.name}) is in use by session "
                                 f"{holder.id}; end that session first (DELETE /session/{holder.id})")
        await ui.start_session(caps)
        reply = {**caps, **ui.device_info(), "udid": ui.udid}
        session = Session(str(uuid.uuid4()), ui, reply)
        timeout = caps.get("newCommandTimeout")
        if isinstance(timeout, (int, float)) and not isinstance(timeout, bool):
            session.idle_timeout_s = float(timeout)
        self.active[session.id] = session
        self.touch(session)
        return session

    def _phone(self, platform: str, udid: object) -> PhoneUI:
        candidates = [p for p in self.phones.values() if p.platform == platform]
        if udid is None:
            free = [p for p in candidates if not any(s.ui is p for s in self.active.values())]
            if free:
                return free[0]
            raise WebDriverError("session not created", f"No free {platform} device; pass appium:udid")
        phone = self.phones.get(str(udid))
        if phone is None or phone.platform != platform:
            if platform == "android":
                raise WebDriverError("unknown error", f"Device {udid} was not in the list of connected devices")
            raise WebDriverError("unknown error", f"Unknown device or simulator UDID: '{udid}'")
        return phone

    def delete(self, session_id: str) -> None:
        session = self.active.pop(session_id, None)
        if session is None:
            raise WebDriverError("invalid session id")
        if session.timer is not None:
            session.timer.cancel()

    def touch(self, session: Session) -> None:
        """Restart the session's ``newCommandTimeout`` (wall seconds, as Appium counts them; 0 = never)."""
        if session.timer is not None:
            session.timer.cancel()
            session.timer = None
        if session.idle_timeout_s > 0:
            loop = asyncio.get_running_loop()
            session.timer = loop.call_later(session.idle_timeout_s, self.active.pop, session.id, None)

    def close_all(self) -> None:
        for session in list(self.active.values()):
            if session.timer is not None:
                session.timer.cancel()
        self.active.clear()
