"""DVT process control and the developer-image checks of a lab iPhone, driven by the unmodified
pymobiledevice3 CLI (``developer dvt …``, ``mounter …``) and API (``DvtProvider``), and by Debian's
``ideviceimagemounter``, through ``USBMUXD_SOCKET_ADDRESS``.

The phones run iOS 16 (``DVTSecureSocketProxy``), 13 (the pre-14 ``remoteserver``) and 17 (lockdown
answers ``InvalidService``). Their OS model is ``LabSystem``, a small test double of ``IOSSystem``."""

from __future__ import annotations

import asyncio
import json
import os
import plistlib
import shutil
import socket
import struct
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pymobiledevice3.exceptions import DvtException, InvalidServiceError
from pymobiledevice3.lockdown import create_using_usbmux
from pymobiledevice3.services.dvt.instruments.device_info import DeviceInfo
from pymobiledevice3.services.dvt.instruments.dvt_provider import DvtProvider
from pymobiledevice3.services.dvt.instruments.process_control import ProcessControl

from harness.lab.clock import RealtimeClock
from harness.lab.ios import IPhoneIdentity, VirtualIPhone, user_app
from harness.lab.ios.codec import MuxDecoder, encode_mux_plist, encode_plist_frame
from harness.lab.ios.contracts import ContainerFile, LaunchRefused
from harness.lab.ios.os.texts import launch_lines, termination_lines
from tests.lab.ios.conftest import IOSLab

PMD3 = str(Path(__file__).resolve().parents[3] / ".venv" / "bin" / "pymobiledevice3")
IOS16, IOS13, IOS17 = "00008110-000A1B2C3D4E001E", "00008030-0001A2B3C4D5002E", "00008120-000F0E0D0C0B003E"
APP = "com.example.courier"
needs_limd = pytest.mark.skipif(shutil.which("ideviceimagemounter") is None, reason="libimobiledevice-utils missing")


@dataclass
class LabSystem:
    """A small honest ``IOSSystem``: a pid table, the launches it was asked for, what iOS logs."""

    phone: VirtualIPhone
    next_pid: int = 400
    running: dict[str, int] = field(default_factory=dict)
    launches: list[dict[str, Any]] = field(default_factory=list)
    signals: list[tuple[int, int]] = field(default_factory=list)
    containers: dict[str, list[ContainerFile]] = field(default_factory=dict)
    is_locked: bool = False
    location: tuple[float, float] | None = None

    def launch(self, bundle_id: str, *, arguments: Sequence[str] = (), environment: Mapping[str, str] | None = None,
               kill_existing: bool = False, start_suspended: bool = False) -> int:
        app = self.phone.apps.get(bundle_id)
        if app is None:
            raise LaunchRefused(f'The request to open "{bundle_id}" failed. Application info provider '
                                f'(FBSApplicationLibrary) returned nil for "{bundle_id}"')
        self.launches.append({"bundle": bundle_id, "arguments": list(arguments), "environment": dict(environment or {}),
                              "kill_existing": kill_existing, "start_suspended": start_suspended})
        if bundle_id in self.running and not kill_existing:
            return self.running[bundle_id]
        if bundle_id in self.running:
            self.kill(self.running[bundle_id], 9)
        pid, self.next_pid = self.next_pid, self.next_pid + 1
        self.running[bundle_id] = pid
        self.phone.processes[pid] = app.executable
        for daemon, line in launch_lines(bundle_id, pid, foreground=not start_suspended):
            self.phone.log(daemon.name, line, pid=daemon.pid, image=daemon.image)
        return pid

    def kill(self, pid: int, signal: int = 9) -> bool:
        bundle = next((b for b, p in self.running.items() if p == pid), None)
        if bundle is None:
            return pid in self.phone.processes
        self.signals.append((pid, signal))
        if signal in (9, 15):
            del self.running[bundle]
            self.phone.processes.pop(pid, None)
            for daemon, line in termination_lines(bundle, pid, signal):
                self.phone.log(daemon.name, line, pid=daemon.pid, image=daemon.image)
        return True

    def pid_for_bundle(self, bundle_id: str) -> int:
        return self.running.get(bundle_id, 0)

    def app_state(self, bundle_id: str) -> str:
        return "foreground" if bundle_id in self.running else "not_running"

    def user_force_quit(self, bundle_id: str) -> None:
        if bundle_id in self.running:
            self.kill(self.running[bundle_id])

    def user_open(self, bundle_id: str) -> int:
        return self.launch(bundle_id)

    def press_home(self) -> None:
        return None

    def reboot(self) -> None:
        for bundle in list(self.running):
            self.phone.processes.pop(self.running.pop(bundle), None)
        self.is_locked = True

    @property
    def locked(self) -> bool:
        return self.is_locked

    def lock(self) -> None:
        self.is_locked = True

    def unlock(self) -> None:
        self.is_locked = False

    def simulate_location(self, latitude: float | None, longitude: float | None = None) -> None:
        self.location = None if latitude is None or longitude is None else (latitude, longitude)

    def open_url(self, url: str) -> int:
        raise LaunchRefused(f"No app handles {url}")

    def location_authorization(self, bundle_id: str) -> str:
        return "not_determined"

    def set_location_authorization(self, bundle_id: str, status: str) -> None:
        return None

    def deliver_silent_push(self, bundle_id: str, payload: Mapping[str, object], *, priority: int = 5) -> str:
        return "dropped"

    def container(self, bundle_id: str) -> list[ContainerFile] | None:
        app = self.phone.apps.get(bundle_id)
        if app is None or app.app_type != "User":
            return None
        return self.containers.setdefault(bundle_id, [ContainerFile(d, b"", 1_700_000_000.0) for d in
                                                      ("Documents/", "Library/", "Library/Caches/", "tmp/")])


