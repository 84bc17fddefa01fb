"""lockdownd, the syslog ring, installation_proxy and os_trace records, without sockets."""

from __future__ import annotations

import struct
from typing import Any

import pytest
from pymobiledevice3.services.os_trace import SyslogLogLevel, parse_syslog_entry

from harness.lab.clock import ManualClock
from harness.lab.ios import IPhoneIdentity, VirtualIPhone, user_app
from harness.lab.ios.apps import InstallationProxy
from harness.lab.ios.lockdownd import LockdownSession
from harness.lab.ios.ostrace import encode_record, encode_status
from harness.lab.ios.services import SERVICES
from harness.lab.ios.syslog import SyslogEntry

UDID = "00008120-001A2C3E0E90201E"


@pytest.fixture
def phone() -> VirtualIPhone:
    ident = IPhoneIdentity("iphone-15", UDID, "iPhone15,4", "18.1")
    return VirtualIPhone(ident, ManualClock(), [user_app("com.example.courier", "Courier")])


@pytest.fixture
def session(phone: VirtualIPhone) -> LockdownSession:
    return LockdownSession(phone)


def start(session: LockdownSession) -> dict[str, Any]:
    return session.handle({"Request": "StartSession", "HostID": session.device.pairing.host_id,
                           "SystemBUID": session.device.system_buid})


# -- lockdownd -----------------------------------------------------------------------------------
def test_query_type(session: LockdownSession) -> None:
    assert session.handle({"Request": "QueryType", "Label": "x"}) == {
        "Request": "QueryType", "Type": "com.apple.mobile.lockdown"}


def test_get_value_all_and_by_key(session: LockdownSession) -> None:
    values = session.handle({"Request": "GetValue"})["Value"]
    assert values["ProductVersion"] == "18.1"
    assert values["ProductType"] == "iPhone15,4"
    assert values["BuildVersion"] == "22B83"
    assert values["UniqueDeviceID"] == UDID
    assert values["DeviceClass"] == "iPhone"
    assert values["CPUArchitecture"] == "arm64e"
    assert values["HardwareModel"] == "D37AP"
    assert values["ChipID"] == 0x8120 and values["UniqueChipID"] == 0x001A2C3E0E90201E
    assert session.handle({"Request": "GetValue", "Key": "ProductVersion"}) == {
        "Request": "GetValue", "Key": "ProductVersion", "Value": "18.1"}


def test_get_value_errors_echo_domain_and_key(session: LockdownSession) -> None:
    assert session.handle({"Request": "GetValue", "Key": "Nope"}) == {
        "Request": "GetValue", "Key": "Nope", "Error": "MissingValue"}
    assert session.handle({"Request": "GetValue", "Domain": "com.example.nope"})["Error"] == "MissingValue"


def test_get_value_battery_domain_follows_the_model(phone: VirtualIPhone, session: LockdownSession) -> None:
    phone.battery_level, phone.charging = 41, True
    reply = session.handle({"Request": "GetValue", "Domain": "com.apple.mobile.battery",
                            "Key": "BatteryCurrentCapacity"})
    assert reply == {"Request": "GetValue", "Domain": "com.apple.mobile.battery", "Key": "BatteryCurrentCapacity",
                     "Value": 41}


def test_time_value_is_device_time(phone: VirtualIPhone, session: LockdownSession) -> None:
    before = session.handle({"Request": "GetValue", "Key": "TimeIntervalSince1970"})["Value"]
    assert isinstance(phone.clock, ManualClock)
    phone.clock.advance(3600)
    after = session.handle({"Request": "GetValue", "Key": "TimeIntervalSince1970"})["Value"]
    assert after - before == 3600


