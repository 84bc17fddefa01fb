"""house_arrest + AFC of a lab iPhone through the unmodified pymobiledevice3 (``HouseArrestService`` and
``apps pull``), with the app container coming from the phone's OS model (the ``LabSystem`` test double)."""

from __future__ import annotations

import plistlib
import socket
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pymobiledevice3.exceptions import AfcFileNotFoundError, AppNotInstalledError, PyMobileDevice3Exception
from pymobiledevice3.services.house_arrest import HouseArrestService

from harness.lab.clock import RealtimeClock
from harness.lab.ios.afc import AFC_HEADER, AFC_MAGIC, AfcError, AfcOpcode
from harness.lab.ios.codec import encode_plist_frame
from harness.lab.ios.contracts import ContainerFile
from tests.lab.ios.conftest import IOSLab
from tests.lab.ios.test_dvt import APP, IOS16, IOS17, PMD3, api, connect_service, make_phone, recv_exact, system

NO_SHARING = "com.example.nosharing"
RING = b'{"v":1,"event":"task_start","task":"sync"}\n' * 3
MTIME = 1_700_000_123.5


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IOSLab]:
    clock = RealtimeClock(1.0)
    sharing = make_phone(clock, "iphone-16", IOS16, "16.7.2", UIFileSharingEnabled=True)
    plain = make_phone(clock, "iphone-17", IOS17, "17.5.1")
    lab = IOSLab([sharing, plain], clock, tmp_path_factory.mktemp("home"))
    for phone in (sharing, plain):
        system(lab, phone.udid).containers[APP] = [
            ContainerFile("Documents/", b"", MTIME), ContainerFile("Documents/bgprobe.jsonl", RING, MTIME),
            ContainerFile("Library/Preferences/com.example.courier.plist", b"bplist00", MTIME),
            ContainerFile("tmp/", b"", MTIME)]
    lab.start()
    try:
        yield lab
    finally:
        lab.stop()


def house_arrest(lab: IOSLab, udid: str, bundle: str, body: Any, *, documents: bool = False) -> Any:
    async def run(lockdown: Any) -> Any:
        async with await HouseArrestService.create(lockdown, bundle, documents_only=documents) as afc:
            return await body(afc)

    return api(lab, udid, run)


# -- VendContainer --------------------------------------------------------------------------------
def test_listing_and_stat_of_the_container(lab: IOSLab) -> None:
    async def body(afc: HouseArrestService) -> tuple[Any, ...]:
        return (await afc.listdir("/"), await afc.listdir("Library"), await afc.listdir("/Library/Preferences"),
                await afc.stat("Documents/bgprobe.jsonl"), await afc.stat("/Library"))

    root, library, prefs, ring, lib = house_arrest(lab, IOS16, APP, body)
    assert root == ["Documents", "Library", "tmp"]  # Library is implied by the file under it
    assert library == ["Preferences"] and prefs == ["com.example.courier.plist"]
    assert ring["st_ifmt"] == "S_IFREG" and ring["st_size"] == len(RING) and ring["st_nlink"] == 1
    assert ring["st_mtime"].timestamp() == pytest.approx(MTIME)
    assert lib["st_ifmt"] == "S_IFDIR"


def test_file_contents_and_device_info(lab: IOSLab) -> None:
    async def body(afc: HouseArrestService) -> tuple[bytes, dict[str, str]]:
        return await afc.get_file_contents("/Documents/bgprobe.jsonl"), await afc.get_device_info()  # type: ignore[no-untyped-call]

    data, info = house_arrest(lab, IOS16, APP, body)
    assert data == RING
    assert info == {"Model": "iPhone14,2", "FSTotalBytes": "128000000000", "FSFreeBytes": "91000000000",
                    "FSBlockSize": "4096"}


def test_missing_paths_and_escapes(lab: IOSLab) -> None:
    async def body(afc: HouseArrestService) -> tuple[bool, bool]:
        with pytest.raises(AfcFileNotFoundError):
            await afc.stat("Documents/nope.txt")
        with pytest.raises(AfcFileNotFoundError):
            await afc.listdir("nope")
        with pytest.raises(PyMobileDevice3Exception, match="PERM_DENIED"):
            await afc.listdir("../..")  # above the container root
        with pytest.raises(PyMobileDevice3Exception, match="OP_NOT_SUPPORTED"):
            await afc.set_file_contents("Documents/new.txt", b"x")  # the lab's containers are read-only
        return await afc.exists("Documents/bgprobe.jsonl"), await afc.exists("Documents/nope.txt")

    assert house_arrest(lab, IOS16, APP, body) == (True, False)


def test_a_file_the_app_writes_shows_up_in_the_open_session(lab: IOSLab) -> None:
    sys16 = system(lab, IOS16)

    async def body(afc: HouseArrestService) -> tuple[list[str], list[str]]:
        before = await afc.listdir("Documents")
        lab.call(sys16.containers[APP].append, ContainerFile("Documents/late.txt", b"late", MTIME + 5))
        return before, await afc.listdir("Documents")

    try:
        before, after = house_arrest(lab, IOS16, APP, body)
    finally:
        sys16.containers[APP] = [f for f in sys16.containers[APP] if f.path != "Documents/late.txt"]
    assert "late.txt" not in before and "late.txt" in after


def test_pull_a_directory_through_the_api(lab: IOSLab, tmp_path: Path) -> None:
    async def body(afc: HouseArrestService) -> None:
        await afc.pull("Documents", str(tmp_path), progress_bar=False)

    house_arrest(lab, IOS16, APP, body)
    assert (tmp_path / "Documents" / "bgprobe.jsonl").read_bytes() == RING


