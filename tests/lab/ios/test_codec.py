"""The iPhone lab's framings, byte by byte."""

from __future__ import annotations

import plistlib
import struct

import pytest
from pymobiledevice3.service_connection import build_plist
from pymobiledevice3.usbmux import build_usbmuxd_request

from harness.lab.ios.codec import (
    MuxDecoder,
    MuxMessage,
    MuxPacket,
    PlistFrameDecoder,
    ProtocolError,
    SyslogDecoder,
    decode_mux_plist,
    encode_mux,
    encode_mux_plist,
    encode_mux_result,
    encode_plist_frame,
    encode_syslog_record,
)


def test_mux_header_is_four_little_endian_u32_with_length_counting_the_header() -> None:
    data = encode_mux(MuxPacket(1, MuxMessage.PLIST, 7, b"abc"))
    assert data == bytes.fromhex("13000000" "01000000" "08000000" "07000000") + b"abc"


def test_mux_request_bytes_match_what_pymobiledevice3_builds() -> None:
    payload = plistlib.dumps({"MessageType": "ReadBUID"})
    assert encode_mux(MuxPacket(1, 8, 1, payload)) == build_usbmuxd_request(1, 8, 1, payload)


def test_mux_plist_reply_is_xml_with_version_1_message_8_and_the_tag() -> None:
    data = encode_mux_plist(42, {"BUID": "X"})
    length, version, message, tag = struct.unpack_from("<4I", data)
    assert (length, version, message, tag) == (len(data), 1, 8, 42)
    assert data[16:].startswith(b"<?xml")  # libusbmuxd 2.0.2 parses replies with plist_from_xml only
    assert plistlib.loads(data[16:]) == {"BUID": "X"}


def test_mux_result_in_both_protocol_versions() -> None:
    assert plistlib.loads(encode_mux_result(3, 2)[16:]) == {"MessageType": "Result", "Number": 2}
    assert encode_mux_result(3, 1, version=0) == struct.pack("<4I", 20, 0, 1, 3) + struct.pack("<I", 1)


def test_mux_decoder_takes_a_stream_one_byte_at_a_time() -> None:
    stream = encode_mux(MuxPacket(1, 8, 1, b"one")) + encode_mux(MuxPacket(1, 8, 2, b"two!"))
    decoder = MuxDecoder()
    got = []
    for i in range(len(stream)):
        got += decoder.packets(stream[i : i + 1])
    assert got == [MuxPacket(1, 8, 1, b"one"), MuxPacket(1, 8, 2, b"two!")]


def test_mux_decoder_hands_over_the_bytes_after_a_packet() -> None:
    decoder = MuxDecoder()
    decoder.feed(encode_mux(MuxPacket(1, 8, 5, b"connect")) + b"\x00\x00\x01\x00lockdown-bytes")
    assert decoder.next_packet() == MuxPacket(1, 8, 5, b"connect")
    assert decoder.rest() == b"\x00\x00\x01\x00lockdown-bytes"
    assert decoder.next_packet() is None


@pytest.mark.parametrize("length", [0, 15, 0x10001])
def test_mux_decoder_rejects_lengths_usbmuxd_drops_the_client_for(length: int) -> None:
    decoder = MuxDecoder()
    decoder.feed(struct.pack("<4I", length, 1, 8, 1))
    with pytest.raises(ProtocolError):
        decoder.next_packet()


def test_mux_plist_request_needs_a_dict_with_a_string_message_type() -> None:
    assert decode_mux_plist(plistlib.dumps({"MessageType": "Listen"}))["MessageType"] == "Listen"
    for bad in (b"garbage", plistlib.dumps([1, 2]), plistlib.dumps({"MessageType": 3})):
        with pytest.raises(ProtocolError):
            decode_mux_plist(bad)


def test_plist_frame_is_big_endian_length_then_xml() -> None:
    frame = encode_plist_frame({"Request": "QueryType"})
    (length,) = struct.unpack(">I", frame[:4])
    assert length == len(frame) - 4
    assert frame[4:].startswith(b"<?xml")  # limd accepts only "<?xml" or "bplist00" content


def test_plist_frame_matches_pymobiledevice3_build_plist() -> None:
    body = {"Request": "GetValue", "Key": "ProductVersion"}
    assert encode_plist_frame(body) == build_plist(body)


def test_plist_frame_decoder_byte_at_a_time_xml_and_binary() -> None:
    stream = encode_plist_frame({"a": 1}) + encode_plist_frame({"b": b"\x00\x01"}, fmt=plistlib.FMT_BINARY)
    decoder = PlistFrameDecoder()
    got = []
    for byte in stream:
        got += decoder.feed(bytes([byte]))
    assert got == [{"a": 1}, {"b": b"\x00\x01"}]


def test_plist_frame_decoder_rejects_garbage_and_huge_frames() -> None:
    with pytest.raises(ProtocolError):
        PlistFrameDecoder().feed(struct.pack(">I", 5) + b"hello")
    with pytest.raises(ProtocolError):
        PlistFrameDecoder(max_frame=100).feed(struct.pack(">I", 101))


def test_syslog_record_is_line_newline_nul() -> None:
    assert encode_syslog_record("Nov 28 08:00:01 iPhone x[1] <Notice>: hi") == (
        b"Nov 28 08:00:01 iPhone x[1] <Notice>: hi\n\x00")
    assert encode_syslog_record("a\x00b") == b"ab\n\x00"


def test_syslog_decoder_splits_like_pymobiledevice3_and_keeps_partial_lines() -> None:
    stream = encode_syslog_record("first") + encode_syslog_record("sécond")
    decoder = SyslogDecoder()
    got = []
    for i in range(len(stream)):
        got += decoder.feed(stream[i : i + 1])
    assert got == ["first", "sécond"]
