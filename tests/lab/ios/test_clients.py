"""The virtual iPhones driven by the unmodified clients: pymobiledevice3 (CLI and API) and Debian's
libimobiledevice 1.3.0 tools, through ``USBMUXD_SOCKET_ADDRESS=127.0.0.1:PORT``."""

from __future__ import annotations

import asyncio
import json
import plistlib
import queue
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from pymobiledevice3.exceptions import BadDevError, ConnectionFailedError
from pymobiledevice3.lockdown import create_using_usbmux
from pymobiledevice3.services.installation_proxy import InstallationProxyService
from pymobiledevice3.services.os_trace import OsTraceService
from pymobiledevice3.services.syslog import SyslogService
from pymobiledevice3.usbmux import MuxDevice, PlistMuxConnection, create_mux, list_devices

from harness.lab.ios.codec import MuxDecoder, encode_mux_plist, encode_plist_frame
from tests.lab.ios.conftest import SECOND_UDID, IOSLab

UDID = "00008120-001A2C3E0E90201E"
PMD3 = str(Path(__file__).resolve().parents[3] / ".venv" / "bin" / "pymobiledevice3")

needs_limd = pytest.mark.skipif(shutil.which("idevice_id") is None, reason="libimobiledevice-utils not installed")


class Stream:
    """A long-running client whose stdout lines are collected by a thread."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, text: str, timeout_s: float = 10.0) -> str:
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            self.seen.append(line)
            if text in line:
                return line
        tail = "\n".join(self.seen[-10:])
        raise AssertionError(f"{text!r} not seen within {timeout_s} s; last lines:\n{tail}")


@contextmanager
def streaming(lab: IOSLab, *cmd: str) -> Iterator[Stream]:
    env = {**lab.env, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        yield Stream(proc)
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def marker() -> str:
    return f"lab-marker-{uuid.uuid4().hex[:8]}"


# -- libimobiledevice ------------------------------------------------------------------------------
@needs_limd
def test_idevice_id_lists_every_phone(ios_lab: IOSLab) -> None:
    out = ios_lab.run("idevice_id", "-l")
    assert out.returncode == 0, out.stderr
    assert set(out.stdout.split()) == {UDID, SECOND_UDID}


@needs_limd
def test_ideviceinfo_key(ios_lab: IOSLab) -> None:
    out = ios_lab.run("ideviceinfo", "-u", UDID, "-k", "ProductVersion")
    assert (out.returncode, out.stdout.strip()) == (0, "18.1"), out.stderr
    other = ios_lab.run("ideviceinfo", "-u", SECOND_UDID, "-k", "ProductType")
    assert other.stdout.strip() == "iPhone16,1"


@needs_limd
def test_ideviceinfo_all_values_and_a_domain(ios_lab: IOSLab) -> None:
    out = ios_lab.run("ideviceinfo", "-u", UDID)
    assert "ProductType: iPhone15,4" in out.stdout and "CPUArchitecture: arm64e" in out.stdout, out.stderr
    battery = ios_lab.run("ideviceinfo", "-u", UDID, "-q", "com.apple.mobile.battery")
    assert "BatteryCurrentCapacity: 100" in battery.stdout


@needs_limd
def test_idevicesyslog_shows_lines_written_into_the_phone(ios_lab: IOSLab) -> None:
    before, after = marker(), marker()
    ios_lab.call(ios_lab.phone.log, "SpringBoard", before, pid=58, image="FrontBoard")
    with streaming(ios_lab, "stdbuf", "-oL", "idevicesyslog", "-u", UDID) as stream:
        line = stream.wait_for(before)  # from the ring buffer
        assert " SpringBoard(FrontBoard)[58] <Notice>: " in line
        ios_lab.call(ios_lab.phone.log, "Courier", after, pid=812, level="Error")
        assert "Courier[812] <Error>: " in stream.wait_for(after)  # live


# -- pymobiledevice3 CLI ----------------------------------------------------------------------------
def test_pmd3_usbmux_list(ios_lab: IOSLab) -> None:
    out = ios_lab.run(PMD3, "usbmux", "list")
    assert out.returncode == 0, out.stderr
    listed = {entry["UniqueDeviceID"]: entry for entry in json.loads(out.stdout)}
    assert set(listed) == {UDID, SECOND_UDID}
    assert listed[UDID]["ProductVersion"] == "18.1"
    assert listed[UDID]["ConnectionType"] == "USB"
    assert listed[SECOND_UDID]["DeviceName"] == "QA Pro"


def test_pmd3_lockdown_info(ios_lab: IOSLab) -> None:
    out = ios_lab.run(PMD3, "lockdown", "info", "--udid", UDID)
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout)
    assert (info["ProductVersion"], info["ProductType"], info["UniqueDeviceID"]) == ("18.1", "iPhone15,4", UDID)


def test_pmd3_apps_list(ios_lab: IOSLab) -> None:
    out = ios_lab.run(PMD3, "apps", "list", "--udid", UDID)
    assert out.returncode == 0, out.stderr
    apps = json.loads(out.stdout)
    courier = apps["com.example.courier"]
    assert (courier["CFBundleExecutable"], courier["ApplicationType"]) == ("Courier", "User")
    assert "CFBundleShortVersionString" in courier
    assert "com.apple.mobilesafari" in apps


def test_pmd3_syslog_live_over_os_trace_relay(ios_lab: IOSLab) -> None:
    before, text = marker(), marker()
    ios_lab.call(ios_lab.phone.log, "SpringBoard", before, pid=58)
    with streaming(ios_lab, PMD3, "syslog", "live", "--udid", UDID) as stream:
        stream.wait_for(before, timeout_s=15)  # replayed from the ring (HISTORICAL): the stream is up
        ios_lab.call(ios_lab.phone.log, "dasd", text, pid=139, image="DuetActivityScheduler")
        line = stream.wait_for(text)
    assert "dasd{DuetActivityScheduler}[139] <NOTICE>: " in line


# -- pymobiledevice3 API ----------------------------------------------------------------------------
def test_pmd3_api_lockdown_syslog_and_apps(ios_lab: IOSLab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USBMUXD_SOCKET_ADDRESS", ios_lab.server.address)
    before, text = marker(), marker()
    ios_lab.call(ios_lab.phone.log, "SpringBoard", before, pid=58)

    async def scenario() -> None:
        lockdown = await create_using_usbmux(serial=UDID, pairing_records_cache_folder=ios_lab.home / "pmd3")
        assert lockdown.paired
        assert await lockdown.get_value(key="ProductVersion") == "18.1"
        assert (await lockdown.get_value())["UniqueDeviceID"] == UDID
        assert lockdown.product_type == "iPhone15,4"
        async with InstallationProxyService(lockdown=lockdown) as proxy:
            user_apps = await proxy.browse(options={"ApplicationType": "User"})
        assert [app["CFBundleIdentifier"] for app in user_apps] == ["com.example.courier"]
        pids = (await OsTraceService(lockdown=lockdown).get_pid_list())["Payload"]  # type: ignore[no-untyped-call]
        assert pids["58"]["ProcessName"] == "SpringBoard"
        syslog = SyslogService(lockdown)
        lines = syslog.watch()
        async with asyncio.timeout(10):
            async for line in lines:  # `before` comes with the ring's replay: the relay is connected
                if before in str(line):
                    break
            await asyncio.to_thread(ios_lab.call, ios_lab.phone.log, "Courier", text, pid=812)
            async for line in lines:
                if text in str(line):
                    break
        await syslog.close()
        await lockdown.close()

    asyncio.run(scenario())


def test_pmd3_browse_pages_through_many_apps(ios_lab: IOSLab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USBMUXD_SOCKET_ADDRESS", ios_lab.server.address)

    async def scenario() -> list[str]:
        lockdown = await create_using_usbmux(serial=SECOND_UDID, pairing_records_cache_folder=ios_lab.home / "pmd3")
        async with InstallationProxyService(lockdown=lockdown) as proxy:
            apps = await proxy.browse(options={"ApplicationType": "User"})
        await lockdown.close()
        return [app["CFBundleIdentifier"] for app in apps]

    assert asyncio.run(scenario()) == [f"com.example.filler{i:02d}" for i in range(30)]  # two pages of 20


def test_pmd3_pairs_when_usbmuxd_has_no_record(ios_lab: IOSLab, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a record pmd3 autopairs: DevicePublicKey → its own cert chain → Pair → SavePairRecord."""
    monkeypatch.setenv("USBMUXD_SOCKET_ADDRESS", ios_lab.server.address)
    second = ios_lab.phones[1]

    async def scenario() -> str:
        mux = await create_mux()
        assert isinstance(mux, PlistMuxConnection)
        await mux._send_receive({"MessageType": "DeletePairRecord", "PairRecordID": SECOND_UDID})
        await mux.close()  # type: ignore[no-untyped-call]
        lockdown = await create_using_usbmux(serial=SECOND_UDID, pairing_records_cache_folder=ios_lab.home / "pair")
        assert lockdown.paired
        assert await lockdown.get_value(key="ProductType") == "iPhone16,1"
        await lockdown.close()
        return lockdown.host_id

    host_id = asyncio.run(scenario())
    assert host_id != second.pairing.host_id
    assert ios_lab.call(second.trusts, host_id)
    saved = ios_lab.call(ios_lab.server.mux.pair_record, SECOND_UDID)
    assert plistlib.loads(saved)["HostID"] == host_id  # pmd3 saved its record through SavePairRecord


