"""The services lockdownd starts (syslog and os_trace relays, installation_proxy, house_arrest/AFC, the
image mounter, DVT, simulatelocation, diagnostics_relay), each reached as a client does: usbmuxd Connect
to the port StartService gave. Any bytes, and any length-prefixed plists, end in the service's own error
or a closed connection, never an unhandled exception in the lab."""

from __future__ import annotations

import plistlib
import struct

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from harness.lab.ios.codec import encode_mux_plist
from harness.lab.ios.diagnostics_relay import DIAGNOSTICS_RELAY
from harness.lab.ios.services import SERVICES
from harness.lab.runner import LabThread
from tests.fuzz.kit import LogWatch, exchange, fuzz_settings, still_serves
from tests.fuzz.plists import values

STREAMING = {"com.apple.syslog_relay", "com.apple.os_trace_relay"}  # they talk until the client hangs up
AFC_MAGIC = b"CFA6LPAA"
commands = st.dictionaries(st.sampled_from(["Command", "Request", "ClientOptions", "Identifier", "ImageType",
                                            "Latitude", "Operation", "Name"]), values, max_size=4)


def _open(lab: LabThread, service: str) -> tuple[tuple[str, int], bytes]:
    """usbmuxd's address and a Connect to a freshly started ``service`` port (a one-shot port, as on a phone)."""
    mux = lab.lab.usbmuxd
    assert mux is not None
    phone = mux.devices[0]
    port = lab.call(lambda: phone.start_service(service, SERVICES[service](phone)))  # as lockdownd's StartService
    device_id = next(iter(mux.mux.attached))
    connect = encode_mux_plist(1, {"MessageType": "Connect", "DeviceID": device_id,
                                   "PortNumber": struct.unpack("<H", struct.pack(">H", port))[0]})
    host, _, number = mux.address.rpartition(":")
    return (host, int(number)), connect


def _read_s(service: str) -> float:
    return 0.2 if service in STREAMING else 3.0


SERVICE_NAMES = sorted(SERVICES)


@pytest.mark.parametrize("service", SERVICE_NAMES)
@fuzz_settings(0.5)
@given(data=st.binary(max_size=200) | st.binary(max_size=120).map(lambda b: AFC_MAGIC + b))
def test_raw_bytes(fuzz_lab: LabThread, watch: LogWatch, service: str, data: bytes) -> None:
    address, connect = _open(fuzz_lab, service)
    exchange(address, data, prefix=connect, read_s=_read_s(service))
    still_serves(address)


@pytest.mark.parametrize("service", [s for s in SERVICE_NAMES if s != DIAGNOSTICS_RELAY])  # Restart reboots
@fuzz_settings(0.5)
@given(frames=st.lists(commands, max_size=3))
@example(frames=[{"Command": "\x1f"}])  # found at 2,000 examples: installation_proxy echoed it into an XML reply
def test_plist_frames(fuzz_lab: LabThread, watch: LogWatch, service: str, frames: list[dict[str, object]]) -> None:
    address, connect = _open(fuzz_lab, service)
    data = b""
    for frame in frames:
        body = plistlib.dumps(frame, fmt=plistlib.FMT_BINARY)
        data += struct.pack(">I", len(body)) + body
    exchange(address, data, prefix=connect, read_s=_read_s(service))
    still_serves(address)