def make_phone(clock: RealtimeClock, name: str, udid: str, version: str, **app_extra: Any) -> VirtualIPhone:
    app = user_app(APP, "Courier")
    if app_extra:
        app = type(app)(app.bundle_id, app.name, app.executable, app.short_version, app.version, app.app_type,
                        {**app.extra, **app_extra})
    phone = VirtualIPhone(IPhoneIdentity(name, udid, "iPhone14,2", version), clock, [app])
    phone.system = LabSystem(phone)
    return phone


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IOSLab]:
    clock = RealtimeClock(1.0)
    phones = [make_phone(clock, "iphone-16", IOS16, "16.7.2", UIFileSharingEnabled=True),
              make_phone(clock, "iphone-13", IOS13, "13.7"), make_phone(clock, "iphone-17", IOS17, "17.5.1")]
    lab = IOSLab(phones, clock, tmp_path_factory.mktemp("home"))
    lab.start()
    try:
        yield lab
    finally:
        lab.stop()


def system(lab: IOSLab, udid: str = IOS16) -> LabSystem:
    phone = next(p for p in lab.phones if p.udid == udid)
    assert isinstance(phone.system, LabSystem)
    return phone.system


def pmd3(lab: IOSLab, udid: str, *args: str, timeout_s: float = 30.0) -> tuple[int, str]:
    out = lab.run(PMD3, *args, "--udid", udid, timeout_s=timeout_s)
    return out.returncode, out.stdout + out.stderr


def api(lab: IOSLab, udid: str, body: Any) -> Any:
    """Run ``body(lockdown)`` with a pymobiledevice3 lockdown client, in this thread's own loop."""
    async def main() -> Any:
        lockdown = await create_using_usbmux(serial=udid, usbmux_address=lab.server.address)
        try:
            return await asyncio.wait_for(body(lockdown), 20)
        finally:
            await lockdown.close()

    old = os.environ.get("HOME")
    os.environ["HOME"] = str(lab.home)  # the pairing cache goes to the lab's home, as for the CLI
    try:
        return asyncio.run(main())
    finally:
        if old is not None:
            os.environ["HOME"] = old


# -- the CLI --------------------------------------------------------------------------------------
def test_cli_launch_passes_arguments_and_environment(lab: IOSLab) -> None:
    code, out = pmd3(lab, IOS16, "developer", "dvt", "launch", f"{APP} --bg-probe-run-task sync -v",
                     "--env", "EXPO_DEBUG=1", "--env", "A=b=c")
    assert code == 0, out
    pid = system(lab).running[APP]
    assert f"Process launched with pid {pid}" in out
    last = system(lab).launches[-1]
    assert last["arguments"] == ["--bg-probe-run-task", "sync", "-v"]
    assert last["environment"] == {"EXPO_DEBUG": "1", "A": "b=c"}
    assert (last["kill_existing"], last["start_suspended"]) == (True, False)  # the CLI's defaults


def test_cli_launch_without_kill_existing_and_suspended(lab: IOSLab) -> None:
    code, out = pmd3(lab, IOS16, "developer", "dvt", "launch", APP, "--no-kill-existing", "--suspended")
    assert code == 0, out
    assert system(lab).launches[-1]["kill_existing"] is False
    assert system(lab).launches[-1]["start_suspended"] is True


