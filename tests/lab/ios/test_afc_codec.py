"""The AFC codec and request handler, table-driven over an in-memory tree, and against the client's
own header struct (``pymobiledevice3.services.afc.AfcHeader``)."""

from __future__ import annotations

import struct
from typing import Any

import pytest
from pymobiledevice3.services.afc import AfcFopenMode, AfcFopenRequest, AfcHeader, AfcReadDirResponse, list_to_dict
from pymobiledevice3.services.afc import AfcOpcode as ClientOpcode

from harness.lab.ios.afc import (
    AFC_HEADER,
    AFC_MAGIC,
    AfcDecoder,
    AfcError,
    AfcNode,
    AfcOpcode,
    AfcPacket,
    AfcProtocolError,
    AfcSession,
    encode_kv,
    encode_packet,
    normalise,
)
from harness.lab.ios.contracts import ContainerFile
from harness.lab.ios.house_arrest import ContainerFileSystem, Vended, take_frame, vend

U64 = struct.Struct("<Q")


class MemoryFS:
    def __init__(self, files: dict[str, bytes], documents_only: bool = False) -> None:
        self.files = files
        self.documents_only = documents_only

    def _dirs(self) -> set[str]:
        dirs = {""}
        for path in self.files:
            parts = path.split("/")[:-1]
            dirs |= {"/".join(parts[: i + 1]) for i in range(len(parts))}
        return dirs

    def lookup(self, path: str) -> AfcNode | None:
        if path in self._dirs():
            return AfcNode(True, 0, 5_000_000_000, len(self.listdir(path)))
        data = self.files.get(path)
        return AfcNode(False, len(data), 7_000_000_000) if data is not None else None

    def listdir(self, path: str) -> list[str]:
        prefix = f"{path}/" if path else ""
        return sorted({p[len(prefix):].split("/")[0] for p in [*self.files, *self._dirs()]
                       if p.startswith(prefix) and p != path and p[len(prefix):]})

    def read(self, path: str) -> bytes:
        return self.files[path]

    def allowed(self, path: str) -> bool:
        return not self.documents_only or path.startswith("Documents")

    def device_info(self) -> dict[str, str]:
        return {"Model": "iPhone14,2", "FSBlockSize": "4096"}


FS = MemoryFS({"Documents/a.txt": b"hello world", "Library/Caches/c.bin": b"\x00" * 10})


def request(session: AfcSession, op: int, payload: bytes = b"", num: int = 3) -> tuple[int, bytes]:
    reply = session.handle(AfcPacket(num, op, payload))
    magic, entire, this, reply_num, reply_op = AFC_HEADER.unpack_from(reply)
    assert (magic, entire, this, reply_num) == (AFC_MAGIC, len(reply), len(reply), num)
    return reply_op, reply[AFC_HEADER.size :]


def status(error: AfcError) -> tuple[int, bytes]:
    return AfcOpcode.STATUS, U64.pack(error)


# -- framing --------------------------------------------------------------------------------------
def test_reply_header_parses_with_the_client() -> None:
    wire = encode_packet(41, AfcOpcode.DATA, b"abc")
    header = AfcHeader.parse(wire[:40])
    assert (header.entire_length, header.packet_num, header.operation) == (43, 41, ClientOpcode(AfcOpcode.DATA))


def test_decoder_byte_at_a_time_and_client_requests() -> None:
    body = AfcFopenRequest(mode=AfcFopenMode.RDONLY, filename="Documents/a.txt").build()
    wire = AfcHeader(entire_length=40 + len(body), this_length=40 + len(body), packet_num=5,
                     operation=ClientOpcode(AfcOpcode.FILE_OPEN)).build() + body
    wire += encode_packet(6, AfcOpcode.GET_DEVINFO)
    decoder, got = AfcDecoder(), []
    for byte in wire:
        got += decoder.feed(bytes([byte]))
    assert got == [AfcPacket(5, AfcOpcode.FILE_OPEN, body), AfcPacket(6, AfcOpcode.GET_DEVINFO)]


@pytest.mark.parametrize("wire", [
    b"CFA6LPAB" + b"\0" * 32,
    AFC_HEADER.pack(AFC_MAGIC, 39, 39, 0, 3),
    AFC_HEADER.pack(AFC_MAGIC, 1 << 40, 40, 0, 3),
    AFC_HEADER.pack(AFC_MAGIC, 48, 56, 0, 3),
])
def test_decoder_rejects_bad_framing(wire: bytes) -> None:
    with pytest.raises(AfcProtocolError):
        AfcDecoder().feed(wire)


