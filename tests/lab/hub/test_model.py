"""The virtual Cambrionix hub and its API methods, request by request (Cambrionix Hub API manual v3.9).

Each case is a parsed JSON-RPC request in and the response object out, as ``CambrionixApiService`` answers
it: the keys, the flags a port shows in each mode, which devices a host sees (only ports in sync mode carry
USB data), connection handles and their expiry, and the JSON-RPC and CBRXAPI error codes. A failure means
the lab's hub answers something a real hub would not, so the harness's USB power control would be tested
against the wrong thing.
"""

from __future__ import annotations

from typing import Any

import pytest

from harness.lab.hub import CambrionixHub, CambrionixService, UsbDevice

HUB = "DB0074F5"
UDID = "00008101001A2B3C4D5E001E"  # an iPhone's USB serial: its UDID without the dash
DISK = "4C530001230516117431"


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


class Battery:
    def __init__(self, level: int = 57, charging: bool = True) -> None:
        self.level, self.charging = level, charging

    def __call__(self) -> tuple[int, bool]:
        return self.level, self.charging


class Lab:
    """One hub: an iPhone on port 1, a USB stick on port 2, ports 3..15 empty."""

    def __init__(self) -> None:
        self.clock = Clock()
        self.battery = Battery()
        self.hub = CambrionixHub(HUB, now=self.clock)
        self.hub.plug(1, UsbDevice(1452, 4776, "Apple Inc.", "iPhone", UDID, battery=self.battery))
        self.hub.plug(2, UsbDevice(0x0781, 0x5567, "SanDisk", "Cruzer Blade", DISK))
        self.service = CambrionixService([self.hub], now=self.clock)
        self.changes: list[tuple[int, str]] = []
        self.hub.add_listener(lambda port, mode: self.changes.append((port, mode)))
        self._id = 0

    def reply(self, method: str, *params: Any) -> dict[str, Any]:
        self._id += 1
        response = self.service.handle({"jsonrpc": "2.0", "id": self._id, "method": method, "params": list(params)})
        assert response is not None
        assert response["jsonrpc"] == "2.0" and response["id"] == self._id
        return response

    def call(self, method: str, *params: Any) -> Any:
        response = self.reply(method, *params)
        assert "error" not in response, response
        return response["result"]

    def error(self, method: str, *params: Any) -> int:
        response = self.reply(method, *params)
        assert "result" not in response, response
        code: int = response["error"]["code"]
        return code

    def handle(self) -> int:
        handle: int = self.call("cbrx_connection_open", HUB)
        return handle

    def get(self, key: str) -> Any:
        return self.call("cbrx_hub_get", HUB, key)

    def set(self, key: str, value: Any) -> None:
        assert self.call("cbrx_hub_set", HUB, key, value) is True


@pytest.fixture
def lab() -> Lab:
    return Lab()


IPHONE_FOUND = {UDID: {"HostDevice": HUB, "HostPort": 1, "HostDescription": "SuperSync15",
                       "HostSerial": "/dev/ttyUSB0",
                       "Device": {"VID": 1452, "PID": 4776, "Manufacturer": "Apple Inc.", "Description": "iPhone",
                                  "SerialNumber": UDID, "DeviceType": "Apple", "USBVersion": 2,
                                  "Battery": {"TrustLevel": "paired", "CurrentLevel": 57,
                                              "ChargingStatus": "charging"}}}}


# -- JSON-RPC envelope ---------------------------------------------------------------------------
@pytest.mark.parametrize(("request_", "reply_id"), [
    (1, None),
    ("cbrx_discover", None),
    ([{"jsonrpc": "2.0", "id": 1, "method": "cbrx_apiversion"}], None),
    ({"id": 4, "method": "cbrx_apiversion"}, 4),
    ({"jsonrpc": "1.0", "id": 5, "method": "cbrx_apiversion"}, 5),
    ({"jsonrpc": "2.0", "id": 6, "method": 7}, 6),
    ({"jsonrpc": "2.0", "id": 8}, 8),
    ({"jsonrpc": "2.0", "id": {"n": 1}, "method": "cbrx_apiversion"}, None),
    ({"jsonrpc": "2.0", "id": True, "method": "cbrx_apiversion"}, None),
])
def test_a_malformed_request_is_an_invalid_request(lab: Lab, request_: object, reply_id: object) -> None:
    assert lab.service.handle(request_) == {"jsonrpc": "2.0", "id": reply_id,
                                            "error": {"code": -32600, "message": "Invalid Request"}}


