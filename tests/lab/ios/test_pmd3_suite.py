"""What pymobiledevice3's own device suite checks, run against the lab's two iPhones of devices.toml.

pymobiledevice3's ``tests/`` (GPL-3.0, doronz88/pymobiledevice3 at 62e2957a, the newest stored snapshot;
the installed 11.45.0 ships no tests) run against whatever phone usbmuxd lists. Its files are not
vendored: these tests mirror the checks it makes on the services the lab offers, written anew, driving
the unmodified pymobiledevice3 API and CLI through the lab's usbmuxd:

- ``tests/services/test_afc.py``: ``com.apple.afc`` serves a writable media directory (DCIM, Downloads,
  Books at the root; files and directories created, read, renamed and removed; the errors it names);
- ``tests/services/instruments/test_dvt_provider.py``: SpringBoard, killed over DVT, is back under a new
  pid (``test_kill``); ``isPidDebuggable:`` answers; ``ls``, hardware and network information, the
  application listing; ``test_screenshot.py``; ``tests/cli/developer/dvt/sysmon/test_process.py``
  (sysmontap); ``test_core_profile_session.py:test_stackshot``;
- ``tests/services/test_bonjour.py:test_mobdev2``: ``set_enable_wifi_connections`` (wireless_lockdown);
- and what the same suite needs of usbmuxd, plus ``ListListeners`` and the binary protocol
  (``usbmuxd@1.1.1:src/client.c``).

Run the upstream suite itself against the lab by hand: start the lab (``harness lab``), point
``USBMUXD_SOCKET_ADDRESS`` at its usbmuxd and run ``pytest -m device tests/services`` in a checkout of
pymobiledevice3 (with pytest-asyncio, ``-o asyncio_mode=auto``).
"""

from __future__ import annotations

import asyncio
import plistlib
import socket
import struct
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from pymobiledevice3.exceptions import AfcException, AfcFileNotFoundError, DvtDirListError
from pymobiledevice3.lockdown import LockdownClient, create_using_usbmux
from pymobiledevice3.services.afc import MAXIMUM_READ_SIZE, AfcError, AfcService
from pymobiledevice3.services.dvt.instruments.application_listing import ApplicationListing
from pymobiledevice3.services.dvt.instruments.core_profile_session_tap import CoreProfileSessionTap
from pymobiledevice3.services.dvt.instruments.device_info import DeviceInfo
from pymobiledevice3.services.dvt.instruments.dvt_provider import DvtProvider
from pymobiledevice3.services.dvt.instruments.process_control import ProcessControl
from pymobiledevice3.services.dvt.instruments.screenshot import Screenshot
from pymobiledevice3.services.dvt.instruments.sysmontap import Sysmontap

from harness.config import load_config
from harness.lab.clock import RealtimeClock
from harness.lab.ios import build_iphone
from harness.lab.ios.codec import MuxDecoder, MuxPacket, encode_mux, encode_mux_plist
from harness.lab.ios.device import RESPAWN_S
from harness.lab.ios.noise import start_syslog_noise
from tests.lab.ios.conftest import ROOT, IOSLab, running

PMD3 = str(ROOT / ".venv" / "bin" / "pymobiledevice3")
IPHONE_12, IPHONE_15 = "00008101-000A1D2C3E4F001E", "00008120-001A2C3E0E90201E"  # devices.toml
BOTH = pytest.mark.parametrize("udid", [IPHONE_12, IPHONE_15])


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IOSLab]:
    cfg = load_config(ROOT / "devices.toml")
    clock = RealtimeClock(1.0)
    phones = [build_iphone(cfg.device(name), cfg.app, clock) for name in ("iphone-12", "iphone-15")]
    for lab in running(IOSLab(phones, clock, tmp_path_factory.mktemp("home"))):
        # as `harness lab` runs them: other apps and daemons come and go in the background log
        noises = [lab.call(start_syslog_noise, phone, 50.0, cfg.app.ios_bundle_id, lab.loop) for phone in phones]
        yield lab
        for noise in noises:
            lab.call(noise.ticker.stop)


