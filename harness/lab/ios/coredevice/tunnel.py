"""``com.apple.internal.devicecompute.CoreDeviceProxy``: the iOS 17.4+ tunnel over a lockdown service.

The exchange, as pymobiledevice3 drives it (``pmd3:remote/tunnel_service.py``: ``CoreDeviceTunnelProxy``,
``RemotePairingTcpTunnel.request_tunnel_establish``, ``CDTunnelPacket``): the host sends ``CDTunnel``, a
big-endian 16-bit length and JSON ``{"type": "clientHandshakeRequest", "mtu": 16000}``; the phone answers
in the same framing with ``{"type": "serverHandshakeResponse", "clientParameters": {"address",
"netmask", "mtu"}, "serverAddress", "serverRSDPort"}`` (the same keys in netimobiledevice's
``EstablishTunnelResponse``). From then on the stream carries raw IPv6 packets both ways
(``packets.py``): the host's TUN (kernel or PyTCP) talks TCP to ``serverAddress``, where the phone runs
RSD on ``serverRSDPort`` and the developer services RSD lists — here the DVT instruments hub
``com.apple.instruments.dtservicehub``, which speaks DTX with no check-in (``pmd3:dtx_service_provider.py``)
and, as on iOS 17+, exists only while the (personalized) developer image is mounted.

The addresses are a unique-local /64 per tunnel (RFC 4193), phone ``::1``, host ``::2``: the shape
pymobiledevice3 prints for a real phone's tunnel (``RSD Address: fd..::1``).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import secrets
import struct
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness.lab.ios.coredevice.packets import PacketSplitter, address_bytes, parse_segment
from harness.lab.ios.coredevice.rsd import peer_info, serve_rsd
from harness.lab.ios.coredevice.tcp import TcpStack
from harness.lab.ios.dvt import serve_dvt
from harness.lab.ios.image_mounter import ios_version
from harness.lab.ios.link import Link

if TYPE_CHECKING:
    from harness.lab.ios.device import VirtualIPhone

__all__ = ["CORE_DEVICE_PROXY", "DTSERVICEHUB", "TunnelPlan", "decode_cdtunnel", "encode_cdtunnel", "proxy_offered",
           "serve_core_device_proxy"]

log = logging.getLogger("harness.lab.ios.coredevice")

CORE_DEVICE_PROXY = "com.apple.internal.devicecompute.CoreDeviceProxy"
DTSERVICEHUB = "com.apple.instruments.dtservicehub"
MAGIC = b"CDTunnel"
MAX_MTU = 16000  # what pymobiledevice3 asks for (StartTcpTunnel.REQUESTED_MTU); the phone grants up to it
NETMASK = "ffff:ffff:ffff:ffff::"
_FIRST_PORT = 49152


def encode_cdtunnel(body: dict[str, Any]) -> bytes:
    raw = json.dumps(body).encode()
    return MAGIC + struct.pack(">H", len(raw)) + raw


def decode_cdtunnel(buf: bytes) -> tuple[dict[str, Any], int] | None:
    """The first CDTunnel message in ``buf`` and its length; None while incomplete; ValueError if not one."""
    if len(buf) < len(MAGIC) + 2:
        return None
    if buf[:len(MAGIC)] != MAGIC:
        raise ValueError("the host did not send the CDTunnel magic")
    size = struct.unpack(">H", buf[len(MAGIC):len(MAGIC) + 2])[0]
    end = len(MAGIC) + 2 + size
    if len(buf) < end:
        return None
    body = json.loads(buf[len(MAGIC) + 2:end])
    if not isinstance(body, dict):
        raise ValueError("the CDTunnel message is not a JSON object")
    return body, end


@dataclass(frozen=True, slots=True)
class TunnelPlan:
    """One tunnel's addresses and the ports its services listen on."""

    server: str
    client: str
    mtu: int
    rsd_port: int
    service_ports: dict[str, int]

    @classmethod
    def new(cls, udid: str, mtu: int, services: list[str]) -> TunnelPlan:
        prefix = int.from_bytes(b"\xfd" + secrets.token_bytes(7), "big") << 64
        base = _FIRST_PORT + int(hashlib.sha256(udid.encode()).hexdigest()[:4], 16) % 8000
        ports = {name: base + 1 + i for i, name in enumerate(services)}
        return cls(str(ipaddress.IPv6Address(prefix | 1)), str(ipaddress.IPv6Address(prefix | 2)),
                   max(1280, min(mtu, MAX_MTU)), base, ports)

    def handshake_response(self) -> dict[str, Any]:
        return {"type": "serverHandshakeResponse",
                "clientParameters": {"address": self.client, "netmask": NETMASK, "mtu": self.mtu},
                "serverAddress": self.server, "serverRSDPort": self.rsd_port}