@pytest.mark.parametrize(("raw", "expected"), [
    ("/", ""), ("", ""), (".", ""), ("/Documents/", "Documents"), ("Documents/./a/../b", "Documents/b"),
    ("..", None), ("Documents/../..", None),
])
def test_normalise(raw: str, expected: str | None) -> None:
    assert normalise(raw) == expected


def test_kv_list_parses_with_the_client() -> None:
    assert list_to_dict(encode_kv({"st_size": "3", "st_ifmt": "S_IFREG"})) == {"st_size": "3", "st_ifmt": "S_IFREG"}


# -- requests, table-driven -----------------------------------------------------------------------
OPEN_A = U64.pack(1) + b"Documents/a.txt\0"


@pytest.mark.parametrize(("op", "payload", "expected"), [
    (AfcOpcode.READ_DIR, b"nope\0", status(AfcError.OBJECT_NOT_FOUND)),
    (AfcOpcode.READ_DIR, b"Documents/a.txt\0", status(AfcError.READ_ERROR)),
    (AfcOpcode.READ_DIR, b"../x\0", status(AfcError.PERM_DENIED)),
    (AfcOpcode.GET_FILE_INFO, b"Documents/zz\0", status(AfcError.OBJECT_NOT_FOUND)),
    (AfcOpcode.FILE_OPEN, U64.pack(1) + b"Documents\0", status(AfcError.OBJECT_IS_DIR)),
    (AfcOpcode.FILE_OPEN, U64.pack(1) + b"Documents/zz\0", status(AfcError.OBJECT_NOT_FOUND)),
    (AfcOpcode.FILE_OPEN, U64.pack(3) + b"Documents/a.txt\0", status(AfcError.OP_NOT_SUPPORTED)),
    (AfcOpcode.FILE_OPEN, b"\1", status(AfcError.OP_HEADER_INVALID)),
    (AfcOpcode.READ, struct.pack("<QQ", 99, 10), status(AfcError.INVALID_ARG)),
    (AfcOpcode.FILE_CLOSE, U64.pack(99), status(AfcError.INVALID_ARG)),
    (AfcOpcode.MAKE_DIR, b"Documents/new\0", status(AfcError.OP_NOT_SUPPORTED)),
    (AfcOpcode.REMOVE_PATH, b"Documents/a.txt\0", status(AfcError.OP_NOT_SUPPORTED)),
    (AfcOpcode.SET_SOCKET_BS, U64.pack(1 << 20), status(AfcError.SUCCESS)),
    (AfcOpcode.DATA, b"", status(AfcError.UNKNOWN_PACKET_TYPE)),
    (0x1D, b"", status(AfcError.UNKNOWN_PACKET_TYPE)),
    (0xFFFF, b"", status(AfcError.UNKNOWN_PACKET_TYPE)),
])
def test_request_errors(op: int, payload: bytes, expected: tuple[int, bytes]) -> None:
    assert request(AfcSession(FS), op, payload) == expected


def test_read_dir_lists_dot_entries_first() -> None:
    op, body = request(AfcSession(FS), AfcOpcode.READ_DIR, b"/\0")
    assert op == AfcOpcode.DATA
    assert AfcReadDirResponse.parse(body).filenames == [".", "..", "Documents", "Library"]


def test_file_info_fields() -> None:
    op, body = request(AfcSession(FS), AfcOpcode.GET_FILE_INFO, b"/Documents/a.txt\0")
    assert op == AfcOpcode.DATA
    assert list_to_dict(body) == {"st_size": "11", "st_blocks": "8", "st_nlink": "1", "st_ifmt": "S_IFREG",
                                  "st_mtime": "7000000000", "st_birthtime": "7000000000"}
    _, body = request(AfcSession(FS), AfcOpcode.GET_FILE_INFO, b"Library\0")
    assert list_to_dict(body)["st_ifmt"] == "S_IFDIR"