def test_cli_apps_pull(lab: IOSLab, tmp_path: Path) -> None:
    dest = tmp_path / "ring.jsonl"
    out = lab.run(PMD3, "apps", "pull", APP, "Documents/bgprobe.jsonl", str(dest), "--udid", IOS16, timeout_s=30)
    assert out.returncode == 0, out.stdout + out.stderr
    assert dest.read_bytes() == RING
    assert dest.stat().st_mtime == pytest.approx(MTIME, abs=1)  # pull copies st_mtime


# -- VendDocuments --------------------------------------------------------------------------------
def test_vend_documents_reaches_only_documents(lab: IOSLab) -> None:
    async def body(afc: HouseArrestService) -> list[str]:
        with pytest.raises(PyMobileDevice3Exception, match="PERM_DENIED"):
            await afc.listdir("/")
        with pytest.raises(PyMobileDevice3Exception, match="PERM_DENIED"):
            await afc.stat("Library/Preferences/com.example.courier.plist")
        return await afc.listdir("/Documents")

    assert house_arrest(lab, IOS16, APP, body, documents=True) == ["bgprobe.jsonl"]


def test_vend_documents_needs_file_sharing(lab: IOSLab) -> None:
    async def body(afc: HouseArrestService) -> None:
        raise AssertionError("vended without UIFileSharingEnabled")

    with pytest.raises(PyMobileDevice3Exception, match="InstallationLookupFailed"):
        house_arrest(lab, IOS17, APP, body, documents=True)


# -- refusals -------------------------------------------------------------------------------------
def test_unknown_bundle_is_application_lookup_failed(lab: IOSLab) -> None:
    async def body(afc: HouseArrestService) -> None:
        raise AssertionError("vended an unknown app")

    with pytest.raises(AppNotInstalledError):
        house_arrest(lab, IOS16, "com.example.missing", body)


def test_system_app_is_installation_lookup_failed(lab: IOSLab) -> None:
    async def body(afc: HouseArrestService) -> None:
        raise AssertionError("vended a system app")

    with pytest.raises(PyMobileDevice3Exception, match="InstallationLookupFailed"):
        house_arrest(lab, IOS16, "com.apple.mobilesafari", body)


def test_cli_pull_of_an_unknown_bundle(lab: IOSLab, tmp_path: Path) -> None:
    out = lab.run(PMD3, "apps", "pull", "com.example.missing", "Documents/x", str(tmp_path / "x"), "--udid", IOS16)
    assert out.returncode != 0
    assert "No app with bundle ID com.example.missing is installed" in out.stdout + out.stderr


# -- raw wire: errors a client library would not send ---------------------------------------------
def vend_raw(lab: IOSLab, command: dict[str, Any]) -> tuple[socket.socket, dict[str, Any]]:
    sock = connect_service(lab, IOS16, "com.apple.mobile.house_arrest")
    sock.sendall(encode_plist_frame(command))
    (length,) = struct.unpack(">I", recv_exact(sock, 4))
    return sock, dict(plistlib.loads(recv_exact(sock, length)))


def afc_request(sock: socket.socket, num: int, op: int, payload: bytes = b"") -> tuple[int, int, bytes]:
    length = AFC_HEADER.size + len(payload)
    sock.sendall(AFC_HEADER.pack(AFC_MAGIC, length, length, num, op) + payload)
    magic, entire, _this, reply_num, reply_op = AFC_HEADER.unpack(recv_exact(sock, AFC_HEADER.size))
    assert magic == AFC_MAGIC
    return reply_num, reply_op, recv_exact(sock, entire - AFC_HEADER.size)


@pytest.mark.parametrize(("command", "error"), [
    ({"Command": "VendContainer"}, "MissingIdentifier"),
    ({"Identifier": APP}, "MissingCommand"),
    ({"Command": "VendEverything", "Identifier": APP}, "UnknownCommand"),
])
def test_malformed_vend_commands(lab: IOSLab, command: dict[str, Any], error: str) -> None:
    sock, reply = vend_raw(lab, command)
    assert reply == {"Error": error}
    assert sock.recv(16) == b""  # mobile_house_arrest closes the connection after an error
    sock.close()


def test_unknown_opcodes_get_a_status(lab: IOSLab) -> None:
    sock, reply = vend_raw(lab, {"Command": "VendContainer", "Identifier": APP})
    assert reply == {"Status": "Complete"}
    cases = [(7, 0x99, AfcError.UNKNOWN_PACKET_TYPE), (8, AfcOpcode.STATUS, AfcError.UNKNOWN_PACKET_TYPE),
             (9, AfcOpcode.REMOVE_PATH, AfcError.OP_NOT_SUPPORTED), (10, AfcOpcode.READ, AfcError.OP_HEADER_INVALID)]
    for num, op, expected in cases:
        assert afc_request(sock, num, op) == (num, AfcOpcode.STATUS, struct.pack("<Q", expected))
    num, op, body = afc_request(sock, 11, AfcOpcode.READ_DIR, b"Documents\0")  # still serving
    assert (num, op) == (11, AfcOpcode.DATA) and body.split(b"\0")[:3] == [b".", b"..", b"bgprobe.jsonl"]
    sock.close()


def test_malformed_afc_closes_only_that_connection(lab: IOSLab) -> None:
    sock, _ = vend_raw(lab, {"Command": "VendContainer", "Identifier": APP})
    sock.sendall(b"NOTAFC!!" + b"\0" * 32)
    assert sock.recv(16) == b""
    sock.close()

    async def body(afc: HouseArrestService) -> list[str]:
        return await afc.listdir("Documents")

    assert house_arrest(lab, IOS16, APP, body) == ["bgprobe.jsonl"]
