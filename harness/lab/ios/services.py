"""The lockdown services a lab iPhone runs: the thin stream loops over the pure parts.

- ``com.apple.syslog_relay``: no request; the phone streams its log as NUL-terminated records
  (``codec.encode_syslog_record``), first the lines already in the ring buffer (``VirtualIPhone.
  syslog_replay``), then every new line as it is written, until the client hangs up.
- ``com.apple.os_trace_relay``: the binary log stream and the process list (``ostrace.py``).
- ``com.apple.mobile.installation_proxy``: length-prefixed plist commands, each answered by one or
  more length-prefixed plist replies (``apps.InstallationProxy``).
- ``com.apple.mobile.house_arrest``: an app's data container over AFC (``house_arrest.py``, ``afc.py``).
- ``com.apple.afc``: the media directory over AFC, writable (``media.py``).
- ``com.apple.mobile.mobile_image_mounter``: whether the developer disk image is mounted
  (``image_mounter.py``).
- DVT instruments over DTX (``dvt.py``): ``com.apple.instruments.remoteserver`` below iOS 14 and
  ``com.apple.instruments.remoteserver.DVTSecureSocketProxy`` on iOS 14–16, the names pymobiledevice3
  asks for (``pmd3:dtx_service_provider.py:DtxServiceProvider.service_name_for``). They come with the
  DeveloperDiskImage, so they exist only while it is mounted; iOS 17 moved them behind RemoteXPC
  (``com.apple.instruments.dtservicehub``), and lockdownd no longer knows them.
- ``com.apple.dt.simulatelocation``: the developer image's location override (``simulate_location.py``),
  offered with the image mounted below iOS 17.
- ``com.apple.mobile.diagnostics_relay``: ``Restart`` reboots the phone (``diagnostics_relay.py``).

``SERVICES`` maps a lockdown service name to a factory of port handlers; ``offered`` says whether this
phone's lockdownd starts it. ``StartService`` for any other name answers ``InvalidService``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from harness.lab.ios.apps import InstallationProxy
from harness.lab.ios.codec import PlistFrameDecoder, ProtocolError, encode_plist_frame, encode_syslog_record
from harness.lab.ios.coredevice import CORE_DEVICE_PROXY, proxy_offered, serve_core_device_proxy
from harness.lab.ios.diagnostics_relay import DIAGNOSTICS_RELAY, serve_diagnostics_relay
from harness.lab.ios.dvt import serve_dvt
from harness.lab.ios.house_arrest import serve_house_arrest
from harness.lab.ios.image_mounter import ios_version, serve_image_mounter
from harness.lab.ios.link import Link, PortHandler
from harness.lab.ios.media import AFC_SERVICE, serve_afc
from harness.lab.ios.ostrace import serve_os_trace_relay
from harness.lab.ios.simulate_location import SIMULATE_LOCATION, serve_simulate_location
from harness.lab.ios.syslog import SyslogEntry

if TYPE_CHECKING:
    from harness.lab.ios.device import VirtualIPhone

__all__ = ["SERVICES", "offered", "serve_installation_proxy", "serve_syslog_relay"]

log = logging.getLogger("harness.lab.ios.services")

SYSLOG_RELAY = "com.apple.syslog_relay"
INSTALLATION_PROXY = "com.apple.mobile.installation_proxy"
OS_TRACE_RELAY = "com.apple.os_trace_relay"
HOUSE_ARREST = "com.apple.mobile.house_arrest"
IMAGE_MOUNTER = "com.apple.mobile.mobile_image_mounter"
DVT_LEGACY = "com.apple.instruments.remoteserver"
DVT_SECURE = "com.apple.instruments.remoteserver.DVTSecureSocketProxy"
# A relay client that stops reading must not make the phone buffer without bound.
_MAX_UNSENT = 8 * 1024 * 1024


async def serve_syslog_relay(device: VirtualIPhone, link: Link) -> None:
    """Stream the syslog until the client closes. Lines are written synchronously from the writer's
    call (``SyslogBuffer.write``), so they reach the socket in order and none is lost."""

    def send(entry: SyslogEntry) -> None:
        if link.closing:
            return
        if link.pending > _MAX_UNSENT:
            log.warning("[%s] syslog_relay client stopped reading; closing it", device.name)
            link.close()
            return
        link.write(encode_syslog_record(device.syslog.format(entry)))

    device.syslog.subscribe(send, replay=device.syslog_replay)
    try:
        while await link.read():
            pass  # syslog_relay takes no requests; whatever the client sends is ignored
    finally:
        device.syslog.unsubscribe(send)
        link.close()


async def serve_installation_proxy(device: VirtualIPhone, link: Link) -> None:
    proxy = InstallationProxy(device.apps)
    decoder = PlistFrameDecoder()
    while data := await link.read():
        try:
            commands = decoder.feed(data)
        except ProtocolError as exc:
            log.warning("[%s] installation_proxy: dropping connection: %s", device.name, exc)
            break
        for command in commands:
            for reply in proxy.handle(command):
                link.write(encode_plist_frame(reply))
        await link.drain()
    link.close()


def _factory(serve: Callable[[VirtualIPhone, Link], Awaitable[None]]) -> Callable[[VirtualIPhone], PortHandler]:
    def make(device: VirtualIPhone) -> PortHandler:
        async def handler(link: Link) -> None:
            await serve(device, link)

        return handler

    return make


SERVICES: dict[str, Callable[[VirtualIPhone], PortHandler]] = {
    SYSLOG_RELAY: _factory(serve_syslog_relay),
    OS_TRACE_RELAY: _factory(serve_os_trace_relay),
    INSTALLATION_PROXY: _factory(serve_installation_proxy),
    HOUSE_ARREST: _factory(serve_house_arrest),
    AFC_SERVICE: _factory(serve_afc),
    IMAGE_MOUNTER: _factory(serve_image_mounter),
    DVT_LEGACY: _factory(serve_dvt),
    DVT_SECURE: _factory(serve_dvt),
    SIMULATE_LOCATION: _factory(serve_simulate_location),
    DIAGNOSTICS_RELAY: _factory(serve_diagnostics_relay),
    CORE_DEVICE_PROXY: _factory(serve_core_device_proxy),
}
# Developer services: the iOS major versions whose lockdownd offers them (with the image mounted).
_DEVELOPER = {DVT_LEGACY: range(0, 14), DVT_SECURE: range(14, 17), SIMULATE_LOCATION: range(0, 17)}


def offered(device: VirtualIPhone, name: str) -> bool:
    """Whether ``StartService`` of ``name`` succeeds on this phone, given its iOS version and image."""
    if name == CORE_DEVICE_PROXY:
        return proxy_offered(device)
    versions = _DEVELOPER.get(name)
    if versions is not None:
        return device.developer_image_mounted and ios_version(device)[0] in versions
    return name in SERVICES
