"""UI models of the virtual phones: the screens UiAutomator2 and XCUITest would see, and input on them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.lab.appium.ui.android import AndroidPhoneUI
from harness.lab.appium.ui.base import PhoneUI
from harness.lab.appium.ui.ios import IOSPhoneUI

if TYPE_CHECKING:
    from collections.abc import Iterable

    from harness.config import AppConfig
    from harness.lab.android.device import AndroidDevice
    from harness.lab.ios.device import VirtualIPhone

__all__ = ["AndroidPhoneUI", "IOSPhoneUI", "PhoneUI", "phone_uis"]


def phone_uis(android: Iterable[tuple[AndroidDevice, str]], iphones: Iterable[VirtualIPhone],
              app: AppConfig | None) -> list[PhoneUI]:
    """One UI per phone: Android phones with the adb serial they are served as, iPhones by UDID."""
    out: list[PhoneUI] = [AndroidPhoneUI(dev, app, serial) for dev, serial in android]
    out += [IOSPhoneUI(phone, app) for phone in iphones]
    return out
