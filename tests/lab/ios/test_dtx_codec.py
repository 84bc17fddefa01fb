"""The lab's DTX and NSKeyedArchiver codecs, byte by byte and against the client's own codec
(pymobiledevice3's ``dtx`` package and ``bpylist2``, the real peer's parser and builder)."""

from __future__ import annotations

import asyncio
import plistlib
import struct
from typing import Any

import pymobiledevice3.dtx.ns_types as ns_types
import pytest
from bpylist2 import archiver
from pymobiledevice3.dtx.fragment import DTXFragment
from pymobiledevice3.dtx.fragmenter import DTXFragmenter
from pymobiledevice3.dtx.message import DTXMessage as PmdMessage
from pymobiledevice3.dtx.message_aux import MessageAux
from pymobiledevice3.dtx.ns_types import NSURL
from pymobiledevice3.dtx.ns_types import NSError as PmdNSError
from pymobiledevice3.dtx.primitives import PInt32
from pymobiledevice3.dtx.structs import DtxFragmentHeader, DTXTransportFlags
from pymobiledevice3.dtx.structs import DTXMessageType as PmdType

from harness.lab.ios import nskeyed
from harness.lab.ios.dtx import (
    DTX_MAGIC,
    FRAGMENT_HEADER,
    I32,
    I64,
    MAX_FRAGMENT_BODY,
    DtxDecoder,
    DtxMessage,
    DtxProtocolError,
    MessageType,
    decode_aux,
    encode_aux,
    encode_message,
)
from harness.lab.ios.dvt import DvtSession
from harness.lab.ios.nskeyed import NSDate, NSError, NSKeyedError


# -- NSKeyedArchiver ------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [
    0, -7, 2**40, 1.5, True, "", "héllo", b"\x00\x01", [], {}, [1, "a", None, [2.5]],
    {"KillExisting": True, "StartSuspendedKey": False, "nested": {"a": [1, 2]}},
])
def test_archives_decode_in_both_directions(value: Any) -> None:
    assert archiver.unarchive(nskeyed.archive(value)) == value
    assert nskeyed.unarchive(archiver.archive(value)) == value


def test_nserror_reaches_the_client_as_its_nserror() -> None:
    ns_types.register_ns_keyed_classes()
    error = archiver.unarchive(nskeyed.archive(NSError(1, "DTXMessage", {"NSLocalizedDescription": "nope"})))
    assert isinstance(error, PmdNSError)
    assert (error.code, error.domain, error.user_info) == (1, "DTXMessage", {"NSLocalizedDescription": "nope"})
    assert nskeyed.unarchive(archiver.archive(PmdNSError(3, "d", {"k": 1}))) == NSError(3, "d", {"k": 1})


def test_nsdate_round_trip() -> None:
    assert nskeyed.unarchive(nskeyed.archive(NSDate(1_700_000_000.25))) == NSDate(1_700_000_000.25)


@pytest.mark.parametrize("data", [b"", b"not a plist", archiver.archive("x")[:-3],
                                  plistlib.dumps({"$archiver": "NSKeyedArchiver"}, fmt=plistlib.FMT_BINARY),
                                  plistlib.dumps({"$archiver": "NSKeyedArchiver", "$top": {"root": plistlib.UID(5)},
                                                  "$objects": ["$null"]}, fmt=plistlib.FMT_BINARY)])
def test_garbage_archives_raise(data: bytes) -> None:
    with pytest.raises(NSKeyedError):
        nskeyed.unarchive(data)


def test_unknown_classes_raise() -> None:
    with pytest.raises(NSKeyedError, match="NSURL"):
        nskeyed.unarchive(archiver.archive(NSURL(None, "file:///x")))


# -- auxiliary primitive dictionary ---------------------------------------------------------------
def test_aux_matches_the_clients_encoding() -> None:
    ours = encode_aux([I32(5), nskeyed.archive("com.apple.x"), None, "s", I64(-2), 1.25])
    parsed = MessageAux.parse(ours)
    assert parsed == [5, "com.apple.x", None, "s", -2, 1.25]
    theirs = MessageAux.build([PInt32(5), "com.apple.x", {"a": 1}])
    values = decode_aux(theirs)
    assert values[0] == I32(5)
    assert nskeyed.unarchive(bytes(values[1])) == "com.apple.x"  # type: ignore[arg-type]
    assert nskeyed.unarchive(bytes(values[2])) == {"a": 1}  # type: ignore[arg-type]


def test_no_arguments_is_no_bytes() -> None:
    assert encode_aux([]) == b"" and decode_aux(b"") == []