def test_cli_pid_for_bundle_and_kill(lab: IOSLab) -> None:
    code, out = pmd3(lab, IOS16, "developer", "dvt", "launch", APP)
    assert code == 0, out
    pid = system(lab).running[APP]
    code, out = pmd3(lab, IOS16, "developer", "dvt", "process-id-for-bundle-id", APP)
    assert (code, out.strip().splitlines()[-1]) == (0, str(pid)), out
    code, out = pmd3(lab, IOS16, "developer", "dvt", "kill", str(pid))
    assert code == 0, out
    assert APP not in system(lab).running and system(lab).signals[-1] == (pid, 9)
    phone = next(p for p in lab.phones if p.udid == IOS16)
    assert "termination reported by launchd (2, 9, 9)" in "\n".join(lab.call(phone.syslog.lines))
    code, out = pmd3(lab, IOS16, "developer", "dvt", "process-id-for-bundle-id", APP)
    assert out.strip().splitlines()[-1] == "0", out  # DVT answers 0 for an app that is not running


def test_cli_launch_of_an_unknown_bundle_reports_the_phones_error(lab: IOSLab) -> None:
    code, out = pmd3(lab, IOS16, "developer", "dvt", "launch", "com.example.missing")
    assert code != 0
    flat = " ".join(out.split())  # the CLI shows the DTXNsError in a wrapped traceback
    assert "Failed to launch process with bundle identifier" in flat and "com.example.missing" in flat, out


def test_cli_signal_and_proclist(lab: IOSLab) -> None:
    code, out = pmd3(lab, IOS16, "developer", "dvt", "launch", APP)
    assert code == 0, out
    pid = system(lab).running[APP]
    code, out = pmd3(lab, IOS16, "developer", "dvt", "signal", str(pid), "--signal-name", "STOP")
    assert code == 0, out
    assert system(lab).signals[-1] == (pid, 17)
    code, out = pmd3(lab, IOS16, "developer", "dvt", "proclist")
    assert code == 0, out
    assert f'"pid": {pid}' in out and '"bundleIdentifier": "com.example.courier"' in out, out
    assert '"realAppName": "/System/Library/CoreServices/SpringBoard.app/SpringBoard"' in out


def test_cli_on_ios13_uses_the_legacy_remoteserver(lab: IOSLab) -> None:
    code, out = pmd3(lab, IOS13, "developer", "dvt", "launch", APP)
    assert code == 0, out
    assert f"Process launched with pid {system(lab, IOS13).running[APP]}" in out


def test_cli_without_the_developer_image_says_to_mount_it(lab: IOSLab) -> None:
    phone = next(p for p in lab.phones if p.udid == IOS16)
    lab.call(setattr, phone, "developer_image_mounted", False)
    try:
        code, out = pmd3(lab, IOS16, "developer", "dvt", "launch", APP)
        assert code != 0
        assert "Failed to start service" in out and "mounter auto-mount" in out, out
        code, out = pmd3(lab, IOS16, "mounter", "list")
        assert (code, out.strip()) == (0, "[]"), out
    finally:
        lab.call(setattr, phone, "developer_image_mounted", True)


def test_cli_mounter_list_lookup_and_umount(lab: IOSLab) -> None:
    phone = next(p for p in lab.phones if p.udid == IOS16)
    code, out = pmd3(lab, IOS16, "mounter", "list")
    assert code == 0 and '"DiskImageType": "Developer"' in out and '"MountPath": "/Developer"' in out, out
    code, out = pmd3(lab, IOS16, "mounter", "lookup", "Developer")
    assert code == 0 and len(json.loads(out)["$hex"]) == 256, out  # the 128-byte signature
    code, out = pmd3(lab, IOS16, "mounter", "query-developer-mode-status")
    assert (code, out.strip()) == (0, "true"), out
    try:
        code, out = pmd3(lab, IOS16, "mounter", "umount-developer")
        assert code == 0, out
        assert phone.developer_image_mounted is False
        code, out = pmd3(lab, IOS16, "mounter", "lookup", "Developer")
        assert "Disk image of type: Developer is not mounted" in out, out
    finally:
        lab.call(setattr, phone, "developer_image_mounted", True)


def test_cli_mounter_on_ios13_looks_the_image_up(lab: IOSLab) -> None:
    code, out = pmd3(lab, IOS13, "mounter", "list")  # no CopyDevices before iOS 14: pmd3 falls back
    assert code == 0 and '"DiskImageType": "Developer"' in out and '"IsMounted": true' in out, out


def test_cli_on_ios17_retries_over_a_tunnel(lab: IOSLab) -> None:
    """lockdown answers InvalidService, so the CLI says it will try a tunnel (which the lab does not offer)."""
    code, out = pmd3(lab, IOS17, "developer", "dvt", "launch", APP, timeout_s=60)
    assert code != 0
    assert "it is a developer command on an iOS 17+ device" in out, out


