"""The lab as a whole: every ``lab = true`` device of a config, served on loopback, plus its adb server.

``Lab`` runs on an asyncio loop (``harness lab up`` in the foreground); ``LabThread`` runs the same
lab on a background thread for tests and for the pytest plugin's ``--lab``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import logging
import os
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.config import Config, DeviceConfig
from harness.errors import LabError
from harness.lab import adb_host
from harness.lab.android.adbd import AdbdServer
from harness.lab.android.device import AndroidDevice, DeviceIdentity, install_base
from harness.lab.android.noise import start_noise
from harness.lab.android.os import model as android_model
from harness.lab.clock import Clock, RealtimeClock, VirtualClock
from harness.lab.lognoise import LabNoise, NoiseSource
from harness.lab.timectl import MARKER_TAG, Steppable, TimeControl

if TYPE_CHECKING:
    from harness.lab.appium import AppiumServer
    from harness.lab.hub import HubServer
    from harness.lab.ios import UsbmuxdServer, VirtualIPhone
    from harness.lab.push import PushGateway

__all__ = ["LAB_HUB_SERIAL", "Lab", "LabThread", "build_android"]

LAB_HUB_SERIAL = "000000A1B2C3D4E5"  # the lab hub's serial, shaped like a SuperSync15's (cbrx_discover)

log = logging.getLogger("harness.lab")


def lab_clock(cfg: Config, dev_cfg: DeviceConfig) -> VirtualClock | RealtimeClock:
    """The clock ``[lab] clock`` asks for: virtual (moved by the harness's waits) or real time at the lab rate."""
    rate = cfg.lab_rate(dev_cfg)
    return VirtualClock(rate) if cfg.virtual_time(dev_cfg) else RealtimeClock(rate)


def _android_steppable(dev: AndroidDevice, clock: VirtualClock, noise: NoiseSource[Any]) -> Steppable:
    lines = [0]

    def count(_entry: object) -> None:
        lines[0] += 1

    dev.logs.subscribe(count)
    return Steppable(clock, lambda: lines[0], lambda text: dev.syslog("I", MARKER_TAG, text, buffer="main"),
                     lambda: dev.outbound, noise.ticker.device_tick)


def _iphone_steppable(phone: VirtualIPhone, clock: VirtualClock, noise: NoiseSource[Any]) -> Steppable:
    def mark(text: str) -> None:
        phone.log(MARKER_TAG, text)

    return Steppable(clock, lambda: phone.syslog.last_seq, mark, tuple, noise.ticker.device_tick)


def build_android(cfg: Config, dev_cfg: DeviceConfig, clock: Clock | None = None) -> AndroidDevice:
    """A virtual phone for ``dev_cfg`` with its OS model; ``clock`` defaults to the clock ``[lab] clock`` asks for."""
    lab = cfg.lab
    seed = dev_cfg.seed if dev_cfg.seed is not None else lab.seed
    serial = f"LAB{abs(hash((dev_cfg.name, seed))) % 10**9:09d}"
    ident = DeviceIdentity(
        name=dev_cfg.name, serial=serial, model=dev_cfg.model, os_version=dev_cfg.os_version, oem=dev_cfg.oem,
        profile=dev_cfg.profile, seed=seed, boot_delay_s=lab.boot_delay_s, settings=dict(dev_cfg.settings),
    )
    dev = AndroidDevice(ident, clock or lab_clock(cfg, dev_cfg))
    install_base(dev)
    android_model.install(dev, cfg.app)
    return dev


@dataclass
class _Served:
    cfg: DeviceConfig
    device: AndroidDevice
    server: AdbdServer


class Lab:
    def __init__(self, cfg: Config, *, connect_adb: bool = True, appium_relaxed_security: bool = False) -> None:
        self.cfg = cfg
        self.connect_adb = connect_adb
        self.appium_relaxed_security = appium_relaxed_security  # `mobile: shell` allowed (Appium's adb_shell)
        self.appium: AppiumServer | None = None
        self.push: PushGateway | None = None
        self.android: dict[str, _Served] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self._own_adb_server = False
        self.usbmuxd: UsbmuxdServer | None = None
        self.hub: HubServer | None = None
        self.time = TimeControl(cfg.lab.host, cfg.lab.time_port)
        self._noise: list[Callable[[], None]] = []  # each lab phone's background log: how to stop it
        self.lab_noise: LabNoise | None = None

    @property
    def adb_port(self) -> int:
        return self.cfg.lab.adb_server_port

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.lab_noise = LabNoise(self.loop)  # every phone's background log, on one timer within one budget
        phones = [d for d in self.cfg.devices if d.lab and d.platform == "android"]
        connector = await self._connector() if phones and self.connect_adb else None
        try:
            for dev_cfg in phones:
                served = await self._serve_android(dev_cfg)
                if connector is not None:
                    connector.connect(served.server.serial)
                    await asyncio.sleep(0)  # a loop turn between phones: those connecting get their handshakes
            if connector is not None:
                await connector.wait()
        finally:
            if connector is not None:
                connector.close()  # a phone that failed to listen stops the lab: no connects left to start
        await self._start_ios()
        await self._start_appium()
        await self._start_push()
        if self.time.phones:
            await self._listen(self.time.start, "time control", self.time.address,
                               "is the lab already running? change [lab] time_port")

    async def _serve_android(self, dev_cfg: DeviceConfig) -> _Served:
        assert self.loop is not None and self.lab_noise is not None
        device = build_android(self.cfg, dev_cfg)
        assert isinstance(device.clock, VirtualClock | RealtimeClock)
        device.clock.start(self.loop)
        virtual = device.clock if isinstance(device.clock, VirtualClock) else None
        noise = start_noise(device, self.cfg.lab.log_noise_per_s, self.cfg.app.android_package,
                            self.lab_noise if virtual is None else None)  # other apps' lines (docs/lab-log-volume.md)
        self._noise.append(noise.ticker.stop)
        if virtual is not None:
            self.time.add(dev_cfg.name, _android_steppable(device, virtual, noise))
        server = AdbdServer(device, self.cfg.lab.host, dev_cfg.lab_port or 0, on_back=self._on_back)
        await self._listen(server.start, f"lab device {dev_cfg.name}", f"{self.cfg.lab.host}:{dev_cfg.lab_port}",
                           "is the lab already running? try `harness lab status`")
        served = self.android[dev_cfg.name] = _Served(dev_cfg, device, server)
        return served

    async def _start_ios(self) -> None:
        from harness.lab.ios import UsbmuxdServer, build_iphone  # noqa: PLC0415 - the iPhone lab loads only when devices.toml has an iPhone
        from harness.lab.ios.noise import start_syslog_noise  # noqa: PLC0415 - the iPhone lab loads only when devices.toml has an iPhone

        assert self.loop is not None and self.lab_noise is not None
        phones = []
        for dev_cfg in self.cfg.devices:
            if dev_cfg.lab and dev_cfg.platform == "ios":
                clock = lab_clock(self.cfg, dev_cfg)
                clock.start(self.loop)
                seed = dev_cfg.seed if dev_cfg.seed is not None else self.cfg.lab.seed
                phone = build_iphone(dev_cfg, self.cfg.app, clock, seed=seed)
                virtual = clock if isinstance(clock, VirtualClock) else None
                noise = start_syslog_noise(phone, self.cfg.lab.log_noise_per_s, self.cfg.app.ios_bundle_id,
                                           self.lab_noise if virtual is None else None)
                self._noise.append(noise.ticker.stop)
                phones.append(phone)
                if virtual is not None:
                    self.time.add(dev_cfg.name, _iphone_steppable(phone, virtual, noise))
        if not phones:
            return
        server = UsbmuxdServer(phones, self.cfg.lab.host, self.cfg.lab.usbmuxd_port)
        await self._listen(server.start, "virtual usbmuxd", f"{self.cfg.lab.host}:{self.cfg.lab.usbmuxd_port}",
                           "is the lab already running? change [lab] usbmuxd_port")
        self.usbmuxd = server
        await self._start_hub(phones, server)

    async def _start_hub(self, phones: list[VirtualIPhone], usbmuxd: UsbmuxdServer) -> None:
        """The iPhones on a Cambrionix hub's ports, its API on ``[lab] hub_port`` (a port off takes the phone off
        power and off usbmuxd)."""
        from harness.lab.hub import CambrionixHub, CambrionixService, HubServer  # noqa: PLC0415 - the hub loads only when devices.toml has an iPhone
        from harness.lab.usb import plug_iphones  # noqa: PLC0415 - the hub loads only when devices.toml has an iPhone

        hub = CambrionixHub(LAB_HUB_SERIAL)
        plug_iphones(phones, usbmuxd, hub, self.cfg.lab.boot_delay_s)
        server = HubServer(CambrionixService([hub]), self.cfg.lab.host, self.cfg.lab.hub_port)
        await self._listen(server.start, "usb hub API", server.address,
                           "is the lab already running? change [lab] hub_port")
        self.hub = server

    async def _start_appium(self) -> None:
        """The Appium-compatible endpoint on ``[lab] appium_port`` over every served phone's UI model."""
        from harness.lab.appium import AppiumServer, phone_uis  # noqa: PLC0415 - the Appium endpoint loads only when [lab] serves one

        android = [(served.device, served.server.serial) for served in self.android.values()]
        iphones = self.usbmuxd.devices if self.usbmuxd is not None else []
        if not android and not iphones:
            return
        server = AppiumServer(phone_uis(android, iphones, self.cfg.app), self.cfg.lab.host, self.cfg.lab.appium_port,
                              relaxed_security=self.appium_relaxed_security)
        await self._listen(server.start, "appium endpoint", f"{self.cfg.lab.host}:{self.cfg.lab.appium_port}",
                           "is the lab or an Appium server already running? change [lab] appium_port")
        self.appium = server

    async def _connector(self) -> adb_host.Connector:
        """The adb server up, and what connects each phone to it as soon as the phone listens."""
        def ensure() -> None:
            # A server the lab started is the lab's to stop; one that was already there is not.
            self._own_adb_server = not adb_host.server_running(self.adb_port)
            adb_host.ensure_server(self.adb_port)

        await asyncio.to_thread(ensure)
        assert self.loop is not None
        return adb_host.Connector(self.adb_port, self.loop)

    def _on_back(self, server: AdbdServer) -> None:
        # The adb server forgets a TCP phone whose connection dropped at reboot (or retries only after
        # a back-off of ~10 s, shared/NOTES.md): reconnect it the moment adbd answers again.
        if self.connect_adb and self.loop is not None:
            done = self.loop.run_in_executor(None, adb_host.connect, self.adb_port, server.serial)
            # a virtual clock's step waits for it: the phone is back (to a harness) when its adb server lists it
            server.dev.outbound.add(done)
            done.add_done_callback(server.dev.outbound.discard)

    async def _start_push(self) -> None:
        """APNs- and FCM-shaped endpoints on ``[lab] push_port``, delivering to the served phones by token."""
        from harness.lab.push import PushGateway  # noqa: PLC0415 - the push gateway loads only when [lab] serves one

        gateway = PushGateway(self.cfg)
        for served in self.android.values():
            gateway.add_android(served.cfg, served.device)
        for phone in (self.usbmuxd.devices if self.usbmuxd is not None else []):
            gateway.add_iphone(self.cfg.device(phone.name), phone)
        await self._listen(gateway.start, "push gateway", f"{self.cfg.lab.host}:{self.cfg.lab.push_port}",
                           "is the lab already running? change [lab] push_port")
        self.push = gateway

    async def _listen(self, start: Callable[[], Awaitable[None]], what: str, address: str, fix: str) -> None:
        """Start one of the lab's servers; a port in use stops the whole lab with the fix in the message."""
        try:
            await start()
        except OSError as exc:
            await self.stop()
            raise LabError(f"{what}: cannot listen on {address}: {exc.strerror} ({fix})") from exc

    async def stop(self) -> None:
        while self._noise:
            self._noise.pop()()
        await self.time.stop()
        if self.push is not None:
            await self.push.stop()
            self.push = None
        if self.appium is not None:
            await self.appium.stop()
            self.appium = None
        if self.hub is not None:
            await self.hub.stop()
            self.hub = None
        if self.usbmuxd is not None:
            await self.usbmuxd.stop()
            self.usbmuxd = None
        for served in self.android.values():
            await served.server.stop()
            if self.connect_adb:
                await asyncio.to_thread(adb_host.disconnect, self.adb_port, served.server.serial)
        self.android.clear()
        if self._own_adb_server:
            await asyncio.to_thread(adb_host.kill_server, self.adb_port)
            self._own_adb_server = False

    def status(self) -> dict[str, Any]:
        devices: list[dict[str, Any]] = []
        for dev_cfg in self.cfg.devices:
            if not dev_cfg.lab:
                continue
            served = self.android.get(dev_cfg.name)
            entry: dict[str, Any] = {"name": dev_cfg.name, "platform": dev_cfg.platform, "oem": dev_cfg.oem,
                                     "model": dev_cfg.model, "os_version": dev_cfg.os_version}
            if dev_cfg.platform == "ios" and self.usbmuxd is not None:
                entry.update(udid=dev_cfg.udid, served=True, usbmuxd=self.usbmuxd.address,
                             clock_rate=self.cfg.lab_rate(dev_cfg))
            elif served is not None:
                entry.update(serial=served.server.serial, served=True, clock_rate=served.device.clock.rate)
            else:
                entry.update(serial=dev_cfg.serial, udid=dev_cfg.udid, served=False,
                             note="iOS lab not served yet" if dev_cfg.platform == "ios" else "not started")
            devices.append(entry)
        mux = self.usbmuxd.address if self.usbmuxd is not None else None
        appium = self.appium.url if self.appium is not None else None
        hub = self.hub.address if self.hub is not None else None
        clock = {"mode": self.cfg.lab.clock, "time_control": self.time.address if self.time.phones else None}
        return {"running": True, "pid": os.getpid(), "host": self.cfg.lab.host, "clock": clock,
                "adb_server": f"{self.cfg.lab.host}:{self.adb_port}", "usbmuxd": mux, "appium": appium, "usb_hub": hub,
                "push": self.push.status() if self.push is not None else None,
                "config": self.cfg.path, "devices": devices}

    def device(self, name: str) -> AndroidDevice:
        return self.android[name].device


class LabThread:
    """A ``Lab`` on its own event loop in a daemon thread; ``call`` runs a function on that loop."""

    def __init__(self, cfg: Config, *, connect_adb: bool = True, appium_relaxed_security: bool = False) -> None:
        self.lab = Lab(cfg, connect_adb=connect_adb, appium_relaxed_security=appium_relaxed_security)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="virtual-lab", daemon=True)

    def start(self, timeout_s: float = 60.0) -> LabThread:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.lab.start(), self._loop).result(timeout_s)
        return self

    def call(self, fn: Any, *args: Any, timeout_s: float = 10.0) -> Any:
        """Run ``fn(*args)`` on the lab's loop (the OS model is not thread-safe) and return its result."""
        async def run() -> Any:
            return fn(*args)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout_s)

    def stop(self, timeout_s: float = 30.0) -> None:
        with contextlib.suppress(concurrent.futures.TimeoutError, RuntimeError):
            asyncio.run_coroutine_threadsafe(self.lab.stop(), self._loop).result(timeout_s)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout_s)
        if not self._thread.is_alive():  # its sockets and self-pipe go with it (else: ResourceWarning, leaked fds)
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()

    def __enter__(self) -> LabThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def write_state(state_dir: Path, status: dict[str, Any]) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    tmp = state_dir / "lab.json.tmp"
    tmp.write_text(json.dumps(status, indent=2))
    tmp.replace(state_dir / "lab.json")