@pytest.mark.parametrize("data", [
    b"\x01" * 8,                                                   # shorter than the header
    struct.pack("<IIQ", 0x1F1, 0, 8) + b"\0" * 8,                  # not a dictionary
    struct.pack("<IIQ", 0x1F0, 0, 100) + b"\0" * 8,                # longer than the data
    struct.pack("<IIQ", 0x1F0, 0, 8) + struct.pack("<II", 10, 77),  # unknown primitive type
    struct.pack("<IIQ", 0x1F0, 0, 12) + struct.pack("<III", 10, 2, 50),  # buffer past the end
])
def test_malformed_aux_raises(data: bytes) -> None:
    with pytest.raises(DtxProtocolError):
        decode_aux(data)


# -- messages and fragments -----------------------------------------------------------------------
def pmd_bytes(msg: PmdMessage, identifier: int, conv: int, channel: int, flags: int) -> bytes:
    """A message as pymobiledevice3's sender puts it on the wire (``_sender.py:_send_message``)."""

    async def collect() -> bytes:
        out = b""
        async for fragment in DTXFragmenter.fragment(*msg.chunks()):
            fragment.identifier, fragment.conversation_index = identifier, conv
            fragment.channel_code, fragment.flags = channel, DTXTransportFlags(flags)
            out += b"".join(bytes(chunk) for chunk in fragment.chunks())
        return out

    return asyncio.run(collect())


def test_decodes_a_dispatch_as_the_client_sends_it() -> None:
    msg = PmdMessage(type=PmdType.DISPATCH)
    msg.payload = "_requestChannelWithCode:identifier:"
    msg.aux = [PInt32(1), "com.apple.instruments.server.services.processcontrol"]
    wire = pmd_bytes(msg, identifier=3, conv=0, channel=0, flags=1)
    decoder = DtxDecoder()
    got: list[DtxMessage] = []
    for byte in wire:  # one byte at a time
        got += decoder.feed(bytes([byte]))
    assert len(got) == 1
    assert (got[0].type, got[0].identifier, got[0].conversation_index, got[0].channel_code, got[0].expects_reply) \
        == (MessageType.DISPATCH, 3, 0, 0, True)
    assert nskeyed.unarchive(got[0].payload) == "_requestChannelWithCode:identifier:"
    assert decode_aux(got[0].aux)[0] == I32(1)


def test_reassembles_a_message_split_into_fragments() -> None:
    big = "x" * (3 * MAX_FRAGMENT_BODY)
    msg = PmdMessage(type=PmdType.OBJECT)
    msg.payload = big
    wire = pmd_bytes(msg, identifier=9, conv=0, channel=-2, flags=0)
    assert wire.count(struct.pack("<I", DTX_MAGIC)) >= 4  # header-only first fragment + bodies
    (got,) = DtxDecoder().feed(wire)
    assert nskeyed.unarchive(got.payload) == big and got.channel_code == -2


def parse_with_client(wire: bytes) -> list[PmdMessage]:
    """Our bytes through pymobiledevice3's own fragment reader and message parser."""

    async def read() -> list[PmdMessage]:
        reader = asyncio.StreamReader()
        reader.feed_data(wire)
        reader.feed_eof()
        out, partial = [], None
        while not reader.at_eof():
            fragment = await DTXFragment.read(reader)
            if fragment.count == 1:
                out.append(PmdMessage.parse(fragment, fragment.payload))
            elif fragment.index == 0:
                partial = DTXFragmenter(fragment, 0, 1 << 30)
            elif partial is not None and partial.add(fragment):
                raw, first = partial.assemble()
                out.append(PmdMessage.parse(first, raw))
        return out

    return asyncio.run(read())


@pytest.mark.parametrize("size", [0, 10, MAX_FRAGMENT_BODY, 3 * MAX_FRAGMENT_BODY + 17])
def test_our_messages_parse_with_the_client(size: int) -> None:
    ours = DtxMessage(MessageType.OBJECT, 7, 1, 4, payload=nskeyed.archive("y" * size),
                      aux=encode_aux([I32(1)]) if size else b"")
    (theirs,) = parse_with_client(encode_message(ours))
    assert (theirs.type, theirs.identifier, theirs.conversation_index, theirs.channel_code) == (PmdType.OBJECT, 7, 1, 4)
    assert theirs.payload == "y" * size


def header(**over: int) -> bytes:
    fields = {"magic": DTX_MAGIC, "hsize": 32, "index": 0, "count": 1, "size": 16, "ident": 1, "conv": 0,
              "channel": 0, "flags": 0, **over}
    return FRAGMENT_HEADER.pack(*fields.values())


