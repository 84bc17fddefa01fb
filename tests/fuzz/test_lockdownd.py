"""lockdownd (device port 62078, behind usbmuxd): any request dict gets a reply the codec can send (the
protocol's ``Error`` for bad ones); any frame bytes end in a reply or a closed connection."""

from __future__ import annotations

import plistlib
import struct

from hypothesis import example, given
from hypothesis import strategies as st

from harness.lab.ios.codec import PlistFrameDecoder, ProtocolError, encode_mux_plist, encode_plist_frame
from harness.lab.runner import LabThread
from tests.fuzz.kit import LogWatch, exchange, fuzz_settings, still_serves
from tests.fuzz.plists import LockdownSession, requests, values

LOCKDOWN_PORT = 62078


def _session(lab: LabThread) -> LockdownSession:
    assert lab.lab.usbmuxd is not None
    return LockdownSession(lab.lab.usbmuxd.devices[0])


def _mux(lab: LabThread) -> tuple[tuple[str, int], bytes]:
    """usbmuxd's address and a Connect to the iPhone's lockdownd: what a client sends before lockdown frames."""
    mux = lab.lab.usbmuxd
    assert mux is not None
    device_id = next(iter(mux.mux.attached))
    port = struct.unpack("<H", struct.pack(">H", LOCKDOWN_PORT))[0]  # PortNumber is in network order
    connect = encode_mux_plist(1, {"MessageType": "Connect", "DeviceID": device_id, "PortNumber": port,
                                   "ClientVersionString": "fuzz", "ProgName": "fuzz"})
    host, _, number = mux.address.rpartition(":")
    return (host, int(number)), connect


@fuzz_settings(4)
@given(requests)
@example({"Request": "SetValue", "Key": {"a": 1}, "Value": "x"})  # issue 21: a dict Key raised TypeError
@example({"Request": "GetValue", "Key": {"a": 1}})
@example({"Request": "GetValue", "Key": 2**70})
def test_every_request_gets_a_sendable_reply(fuzz_lab: LabThread, request: dict[str, object]) -> None:
    reply = fuzz_lab.call(_session(fuzz_lab).handle, request)
    assert isinstance(reply, dict)
    encode_plist_frame(reply)  # what serve_lockdown writes: it must encode


@fuzz_settings(2)
@given(values)
def test_non_dict_requests(fuzz_lab: LabThread, request: object) -> None:
    assert fuzz_lab.call(_session(fuzz_lab).handle, request) == {"Error": "MissingRequest"} or isinstance(request, dict)


@fuzz_settings(3)
@given(st.lists(st.binary(max_size=64), max_size=6))
def test_frame_decoder_takes_any_slices(chunks: list[bytes]) -> None:
    decoder = PlistFrameDecoder()
    try:
        for chunk in chunks:
            decoder.feed(chunk)
    except ProtocolError:
        pass


@fuzz_settings()
@given(st.lists(requests, max_size=3), st.binary(max_size=40))
def test_requests_over_the_socket(fuzz_lab: LabThread, watch: LogWatch, reqs: list[dict[str, object]],
                                  tail: bytes) -> None:
    address, connect = _mux(fuzz_lab)
    frames = b"".join(encode_plist_frame(r, fmt=plistlib.FMT_BINARY) for r in reqs)
    exchange(address, frames + tail, prefix=connect)
    still_serves(address)
