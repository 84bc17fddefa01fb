"""The iOS 17.4+ CoreDevice tunnel of the lab's iphone-15 (iOS 18.1), driven by unmodified pymobiledevice3.

pymobiledevice3's own root-free path does everything a Mac does against a real phone: ``StartService``
of ``com.apple.internal.devicecompute.CoreDeviceProxy`` over usbmuxd, the CDTunnel handshake, its PyTCP
userspace stack carrying IPv6/TCP through the tunnel, the RSD handshake (HTTP/2 + RemoteXPC) and DTX
process control on ``com.apple.instruments.dtservicehub``. The byte-level tests check the lab's codecs
against pymobiledevice3's (the real peer), and the lab's TCP against hand-built segments.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import os
import re
import select
import struct
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pymobiledevice3.exceptions import InvalidServiceError
from pymobiledevice3.lockdown import create_using_usbmux
from pymobiledevice3.remote.tunnel_service import CDTunnelPacket, CoreDeviceTunnelProxy
from pymobiledevice3.remote.userspace_tunnel import UserspaceRsdTunnel
from pymobiledevice3.remote.xpc_message import XpcWrapper, create_xpc_wrapper, decode_xpc_object
from pymobiledevice3.services.dvt.instruments.dvt_provider import DvtProvider
from pymobiledevice3.services.dvt.instruments.process_control import ProcessControl

from harness.lab.ios.coredevice.packets import ACK, FIN, RST, SYN, PacketSplitter, Segment, build_segment, parse_segment
from harness.lab.ios.coredevice.rsd import PREFACE, RsdSession, peer_info
from harness.lab.ios.coredevice.tcp import WSCALE, TcpStack
from harness.lab.ios.coredevice.tunnel import TunnelPlan, decode_cdtunnel, encode_cdtunnel
from harness.lab.ios.coredevice.xpc import Int64, UInt64, decode_message, encode_message
from harness.lab.ios.link import Link
from tests.lab.ios.conftest import IOSLab

PMD3 = str(Path(__file__).resolve().parents[3] / ".venv" / "bin" / "pymobiledevice3")
APP = "com.example.courier"
PHONE, HOST = ipaddress.IPv6Address("fd00:1::1").packed, ipaddress.IPv6Address("fd00:1::2").packed


# -- codecs against pymobiledevice3's ----------------------------------------------------------------------------
def test_cdtunnel_framing_matches_pymobiledevice3() -> None:
    request = CDTunnelPacket(body=json.dumps({"type": "clientHandshakeRequest", "mtu": 16000}).encode()).build()
    decoded = decode_cdtunnel(request + b"extra")
    assert decoded == ({"type": "clientHandshakeRequest", "mtu": 16000}, len(request))
    assert decode_cdtunnel(request[:-1]) is None
    with pytest.raises(ValueError, match="magic"):
        decode_cdtunnel(b"NotATunnel" + request)
    plan = TunnelPlan.new("00008120-001A2C3E0E90201E", 16000, ["com.apple.instruments.dtservicehub"])
    answer = json.loads(CDTunnelPacket.parse(encode_cdtunnel(plan.handshake_response())).body)
    assert answer["type"] == "serverHandshakeResponse"
    assert answer["clientParameters"] == {"address": plan.client, "netmask": "ffff:ffff:ffff:ffff::", "mtu": 16000}
    assert answer["serverAddress"].startswith("fd") and answer["serverAddress"].endswith("::1")
    assert answer["serverRSDPort"] == plan.rsd_port


def test_xpc_both_ways_with_pymobiledevice3() -> None:
    body = {"MessageType": "Handshake", "MessagingProtocolVersion": UInt64(7), "UUID": uuid.UUID(int=5),
            "Properties": {"OSVersion": "18.1", "UniqueChipID": 7366994438397982, "HasSEP": True, "x": Int64(-2)},
            "Services": {"a.b": {"Port": "50508"}}, "List": ["one", b"\x00\x01\x02", None, 1.5]}
    ours = encode_message(body, message_id=3)
    parsed = XpcWrapper.parse(ours)
    assert parsed.message_id == 3 and parsed.payload is not None
    assert decode_xpc_object(parsed.payload) == body
    theirs = create_xpc_wrapper({"MessageType": "Handshake", "Services": {}, "UUID": uuid.UUID(int=9)},
                                message_id=1, wanting_reply=True)
    decoded = decode_message(theirs + b"more")
    assert decoded is not None
    message, used = decoded
    assert used == len(theirs) and message.message_id == 1
    assert message.body == {"MessageType": "Handshake", "Services": {}, "UUID": uuid.UUID(int=9)}
    assert decode_message(theirs[:-1]) is None


def test_rsd_answers_settings_and_the_handshake() -> None:
    info = peer_info({"UniqueDeviceID": "U"}, {}, uuid.UUID(int=1))
    session = RsdSession(info)
    assert session.feed(PREFACE[:10]) == b""
    settings = struct.pack(">HBBBI", 0, 0, 0x4, 0, 0)  # an empty SETTINGS frame
    reply = session.feed(PREFACE[10:] + settings)
    assert reply == struct.pack(">HBBBI", 0, 0, 0x4, 0x1, 0)  # SETTINGS ACK
    hello = create_xpc_wrapper({"MessageType": "Handshake", "Services": {}}, message_id=1)
    data = struct.pack(">BHBBI", 0, len(hello), 0x0, 0, 1) + hello
    reply = session.feed(data[:7]) + session.feed(data[7:])
    assert reply[3] == 0x0 and struct.unpack(">I", reply[5:9])[0] == 1  # DATA on the root channel
    assert decode_xpc_object(XpcWrapper.parse(reply[9:]).payload) == info  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="preface"):
        RsdSession(info).feed(b"GET / HTTP/1.1\r\n\r\nxxxxxxxxxxxxxx")


# -- TCP by hand ----------------------------------------------------------------------------------------------
class _Wire:
    """The host side of a TcpStack: what the phone sent, parsed."""

    def __init__(self) -> None:
        self.sent: list[Segment] = []

    def emit(self, packet: bytes) -> None:
        seg = parse_segment(packet)
        assert seg is not None
        self.sent.append(seg)


def _seg(flags: int, seq: int, ack: int = 0, payload: bytes = b"", dport: int = 7000, **kw: Any) -> Segment:
    return Segment(HOST, PHONE, 40000, dport, seq, ack, flags, 1024, payload, **kw)


async def _echo(link: Link) -> None:
    while data := await link.read():
        link.write(data.upper())
    link.close()


def test_tcp_handshake_data_fin_and_resets() -> None:
    async def run() -> None:
        wire = _Wire()
        stack = TcpStack(PHONE, 1400, wire.emit)
        stack.listen(7000, _echo)
        stack.receive(_seg(SYN, 999, dport=7001))
        assert wire.sent[-1].flags == RST | ACK and wire.sent[-1].ack == 1000  # closed port
        stack.receive(_seg(SYN, 100, mss=1200, wscale=7))
        syn_ack = wire.sent[-1]
        assert syn_ack.flags == SYN | ACK and syn_ack.ack == 101 and syn_ack.mss == 1200 and syn_ack.wscale == WSCALE
        isn = syn_ack.seq
        stack.receive(_seg(ACK, 101, isn + 1))
        stack.receive(_seg(ACK, 105, isn + 1, b"late"))  # out of order: a duplicate ACK for 101
        assert wire.sent[-1].flags == ACK and wire.sent[-1].ack == 101
        stack.receive(_seg(ACK, 101, isn + 1, b"ping"))
        await asyncio.sleep(0.01)
        echoed = [s for s in wire.sent if s.payload]
        assert echoed[-1].payload == b"PING" and echoed[-1].seq == isn + 1
        stack.receive(_seg(ACK | FIN, 105, isn + 5))
        await asyncio.sleep(0.01)
        fin = wire.sent[-1]
        assert fin.has(FIN) and fin.ack == 106
        stack.receive(_seg(ACK, 106, fin.seq + 1))
        stack.receive(_seg(ACK, 106, fin.seq + 1))  # the connection is gone: a reset
        assert wire.sent[-1].flags == RST
        stack.close()

    asyncio.run(run())


def test_tcp_sends_within_the_scaled_window_and_retransmits_on_duplicate_acks() -> None:
    async def run() -> None:
        wire = _Wire()
        stack = TcpStack(PHONE, 1000, wire.emit)
        big = bytes(range(256)) * 20

        async def talk(link: Link) -> None:
            link.write(big)
            await link.drain()
            await link.read()

        stack.listen(7000, talk)
        stack.receive(_seg(SYN, 1, mss=1000, wscale=1))
        isn = wire.sent[-1].seq
        stack.receive(Segment(HOST, PHONE, 40000, 7000, 2, isn + 1, ACK, 1000, b""))  # 2000 bytes after scaling
        await asyncio.sleep(0.01)
        data = [s for s in wire.sent if s.payload]
        assert [len(s.payload) for s in data] == [1000, 1000]
        for _ in range(3):
            stack.receive(Segment(HOST, PHONE, 40000, 7000, 2, isn + 1, ACK, 1000, b""))
        again = [s for s in wire.sent if s.payload][-1]
        assert again.seq == isn + 1 and again.payload == big[:1000]
        stack.receive(Segment(HOST, PHONE, 40000, 7000, 2, isn + 2001, ACK, 4000, b""))
        await asyncio.sleep(0.01)
        by_seq = {s.seq: s.payload for s in wire.sent if s.payload}
        assert b"".join(by_seq[seq] for seq in sorted(by_seq)) == big
        stack.close()

    asyncio.run(run())


def test_packet_splitter_cuts_the_stream_into_packets() -> None:
    first = build_segment(_seg(SYN, 1))
    second = build_segment(_seg(ACK, 2, 3, b"hello"))
    splitter = PacketSplitter()
    stream = first + second
    assert splitter.feed(stream[:50]) == []
    assert splitter.feed(stream[50:]) == [first, second]
    with pytest.raises(ValueError, match="IPv6"):
        PacketSplitter().feed(b"\x45" + bytes(60))


# -- the whole path, with pymobiledevice3 ------------------------------------------------------------------------
@pytest.fixture
def mounted(ios_lab: IOSLab, monkeypatch: pytest.MonkeyPatch) -> Iterator[IOSLab]:
    """iphone-15 with its (personalized) developer image mounted, as ``mounter auto-mount`` leaves it."""
    for key, value in ios_lab.env.items():
        if key in ("USBMUXD_SOCKET_ADDRESS", "HOME"):
            monkeypatch.setenv(key, value)
    ios_lab.call(setattr, ios_lab.phone, "developer_image_mounted", True)
    try:
        yield ios_lab
    finally:
        ios_lab.call(setattr, ios_lab.phone, "developer_image_mounted", False)


def test_rsd_over_the_userspace_tunnel_and_dvt_process_control(mounted: IOSLab) -> None:
    udid = mounted.phone.udid

    async def run() -> tuple[dict[str, Any], int, int, int]:
        async with UserspaceRsdTunnel(serial=udid, remotepairing_fallback=False) as rsd:
            assert rsd.peer_info is not None
            async with DvtProvider(rsd) as dvt, ProcessControl(dvt) as control:
                pid = int(await control.launch(APP, kill_existing=True))
                found = int(await control.process_identifier_for_bundle_identifier(APP))
                await control.kill(pid)
                after = int(await control.process_identifier_for_bundle_identifier(APP) or 0)
            return rsd.peer_info, pid, found, after

    info, pid, found, after = asyncio.run(asyncio.wait_for(run(), 60))
    props = info["Properties"]
    assert props["UniqueDeviceID"] == udid and props["ProductType"] == "iPhone15,4" and props["OSVersion"] == "18.1"
    assert int(info["Services"]["com.apple.instruments.dtservicehub"]["Port"]) > 0
    assert pid > 0 and found == pid and after == 0


def test_without_the_developer_image_rsd_lists_no_instruments(ios_lab: IOSLab, monkeypatch: pytest.MonkeyPatch,
                                                              ) -> None:
    monkeypatch.setenv("USBMUXD_SOCKET_ADDRESS", ios_lab.server.address)
    monkeypatch.setenv("HOME", str(ios_lab.home))

    async def run() -> None:
        async with UserspaceRsdTunnel(serial=ios_lab.phone.udid, remotepairing_fallback=False) as rsd:
            assert rsd.peer_info is not None and "com.apple.instruments.dtservicehub" not in rsd.peer_info["Services"]
            with pytest.raises(InvalidServiceError):
                async with DvtProvider(rsd):
                    pass

    asyncio.run(asyncio.wait_for(run(), 60))


def test_core_device_proxy_only_from_ios_17_4(ios_lab: IOSLab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USBMUXD_SOCKET_ADDRESS", ios_lab.server.address)
    monkeypatch.setenv("HOME", str(ios_lab.home))
    second = ios_lab.phones[1]  # iOS 17.5.1: offered

    async def start(udid: str) -> str:
        lockdown = await create_using_usbmux(serial=udid, autopair=True)
        try:
            proxy = await CoreDeviceTunnelProxy.create(lockdown)
            await proxy.close()
            return "started"
        except InvalidServiceError:
            return "InvalidService"
        finally:
            await lockdown.close()

    assert asyncio.run(start(second.udid)) == "started"
    ident = second.ident
    older = type(ident)(ident.name, ident.udid, ident.product_type, "17.3", ident.device_name)
    ios_lab.call(setattr, second, "ident", older)
    try:
        assert asyncio.run(start(second.udid)) == "InvalidService"
    finally:
        ios_lab.call(setattr, second, "ident", ident)


def test_cli_dvt_launch_retries_over_the_userspace_tunnel(mounted: IOSLab) -> None:
    """``pymobiledevice3 developer dvt launch``, as a person types it: lockdown answers InvalidService for the
    iOS 17+ phone and the CLI retries over its no-root userspace tunnel (``pmd3:__main__.py``)."""
    out = mounted.run(PMD3, "developer", "dvt", "launch", "--udid", mounted.phone.udid, APP, timeout_s=90)
    assert out.returncode == 0, out.stderr[-2000:]
    assert re.search(r"Process launched with pid \d+", out.stdout), out.stdout[-500:]
    assert "no-root userspace tunnel" in out.stderr


def _can_make_a_tun() -> bool:
    if os.geteuid() != 0 or not os.access("/dev/net/tun", os.R_OK | os.W_OK):
        return False
    try:
        from pytun_pmd3 import TunTapDevice  # type: ignore[import-untyped]  # noqa: PLC0415 - optional: only where a TUN device can be opened

        TunTapDevice().close()  # creating one needs CAP_NET_ADMIN, not only the device node
    except Exception:
        return False
    return True


def _first_line(proc: subprocess.Popen[str], timeout_s: float) -> str:
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout_s)
    return proc.stdout.readline().strip() if ready else ""


@pytest.mark.skipif(not _can_make_a_tun(), reason="lockdown start-tunnel needs a kernel TUN (root, CAP_NET_ADMIN)")
def test_lockdown_start_tunnel_with_a_kernel_tun_then_dvt_over_rsd(mounted: IOSLab) -> None:
    """The Linux kernel's TCP (SACK, timestamps, its own windows) on the host end instead of PyTCP."""
    tunnel = subprocess.Popen([PMD3, "lockdown", "start-tunnel", "--script-mode", "--udid", mounted.phone.udid],
                              env=mounted.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = _first_line(tunnel, 60)
        host, port = line.split()
        assert host.startswith("fd") and int(port) > 0, line
        out = mounted.run(PMD3, "developer", "dvt", "launch", "--rsd", host, port, APP, timeout_s=90)
        assert re.search(r"Process launched with pid \d+", out.stdout), out.stderr[-2000:]
    finally:
        tunnel.terminate()
        tunnel.communicate(timeout=30)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.binary(max_size=120), max_size=8))