# -- the API --------------------------------------------------------------------------------------
def test_api_process_control(lab: IOSLab) -> None:
    async def body(lockdown: Any) -> tuple[int, int, list[dict[str, Any]]]:
        async with DvtProvider(lockdown) as dvt:
            assert dvt.dtx.supported_identifiers is not None
            assert "com.apple.instruments.server.services.processcontrol" in dvt.dtx.supported_identifiers
            async with ProcessControl(dvt) as control:
                pid = await control.launch(APP, arguments=["--x"], environment={"K": "V"})
                found = await control.process_identifier_for_bundle_identifier(APP)
            async with DeviceInfo(dvt) as info:
                procs = await info.proclist()
                assert await info.is_running_pid(pid) is True
            return pid, found, procs

    pid, found, procs = api(lab, IOS16, body)
    assert pid == found == system(lab).running[APP]
    assert {"name": "Courier", "pid": pid}.items() <= next(p for p in procs if p["pid"] == pid).items()


def test_api_unknown_selector_is_a_dtx_error(lab: IOSLab) -> None:
    async def body(lockdown: Any) -> str:
        async with DvtProvider(lockdown) as dvt:
            channel = await dvt.dtx.open_channel("com.apple.instruments.server.services.processcontrol")
            with pytest.raises(DvtException) as info:
                await channel.invoke("noSuchMethod:", 1)
            assert await channel.invoke("processIdentifierForBundleIdentifier:", "com.example.none") == 0
            return str(info.value)

    message = api(lab, IOS16, body)
    assert "DTProcessControlService" in message and "it does not respond to the selector" in message


def test_api_ios17_start_service_is_invalid_service(lab: IOSLab) -> None:
    async def body(lockdown: Any) -> None:
        with pytest.raises(InvalidServiceError):
            await lockdown.get_service_connection_attributes(DvtProvider.SERVICE_NAME)
        attrs = await lockdown.get_service_connection_attributes("com.apple.mobile.house_arrest")
        assert attrs["Port"] > 0  # house_arrest is still a lockdown service on iOS 17

    api(lab, IOS17, body)


def test_api_ios16_old_service_name_is_not_offered(lab: IOSLab) -> None:
    async def body(lockdown: Any) -> None:
        with pytest.raises(InvalidServiceError):
            await lockdown.get_service_connection_attributes(DvtProvider.OLD_SERVICE_NAME)

    api(lab, IOS16, body)


# -- libimobiledevice -----------------------------------------------------------------------------
@needs_limd
def test_ideviceimagemounter_lists_the_mounted_image(lab: IOSLab) -> None:
    out = lab.run("ideviceimagemounter", "-u", IOS16, "-l", "-x")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "<key>ImageSignature</key>" in out.stdout and "<array>" in out.stdout, out.stdout


# -- malformed DTX must not stop the lab ----------------------------------------------------------
def connect_service(lab: IOSLab, udid: str, service: str) -> socket.socket:
    """A raw client: usbmuxd Connect to lockdownd, StartSession, StartService, Connect to the port."""
    phone = next(p for p in lab.phones if p.udid == udid)
    device_id = next(i for i, att in lab.server.mux.attached.items() if att.device is phone)

    def mux_connect(port: int) -> socket.socket:
        host, mux_port = lab.server.address.rsplit(":", 1)
        sock = socket.create_connection((host, int(mux_port)), timeout=10)
        sock.sendall(encode_mux_plist(1, {"MessageType": "Connect", "DeviceID": device_id,
                                          "PortNumber": socket.htons(port)}))
        decoder = MuxDecoder()
        while (packet := decoder.next_packet()) is None:
            decoder.feed(sock.recv(4096))
        assert b"<integer>0</integer>" in packet.payload, packet.payload
        return sock

    def request(sock: socket.socket, body: dict[str, Any]) -> dict[str, Any]:
        sock.sendall(encode_plist_frame(body))
        (length,) = struct.unpack(">I", recv_exact(sock, 4))
        return dict(plistlib.loads(recv_exact(sock, length)))

    lockdown = mux_connect(62078)
    session = request(lockdown, {"Request": "StartSession", "HostID": phone.pairing.host_id,
                                 "SystemBUID": phone.system_buid})
    assert "SessionID" in session, session
    port = request(lockdown, {"Request": "StartService", "Service": service})["Port"]
    lockdown.close()
    return mux_connect(port)


def recv_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def test_malformed_dtx_closes_only_that_connection(lab: IOSLab) -> None:
    sock = connect_service(lab, IOS16, "com.apple.instruments.remoteserver.DVTSecureSocketProxy")
    sock.sendall(b"\x00" * 64)  # not a DTX fragment
    assert sock.recv(1024) == b""  # the phone hangs up on this connection…
    sock.close()
    code, out = pmd3(lab, IOS16, "developer", "dvt", "process-id-for-bundle-id", APP)
    assert code == 0, out  # …and the next client is served
