"""A virtual Cambrionix smart hub: per-port power/data modes, the readings the hub reports and its API keys.

Pure model: no sockets, no asyncio. ``rpc.CambrionixService`` puts the JSON-RPC methods in front of it and
``server.HubServer`` the TCP socket.

Port modes (Cambrionix Hub API manual §14.3, ``Port.N.mode``): ``s`` sync + charge (the host sees the
device on USB and it is powered), ``c`` charge only (powered, no USB data link), ``b`` biased (treated like
``c`` here), ``o`` off (no power, no data). Only a port in ``s`` has a USB data link, so only its device is
USB-visible: ``cbrx_find`` lists it and ``Port.N.SerialNumber`` etc. carry its strings (manual §5.22, §14.2).

``Port.N.Flags`` (manual §14.2) is space-separated letters: ``A`` attached / ``D`` detached, then exactly one
mode letter: ``O`` off, ``S`` sync, ``B`` biased, or in charge mode ``I`` idle (nothing drawing), ``C``
charging, ``F`` finished. The manual's examples read ``R D S`` / ``R A S`` (``R``: the hub was rebooted; our
hub reports ``Rebooted: false`` and so no ``R``). The order for an off port (``D O``) follows those examples
[unverified: no captured off-port output].
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "COULD_NOT_SET",
    "DEVICE_NOT_FOUND",
    "HUB_NOT_FOUND",
    "ID_NOT_FOUND",
    "INVALID_HANDLE",
    "INVALID_PARAMS",
    "INVALID_REQUEST",
    "KEY_NOT_FOUND",
    "METHOD_NOT_FOUND",
    "MODES",
    "PARSE_ERROR",
    "CambrionixHub",
    "CbrxError",
    "ModeListener",
    "UsbDevice",
    "find_text",
]

MODES = ("s", "c", "b", "o")

# JSON-RPC 2.0's own codes (Cambrionix Hub API manual §18, after the JSON-RPC 2.0 specification).
PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS = -32700, -32600, -32601, -32602
# CBRXAPI codes (Cambrionix Hub API manual §18).
ID_NOT_FOUND, KEY_NOT_FOUND, COULD_NOT_SET, INVALID_HANDLE = -10001, -10003, -10004, -10005
DEVICE_NOT_FOUND, HUB_NOT_FOUND = -10012, -10013
MESSAGES = {
    PARSE_ERROR: "Parse error", INVALID_REQUEST: "Invalid Request", METHOD_NOT_FOUND: "Method not found",
    INVALID_PARAMS: "Invalid params", ID_NOT_FOUND: "ID not found", KEY_NOT_FOUND: "Key not found",
    COULD_NOT_SET: "Could not set value", INVALID_HANDLE: "Invalid handle", DEVICE_NOT_FOUND: "Device not found",
    HUB_NOT_FOUND: "Hub not found",
}

# What a phone draws on a port [unverified: plausible figures, not a capture]: ~850 mA while its battery
# charges, a trickle once full, nothing when the port is off or empty.
_CHARGING_MA, _FULL_MA = 850, 90
_VOLTS = 5.0
_APPLE_VID = 0x05AC  # 1452
_FIND_SEPARATOR = "\x1d"  # cbrx_find matches "<manufacturer>\x1D<description>\x1D<serial>" (manual §5.22)

ModeListener = Callable[[int, str], None]


class CbrxError(Exception):
    """A JSON-RPC error the API answers with: ``code`` and the manual's message for it."""

    def __init__(self, code: int, detail: str = "") -> None:
        self.code = code
        self.message = MESSAGES.get(code, "Error")
        super().__init__(f"{self.message} ({code}){': ' + detail if detail else ''}")


@dataclass
class UsbDevice:
    """A USB device on a hub port; ``battery`` (level %, charging?) is what the phone itself reports."""

    vid: int
    pid: int
    manufacturer: str
    description: str
    serial: str
    battery: Callable[[], tuple[int, bool]] | None = None

    def full(self) -> bool:
        """Not drawing charge current: the phone says it is not charging (e.g. at 100 %)."""
        return self.battery is not None and not self.battery()[1]


@dataclass
class _Port:
    number: int
    mode: str = "s"  # a farm hub's ports are in sync + charge, the phones on USB
    device: UsbDevice | None = None
    powered_since: float | None = None  # when the port started powering its device