def api(lab: IOSLab, udid: str, body: Callable[[LockdownClient], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        lockdown = await create_using_usbmux(serial=udid, usbmux_address=lab.server.address)
        try:
            return await asyncio.wait_for(body(lockdown), 30)
        finally:
            await lockdown.close()

    return asyncio.run(main())


def afc(lab: IOSLab, udid: str, body: Callable[[AfcService], Awaitable[Any]]) -> Any:
    async def run(lockdown: LockdownClient) -> Any:
        async with AfcService(lockdown) as service:
            return await body(service)

    return api(lab, udid, run)


# -- com.apple.afc --------------------------------------------------------------------------------
@BOTH
def test_afc_ls_root_on_the_cli_shows_a_used_phones_media_directory(lab: IOSLab, udid: str) -> None:
    out = lab.run(PMD3, "afc", "ls", "/", "--udid", udid)
    assert out.returncode == 0, out.stderr
    listed = set(out.stdout.split())
    assert {"/DCIM", "/Downloads", "/Books", "/iTunes_Control", "/PhotoData", "/Recordings"} <= listed
    photos = lab.run(PMD3, "afc", "ls", "/DCIM/100APPLE", "--udid", udid)
    assert "/DCIM/100APPLE/IMG_0001.HEIC" in photos.stdout.split()


@BOTH
def test_afc_write_read_rename_remove(lab: IOSLab, udid: str) -> None:
    async def body(service: AfcService) -> tuple[Any, ...]:
        device_now = datetime.fromtimestamp(await service.lockdown.get_value(key="TimeIntervalSince1970"))
        await service.makedirs("dir_a/dir_b")
        await service.set_file_contents("dir_a/dir_b/source.txt", b"data")
        stat = await service.stat("dir_a/dir_b/source.txt")
        await service.rename("dir_a/dir_b/source.txt", "dir_a/dest.txt")
        moved = await service.get_file_contents("dir_a/dest.txt")
        gone = not await service.exists("dir_a/dir_b/source.txt")
        listing = sorted(await service.listdir("dir_a"))
        await service.rm("dir_a")
        return device_now.replace(microsecond=0), stat, moved, gone, listing, await service.exists("dir_a")

    now, stat, moved, gone, listing, still_there = afc(lab, udid, body)
    assert stat["st_size"] == 4 and stat["st_ifmt"] == "S_IFREG" and stat["st_mtime"] >= now
    assert moved == b"data" and gone and listing == ["dest.txt", "dir_b"] and not still_there


def test_afc_errors_are_the_ones_pymobiledevice3s_suite_expects(lab: IOSLab) -> None:
    async def body(service: AfcService) -> dict[str, Any]:
        await service.set_file_contents("test", b"data")
        errors: dict[str, Any] = {}
        for name, call in (("listdir_file", service.listdir("test")), ("makedirs_through_file",
                           service.makedirs("test/sub_folder")), ("rm_missing", service.rm_single("missing/x/")),
                           ("fclose_unknown", service.fclose(77)), ("fwrite_unknown", service.fwrite(77, b"x"))):
            try:
                await call
            except AfcException as exc:
                errors[name] = (type(exc), exc.status)
        await service.makedirs("full/inner")
        try:
            await service.rm_single("full")
        except AfcException as exc:
            errors["rm_non_empty"] = (type(exc), exc.status)
        await service.rm("full")
        await service.rm("test")
        return errors

    errors = afc(lab, IPHONE_12, body)
    assert errors == {"listdir_file": (AfcException, AfcError.READ_ERROR),
                      "makedirs_through_file": (AfcException, AfcError.OBJECT_EXISTS),
                      "rm_missing": (AfcFileNotFoundError, AfcError.OBJECT_NOT_FOUND),
                      "fclose_unknown": (AfcException, AfcError.INVALID_ARG),
                      "fwrite_unknown": (AfcException, AfcError.INVALID_ARG),
                      "rm_non_empty": (AfcException, AfcError.DIR_NOT_EMPTY)}


def test_afc_keeps_what_one_connection_wrote_for_the_next(lab: IOSLab) -> None:
    big = bytes(range(256)) * (MAXIMUM_READ_SIZE // 128)  # two reads' worth, as test_push_pull_bigger_than_max_chunk

    async def write(service: AfcService) -> None:
        await service.set_file_contents("Downloads/big.bin", big)

    async def read_and_remove(service: AfcService) -> bytes:
        data = await service.get_file_contents("Downloads/big.bin")
        await service.rm("Downloads/big.bin")
        return data

    afc(lab, IPHONE_15, write)
    assert afc(lab, IPHONE_15, read_and_remove) == big


# -- DVT process control --------------------------------------------------------------------------
def springboard_pid(lab: IOSLab) -> int:
    async def body(lockdown: LockdownClient) -> int:
        async with DvtProvider(lockdown) as dvt, DeviceInfo(dvt) as info:
            return int(next(p["pid"] for p in await info.proclist() if p["name"] == "SpringBoard"))

    return int(api(lab, IPHONE_12, body))


def test_killed_springboard_is_back_under_a_new_pid(lab: IOSLab) -> None:
    before = springboard_pid(lab)

    async def kill(lockdown: LockdownClient) -> None:
        async with DvtProvider(lockdown) as dvt, ProcessControl(dvt) as control:
            await control.kill(before)

    api(lab, IPHONE_12, kill)
    phone = lab.phones[0]
    assert lab.call(lambda: "SpringBoard" not in phone.processes.values())  # gone until launchd restarts it
    after_device_s(lab, RESPAWN_S)
    respawned = lab.call(lambda: [pid for pid, name in phone.processes.items() if name == "SpringBoard"])
    assert len(respawned) == 1 and respawned[0] != before and springboard_pid(lab) == respawned[0]


def after_device_s(lab: IOSLab, delay_s: float) -> None:
    """Return once the phone's clock has run ``delay_s`` past now (a timer on the lab's clock, not a sleep)."""
    async def wait() -> None:
        done = asyncio.get_running_loop().create_future()
        lab.clock.call_later(delay_s, lambda: done.set_result(None))
        await done

    asyncio.run_coroutine_threadsafe(wait(), lab.loop).result(30)


def test_is_pid_debuggable(lab: IOSLab) -> None:
    app = lab.call(lambda: lab.phones[0].system.launch("com.example.courier") if lab.phones[0].system else 0)

    async def body(lockdown: LockdownClient) -> tuple[bool, bool, bool]:
        async with DvtProvider(lockdown) as dvt, ProcessControl(dvt) as control:
            service = control.service
            return (await service.is_pid_debuggable_(app), await service.is_pid_debuggable_(1),
                    await service.is_pid_debuggable_(99_999))

    assert api(lab, IPHONE_12, body) == (True, False, False)  # development-signed app; launchd; no process


def test_device_info_directories_hardware_and_network(lab: IOSLab) -> None:
    async def body(lockdown: LockdownClient) -> tuple[Any, ...]:
        async with DvtProvider(lockdown) as dvt, DeviceInfo(dvt) as info:
            missing = None
            try:
                await info.ls("Directory that does not exist")
            except DvtDirListError as exc:
                missing = exc
            return (set(await info.ls("/")), await info.ls("/var/mobile/Media/DCIM"), missing,
                    await info.service.hardware_information(), await info.service.network_information())

    root, dcim, missing, hardware, network = api(lab, IPHONE_12, body)
    assert {"usr", "bin", "etc", "var", "private", "Applications", "Developer"} <= root  # test_ls
    assert dcim == ["100APPLE"] and isinstance(missing, DvtDirListError)
    assert hardware["numberOfCpus"] > 0 and network["lo0"] == "Loopback"


def test_application_listing_and_screenshot(lab: IOSLab) -> None:
    async def body(lockdown: LockdownClient) -> tuple[list[dict[str, Any]], bytes]:
        async with DvtProvider(lockdown) as dvt:
            async with ApplicationListing(dvt) as listing:
                apps = await listing.applist()
            async with Screenshot(dvt) as screenshot:
                return apps, await screenshot.get_screenshot()

    apps, png = api(lab, IPHONE_12, body)
    widget = next(app for app in apps if app["DisplayName"] == "StocksWidget")  # test_applist
    assert (widget["CFBundleIdentifier"], widget["Restricted"], widget["Type"]) == ("com.apple.stocks.widget", 1,
                                                                                    "PluginKit")
    assert any(app["CFBundleIdentifier"] == "com.example.courier" and app["Type"] == "User" for app in apps)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and struct.unpack(">II", png[16:24]) == (1170, 2532)


def test_sysmontap_streams_every_process_with_the_requested_attributes(lab: IOSLab) -> None:
    async def body(lockdown: LockdownClient) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        async with DvtProvider(lockdown) as dvt, await Sysmontap.create(dvt, interval=200) as sysmon:
            snapshots = sysmon.iter_processes()
            return await anext(snapshots), await anext(snapshots)

    first, second = api(lab, IPHONE_12, body)
    names = {process["name"] for process in first}
    assert {"launchd", "SpringBoard", "lockdownd"} <= names  # other apps come and go with the background log
    assert {"launchd", "SpringBoard", "lockdownd"} <= {process["name"] for process in second}
    springboard = next(process for process in first if process["name"] == "SpringBoard")
    assert springboard["pid"] > 0 and springboard["cpuUsage"] == 0.0 and springboard["physFootprint"] > 0


def test_core_profile_session_sends_a_stackshot_of_every_task(lab: IOSLab) -> None:
    async def body(lockdown: LockdownClient) -> dict[str, Any]:
        async with DvtProvider(lockdown) as dvt:
            time_config = await CoreProfileSessionTap.get_time_config(dvt)
            async with CoreProfileSessionTap(dvt, time_config) as tap:
                shot: dict[str, Any] = await tap.get_stackshot(timeout=20)
                return shot

    shot = api(lab, IPHONE_12, body)
    assert shot["osversion"].startswith("Darwin Kernel Version 22.")  # test_stackshot: iOS 16 runs Darwin 22
    kernel = shot["task_snapshots"][0]["task_snapshot"]
    assert (kernel["ts_pid"], kernel["ts_p_comm"]) == (0, "kernel_task")
    springboard = [t["task_snapshot"] for t in shot["task_snapshots"].values()
                   if t["task_snapshot"]["ts_p_comm"] == "SpringBoard"]
    assert len(springboard) == 1 and springboard[0]["ts_pid"] > 0
    assert shot["mach_timebase_info"] == {"numer": 125, "denom": 3}


# -- lockdownd: com.apple.mobile.wireless_lockdown --------------------------------------------------
def test_wireless_lockdown_domain_and_wifi_connections(lab: IOSLab) -> None:
    async def body(lockdown: LockdownClient) -> tuple[bool, dict[str, Any], bool]:
        before = await lockdown.get_enable_wifi_connections()
        await lockdown.set_enable_wifi_connections(True)
        domain = await lockdown.get_value(domain="com.apple.mobile.wireless_lockdown")
        after = await lockdown.get_enable_wifi_connections()
        await lockdown.set_enable_wifi_connections(False)
        return before, domain, after

    before, domain, after = api(lab, IPHONE_15, body)
    assert not before and after
    assert domain["SupportsWifi"] is True and domain["SupportsWifiSyncing"] is True
    assert domain["EnableWifiConnections"] is True
    mac = domain["BonjourFullServiceName"].split("@")[0]
    assert domain["BonjourFullServiceName"].endswith("._apple-mobdev2._tcp.local.") and mac.count(":") == 5


# -- usbmuxd: ListListeners and the binary protocol --------------------------------------------------
def mux_socket(lab: IOSLab) -> socket.socket:
    host, port = lab.server.address.rsplit(":", 1)
    return socket.create_connection((host, int(port)), timeout=10)


def read_packets(sock: socket.socket, count: int) -> list[MuxPacket]:
    decoder, packets = MuxDecoder(), list[MuxPacket]()
    while len(packets) < count:
        decoder.feed(sock.recv(65536))
        while (packet := decoder.next_packet()) is not None:
            packets.append(packet)
    return packets


def test_list_listeners_lists_the_connected_listeners(lab: IOSLab) -> None:
    listener = mux_socket(lab)
    asking = mux_socket(lab)
    try:
        listener.sendall(encode_mux_plist(1, {"MessageType": "Listen", "ProgName": "idevicesyslog",
                                              "kLibUSBMuxVersion": 3}))
        read_packets(listener, 3)  # Result, then one Attached per phone
        asking.sendall(encode_mux_plist(2, {"MessageType": "ListListeners", "ProgName": "pytest"}))
        [reply] = read_packets(asking, 1)
    finally:
        listener.close()
        asking.close()
    entries = plistlib.loads(reply.payload)["ListenerList"]
    ours = [e for e in entries if e["ProgName"] == "idevicesyslog"]
    assert len(ours) == 1 and ours[0]["ID String"].endswith("-idevicesyslog")
    assert {k: v for k, v in ours[0].items() if k != "ID String"} == {
        "Blacklisted": False, "ConnType": 0, "ProgName": "idevicesyslog", "kLibUSBMuxVersion": 3}


def test_binary_listen_and_connect_get_binary_results(lab: IOSLab) -> None:
    listen, connect = mux_socket(lab), mux_socket(lab)
    try:
        listen.sendall(encode_mux(MuxPacket(0, 3, 11)))
        result, first, second = read_packets(listen, 3)
        connect.sendall(encode_mux(MuxPacket(0, 2, 12, struct.pack("<IHH", 1, socket.htons(62078), 0))))
        [connected] = read_packets(connect, 1)
    finally:
        listen.close()
        connect.close()
    assert (result.version, result.message, result.tag, result.payload) == (0, 1, 11, b"\0\0\0\0")
    serials = {struct.unpack_from("<IH256s", p.payload)[2].rstrip(b"\0").decode() for p in (first, second)}
    assert {first.message, second.message} == {4} and serials == {IPHONE_12, IPHONE_15}
    assert (connected.version, connected.message, connected.tag, connected.payload) == (0, 1, 12, b"\0\0\0\0")