def test_session_lifecycle(session: LockdownSession) -> None:
    no_session = session.handle({"Request": "StartService", "Service": "com.apple.syslog_relay"})
    assert no_session["Error"] == "SessionInactive"
    reply = start(session)
    assert reply["EnableSessionSSL"] is False and reply["SessionID"]
    assert start(session)["Error"] == "SessionActive"
    service = session.handle({"Request": "StartService", "Service": "com.apple.syslog_relay"})
    assert service["EnableServiceSSL"] is False and 49152 <= service["Port"] < 65536
    assert session.handle({"Request": "StopSession", "SessionID": "other"})["Error"] == "InvalidSessionID"
    stop = session.handle({"Request": "StopSession", "SessionID": reply["SessionID"]})
    assert stop == {"Request": "StopSession", "Result": "Success"}


def test_unknown_service_and_unknown_host(session: LockdownSession) -> None:
    assert session.handle({"Request": "StartSession", "HostID": "NOT-PAIRED"})["Error"] == "InvalidHostID"
    start(session)
    reply = session.handle({"Request": "StartService", "Service": "com.example.no.such.service"})
    assert reply == {"Request": "StartService", "Service": "com.example.no.such.service", "Error": "InvalidService"}


def test_pair_trusts_a_new_host_and_unpair_forgets_it(session: LockdownSession) -> None:
    assert "EscrowBag" in session.handle({"Request": "Pair", "PairRecord": {"HostID": "NEW-HOST"}})
    assert session.handle({"Request": "ValidatePair", "PairRecord": {"HostID": "NEW-HOST"}}) == {
        "Request": "ValidatePair"}
    session.handle({"Request": "Unpair", "PairRecord": {"HostID": "NEW-HOST"}})
    assert session.handle({"Request": "StartSession", "HostID": "NEW-HOST"})["Error"] == "InvalidHostID"


def test_set_value_device_name_only(phone: VirtualIPhone, session: LockdownSession) -> None:
    assert session.handle({"Request": "SetValue", "Key": "DeviceName", "Value": "Lab Phone"}) == {
        "Request": "SetValue"}
    assert phone.values()["DeviceName"] == "Lab Phone"  # type: ignore[index]
    assert session.handle({"Request": "SetValue", "Key": "ProductVersion", "Value": "1"})["Error"] == "SetProhibited"


def test_goodbye_closes_and_garbage_is_answered(session: LockdownSession) -> None:
    assert session.handle({"Request": "Frobnicate"})["Request"] == "Frobnicate"
    assert "Error" in session.handle({"Request": "Frobnicate"})
    assert "Error" in session.handle(["not", "a", "dict"])
    assert session.handle({"Request": "Goodbye"}) == {"Request": "Goodbye", "Result": "Success"}
    assert session.closed


def test_service_ports_are_one_shot(phone: VirtualIPhone) -> None:
    name = "com.apple.mobile.installation_proxy"
    handler = SERVICES[name](phone)
    port = phone.start_service(name, handler)
    assert port in phone.open_ports and 62078 in phone.open_ports
    assert phone.open_port(port) is handler
    assert phone.open_port(port) is None


# -- syslog ---------------------------------------------------------------------------------------
def test_syslog_line_format_matches_idevicesyslog_expectations(phone: VirtualIPhone) -> None:
    line = phone.log("SpringBoard", "hello", pid=58, image="FrontBoard")
    assert line == "Nov 28 08:00:00 iPhone SpringBoard(FrontBoard)[58] <Notice>: hello"
    assert line[3] == line[6] == line[15] == " "  # limd@1.3.0 syslog_callback's checks


def test_syslog_day_is_space_padded_and_time_is_device_time(phone: VirtualIPhone) -> None:
    assert isinstance(phone.clock, ManualClock)
    phone.clock.advance(6 * 86400 + 3661)  # Dec  4 09:01:01
    line = phone.log("dasd", "Submitted Activity: x", pid=139, level="Error")
    assert line.startswith("Dec  4 09:01:01 iPhone dasd[139] <Error>: ")


def test_syslog_time_zone() -> None:
    ident = IPhoneIdentity("p", UDID, "iPhone15,4", "18.1", time_zone="Europe/Berlin")
    berlin = VirtualIPhone(ident, ManualClock())
    assert berlin.log("x", "y").startswith("Nov 28 09:00:00 ")
    assert berlin.values()["TimeZoneOffsetFromUTC"] == 3600.0  # type: ignore[index]