@pytest.mark.parametrize(("method", "params", "code", "message"), [
    ("cbrx_nope", [], -32601, "Method not found"),
    ("cbrx_apiversion", {"a": 1}, -32602, "Invalid params"),
    ("cbrx_apiversion", [1], -32602, "Invalid params"),
    ("cbrx_discover", [], -32602, "Invalid params"),
    ("cbrx_discover", ["nearby"], -32602, "Invalid params"),
    ("cbrx_discover", [1], -32602, "Invalid params"),
    ("cbrx_connection_open", [HUB, "remote"], -32602, "Invalid params"),
    ("cbrx_connection_open", ["NOTAHUB"], -10001, "ID not found"),
    ("cbrx_connection_open", [UDID], -10001, "ID not found"),
    ("cbrx_discover_id_to_os_reference", ["NOTAHUB"], -10001, "ID not found"),
    ("cbrx_hub_get", ["NOTAHUB", "nrOfPorts"], -10001, "ID not found"),
    ("cbrx_hub_set", ["NOTAHUB", "Port.1.mode", "o"], -10001, "ID not found"),
    ("cbrx_connection_get", [4242, "nrOfPorts"], -10005, "Invalid handle"),
    ("cbrx_connection_close", [4242], -10005, "Invalid handle"),
    ("cbrx_connection_get", ["7654", "nrOfPorts"], -32602, "Invalid params"),
    ("cbrx_find", ["("], -32602, "Invalid params"),
    ("cbrx_find", [1452, "x"], -32602, "Invalid params"),
])
def test_errors_carry_the_code_the_manual_lists(lab: Lab, method: str, params: object, code: int,
                                                message: str) -> None:
    response = lab.service.handle({"jsonrpc": "2.0", "id": "q1", "method": method, "params": params})
    assert response == {"jsonrpc": "2.0", "id": "q1", "error": {"code": code, "message": message}}


def test_params_may_be_left_out_and_ids_are_echoed_as_sent(lab: Lab) -> None:
    assert lab.service.handle({"jsonrpc": "2.0", "id": "abc", "method": "cbrx_apiversion"}) == {
        "jsonrpc": "2.0", "id": "abc", "result": [3, 9]}
    assert lab.service.handle({"jsonrpc": "2.0", "id": None, "method": "cbrx_apiversion"}) == {
        "jsonrpc": "2.0", "id": None, "result": [3, 9]}


def test_a_notification_is_carried_out_without_a_reply(lab: Lab) -> None:
    assert lab.service.handle({"jsonrpc": "2.0", "method": "cbrx_hub_set", "params": [HUB, "Port.1.mode", "o"]}) \
        is None
    assert lab.hub.mode(1) == "o"
    assert lab.service.handle({"jsonrpc": "2.0", "method": "cbrx_nope"}) is None
    assert lab.service.handle({"jsonrpc": "2.0", "method": "cbrx_hub_get", "params": ["NOTAHUB", "x"]}) is None


def test_a_service_of_one_hub_lists_only_it(lab: Lab) -> None:
    service = CambrionixService([lab.hub], now=lab.hub.now)
    assert service.handle({"jsonrpc": "2.0", "id": 1, "method": "cbrx_discover", "params": ["local"]}) == {
        "jsonrpc": "2.0", "id": 1, "result": [HUB]}


# -- service and discovery -----------------------------------------------------------------------
def test_api_version_and_details(lab: Lab) -> None:
    assert lab.call("cbrx_apiversion") == [3, 9]
    details = lab.call("cbrx_apidetails")
    assert details["version"][:3] == [3, 9, 0]
    assert details["semver"] == f"3.9.0+{details['version'][3]}"


