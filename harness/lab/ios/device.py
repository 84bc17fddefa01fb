"""One virtual iPhone: identity, lockdown values, pairing, installed apps, syslog and open ports.

The usbmuxd server in front of it (``usbmuxd.py``) only moves bytes; what lockdownd and the services
answer comes from here. Device ports are virtual: 62078 is lockdownd (``pmd3:lockdown.py:SERVICE_PORT``,
``limd@1.3.0:lockdownd_client_new`` uses 0xf27e); ``StartService`` opens a fresh port that accepts one
connection, like lockdownd launching the service on a dynamic port.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from harness.lab.clock import Clock
from harness.lab.ios import catalog
from harness.lab.ios.apps import InstalledApp, system_apps
from harness.lab.ios.contracts import IOSSystem
from harness.lab.ios.link import PortHandler
from harness.lab.ios.media import MediaFileSystem
from harness.lab.ios.os import attach_system, bundle_for
from harness.lab.ios.pairing import PairingMaterial, make_pairing_material
from harness.lab.ios.syslog import SyslogBuffer, resolve_zone

if TYPE_CHECKING:
    from harness.config import AppConfig, DeviceConfig
    from harness.lab.ios.media import MediaFileSystem

__all__ = ["LOCKDOWN_PORT", "IPhoneIdentity", "VirtualIPhone", "build_iphone"]

log = logging.getLogger("harness.lab.ios")

LOCKDOWN_PORT = 62078
_SERVICE_PORTS = (49152, 65535)  # lockdownd hands out ephemeral ports for started services
_MAX_PENDING_PORTS = 64
LAUNCHD_PID = 1
# launchd restarts a KeepAlive job as soon as it exits, unless the job lived less than its ThrottleInterval
# (launchd.plist(5): a job is "not spawned more than once every 10 seconds"); then it waits out the rest.
RESPAWN_S = 1.0
THROTTLE_S = 10.0
# Darwin <sys/signal.h> signals whose default action ends the process (SIGSTOP, SIGCONT, SIGCHLD… do not).
_TERMINATING = frozenset({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 30, 31})
# The KeepAlive launchd jobs among a lab phone's processes: its base daemons and the ones its background log
# names (noise.py). Other apps' processes are RunningBoard's, and launchd does not bring them back.
LAUNCHD_JOBS = frozenset({"backboardd", "SpringBoard", "runningboardd", "dasd", "locationd", "apsd", "lockdownd",
                          "mDNSResponder", "powerd", "wifid", "thermalmonitord", "nsurlsessiond"})
WIRELESS_LOCKDOWN = "com.apple.mobile.wireless_lockdown"
# The switches of the wireless_lockdown domain a host may set (iTunes/Finder "Show this iPhone when on Wi-Fi",
# ``pmd3 lockdown wifi-connections on``; Xcode's "Connect via network"). Unset keys are absent: pymobiledevice3
# reads a MissingValue for EnableWifiConnections as "off" (``pmd3:lockdown_service_provider.py:
# get_enable_wifi_connections``).
WIRELESS_SWITCHES = frozenset({"EnableWifiConnections", "EnableWifiDebugging"})
_BASE_PROCESSES = {1: "launchd", 34: "backboardd", 58: "SpringBoard", 92: "runningboardd", 139: "dasd",
                   171: "locationd", 203: "apsd", 254: "lockdownd"}


@dataclass(frozen=True, slots=True)
class IPhoneIdentity:
    name: str  # the devices.toml name, e.g. "iphone-15"
    udid: str  # UniqueDeviceID and the usbmuxd SerialNumber, e.g. 00008120-001A2C3E0E90201E
    product_type: str  # ProductType, e.g. iPhone15,4
    os_version: str  # ProductVersion, e.g. 18.1
    device_name: str = "iPhone"  # DeviceName: what the owner called the phone
    time_zone: str = "UTC"  # IANA zone for TimeZone and syslog timestamps


class VirtualIPhone:
    """A lab iPhone. Every method runs on the lab's event loop; none of them blocks or sleeps."""

    def __init__(self, ident: IPhoneIdentity, clock: Clock, apps: Iterable[InstalledApp] = (),
                 *, syslog_capacity: int = 2000) -> None:
        self.ident = ident
        self.name = ident.name
        self.udid = ident.udid
        self.clock = clock
        self.device_name = ident.device_name
        self.zone = resolve_zone(ident.time_zone)
        self.syslog = SyslogBuffer(clock.now, lambda: self.device_name, self.zone, syslog_capacity)
        self.syslog_replay: int | None = None  # buffered lines a new relay client gets first (None = all)
        self.apps: dict[str, InstalledApp] = {app.bundle_id: app for app in (*system_apps(), *apps)}
        self.battery_level = 100
        self.charging = False  # on USB power: the hub port the lab puts it on says (harness.lab.usb)
        self.usb_linked = True  # on usbmuxd's list with a data link (WebDriverAgent is reached through it)
        self.disk_total = 128_000_000_000
        self.disk_free = 91_000_000_000
        # pid → process name, what os_trace_relay's PidList reports (the OS model keeps it current)
        self.processes: dict[int, str] = dict(_BASE_PROCESSES)
        self.last_pid = max(_BASE_PROCESSES)  # the kernel's pid counter (next_pid)
        self.daemon_started: dict[int, float] = {}  # a respawned daemon's pid → when launchd started it
        self.wireless: dict[str, bool] = {}  # the wireless_lockdown switches a host set
        self.trust_new_hosts = True  # answer lockdownd Pair as if the user tapped Trust
        self.system_buid = catalog.serial_number(ident.udid)  # replaced by the usbmuxd serving it
        self.trusted_hosts: set[str] = set()
        self._pairing: PairingMaterial | None = None
        self.system: IOSSystem | None = None  # the OS model (harness.lab.ios.os), attached by build_iphone
        self.developer_image_mounted = int(ident.os_version.split(".")[0]) <= 16  # DeveloperDiskImage (≤ 16)
        self._media: MediaFileSystem | None = None
        self._ports: dict[int, PortHandler] = {}
        self._port_seq = itertools.cycle(range(*_SERVICE_PORTS))

    def __repr__(self) -> str:
        return f"VirtualIPhone({self.name!r}, {self.udid!r}, {self.ident.product_type}, iOS {self.ident.os_version})"

    # -- pairing --------------------------------------------------------------------------------
    @property
    def pairing(self) -> PairingMaterial:
        """The lab host's pairing with this phone, generated on first use and trusted from then on."""
        if self._pairing is None:
            self._pairing = make_pairing_material(self.udid, self.system_buid, catalog.wifi_address(self.udid))
            self.trusted_hosts.add(self._pairing.host_id)
        return self._pairing

    def trusts(self, host_id: object) -> bool:
        """Whether lockdownd accepts ``host_id`` in StartSession/ValidatePair."""
        _ = self.pairing  # the lab host's own pairing is trusted from the moment it exists
        return isinstance(host_id, str) and host_id in self.trusted_hosts

    @property
    def media(self) -> MediaFileSystem:
        """``/var/mobile/Media`` as ``com.apple.afc`` serves it; made on first use, kept for the phone's life."""
        if self._media is None:
            self._media = MediaFileSystem(self)
        return self._media

    # -- lockdown values ------------------------------------------------------------------------
    def utc_offset_s(self) -> float:
        offset = datetime.fromtimestamp(self.clock.now(), self.zone).utcoffset()
        return offset.total_seconds() if offset is not None else 0.0

    def values(self, domain: str | None = None) -> dict[str, Any] | None:
        """lockdownd's values for ``domain`` (None = the global domain); None if the domain is unknown."""
        if domain == WIRELESS_LOCKDOWN:
            return self.wireless_values()
        if not domain:
            return catalog.global_values(
                udid=self.udid, product_type=self.ident.product_type, os_version=self.ident.os_version,
                device_name=self.device_name, device_public_key=self.pairing.device_public_key_pem,
                now_s=self.clock.now(), time_zone=self.ident.time_zone, utc_offset_s=self.utc_offset_s())
        return catalog.domain_values(domain, battery_level=self.battery_level, charging=self.charging,
                                     disk_total=self.disk_total, disk_free=self.disk_free)

    def wireless_values(self) -> dict[str, Any]:
        """``com.apple.mobile.wireless_lockdown``: the phone's mobdev2 Bonjour name (its Wi-Fi MAC, then its
        link-local IPv6 address made from that MAC, EUI-64) and what it supports, plus the switches set."""
        mac = catalog.wifi_address(self.udid)
        octets = [int(part, 16) for part in mac.split(":")]
        eui = [octets[0] ^ 0x02, *octets[1:3], 0xFF, 0xFE, *octets[3:]]
        groups = ":".join(f"{(eui[i] << 8 | eui[i + 1]):x}" for i in range(0, 8, 2))
        return {"BonjourFullServiceName": f"{mac}@fe80::{groups}._apple-mobdev2._tcp.local.",
                "SupportsWifi": True, "SupportsWifiSyncing": True, **self.wireless}

    # -- syslog ---------------------------------------------------------------------------------
    def log(self, process: str, message: str, *, pid: int = 0, level: str = "Notice", image: str | None = None,
            subsystem: str | None = None, category: str | None = None) -> str:
        """Write one line into the phone's syslog at device time now; returns the relay line.
        Both syslog_relay and os_trace_relay clients see it."""
        return self.syslog.write(process, message, pid=pid, level=level, image=image, subsystem=subsystem,
                                 category=category)

    # -- processes --------------------------------------------------------------------------------
    def next_pid(self, step: int = 1) -> int:
        """The kernel's next pid: one growing sequence for apps and daemons, never a pid still in use."""
        self.last_pid += step
        while self.last_pid in self.processes:
            self.last_pid += 1
        return self.last_pid

    def is_launchd_job(self, pid: int) -> bool:
        """Whether ``pid`` is launchd itself or one of its KeepAlive daemons (not the kernel, not an app)."""
        return pid == LAUNCHD_PID or self.processes.get(pid) in LAUNCHD_JOBS

    def kill_daemon(self, pid: int, signal: int) -> bool:
        """``signal`` to system daemon ``pid``; False if there is no such process. The daemons (SpringBoard,
        backboardd, dasd, …) are launchd jobs with KeepAlive: a terminating signal ends one and launchd
        starts it again under a new pid, as pymobiledevice3's device suite expects three seconds after it
        kills SpringBoard (``tests/services/instruments/test_dvt_provider.py:test_kill``). launchd itself
        cannot be killed; a signal that does not terminate leaves the daemon as it is."""
        name = self.processes.get(pid)
        if name is None:
            return False
        if pid == LAUNCHD_PID or signal not in _TERMINATING:
            return True
        del self.processes[pid]
        started = self.daemon_started.pop(pid, None)
        lived = self.clock.now() - started if started is not None else THROTTLE_S
        self.clock.call_later(max(RESPAWN_S, THROTTLE_S - lived), lambda: self._respawn(name))
        log.debug("[%s] %s[%d] killed by signal %d; launchd restarts it", self.name, name, pid, signal)
        return True

    def _respawn(self, name: str) -> None:
        pid = self.next_pid()
        self.processes[pid] = name
        self.daemon_started[pid] = self.clock.now()

    # -- apps -----------------------------------------------------------------------------------
    def install(self, app: InstalledApp) -> None:
        self.apps[app.bundle_id] = app

    def uninstall(self, bundle_id: str) -> None:
        self.apps.pop(bundle_id, None)

    def executable_path(self, process: str) -> str | None:
        """Where an installed app's executable lives, if ``process`` is one; None otherwise."""
        for app in self.apps.values():
            if app.executable == process:
                return f"{app.attributes()['Path']}/{app.executable}"
        return None

    # -- ports ----------------------------------------------------------------------------------
    def start_service(self, name: str, handler: PortHandler) -> int:
        """Open a one-shot port that ``handler`` serves (lockdownd's ``StartService`` of ``name``); returns it.
        The wire front end (lockdownd, ``services.SERVICES``) makes the handler: the phone only holds the port."""
        port = next(port for port in self._port_seq if port not in self._ports)
        if len(self._ports) >= _MAX_PENDING_PORTS:  # clients that never connected: forget the oldest
            self._ports.pop(next(iter(self._ports)))
        self._ports[port] = handler
        log.debug("[%s] %s on port %d", self.name, name, port)
        return port

    def open_port(self, port: int) -> PortHandler | None:
        """The handler of a service port lockdownd opened (once), or None: connection refused. Port 62078,
        lockdownd itself, is always open: usbmuxd (``mux``) connects it to ``lockdownd.lockdown_handler``."""
        return self._ports.pop(port, None)

    @property
    def open_ports(self) -> list[int]:
        return [LOCKDOWN_PORT, *self._ports]


def build_iphone(dev_cfg: DeviceConfig, app: AppConfig | None, clock: Clock, *,
                 seed: int | None = None) -> VirtualIPhone:
    """A lab iPhone for a ``platform = "ios"`` entry of devices.toml, with the app under test installed and
    the iOS model (``harness.lab.ios.os``) attached as ``phone.system``. ``seed`` defaults to the device's
    own ``seed`` (then 1), as the runner resolves ``[lab] seed`` for Android phones."""
    if not dev_cfg.udid:
        raise ValueError(f"device {dev_cfg.name}: an iOS lab device needs a udid in devices.toml")
    ident = IPhoneIdentity(name=dev_cfg.name, udid=dev_cfg.udid, product_type=dev_cfg.model,
                           os_version=dev_cfg.os_version)
    apps = [bundle_for(app)] if app is not None and app.ios_bundle_id else []
    phone = VirtualIPhone(ident, clock, apps)
    attach_system(phone, app, seed=seed if seed is not None else dev_cfg.seed if dev_cfg.seed is not None else 1)
    return phone