def test_pmd3_listen_sees_detach_and_reattach(ios_lab: IOSLab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USBMUXD_SOCKET_ADDRESS", ios_lab.server.address)
    second = ios_lab.phones[1]

    async def scenario() -> None:
        mux = await create_mux()
        await mux.listen()  # type: ignore[no-untyped-call]
        for _ in range(2):
            await mux.receive_device_state_update()  # type: ignore[no-untyped-call]
        assert {d.serial for d in mux.devices} == {UDID, SECOND_UDID}
        await asyncio.to_thread(ios_lab.call, ios_lab.server.detach, second)
        await asyncio.wait_for(mux.receive_device_state_update(), 5)  # type: ignore[no-untyped-call]
        assert {d.serial for d in mux.devices} == {UDID}
        await asyncio.to_thread(ios_lab.call, ios_lab.server.attach, second)
        await asyncio.wait_for(mux.receive_device_state_update(), 5)  # type: ignore[no-untyped-call]
        assert {d.serial for d in mux.devices} == {UDID, SECOND_UDID}
        await mux.close()  # type: ignore[no-untyped-call]

    asyncio.run(scenario())


def test_pmd3_connect_errors(ios_lab: IOSLab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USBMUXD_SOCKET_ADDRESS", ios_lab.server.address)

    async def scenario() -> None:
        device = next(d for d in await list_devices() if d.serial == UDID)
        with pytest.raises(ConnectionFailedError):
            await device.connect(1234)
        with pytest.raises(BadDevError):
            await MuxDevice(999, "nope", "USB").connect(62078)

    asyncio.run(scenario())


# -- robustness -------------------------------------------------------------------------------------
def _exchange(address: str, data: bytes, timeout_s: float = 2.0) -> bytes:
    host, port = address.split(":")
    with socket.create_connection((host, int(port)), timeout=timeout_s) as sock:
        sock.sendall(data)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
                if len(b"".join(chunks)) >= 16:
                    break
        except TimeoutError:
            pass
        return b"".join(chunks)


def test_garbage_never_stops_the_server(ios_lab: IOSLab) -> None:
    address = ios_lab.server.address
    _exchange(address, b"\xff" * 64, 0.5)  # an absurd length: usbmuxd drops the client
    _exchange(address, b"\x14\x00\x00\x00\x01\x00\x00\x00\x08\x00\x00\x00\x01\x00\x00\x00junk", 0.5)
    unknown = MuxDecoder().packets(_exchange(address, encode_mux_plist(5, {"MessageType": "Frob"})))
    assert unknown[0].tag == 5 and b"<integer>1</integer>" in unknown[0].payload
    # A tunnel to lockdownd that receives a non-plist frame is dropped; nothing else is.
    connect = encode_mux_plist(1, {"MessageType": "Connect", "DeviceID": 1, "PortNumber": socket.htons(62078)})
    _exchange(address, connect + b"\x00\x00\x00\x04junk" + encode_plist_frame({"Request": "QueryType"}), 0.5)
    buid = MuxDecoder().packets(_exchange(address, encode_mux_plist(2, {"MessageType": "ReadBUID"})))
    assert b"<key>BUID</key>" in buid[0].payload


def test_server_finds_phones_by_name_or_udid(ios_lab: IOSLab) -> None:
    assert ios_lab.server.phone("iphone-15") is ios_lab.phone
    assert ios_lab.server.phone(UDID.replace("-", "")) is ios_lab.phone
    with pytest.raises(KeyError, match="no phone 'nope' attached"):
        ios_lab.server.phone("nope")
