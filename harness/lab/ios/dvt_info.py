"""DVT channels that describe the phone: ``deviceinfo``, ``device.applictionListing`` and ``screenshot``.

What pymobiledevice3 calls (``pmd3:services/dvt/instruments/{device_info,application_listing,screenshot}.py``)
and what its device suite checks (``tests/services/instruments/test_dvt_provider.py``, ``test_screenshot.py``):

- ``directoryListingForPath:``: the entries of a directory (``NSFileManager contentsOfDirectoryAtPath:``),
  nil for a path that is not one (pmd3 then raises ``DvtDirListError``). The lab knows the top of the
  root file system and serves the media directory from ``VirtualIPhone.media``;
- ``hardwareInformation``, ``networkInformation``, ``machTimeInfo``: the shapes libidevice's README prints
  from a real phone (``hwCPUtype`` 16777228 = CPU_TYPE_ARM64, ``hwCPUsubtype`` 2 = ARM64E; interfaces
  ``en0`` Wi-Fi, ``en1``/``en2`` Ethernet Adapter, ``lo0`` Loopback; ``[mach_absolute_time, numer 125,
  denom 3, mach_continuous_time, now, time zone]``: the 24 MHz timebase);
- ``installedApplicationsMatching:registerUpdateToken:``: every app and app extension (``Type`` User,
  System or PluginKit; extensions are ``Restricted`` 1). The identifier's "applictionListing" typo is
  Apple's;
- ``takeScreenshot``: a PNG of the screen at the model's native resolution.
"""

from __future__ import annotations

import struct
import uuid
import zlib
from functools import cache
from typing import TYPE_CHECKING, Any

from harness.lab.ios.apps import InstalledApp
from harness.lab.ios.dvt_channels import DvtChannel, Reply
from harness.lab.ios.dvt_sysmon import PROCESS_ATTRIBUTES, SYSTEM_ATTRIBUTES

if TYPE_CHECKING:
    from harness.lab.ios.device import VirtualIPhone

__all__ = ["APPLICATION_LISTING", "DEVICE_INFO", "DEVICE_INFO_CHANNELS", "SCREENSHOT", "DeviceInfoService"]

DEVICE_INFO = "com.apple.instruments.server.services.deviceinfo"
APPLICATION_LISTING = "com.apple.instruments.server.services.device.applictionListing"
SCREENSHOT = "com.apple.instruments.server.services.screenshot"
# Real paths of the lab's base daemons (runningProcesses' realAppName).
_DAEMON_PATHS = {"launchd": "/sbin/launchd", "SpringBoard": "/System/Library/CoreServices/SpringBoard.app/SpringBoard",
                 "apsd": "/System/Library/PrivateFrameworks/ApplePushService.framework/apsd"}
MEDIA = "/private/var/mobile/Media"
# The top of an iOS 16–18 root file system; /var, /etc and /tmp are symlinks into /private.
_TREE: dict[str, tuple[str, ...]] = {
    "/": (".ba", ".file", ".mb", "Applications", "Developer", "Library", "System", "bin", "cores", "dev", "etc",
          "private", "sbin", "tmp", "usr", "var"),
    "/private": ("etc", "preboot", "system_data", "var", "xarts"),
    "/private/var": ("MobileAsset", "MobileDevice", "MobileSoftwareUpdate", "containers", "db", "hardware",
                     "installd", "logs", "mobile", "preferences", "root", "run", "tmp", "wireless"),
    "/private/var/mobile": ("Containers", "Library", "Media"),
    "/usr": ("bin", "lib", "libexec", "sbin", "share", "standalone"),
    "/System": ("Cryptexes", "Developer", "DriverKit", "Library"),
    "/Developer": ("Applications", "Library", "usr"),  # the DeveloperDiskImage, while mounted
}
_LINKS = {"/var": "/private/var", "/etc": "/private/etc", "/tmp": "/private/var/tmp"}
# (container bundle id, container executable, container name, extension bundle id, extension name)
_SYSTEM_EXTENSIONS = (
    ("com.apple.stocks", "Stocks", "Stocks", "com.apple.stocks.widget", "StocksWidget"),
    ("com.apple.weather", "Weather", "Weather", "com.apple.weather.widget", "WeatherWidget"),
    ("com.apple.mobilesafari", "MobileSafari", "Safari", "com.apple.mobilesafari.ShareExtension",
     "MobileSafariShareExtension"),
)
# Native screen sizes in pixels (portrait), by ProductType; others get the 6.1" size.
_SCREENS = {"iPhone13,2": (1170, 2532), "iPhone14,2": (1170, 2532), "iPhone14,5": (1170, 2532),
            "iPhone15,4": (1179, 2556), "iPhone16,1": (1179, 2556), "iPhone15,2": (1179, 2556)}
_MACH_TICKS_PER_S = 24_000_000  # numer/denom 125/3 ns per tick