def test_hostile_packets_never_break_the_phone_stack(chunks: list[bytes]) -> None:
    """Whatever a host writes into the tunnel, the phone's side parses or drops it; only a stream that is not
    IPv6 at all ends the tunnel (ValueError), as a malformed stream would on the device."""
    async def run() -> None:
        wire = _Wire()
        stack = TcpStack(PHONE, 1400, wire.emit)
        stack.listen(7000, _echo)
        splitter = PacketSplitter()
        for chunk in chunks:
            tcp = struct.pack("!HH", 40000, 7000) + chunk  # random TCP headers and bodies to a listening port
            packet = struct.pack("!IHBB", 6 << 28, len(tcp), 6, 64) + HOST + PHONE + tcp
            if (seg := parse_segment(packet)) is not None:
                stack.receive(seg)
            with contextlib.suppress(ValueError):
                for whole in splitter.feed(chunk):
                    if (parsed := parse_segment(whole)) is not None:
                        stack.receive(parsed)
            await asyncio.sleep(0)
        stack.close()
        await stack.wait_closed()

    asyncio.run(run())


def test_tcp_probes_a_zero_window_and_resumes_when_it_opens() -> None:
    """RFC 9293 §3.8.6.1: with data queued and the host's window shut, the phone probes with one byte."""
    async def run() -> None:
        wire = _Wire()
        probed = asyncio.Event()

        def emit(packet: bytes) -> None:
            wire.emit(packet)
            if len(wire.sent[-1].payload) == 1:
                probed.set()

        stack = TcpStack(PHONE, 1000, emit)

        async def talk(link: Link) -> None:
            link.write(b"abc")
            await link.read()

        stack.listen(7000, talk)
        stack.receive(_seg(SYN, 1, mss=1000, wscale=2))
        isn = wire.sent[-1].seq
        stack.receive(Segment(HOST, PHONE, 40000, 7000, 2, isn + 1, ACK, 0, b""))  # window shut
        await asyncio.wait_for(probed.wait(), 10)
        probe = wire.sent[-1]
        assert probe.seq == isn + 1 and probe.payload == b"a"
        stack.receive(Segment(HOST, PHONE, 40000, 7000, 2, isn + 2, ACK, 100, b""))  # took it; window open
        rest = wire.sent[-1]
        assert rest.seq == isn + 2 and rest.payload == b"bc"
        stack.close()

    asyncio.run(run())


def test_a_handshake_that_is_not_a_client_request_ends_the_tunnel(ios_lab: IOSLab,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USBMUXD_SOCKET_ADDRESS", ios_lab.server.address)
    monkeypatch.setenv("HOME", str(ios_lab.home))

    async def run(body: dict[str, Any]) -> bytes:
        lockdown = await create_using_usbmux(serial=ios_lab.phone.udid, autopair=True)
        try:
            service = await lockdown.start_lockdown_service(CoreDeviceTunnelProxy.SERVICE_NAME)
            await service.sendall(CDTunnelPacket(body=json.dumps(body).encode()).build())
            answer = await asyncio.wait_for(service.reader.read(65536), 10)
            await service.close()
            return bytes(answer)
        finally:
            await lockdown.close()

    assert asyncio.run(run({"type": "serverHandshakeResponse"})) == b""  # closed, nothing said
    assert asyncio.run(run({"type": "clientHandshakeRequest", "mtu": "big"})) == b""
    answer = asyncio.run(run({"type": "clientHandshakeRequest", "mtu": 1500}))
    assert json.loads(CDTunnelPacket.parse(answer).body)["clientParameters"]["mtu"] == 1500