def test_discover_lists_the_hub_with_its_details(lab: Lab) -> None:
    lab.clock.t += 321.7
    assert lab.call("cbrx_discover", "local") == [HUB]
    assert lab.call("cbrx_discover", "all") == {HUB: {
        "Status": "active", "Manufacturer": "cambrionix", "Firmware": "1.88.0", "Bootloader": "0.21",
        "SerialNumber": HUB, "Group": "-", "FormFactor": "un", "PanelID": 48, "Hardware": "SuperSync15",
        "HostSerialPort": "/dev/ttyUSB0", "USBVersion": 2.1, "nrOfPorts": 15, "ExtPSU": True, "Uptime_sec": 321,
        "Rebooted": False, "SyncSupported": True, "FiveVolt": True, "TwelveVolt": True,
        "TemperatureMonitoring": True, "HardwareFlags": "SLET", "Devices": {}}}
    assert lab.call("cbrx_discover_id_to_os_reference", HUB) == "/dev/ttyUSB0"


def test_a_service_with_two_hubs_lists_and_searches_both() -> None:
    first, second = CambrionixHub("HUBONE01"), CambrionixHub("HUBTWO02", ports=8, serial_port="/dev/ttyUSB1")
    second.plug(8, UsbDevice(1452, 4776, "Apple Inc.", "iPhone", UDID))
    service = CambrionixService([first, second])
    reply = service.handle({"jsonrpc": "2.0", "id": 1, "method": "cbrx_discover", "params": ["local"]})
    assert reply is not None and reply["result"] == ["HUBONE01", "HUBTWO02"]
    reply = service.handle({"jsonrpc": "2.0", "id": 2, "method": "cbrx_find", "params": ["iPhone"]})
    assert reply is not None
    assert {k: (v["HostDevice"], v["HostPort"], v["HostSerial"]) for k, v in reply["result"].items()} == {
        UDID: ("HUBTWO02", 8, "/dev/ttyUSB1")}
    assert "Battery" not in reply["result"][UDID]["Device"]  # no battery callback: nothing to report


# -- handles -------------------------------------------------------------------------------------
def test_handles_count_up_and_close(lab: Lab) -> None:
    first, second = lab.handle(), lab.call("cbrx_connection_open", HUB, "local")
    assert (first, second) == (7654, 7655)
    assert lab.call("cbrx_connection_get", first, "SerialNumber") == HUB
    assert lab.call("cbrx_connection_close", first) is True
    assert lab.error("cbrx_connection_get", first, "SerialNumber") == -10005
    assert lab.error("cbrx_connection_close", first) == -10005
    assert lab.call("cbrx_connection_get", second, "nrOfPorts") == 15


def test_a_handle_unused_for_a_minute_is_closed(lab: Lab) -> None:
    handle = lab.handle()
    for _ in range(3):  # every use restarts the minute
        lab.clock.t += 59
        assert lab.call("cbrx_connection_get", handle, "Port.1.Mode") == "s"
    lab.clock.t += 60
    assert lab.error("cbrx_connection_set", handle, "Port.1.mode", "o") == -10005
    assert lab.hub.mode(1) == "s"
    assert lab.service.open_handles == []


def test_the_dictionaries_list_every_key(lab: Lab) -> None:
    handle = lab.handle()
    get_keys = lab.call("cbrx_connection_getdictionary", handle)
    for key in ("nrOfPorts", "Hardware", "Firmware", "SerialNumber", "Uptime_sec", "PortsInfo", "PortInfo.15",
                "Port.1.Mode", "Port.1.Flags", "Port.1.Current_mA", "Port.1.TimeCharging_sec", "Port.1.Energy_Wh",
                "Port.15.SerialNumber", "Port.15.Manufacturer", "Port.15.Description", "Port.15.VID", "Port.15.PID"):
        assert key in get_keys
        lab.call("cbrx_connection_get", handle, key)  # every listed key can be read
    set_keys = lab.call("cbrx_connection_setdictionary", handle)
    assert set_keys == ["Mode", *(f"Port.{n}.mode" for n in range(1, 16))]