def tunnel_services(device: VirtualIPhone, plan: TunnelPlan) -> dict[str, int]:
    """The RSD services this phone runs now, by port: the instruments hub only while the developer image is
    mounted (mounting it adds the developer services to what ``remoted`` lists, without a new tunnel)."""
    return {name: port for name, port in plan.service_ports.items()
            if name != DTSERVICEHUB or device.developer_image_mounted}


def _properties(device: VirtualIPhone) -> dict[str, Any]:
    values = device.values() or {}
    keys = ("BuildVersion", "CPUArchitecture", "DeviceClass", "HardwareModel", "ProductName", "ProductType",
            "SerialNumber", "UniqueChipID", "UniqueDeviceID")
    props = {key: values[key] for key in keys if key in values}
    props["OSVersion"] = values.get("ProductVersion", device.ident.os_version)
    return props


def _rsd_services(ports: dict[str, int]) -> dict[str, dict[str, Any]]:
    # Each entry: the port as a decimal string and the entitlement a client needs (remoted's format).
    return {name: {"Entitlement": f"com.apple.private.dt.instruments.{name.rsplit('.', 1)[-1]}", "Port": str(port)}
            for name, port in ports.items()}


async def _read_handshake(link: Link) -> tuple[dict[str, Any], bytes] | None:
    buf = b""
    while (decoded := decode_cdtunnel(buf)) is None:
        data = await link.read()
        if not data:
            return None
        buf += data
    body, used = decoded
    return body, buf[used:]


async def serve_core_device_proxy(device: VirtualIPhone, link: Link) -> None:
    """One tunnel: the CDTunnel handshake, then IPv6 both ways until the host closes the stream."""
    try:
        got = await _read_handshake(link)
        if got is None:
            return
        request, rest = got
        mtu = request.get("mtu", 1280)
        if request.get("type") != "clientHandshakeRequest" or not isinstance(mtu, int):
            raise ValueError(f"unexpected CDTunnel message {request!r:.200}")
        plan = TunnelPlan.new(device.udid, mtu, [DTSERVICEHUB])
        link.write(encode_cdtunnel(plan.handshake_response()))
        await _carry(device, link, plan, rest)
    except ValueError as exc:
        log.warning("[%s] CoreDeviceProxy: dropping tunnel: %s", device.name, exc)
    finally:
        link.close()


async def _carry(device: VirtualIPhone, link: Link, plan: TunnelPlan, rest: bytes) -> None:
    stack = TcpStack(address_bytes(plan.server), plan.mtu - 60, link.write)
    phone_uuid = uuid.uuid5(uuid.NAMESPACE_OID, device.udid)

    async def rsd(conn: Link) -> None:  # what RSD lists is read per connection: the image may come and go
        info = peer_info(_properties(device), _rsd_services(tunnel_services(device, plan)), phone_uuid)
        await serve_rsd(info, conn, device.name)

    async def dvt(conn: Link) -> None:
        if DTSERVICEHUB in tunnel_services(device, plan):
            await serve_dvt(device, conn)
        else:  # the image went away after the host looked the port up: the hub is gone
            conn.close()

    stack.listen(plan.rsd_port, rsd)
    stack.listen(plan.service_ports[DTSERVICEHUB], dvt)
    log.info("[%s] CoreDeviceProxy tunnel %s <-> %s, RSD port %d", device.name, plan.client, plan.server,
             plan.rsd_port)
    splitter = PacketSplitter(plan.mtu + 40)
    data = rest
    try:
        while True:
            for packet in splitter.feed(data):
                seg = parse_segment(packet)
                if seg is not None:
                    stack.receive(seg)
            await link.drain()
            data = await link.read()
            if not data:
                break
    finally:
        stack.close()
        await stack.wait_closed()


def proxy_offered(device: VirtualIPhone) -> bool:
    """lockdownd starts CoreDeviceProxy from iOS 17.4 on (``pmd3:remote/userspace_tunnel.py``: "iOS < 17.4
    has no CoreDeviceProxy lockdown service")."""
    return ios_version(device) >= (17, 4)