def test_syslog_ring_replay_and_listeners(phone: VirtualIPhone) -> None:
    ring = phone.syslog
    for i in range(3):
        phone.log("p", f"old {i}")
    seen: list[str] = []
    ring.subscribe(lambda e: seen.append(e.message), replay=2)
    phone.log("p", "two\nlines")
    assert seen == ["old 1", "old 2", "two", "lines"]
    with pytest.raises(ValueError, match="level"):
        phone.log("p", "x", level="Loud")


def test_syslog_ring_is_bounded() -> None:
    small = VirtualIPhone(IPhoneIdentity("p", UDID, "iPhone15,4", "18.1"), ManualClock(), syslog_capacity=5)
    for i in range(12):
        small.log("p", str(i))
    assert [e.message for e in small.syslog.entries()] == ["7", "8", "9", "10", "11"]


# -- installation_proxy --------------------------------------------------------------------------
def test_lookup_by_type_and_attributes(phone: VirtualIPhone) -> None:
    proxy = InstallationProxy(phone.apps)
    [reply] = proxy.handle({"Command": "Lookup", "ClientOptions": {"ApplicationType": "User"}})
    assert reply["Status"] == "Complete"
    app = reply["LookupResult"]["com.example.courier"]
    assert app["CFBundleExecutable"] == "Courier" and app["ApplicationType"] == "User"
    assert "processing" in app["UIBackgroundModes"]
    [sizes] = proxy.handle({"Command": "Lookup", "ClientOptions": {
        "BundleIDs": ["com.apple.mobilesafari"], "ReturnAttributes": ["CFBundleIdentifier", "StaticDiskUsage"]}})
    assert sizes["LookupResult"] == {"com.apple.mobilesafari": {
        "CFBundleIdentifier": "com.apple.mobilesafari", "StaticDiskUsage": 48_000_000}}


def test_browse_pages_then_complete(phone: VirtualIPhone) -> None:
    replies = InstallationProxy(phone.apps, page_size=4).handle({"Command": "Browse"})
    assert [r["Status"] for r in replies] == ["BrowsingApplications", "BrowsingApplications", "Complete"]
    assert [r.get("CurrentIndex") for r in replies] == [0, 4, None]
    assert sum(r.get("CurrentAmount", 0) for r in replies) == len(phone.apps) == 6
    assert replies[0]["Total"] == 6


def test_unknown_command(phone: VirtualIPhone) -> None:
    [reply] = InstallationProxy(phone.apps).handle({"Command": "Install"})
    assert reply["Error"] == "UnknownCommand"


# -- os_trace_relay --------------------------------------------------------------------------------
def test_os_trace_record_parses_with_pymobiledevice3() -> None:
    entry = SyslogEntry(1, 1795852800.25, "dasd", 139, "Error", "COMPLETED x", "DuetActivityScheduler",
                        "com.apple.duetactivityscheduler", "scheduler")
    data = encode_record(entry, 12.0)
    assert data[0] == 2
    (length,) = struct.unpack("<I", data[1:5])
    assert length == len(data) - 5
    parsed = parse_syslog_entry(data[5:])
    assert (parsed.pid, parsed.message, parsed.level) == (139, "COMPLETED x", SyslogLogLevel.ERROR)
    assert parsed.filename == "/usr/libexec/dasd"
    assert parsed.image_name.endswith("/DuetActivityScheduler")
    assert parsed.label is not None and parsed.label.subsystem == "com.apple.duetactivityscheduler"
    assert parsed.timestamp.timestamp() == pytest.approx(1795852800.25)


def test_os_trace_status_reply_satisfies_both_parsers() -> None:
    data = encode_status({"Status": "RequestSuccessful"})
    assert struct.unpack("<I", data[:4]) == (1,)  # pmd3: length-of-length 1, then one length byte
    assert data[0] == 1 and struct.unpack(">I", data[1:5])[0] == len(data) - 5 < 256  # limd 1.4.0
