"""IPv6 and TCP framing for the CoreDeviceProxy tunnel: pure bytes in, typed segments out, and back.

The tunnel carries raw IPv6 packets back to back on the lockdown stream, no extra framing: the reader
takes the 40-byte header and then the header's payload length (``pmd3:remote/tunnel_service.py``:
``RemotePairingTcpTunnel.sock_read_task`` reads ``IPV6_HEADER_SIZE`` and ``ipv6_header[4:6]``). Layouts
are RFC 8200 §3 (IPv6 header) and RFC 9293 §3.1 (TCP header, with the pseudo-header checksum of RFC 8200
§8.1). Only TCP is parsed; anything else (ICMPv6, MLD) is reported as ``None`` and dropped by the caller,
as the phone's stack would not answer it for a host it has no route to.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass, field

__all__ = ["ACK", "FIN", "PSH", "RST", "SYN", "PacketSplitter", "Segment", "build_segment", "parse_segment"]

IPV6_HEADER = 40
TCP_HEADER = 20
NEXT_TCP = 6
HOP_LIMIT = 64
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
OPT_END, OPT_NOP, OPT_MSS, OPT_WSCALE = 0, 1, 2, 3


@dataclass(frozen=True, slots=True)
class Segment:
    """One TCP segment between two IPv6 endpoints (addresses as 16 raw bytes)."""

    src: bytes
    dst: bytes
    sport: int
    dport: int
    seq: int
    ack: int
    flags: int
    window: int
    payload: bytes = b""
    mss: int | None = field(default=None)  # the MSS option, sent only on SYNs
    wscale: int | None = field(default=None)  # the window scale option (RFC 7323 §2), SYNs only

    def has(self, flag: int) -> bool:
        return bool(self.flags & flag)

    @property
    def span(self) -> int:
        """Sequence space the segment uses: its bytes, plus one each for SYN and FIN."""
        return len(self.payload) + self.has(SYN) + self.has(FIN)


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return int(~total & 0xFFFF)


def _pseudo_header(src: bytes, dst: bytes, length: int) -> bytes:
    return src + dst + struct.pack("!I3xB", length, NEXT_TCP)


def _options(mss: int | None, wscale: int | None) -> bytes:
    out = b"" if mss is None else struct.pack("!BBH", OPT_MSS, 4, mss)
    if wscale is not None:
        out += struct.pack("!BBBB", OPT_NOP, OPT_WSCALE, 3, wscale)
    return out


def build_segment(seg: Segment) -> bytes:
    """The IPv6 packet carrying ``seg``, checksummed."""
    options = _options(seg.mss, seg.wscale)
    offset_words = (TCP_HEADER + len(options)) // 4
    header = struct.pack("!HHIIBBHHH", seg.sport, seg.dport, seg.seq & 0xFFFFFFFF, seg.ack & 0xFFFFFFFF,
                         offset_words << 4, seg.flags, seg.window, 0, 0)
    tcp = header + options + seg.payload
    checksum = _checksum(_pseudo_header(seg.src, seg.dst, len(tcp)) + tcp)
    tcp = tcp[:16] + struct.pack("!H", checksum) + tcp[18:]
    ip = struct.pack("!IHBB", 6 << 28, len(tcp), NEXT_TCP, HOP_LIMIT) + seg.src + seg.dst
    return ip + tcp


def _parse_options(options: bytes) -> dict[int, bytes]:
    """Option kind -> value bytes; a malformed list ends the walk, as RFC 9293 §3.1 allows."""
    found: dict[int, bytes] = {}
    i = 0
    while i < len(options):
        kind = options[i]
        if kind == OPT_END:
            break
        if kind == OPT_NOP:
            i += 1
            continue
        if i + 1 >= len(options) or options[i + 1] < 2 or i + options[i + 1] > len(options):
            break
        found[kind] = options[i + 2:i + options[i + 1]]
        i += options[i + 1]
    return found


def parse_segment(packet: bytes) -> Segment | None:
    """The TCP segment in an IPv6 packet; ``None`` for anything else or a packet too short to be one.

    Extension headers are not walked: the hosts on a CoreDevice tunnel send plain TCP (a next-header
    other than 6 is dropped)."""
    if len(packet) < IPV6_HEADER + TCP_HEADER or packet[0] >> 4 != 6 or packet[6] != NEXT_TCP:
        return None
    length = struct.unpack("!H", packet[4:6])[0]
    tcp = packet[IPV6_HEADER:IPV6_HEADER + length]
    if len(tcp) < TCP_HEADER:
        return None
    sport, dport, seq, ack, offset, flags, window = struct.unpack("!HHIIBBH", tcp[:16])
    header_len = (offset >> 4) * 4
    if header_len < TCP_HEADER or header_len > len(tcp):
        return None
    options = _parse_options(tcp[TCP_HEADER:header_len]) if flags & SYN else {}
    mss = options.get(OPT_MSS, b"")
    wscale = options.get(OPT_WSCALE, b"")
    return Segment(packet[8:24], packet[24:40], sport, dport, seq, ack, flags, window, tcp[header_len:],
                   int(struct.unpack("!H", mss)[0]) if len(mss) == 2 else None,
                   min(wscale[0], 14) if len(wscale) == 1 else None)


def address_bytes(text: str) -> bytes:
    return ipaddress.IPv6Address(text).packed


class PacketSplitter:
    """Cuts the tunnel's byte stream into whole IPv6 packets."""

    def __init__(self, max_packet: int = 65575) -> None:
        self._buf = bytearray()
        self._max = max_packet

    def feed(self, data: bytes) -> list[bytes]:
        """The packets completed by ``data``; raises ValueError on a stream that is not IPv6."""
        self._buf += data
        packets: list[bytes] = []
        while len(self._buf) >= IPV6_HEADER:
            if self._buf[0] >> 4 != 6:
                raise ValueError(f"not an IPv6 packet (version {self._buf[0] >> 4})")
            total = IPV6_HEADER + struct.unpack("!H", self._buf[4:6])[0]
            if total > self._max:
                raise ValueError(f"packet of {total} bytes exceeds the tunnel MTU")
            if len(self._buf) < total:
                break
            packets.append(bytes(self._buf[:total]))
            del self._buf[:total]
        return packets