def test_open_read_seek_tell_close() -> None:
    session = AfcSession(FS)
    op, body = request(session, AfcOpcode.FILE_OPEN, OPEN_A)
    assert op == AfcOpcode.FILE_OPEN_RES
    (handle,) = U64.unpack(body)
    assert handle > 0
    assert request(session, AfcOpcode.READ, struct.pack("<QQ", handle, 5)) == (AfcOpcode.DATA, b"hello")
    assert request(session, AfcOpcode.FILE_TELL, U64.pack(handle)) == (AfcOpcode.FILE_TELL_RES, U64.pack(5))
    assert request(session, AfcOpcode.FILE_SEEK, struct.pack("<QQq", handle, 2, -5)) == status(AfcError.SUCCESS)
    assert request(session, AfcOpcode.READ, struct.pack("<QQ", handle, 100)) == (AfcOpcode.DATA, b"world")
    assert request(session, AfcOpcode.READ, struct.pack("<QQ", handle, 100)) == (AfcOpcode.DATA, b"")  # EOF
    assert request(session, AfcOpcode.FILE_SEEK, struct.pack("<QQq", handle, 0, -1)) == status(AfcError.INVALID_ARG)
    assert request(session, AfcOpcode.FILE_CLOSE, U64.pack(handle)) == status(AfcError.SUCCESS)
    assert request(session, AfcOpcode.READ, struct.pack("<QQ", handle, 1)) == status(AfcError.INVALID_ARG)


def test_documents_only_tree() -> None:
    session = AfcSession(MemoryFS(FS.files, documents_only=True))
    assert request(session, AfcOpcode.READ_DIR, b"/\0") == status(AfcError.PERM_DENIED)
    assert request(session, AfcOpcode.GET_FILE_INFO, b"Library/Caches\0") == status(AfcError.PERM_DENIED)
    assert request(session, AfcOpcode.READ_DIR, b"/Documents\0")[0] == AfcOpcode.DATA


# -- house_arrest: the vend decision and the container view ----------------------------------------
class _App:
    def __init__(self, app_type: str, **attrs: Any) -> None:
        self.app_type = app_type
        self.attrs = attrs

    def attributes(self) -> dict[str, Any]:
        return dict(self.attrs)


class _System:
    def container(self, bundle_id: str) -> list[ContainerFile] | None:
        return [ContainerFile("Documents/x/y.txt", b"yy", 10.0), ContainerFile("tmp/", b"", 20.0)]


class _Phone:
    def __init__(self, system: Any = None) -> None:
        dev = "Apple Development: Lab Signer (LAB0000000)"
        store = "Apple iPhone OS Application Signing"
        self.apps = {"dev": _App("User", SignerIdentity=dev, UIFileSharingEnabled=True),
                     "store": _App("User", SignerIdentity=store, UIFileSharingEnabled=True),
                     "plain": _App("User", SignerIdentity=dev), "sys": _App("System")}
        self.system = system


@pytest.mark.parametrize(("command", "bundle", "system", "reply"), [
    ("VendContainer", "dev", _System(), {"Status": "Complete"}),
    ("VendDocuments", "dev", _System(), {"Status": "Complete"}),
    ("VendContainer", "missing", _System(), {"Error": "ApplicationLookupFailed"}),
    ("VendContainer", "sys", _System(), {"Error": "InstallationLookupFailed"}),
    ("VendContainer", "store", _System(), {"Error": "InstallationLookupFailed"}),  # App Store signature
    ("VendDocuments", "store", _System(), {"Status": "Complete"}),  # Documents: file sharing, any signature
    ("VendDocuments", "plain", _System(), {"Error": "InstallationLookupFailed"}),  # no UIFileSharingEnabled
    ("VendContainer", "dev", None, {"Error": "MissingContainer"}),  # no OS model: no container to find
])
def test_vend_decisions(command: str, bundle: str, system: Any, reply: dict[str, str]) -> None:
    got, vended = vend(_Phone(system), {"Command": command, "Identifier": bundle})  # type: ignore[arg-type]
    assert got == reply
    assert (vended is not None) == ("Status" in reply)


def test_container_view_implies_parent_directories() -> None:
    fs = ContainerFileSystem(_Phone(_System()), Vended("dev", documents_only=False))  # type: ignore[arg-type]
    fs.refresh()
    assert fs.listdir("") == ["Documents", "tmp"] and fs.listdir("Documents") == ["x"]
    assert fs.lookup("Documents/x") == AfcNode(True, 0, 10_000_000_000, 1)
    assert fs.lookup("Documents/x/y.txt") == AfcNode(False, 2, 10_000_000_000)
    assert fs.lookup("nope") is None and fs.read("Documents/x/y.txt") == b"yy"


@pytest.mark.parametrize(("buf", "expected"), [
    (b"", None), (b"\0\0\0", None), (b"\0\0\0\x10" + b"<", None),
])
def test_take_frame_waits_for_a_whole_frame(buf: bytes, expected: Any) -> None:
    assert take_frame(bytearray(buf)) == expected


@pytest.mark.parametrize("buf", [b"\x7f\0\0\0", b"\0\0\0\x03abc"])
def test_take_frame_rejects_garbage(buf: bytes) -> None:
    with pytest.raises(ValueError):
        take_frame(bytearray(buf))
