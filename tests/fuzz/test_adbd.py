"""The virtual adbd (one per lab Android phone): any bytes, and well-framed messages with any fields,
end in an adb reply or a closed connection, never an unhandled exception in the lab."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.lab.android.codec import HEADER, Command, Decoder, Message, ProtocolError, encode
from harness.lab.runner import LabThread
from tests.fuzz.kit import LogWatch, exchange, fuzz_settings, still_serves

CNXN = encode(Message(Command.CNXN, 0x01000001, 256 * 1024, b"host::features=shell_v2,cmd\x00"))
u32 = st.integers(0, 0xFFFFFFFF)
messages = st.builds(Message, st.sampled_from(list(Command)), u32, u32, st.binary(max_size=300))


def _address(lab: LabThread) -> tuple[str, int]:
    served = lab.lab.android["pixel-8"]
    return served.server.host, served.server.port


@fuzz_settings(3)
@given(st.lists(st.binary(max_size=64), max_size=8))
def test_decoder_takes_any_slices(chunks: list[bytes]) -> None:
    decoder = Decoder()
    try:
        for chunk in chunks:
            assert all(isinstance(m, Message) for m in decoder.feed(chunk))
    except ProtocolError:
        pass  # the protocol's own error: adbd drops the connection


@fuzz_settings(3)
@given(messages)
def test_encode_decode_round_trip(msg: Message) -> None:
    assert Decoder().feed(encode(msg)) == [msg]


@fuzz_settings()
@given(st.binary(max_size=200))
def test_raw_bytes_over_the_socket(fuzz_lab: LabThread, watch: LogWatch, data: bytes) -> None:
    exchange(_address(fuzz_lab), data)
    still_serves(_address(fuzz_lab))


@fuzz_settings()
@given(st.lists(messages, max_size=5), st.booleans())
def test_framed_messages_after_connect(fuzz_lab: LabThread, watch: LogWatch, msgs: list[Message],
                                       corrupt: bool) -> None:
    data = b"".join(encode(m) for m in msgs)
    if corrupt and data:  # a header whose length lies
        data = data[:HEADER.size - 4] + b"\xff\xff\x00\x00" + data[HEADER.size:]
    exchange(_address(fuzz_lab), data, prefix=CNXN)
    still_serves(_address(fuzz_lab))


@pytest.mark.parametrize("service", [b"\xff\xfe", b"shell:\x00\xff", b"sync:", b"reverse:forward:x;y", b"jdwp:-1",
                                     b"x" * 4096])
def test_odd_services(fuzz_lab: LabThread, watch: LogWatch, service: bytes) -> None:
    exchange(_address(fuzz_lab), encode(Message(Command.OPEN, 1, 0, service)), prefix=CNXN)
    still_serves(_address(fuzz_lab))