# -- keys ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("key", "value"), [
    ("nrOfPorts", 15), ("NROFPORTS", 15), ("Hardware", "SuperSync15"), ("Firmware", "1.88.0"),
    ("SerialNumber", HUB), ("serialnumber", HUB), ("Uptime_sec", 0),
    ("Port.1.mode", "s"), ("Port.1.Mode", "s"), ("PORT.1.MODE", "s"), ("Port.1.Flags", "A S"),
    ("Port.1.Current_mA", 850), ("Port.1.TimeCharging_sec", 0), ("Port.1.Energy_Wh", 0.0),
    ("Port.1.SerialNumber", UDID), ("Port.1.Manufacturer", "Apple Inc."), ("Port.1.Description", "iPhone"),
    ("Port.1.VID", 1452), ("Port.1.PID", 4776), ("Port.2.Description", "Cruzer Blade"),
    ("Port.3.Flags", "D S"), ("Port.3.Current_mA", 0), ("Port.3.SerialNumber", ""), ("Port.3.VID", 0),
    ("Port.15.Mode", "s"),
    ("PortInfo.1", {"Port": 1, "USBVersion": 2.0, "Current_mA": 850, "Flags": "A S", "VID": 1452, "PID": 4776,
                    "Manufacturer": "Apple Inc.", "Description": "iPhone", "SerialNumber": UDID}),
    ("portinfo.3", {"Port": 3, "USBVersion": 2.0, "Current_mA": 0, "Flags": "D S", "VID": 0, "PID": 0,
                    "Manufacturer": "", "Description": "", "SerialNumber": ""}),
])
def test_get_reads_keys_case_insensitively(lab: Lab, key: str, value: Any) -> None:
    assert lab.call("cbrx_connection_get", lab.handle(), key) == value
    assert lab.get(key) == value


@pytest.mark.parametrize("key", ["Port.0.Mode", "Port.16.Mode", "Port.1.Colour", "PortInfo.0", "PortInfo.16",
                                 "Bogus", "Mode", "Port.1", ""])
def test_get_of_an_unknown_key_is_key_not_found(lab: Lab, key: str) -> None:
    assert lab.error("cbrx_connection_get", lab.handle(), key) == -10003
    assert lab.error("cbrx_hub_get", HUB, key) == -10003


def test_ports_info_has_every_port(lab: Lab) -> None:
    info = lab.get("PortsInfo")
    assert list(info) == [f"Port.{n}" for n in range(1, 16)]
    assert info["Port.2"]["SerialNumber"] == DISK
    assert info["Port.1"] == lab.get("PortInfo.1")


@pytest.mark.parametrize(("key", "value"), [
    ("Port.16.mode", "s"), ("Port.0.mode", "o"), ("Port.1.mode", "x"), ("Port.1.mode", "S"),
    ("Port.1.mode", 1), ("Port.1.mode", None), ("Port.1.Flags", "s"), ("nrOfPorts", "s"), ("Mode", "q"),
])
def test_set_of_a_bad_key_or_value_could_not_set(lab: Lab, key: str, value: Any) -> None:
    assert lab.error("cbrx_connection_set", lab.handle(), key, value) == -10004
    assert lab.error("cbrx_hub_set", HUB, key, value) == -10004
    assert [lab.hub.mode(n) for n in range(1, 16)] == ["s"] * 15


@pytest.mark.parametrize("key", ["Port.1.mode", "Port.1.Mode", "port.1.MODE"])
def test_set_switches_a_port_and_tells_the_listeners(lab: Lab, key: str) -> None:
    handle = lab.handle()
    assert lab.call("cbrx_connection_set", handle, key, "o") is True
    assert lab.call("cbrx_connection_get", handle, "Port.1.Mode") == "o"
    assert lab.changes == [(1, "o")]
    lab.call("cbrx_connection_set", handle, key, "o")  # already off: nothing changes, nobody is told
    lab.call("cbrx_connection_set", handle, key, "s")
    assert lab.changes == [(1, "o"), (1, "s")]


def test_mode_switches_every_port(lab: Lab) -> None:
    lab.set("Port.3.mode", "o")
    lab.changes.clear()
    lab.set("Mode", "o")
    assert lab.changes == [(n, "o") for n in range(1, 16) if n != 3]
    assert [lab.get(f"Port.{n}.Mode") for n in range(1, 16)] == ["o"] * 15


