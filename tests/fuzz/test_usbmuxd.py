"""The virtual usbmuxd: any bytes, and well-framed packets with any plist body, end in a Result or a
closed connection, never an unhandled exception in the lab."""

from __future__ import annotations

import contextlib
import plistlib

from hypothesis import given
from hypothesis import strategies as st

from harness.lab.ios.codec import MuxDecoder, MuxPacket, ProtocolError, encode_mux
from harness.lab.runner import LabThread
from tests.fuzz.kit import LogWatch, exchange, fuzz_settings, still_serves
from tests.fuzz.plists import values

MESSAGE_TYPES = ["ListDevices", "Listen", "Connect", "ReadBUID", "ReadPairRecord", "SavePairRecord",
                 "DeletePairRecord", "ListListeners", "Nonsense"]
bodies = st.dictionaries(st.sampled_from(["DeviceID", "PortNumber", "PairRecordID", "PairRecordData", "x"]), values,
                         max_size=4).flatmap(lambda body: st.sampled_from(MESSAGE_TYPES).map(
                             lambda kind: {**body, "MessageType": kind}))


def _address(lab: LabThread) -> tuple[str, int]:
    assert lab.lab.usbmuxd is not None
    host, _, port = lab.lab.usbmuxd.address.rpartition(":")
    return host, int(port)


@fuzz_settings(3)
@given(st.lists(st.binary(max_size=64), max_size=6))
def test_decoder_takes_any_slices(chunks: list[bytes]) -> None:
    decoder = MuxDecoder()
    try:
        for chunk in chunks:
            decoder.feed(chunk)
            while decoder.next_packet() is not None:
                pass
    except ProtocolError:
        pass


@fuzz_settings(4)
@given(st.integers(0, 3), st.integers(0, 10), st.integers(0, 0xFFFFFFFF), st.one_of(bodies, st.binary(max_size=80)))
def test_mux_host_answers_any_packet(fuzz_lab: LabThread, version: int, message: int, tag: int,
                                     body: dict[str, object] | bytes) -> None:
    payload = plistlib.dumps(body, fmt=plistlib.FMT_BINARY) if isinstance(body, dict) else body
    assert fuzz_lab.lab.usbmuxd is not None
    with contextlib.suppress(ProtocolError):
        fuzz_lab.call(fuzz_lab.lab.usbmuxd.mux.handle, MuxPacket(version, message, tag, payload))


@fuzz_settings()
@given(st.binary(max_size=200))
def test_raw_bytes_over_the_socket(fuzz_lab: LabThread, watch: LogWatch, data: bytes) -> None:
    exchange(_address(fuzz_lab), data)
    still_serves(_address(fuzz_lab))


@fuzz_settings()
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 10), bodies), max_size=3))
def test_plist_packets_over_the_socket(fuzz_lab: LabThread, watch: LogWatch,
                                       packets: list[tuple[int, int, dict[str, object]]]) -> None:
    data = b"".join(encode_mux(MuxPacket(v, m, i, plistlib.dumps(b, fmt=plistlib.FMT_BINARY)))
                    for i, (v, m, b) in enumerate(packets))
    exchange(_address(fuzz_lab), data)
    still_serves(_address(fuzz_lab))