class CambrionixHub:
    """One hub: ``ports`` ports numbered 1..ports, all in sync mode and empty until ``plug``."""

    def __init__(self, serial: str, *, hardware: str = "SuperSync15", ports: int = 15, firmware: str = "1.88.0",
                 serial_port: str = "/dev/ttyUSB0", now: Callable[[], float] = time.monotonic) -> None:
        self.serial, self.hardware, self.firmware, self.serial_port = serial, hardware, firmware, serial_port
        self.now = now
        self.started = now()
        self._ports = {n: _Port(n) for n in range(1, ports + 1)}
        self._listeners: list[ModeListener] = []

    # -- the lab's side: cables and listeners ---------------------------------------------------
    @property
    def nr_of_ports(self) -> int:
        return len(self._ports)

    def plug(self, port: int, device: UsbDevice) -> None:
        p = self._port(port, ValueError)
        p.device = device
        p.powered_since = self.now() if p.mode != "o" else None

    def unplug(self, port: int) -> UsbDevice | None:
        p = self._port(port, ValueError)
        device, p.device, p.powered_since = p.device, None, None
        return device

    def device(self, port: int) -> UsbDevice | None:
        return self._port(port, ValueError).device

    def mode(self, port: int) -> str:
        return self._port(port, ValueError).mode

    def visible(self, port: int) -> bool:
        """The host sees the port's device on USB: something plugged in and the port in sync mode."""
        p = self._port(port, ValueError)
        return p.device is not None and p.mode == "s"

    def powered(self, port: int) -> bool:
        return self._port(port, ValueError).mode != "o"

    def add_listener(self, listener: ModeListener) -> None:
        """``listener(port, new_mode)`` after every change of a port's mode (not when set to the same mode)."""
        self._listeners.append(listener)

    def set_mode(self, port: int, mode: str) -> None:
        p = self._port(port, ValueError)
        if mode not in MODES:
            raise CbrxError(COULD_NOT_SET, f"mode {mode!r} is not one of {', '.join(MODES)}")
        if mode == p.mode:
            return
        was_off, p.mode = p.mode == "o", mode
        if mode == "o":
            p.powered_since = None
        elif was_off and p.device is not None:
            p.powered_since = self.now()
        for listener in list(self._listeners):
            listener(port, mode)

    # -- the API's keys (manual §14.2 get, §14.3 set; names match case-insensitively) ------------
    def get(self, key: str) -> Any:
        k = key.lower()
        hub_values: dict[str, Callable[[], Any]] = {
            "nrofports": lambda: self.nr_of_ports, "hardware": lambda: self.hardware,
            "firmware": lambda: self.firmware, "serialnumber": lambda: self.serial,
            "uptime_sec": self.uptime_s, "portsinfo": self.ports_info,
        }
        if k in hub_values:
            return hub_values[k]()
        if m := re.fullmatch(r"portinfo\.(\d+)", k):
            return self.port_info(self._port(int(m[1]), KEY_NOT_FOUND).number)
        if m := re.fullmatch(r"port\.(\d+)\.(\w+)", k):
            p = self._port(int(m[1]), KEY_NOT_FOUND)
            reading = self._port_readings(p).get(m[2])
            if reading is not None:
                return reading()
        raise CbrxError(KEY_NOT_FOUND, key)

    def set(self, key: str, value: object) -> None:
        k = key.lower()
        if not isinstance(value, str) or value not in MODES:
            raise CbrxError(COULD_NOT_SET, f"{key} = {value!r}")
        if k == "mode":  # every port at once
            for number in self._ports:
                self.set_mode(number, value)
            return
        if m := re.fullmatch(r"port\.(\d+)\.mode", k):
            self.set_mode(self._port(int(m[1]), COULD_NOT_SET).number, value)
            return
        raise CbrxError(COULD_NOT_SET, key)

    def get_keys(self) -> list[str]:
        keys = ["nrOfPorts", "Hardware", "Firmware", "SerialNumber", "Uptime_sec", "PortsInfo"]
        fields = ("Mode", "Flags", "Current_mA", "TimeCharging_sec", "Energy_Wh", "SerialNumber", "Manufacturer",
                  "Description", "VID", "PID")
        for n in self._ports:
            keys += [f"PortInfo.{n}", *(f"Port.{n}.{f}" for f in fields)]
        return keys

    def set_keys(self) -> list[str]:
        return ["Mode", *(f"Port.{n}.mode" for n in self._ports)]

    # -- readings ------------------------------------------------------------------------------
    def uptime_s(self) -> int:
        return int(self.now() - self.started)

    def flags(self, port: int) -> str:
        p = self._port(port, ValueError)
        attached = "A" if p.device is not None and p.mode != "o" else "D"  # an unpowered port detects nothing
        return f"{attached} {self._mode_letter(p)}"

    def current_ma(self, port: int) -> int:
        p = self._port(port, ValueError)
        if p.device is None or p.mode == "o":
            return 0
        return _FULL_MA if p.device.full() else _CHARGING_MA

    def time_charging_s(self, port: int) -> int:
        since = self._port(port, ValueError).powered_since
        return 0 if since is None else int(self.now() - since)

    def energy_wh(self, port: int) -> float:
        # [unverified model] 5 V at the present current over the whole time on charge.
        return round(_VOLTS * self.current_ma(port) / 1000 * self.time_charging_s(port) / 3600, 3)

    def port_info(self, port: int) -> dict[str, Any]:
        usb = self._usb(port)
        return {"Port": port, "USBVersion": 2.0, "Current_mA": self.current_ma(port), "Flags": self.flags(port),
                "VID": usb.vid if usb else 0, "PID": usb.pid if usb else 0,
                "Manufacturer": usb.manufacturer if usb else "", "Description": usb.description if usb else "",
                "SerialNumber": usb.serial if usb else ""}

    def ports_info(self) -> dict[str, dict[str, Any]]:
        return {f"Port.{n}": self.port_info(n) for n in self._ports}

    def describe(self) -> dict[str, Any]:
        """This hub's entry in ``cbrx_discover("all")`` (manual §5.3)."""
        return {"Status": "active", "Manufacturer": "cambrionix", "Firmware": self.firmware, "Bootloader": "0.21",
                "SerialNumber": self.serial, "Group": "-", "FormFactor": "un", "PanelID": 48,
                "Hardware": self.hardware, "HostSerialPort": self.serial_port, "USBVersion": 2.1,
                "nrOfPorts": self.nr_of_ports, "ExtPSU": True, "Uptime_sec": self.uptime_s(), "Rebooted": False,
                "SyncSupported": True, "FiveVolt": True, "TwelveVolt": True, "TemperatureMonitoring": True,
                "HardwareFlags": "SLET", "Devices": {}}

    def find(self, match: Callable[[UsbDevice], bool]) -> dict[str, dict[str, Any]]:
        """``cbrx_find`` entries (manual §5.22) for the USB-visible devices ``match`` accepts, by USB serial."""
        found: dict[str, dict[str, Any]] = {}
        for n, p in self._ports.items():
            if p.device is not None and self.visible(n) and match(p.device):
                found[p.device.serial] = {"HostDevice": self.serial, "HostPort": n, "HostDescription": self.hardware,
                                          "HostSerial": self.serial_port, "Device": _device_entry(p.device)}
        return found

    # -- internals -----------------------------------------------------------------------------
    def _port(self, number: int, missing: int | type[Exception]) -> _Port:
        p = self._ports.get(number)
        if p is not None:
            return p
        if isinstance(missing, int):
            raise CbrxError(missing, f"no port {number} (ports are 1..{self.nr_of_ports})")
        raise missing(f"hub {self.serial} has no port {number} (ports are 1..{self.nr_of_ports})")

    def _usb(self, port: int) -> UsbDevice | None:
        return self._ports[port].device if self.visible(port) else None

    def _mode_letter(self, p: _Port) -> str:
        if p.mode != "c":
            return p.mode.upper()
        if p.device is None:
            return "I"
        return "F" if p.device.full() else "C"

    def _port_readings(self, p: _Port) -> dict[str, Callable[[], Any]]:
        n = p.number

        def usb(field: str, empty: Any) -> Callable[[], Any]:
            return lambda: getattr(self._usb(n), field, empty)

        return {"mode": lambda: p.mode, "flags": lambda: self.flags(n), "current_ma": lambda: self.current_ma(n),
                "timecharging_sec": lambda: self.time_charging_s(n), "energy_wh": lambda: self.energy_wh(n),
                "serialnumber": usb("serial", ""), "manufacturer": usb("manufacturer", ""),
                "description": usb("description", ""), "vid": usb("vid", 0), "pid": usb("pid", 0)}


def find_text(device: UsbDevice) -> str:
    """What a ``cbrx_find`` regex is searched in (manual §5.22)."""
    return _FIND_SEPARATOR.join((device.manufacturer, device.description, device.serial))


def _device_entry(device: UsbDevice) -> dict[str, Any]:
    entry: dict[str, Any] = {"VID": device.vid, "PID": device.pid, "Manufacturer": device.manufacturer,
                             "Description": device.description, "SerialNumber": device.serial,
                             "DeviceType": "Apple" if device.vid == _APPLE_VID else "Unknown", "USBVersion": 2}
    if device.battery is not None:  # [unverified] iOS devices only: the service reads it over lockdown
        level, charging = device.battery()
        entry["Battery"] = {"TrustLevel": "paired", "CurrentLevel": level,
                            "ChargingStatus": "charging" if charging else "full"}
    return entry