@pytest.mark.parametrize(("wire", "problem"), [
    (header(magic=0xDEADBEEF) + b"\0" * 16, "magic"),
    (header(hsize=8) + b"\0" * 16, "header size"),
    (header(index=2, count=2), "index"),
    (header(size=0), "declares 0"),
    (header(size=1 << 30), "declares"),
    (header() + struct.pack("<IIQ", 2, 0, 99), "inconsistent"),
    (header() + struct.pack("<IIQ", 0x77, 0, 0), "unknown type"),
    (header(size=8) + b"\0" * 8, "shorter than its payload header"),
    (header(index=1, count=3, ident=5, size=4) + b"abcd", "unknown message"),
])
def test_malformed_fragments_raise(wire: bytes, problem: str) -> None:
    with pytest.raises(DtxProtocolError, match=problem):
        DtxDecoder().feed(wire)


def test_fragment_header_matches_the_clients_struct() -> None:
    ours = encode_message(DtxMessage(MessageType.OK, 12, 1, -3))
    theirs = DtxFragmentHeader.parse(ours[:32])
    assert (theirs.index, theirs.count, theirs.identifier, theirs.conversation_index, theirs.channel_code) \
        == (0, 1, 12, 1, -3)


# -- the session, without a socket ----------------------------------------------------------------
class _Phone:
    def __init__(self) -> None:
        self.name = "unit"
        self.apps: dict[str, Any] = {}
        self.processes = {1: "launchd"}
        self.system = None


def dispatch(ident: int, channel: int, selector: str, *args: Any, reply: bool = True) -> DtxMessage:
    return DtxMessage(MessageType.DISPATCH, ident, 0, channel, reply, aux=encode_aux(list(args)),
                      payload=nskeyed.archive(selector))


def test_session_handshake_channel_and_replies() -> None:
    session = DvtSession(_Phone())  # type: ignore[arg-type]
    caps = session.handle(dispatch(1, 0, "_notifyOfPublishedCapabilities:",
                                   nskeyed.archive({"com.apple.private.DTXConnection": 1}), reply=False))
    assert len(caps) == 1 and caps[0].type == MessageType.DISPATCH and not caps[0].expects_reply
    assert "com.apple.instruments.server.services.processcontrol" in nskeyed.unarchive(decode_aux(caps[0].aux)[0])  # type: ignore[arg-type]
    (ok,) = session.handle(dispatch(2, 0, "_requestChannelWithCode:identifier:", I32(1),
                                    nskeyed.archive("com.apple.instruments.server.services.processcontrol")))
    assert (ok.type, ok.identifier, ok.conversation_index, ok.channel_code) == (MessageType.OK, 2, 1, 0)
    (pid,) = session.handle(dispatch(3, 1, "processIdentifierForBundleIdentifier:", nskeyed.archive("a.b")))
    assert (pid.type, nskeyed.unarchive(pid.payload), pid.channel_code) == (MessageType.OBJECT, 0, 1)
    (err,) = session.handle(dispatch(4, 1, "launchSuspendedProcessWithDevicePath:bundleIdentifier:environment:"
                                     "arguments:options:", nskeyed.archive(""), nskeyed.archive("a.b"),
                                     nskeyed.archive({}), nskeyed.archive([]), nskeyed.archive({})))
    error = nskeyed.unarchive(err.payload)
    assert err.type == MessageType.ERROR and isinstance(error, NSError)
    assert error.description == ("The operation couldn’t be completed. (FBSOpenApplicationErrorDomain error 4.) : "
                                 "Failed to launch process with bundle identifier 'a.b'")
    assert session.handle(dispatch(5, 1, "killPid:", nskeyed.archive(1), reply=False)) == []


@pytest.mark.parametrize(("channel", "selector", "args", "needle"), [
    (1, "noSuchMethod", [], "it does not respond to the selector"),
    (0, "_noSuchControl:", [nskeyed.archive(1)], "it does not respond to the selector"),
    (7, "runningProcesses", [], "No channel registered for code 7"),
    (1, "killPid:", [], "0 arguments provided, 1 expected"),
    (0, "_requestChannelWithCode:identifier:", [I32(2), nskeyed.archive("com.example.nope")], "Unable to find"),
])
def test_session_errors_are_nserrors(channel: int, selector: str, args: list[Any], needle: str) -> None:
    session = DvtSession(_Phone())  # type: ignore[arg-type]
    session.handle(dispatch(1, 0, "_requestChannelWithCode:identifier:", I32(1),
                            nskeyed.archive("com.apple.instruments.server.services.processcontrol")))
    (reply,) = session.handle(dispatch(2, channel, selector, *args))
    assert reply.type == MessageType.ERROR and needle in nskeyed.unarchive(reply.payload).description


def test_session_answers_an_undecodable_selector_with_an_error() -> None:
    session = DvtSession(_Phone())  # type: ignore[arg-type]
    bad = DtxMessage(MessageType.DISPATCH, 1, 0, 0, True, payload=b"garbage")
    (reply,) = session.handle(bad)
    assert reply.type == MessageType.ERROR and "Unable to decode" in nskeyed.unarchive(reply.payload).description