class DeviceInfoService(DvtChannel):
    """``DTDeviceInfoService``: processes (``pmd3 developer dvt proclist``/``pkill``), directories, hardware."""

    objc_class = "DTDeviceInfoService"

    def __init__(self, device: VirtualIPhone, address: int) -> None:
        super().__init__(device, address)
        self.methods = {
            "runningProcesses": self.running_processes,
            "isRunningPid:": lambda pid: int(pid) in self.device.processes,
            "execnameForPid:": lambda pid: self._path(self.device.processes.get(int(pid), "")) or None,
            "directoryListingForPath:": self.directory_listing,
            "hardwareInformation": lambda: {"hwCPU64BitCapable": 1, "hwCPUsubtype": 2, "hwCPUtype": 16777228,
                                            "numberOfCpus": 6, "numberOfPhysicalCpus": 6},
            "networkInformation": lambda: {"en0": "Wi-Fi", "en1": "Ethernet Adapter (en1)",
                                           "en2": "Ethernet Adapter (en2)", "lo0": "Loopback"},
            "machTimeInfo": self.mach_time_info,
            "sysmonProcessAttributes": lambda: list(PROCESS_ATTRIBUTES),
            "sysmonSystemAttributes": lambda: list(SYSTEM_ATTRIBUTES),
        }

    def _path(self, name: str) -> str:
        if not name:
            return ""
        return self.device.executable_path(name) or _DAEMON_PATHS.get(name, f"/usr/libexec/{name}")

    def running_processes(self) -> Reply:
        bundles = {app.executable: app.bundle_id for app in self.device.apps.values()}
        out: list[dict[str, Any]] = []
        for pid, name in sorted(self.device.processes.items()):
            entry: dict[str, Any] = {"isApplication": name in bundles, "name": name, "pid": pid,
                                     "realAppName": self._path(name)}
            if name in bundles:
                entry["bundleIdentifier"] = bundles[name]
            out.append(entry)
        return out

    def directory_listing(self, path: Any) -> Reply:
        if not isinstance(path, str) or not path.startswith("/"):
            return None  # relative to DTServiceHub's working directory: nothing the lab knows
        path = "/" + "/".join(part for part in path.split("/") if part)
        head = next((link for link in _LINKS if path == link or path.startswith(link + "/")), None)
        if head is not None:
            path = _LINKS[head] + path[len(head):]
        if path == MEDIA or path.startswith(MEDIA + "/"):
            inner = path[len(MEDIA) + 1:]
            node = self.device.media.lookup(inner)
            return self.device.media.listdir(inner) if node is not None and node.is_dir else None
        if path == "/Applications":
            return sorted(f"{app.executable}.app" for app in self.device.apps.values() if app.app_type == "System")
        if path == "/Developer" and not self.device.developer_image_mounted:
            return []
        entries = _TREE.get(path)
        return list(entries) if entries is not None else None

    def mach_time_info(self) -> Reply:
        ticks = int(self.device.clock.uptime() * _MACH_TICKS_PER_S)
        return [ticks, 125, 3, ticks, self.device.clock.now(), self.device.ident.time_zone]


class ApplicationListingService(DvtChannel):
    """``installedApplicationsMatching:registerUpdateToken:`` (``pmd3 developer dvt applist``)."""

    objc_class = "DTApplicationListingService"

    def __init__(self, device: VirtualIPhone, address: int) -> None:
        super().__init__(device, address)
        self.methods = {"installedApplicationsMatching:registerUpdateToken:": self.applications}

    def applications(self, _options: Any, _token: Any) -> Reply:
        apps = dict(self.device.apps)
        for container, executable, name, _ext, _ext_name in _SYSTEM_EXTENSIONS:
            apps.setdefault(container, InstalledApp(container, name, executable, app_type="System"))
        out = [_app_entry(app) for app in apps.values()]
        for container, _executable, _name, ext, ext_name in _SYSTEM_EXTENSIONS:
            out.append(_extension_entry(apps[container], ext, ext_name))
        return out


def _app_entry(app: InstalledApp) -> dict[str, Any]:
    attrs = app.attributes()
    return {"BundlePath": attrs["Path"], "CFBundleIdentifier": app.bundle_id, "DisplayName": app.name,
            "ExecutableName": app.executable, "Placeholder": False, "Restricted": 0, "Type": app.app_type,
            "Version": app.version}


def _extension_entry(container: InstalledApp, bundle_id: str, name: str) -> dict[str, Any]:
    path = container.attributes()["Path"]
    return {"BundlePath": f"{path}/PlugIns/{name}.appex", "CFBundleIdentifier": bundle_id,
            "ContainerBundleIdentifier": container.bundle_id, "ContainerBundlePath": path, "DisplayName": name,
            "ExecutableName": name, "Placeholder": False, "PluginIdentifier": bundle_id,
            "PluginUUID": str(uuid.uuid5(uuid.NAMESPACE_DNS, f"plugin.{bundle_id}")).upper(), "Restricted": 1,
            "Type": "PluginKit", "Version": container.version}


class ScreenshotService(DvtChannel):
    """``takeScreenshot``: the screen as PNG bytes (``pmd3 developer dvt screenshot``). The lab draws no
    pixels, so the picture is the dark screen of a locked phone."""

    objc_class = "DTScreenshotService"

    def __init__(self, device: VirtualIPhone, address: int) -> None:
        super().__init__(device, address)
        self.methods = {"takeScreenshot": lambda: black_png(*_SCREENS.get(device.ident.product_type, (1170, 2532)))}


@cache
def black_png(width: int, height: int) -> bytes:
    """An 8-bit RGB PNG (ISO/IEC 15948: signature, IHDR, one zlib IDAT, IEND), every pixel black."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = (b"\0" + bytes(width * 3)) * height  # filter type 0, then the row's pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9))
            + chunk(b"IEND", b""))


# identifier → (channel class, the version the phone publishes in its capabilities)
DEVICE_INFO_CHANNELS: dict[str, tuple[type[DvtChannel], int]] = {
    DEVICE_INFO: (DeviceInfoService, 113),
    APPLICATION_LISTING: (ApplicationListingService, 1),
    SCREENSHOT: (ScreenshotService, 2),
}