# -- what each mode does -------------------------------------------------------------------------
@pytest.mark.parametrize(("port", "mode", "full", "flags", "current_ma", "usb_serial"), [
    (1, "s", False, "A S", 850, UDID),
    (1, "s", True, "A S", 90, UDID),
    (1, "c", False, "A C", 850, ""),
    (1, "c", True, "A F", 90, ""),
    (1, "b", False, "A B", 850, ""),
    (1, "o", False, "D O", 0, ""),
    (3, "s", False, "D S", 0, ""),
    (3, "c", False, "D I", 0, ""),
    (3, "b", False, "D B", 0, ""),
    (3, "o", False, "D O", 0, ""),
])
def test_flags_current_and_usb_strings_follow_the_mode(lab: Lab, port: int, mode: str, full: bool, flags: str,
                                                       current_ma: int, usb_serial: str) -> None:
    """Only sync mode has a data link (the host sees the device); off has no power (nothing is detected)."""
    lab.battery.level, lab.battery.charging = (100, False) if full else (57, True)
    lab.set(f"Port.{port}.mode", mode)
    assert lab.get(f"Port.{port}.Flags") == flags
    assert lab.get(f"Port.{port}.Current_mA") == current_ma
    assert lab.get(f"Port.{port}.SerialNumber") == usb_serial
    info = lab.get(f"PortInfo.{port}")
    assert (info["Flags"], info["Current_mA"], info["SerialNumber"]) == (flags, current_ma, usb_serial)
    assert info["VID"] == (1452 if usb_serial else 0)
    assert lab.hub.visible(port) is bool(usb_serial)
    assert lab.hub.powered(port) is (mode != "o")


def test_time_and_energy_count_while_the_port_powers_the_device(lab: Lab) -> None:
    lab.clock.t += 3600
    assert lab.get("Port.1.TimeCharging_sec") == 3600
    assert lab.get("Port.1.Energy_Wh") == 4.25  # 5 V x 0.85 A x 1 h
    lab.set("Port.1.mode", "c")  # still powered: the count goes on
    assert lab.get("Port.1.TimeCharging_sec") == 3600
    lab.set("Port.1.mode", "o")
    assert (lab.get("Port.1.TimeCharging_sec"), lab.get("Port.1.Energy_Wh")) == (0, 0.0)
    lab.clock.t += 100
    lab.set("Port.1.mode", "s")
    lab.clock.t += 30
    assert lab.get("Port.1.TimeCharging_sec") == 30
    assert lab.get("Port.3.TimeCharging_sec") == 0


# -- cbrx_find -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("params", "found"), [
    (["iPhone"], [UDID]),
    (["^Apple Inc\\.\x1diPhone\x1d"], [UDID]),
    ([UDID], [UDID]),
    (["001A2B3C"], [UDID]),
    (["SanDisk|Apple"], [UDID, DISK]),
    (["\x1d"], [UDID, DISK]),
    (["iphone"], []),  # a regular expression, matched as written
    (["Galaxy"], []),
    ([1452], [UDID]),
    ([0x0781], [DISK]),
    ([1452, 4776], [UDID]),
    ([1452, 4777], []),
])
def test_find_matches_usb_visible_devices(lab: Lab, params: list[Any], found: list[str]) -> None:
    assert sorted(lab.call("cbrx_find", *params)) == sorted(found)


def test_find_describes_the_device_and_its_port(lab: Lab) -> None:
    assert lab.call("cbrx_find", "iPhone") == IPHONE_FOUND
    lab.battery.level, lab.battery.charging = 100, False
    battery = lab.call("cbrx_find", "iPhone")[UDID]["Device"]["Battery"]
    assert battery == {"TrustLevel": "paired", "CurrentLevel": 100, "ChargingStatus": "full"}


@pytest.mark.parametrize("mode", ["c", "b", "o"])
def test_find_does_not_see_a_port_without_data(lab: Lab, mode: str) -> None:
    lab.set("Port.1.mode", mode)
    assert lab.call("cbrx_find", "iPhone") == {}
    assert lab.call("cbrx_find", "Apple|SanDisk") == {DISK: lab.call("cbrx_find", "SanDisk")[DISK]}
    lab.set("Port.1.mode", "s")
    assert lab.call("cbrx_find", "iPhone") == IPHONE_FOUND


def test_an_unplugged_device_is_gone(lab: Lab) -> None:
    device = lab.hub.unplug(1)
    assert device is not None and device.serial == UDID
    assert lab.call("cbrx_find", "iPhone") == {}
    assert lab.get("Port.1.Flags") == "D S"
    with pytest.raises(ValueError, match="no port 16"):
        lab.hub.plug(16, device)
