"""Lab iPhones on a USB hub: what a port's mode does to the phone on it.

A farm iPhone hangs off a hub port (Cambrionix's modes, Hub API manual §14.3): ``s`` sync + charge (on the host's
USB: usbmuxd lists it, and it charges), ``c`` charge only (powered, no data link: usbmuxd does not list it), ``o``
off (neither: it runs on battery). A phone is on usbmuxd's list only while it is booted and its port carries data,
so a reboot and a port switch combine as they do on a real cable. WebDriverAgent is reached through usbmuxd as well:
the Appium endpoint refuses a phone without a data link.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from harness.lab.hub import CambrionixHub, UsbDevice
from harness.lab.ios import UsbmuxdServer, VirtualIPhone
from harness.lab.ios.os import IOSModel

__all__ = ["APPLE_VID", "IPHONE_PID", "UsbCable", "plug_iphones"]

APPLE_VID = 0x05AC
IPHONE_PID = 0x12A8  # the iPhone's USB product id (usbmuxd's udev rules match 0x05ac:0x12[9a]*)


class UsbCable:
    """One phone's cable to its hub port."""

    def __init__(self, phone: VirtualIPhone, server: UsbmuxdServer) -> None:
        self.phone, self.server = phone, server
        self.booted, self.mode = True, "s"
        phone.charging = True

    def power(self, up: bool) -> None:
        """The phone went down for a reboot (False) or came back (True)."""
        self.booted = up
        self._apply()

    def port_mode(self, mode: str) -> None:
        self.mode = mode
        self.phone.charging = mode != "o"
        self._apply()

    def _apply(self) -> None:
        self.phone.usb_linked = self.booted and self.mode == "s"
        if self.phone.usb_linked:
            self.server.attach(self.phone)
        else:
            self.server.detach(self.phone)


def plug_iphones(phones: Sequence[VirtualIPhone], server: UsbmuxdServer, hub: CambrionixHub,
                 boot_delay_s: float) -> dict[int, UsbCable]:
    """Each phone on its own port (1, 2, … in devices.toml order), in sync mode."""
    cables: dict[int, UsbCable] = {}
    for number, phone in enumerate(phones, start=1):
        cable = cables[number] = UsbCable(phone, server)
        if isinstance(phone.system, IOSModel):
            phone.system.boot_s = boot_delay_s
            phone.system.add_power_listener(cable.power)
        hub.plug(number, UsbDevice(APPLE_VID, IPHONE_PID, "Apple Inc.", "iPhone", phone.udid.replace("-", ""),
                                   battery=partial(_battery, phone)))

    def on_mode(port: int, mode: str) -> None:
        cable = cables.get(port)
        if cable is not None:
            cable.port_mode(mode)

    hub.add_listener(on_mode)
    return cables


def _battery(phone: VirtualIPhone) -> tuple[int, bool]:
    """(level, charging) as the phone reports them (lockdown's BatteryIsCharging: not at 100 %)."""
    return phone.battery_level, phone.charging and phone.battery_level < 100
