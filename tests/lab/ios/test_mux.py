"""usbmuxd's answers (``MuxHost``), request by request, without sockets."""

from __future__ import annotations

import errno
import plistlib
import socket
import struct
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from harness.lab.clock import ManualClock
from harness.lab.ios import IPhoneIdentity, VirtualIPhone
from harness.lab.ios.codec import MuxDecoder, MuxPacket, encode_mux
from harness.lab.ios.mux import MuxHost, OpenTunnel, Reply, StartListen

UDID = "00008120-001A2C3E0E90201E"


@pytest.fixture
def host() -> MuxHost:
    mux = MuxHost("LAB-BUID")
    mux.attach(VirtualIPhone(IPhoneIdentity("iphone-15", UDID, "iPhone15,4", "18.1"), ManualClock()))
    return mux


def request(body: dict[str, Any], tag: int = 9) -> MuxPacket:
    return MuxPacket(1, 8, tag, plistlib.dumps(body))


def replies(data: bytes) -> list[tuple[int, dict[str, Any]]]:
    return [(p.tag, plistlib.loads(p.payload)) for p in MuxDecoder().packets(data)]


def only_reply(action: Any, tag: int = 9) -> dict[str, Any]:
    assert isinstance(action, Reply)
    [(got_tag, body)] = replies(action.data)
    assert got_tag == tag  # pmd3 rejects a reply with another tag
    return body


def test_list_devices_reply_has_no_message_type_and_attached_entries(host: MuxHost) -> None:
    body = only_reply(host.handle(request({"MessageType": "ListDevices"})))
    assert "MessageType" not in body  # libusbmuxd would turn it into a Result and drop the list
    [entry] = body["DeviceList"]
    assert entry["MessageType"] == "Attached"
    assert entry["DeviceID"] == entry["Properties"]["DeviceID"] == 1
    assert entry["Properties"]["SerialNumber"] == UDID
    assert entry["Properties"]["ConnectionType"] == "USB"
    assert entry["Properties"]["ProductID"] == 0x12A8


def test_read_buid(host: MuxHost) -> None:
    assert only_reply(host.handle(request({"MessageType": "ReadBUID"}))) == {"BUID": "LAB-BUID"}


def test_listen_sends_result_then_attached_with_tag_0(host: MuxHost) -> None:
    action = host.handle(request({"MessageType": "Listen"}, tag=4))
    assert isinstance(action, StartListen)
    (tag0, result), (tag1, attached) = replies(action.data)
    assert (tag0, result) == (4, {"MessageType": "Result", "Number": 0})
    assert tag1 == 0 and attached["MessageType"] == "Attached"


def test_connect_swaps_the_port_number_from_network_order(host: MuxHost) -> None:
    action = host.handle(request({"MessageType": "Connect", "DeviceID": 1, "PortNumber": socket.htons(62078)}))
    assert isinstance(action, OpenTunnel)
    assert action.device_id == 1
    assert replies(action.data) == [(9, {"MessageType": "Result", "Number": 0})]


@pytest.mark.parametrize(("body", "number"), [
    ({"DeviceID": 7, "PortNumber": socket.htons(62078)}, 2),  # no such device: BADDEV
    ({"PortNumber": socket.htons(62078)}, 2),  # no DeviceID: BADDEV
    ({"DeviceID": 1}, 1),  # no PortNumber: BADCOMMAND
    ({"DeviceID": 1, "PortNumber": socket.htons(1234)}, 3),  # closed port: CONNREFUSED
    ({"DeviceID": 1, "PortNumber": 62078}, 3),  # not byte-swapped: port 32498 is closed
])
def test_connect_failures(host: MuxHost, body: dict[str, Any], number: int) -> None:
    reply = only_reply(host.handle(request({"MessageType": "Connect", **body})))
    assert reply == {"MessageType": "Result", "Number": number}


def test_read_pair_record_is_a_real_certificate_chain(host: MuxHost) -> None:
    body = only_reply(host.handle(request({"MessageType": "ReadPairRecord", "PairRecordID": UDID})))
    assert "MessageType" not in body
    record = plistlib.loads(body["PairRecordData"])
    assert record["SystemBUID"] == "LAB-BUID"
    assert record["HostID"] == record["HostID"].upper()
    root = x509.load_pem_x509_certificate(record["RootCertificate"])
    root_key = root.public_key()
    assert isinstance(root_key, RSAPublicKey)
    for name in ("HostCertificate", "DeviceCertificate"):
        leaf = x509.load_pem_x509_certificate(record[name])
        assert leaf.signature_hash_algorithm is not None
        root_key.verify(leaf.signature, leaf.tbs_certificate_bytes, padding.PKCS1v15(), leaf.signature_hash_algorithm)
    device = next(iter(host.attached.values())).device
    device_cert = x509.load_pem_x509_certificate(record["DeviceCertificate"])
    device_key = device.values()["DevicePublicKey"]  # type: ignore[index]
    assert device_key.startswith(b"-----BEGIN RSA PUBLIC KEY-----")
    assert device_cert.public_key() == serialization.load_pem_public_key(device_key)


def test_read_pair_record_matches_a_udid_without_its_dash(host: MuxHost) -> None:
    body = only_reply(host.handle(request({"MessageType": "ReadPairRecord", "PairRecordID": UDID.replace("-", "")})))
    assert "PairRecordData" in body


def test_pair_record_errors_are_errno_results(host: MuxHost) -> None:
    missing = only_reply(host.handle(request({"MessageType": "ReadPairRecord", "PairRecordID": "nope"})))
    assert missing == {"MessageType": "Result", "Number": errno.ENOENT}
    no_id = only_reply(host.handle(request({"MessageType": "ReadPairRecord"})))
    assert no_id == {"MessageType": "Result", "Number": errno.EINVAL}


def test_save_then_delete_pair_record(host: MuxHost) -> None:
    saved = host.handle(request({"MessageType": "SavePairRecord", "PairRecordID": UDID,
                                 "PairRecordData": plistlib.dumps({"HostID": "H"}), "DeviceID": 1}))
    assert isinstance(saved, Reply) and saved.paired_device_id == 1
    body = only_reply(host.handle(request({"MessageType": "ReadPairRecord", "PairRecordID": UDID})))
    assert plistlib.loads(body["PairRecordData"]) == {"HostID": "H"}
    deleted = only_reply(host.handle(request({"MessageType": "DeletePairRecord", "PairRecordID": UDID})))
    assert deleted["Number"] == 0
    gone = only_reply(host.handle(request({"MessageType": "ReadPairRecord", "PairRecordID": UDID})))
    assert gone["Number"] == errno.ENOENT


def test_unknown_request_is_badcommand(host: MuxHost) -> None:
    assert only_reply(host.handle(request({"MessageType": "Frobnicate"})))["Number"] == 1


def test_unparsable_plist_gets_no_reply(host: MuxHost) -> None:
    action = host.handle(MuxPacket(1, 8, 1, b"not a plist"))
    assert isinstance(action, Reply) and action.data == b""


def test_binary_listen_is_answered_in_binary(host: MuxHost) -> None:
    """usbmuxd@1.1.1:src/client.c: send_result sends a RESULT packet with a u32 to a version-0 client, and
    notify_device_add a DEVICE_ADD with a packed usbmuxd_device_record (device_id u32, product_id u16,
    serial_number char[256], padding u16, location u32)."""
    client = host.open_client()
    listen = host.handle(MuxPacket(0, 3, 5), client)
    assert isinstance(listen, StartListen) and client.listening
    result, added = MuxDecoder().packets(listen.data)
    assert (result.version, result.message, result.tag, result.payload) == (0, 1, 5, b"\x00\x00\x00\x00")
    assert (added.version, added.message, added.tag, len(added.payload)) == (0, 4, 0, 268)
    device_id, product_id, serial, _pad, location = struct.unpack("<IH256sHI", added.payload)
    assert (device_id, product_id, serial.rstrip(b"\0"), location) == (1, 0x12A8, UDID.encode(), 0x01110000)
    detached = host.event({"MessageType": "Detached", "DeviceID": 1}, client.proto_version)
    assert MuxDecoder().packets(detached) == [MuxPacket(0, 5, 0, b"\x01\x00\x00\x00")]


def test_binary_connect_and_its_failures(host: MuxHost) -> None:
    connect = host.handle(MuxPacket(0, 2, 6, struct.pack("<IHH", 1, socket.htons(62078), 0)))
    assert isinstance(connect, OpenTunnel)
    assert MuxDecoder().packets(connect.data) == [MuxPacket(0, 1, 6, b"\x00\x00\x00\x00")]
    refused = host.handle(MuxPacket(0, 2, 7, struct.pack("<IHH", 1, socket.htons(5), 0)))
    no_device = host.handle(MuxPacket(0, 2, 8, struct.pack("<IHH", 9, socket.htons(62078), 0)))
    assert isinstance(refused, Reply) and isinstance(no_device, Reply)
    assert MuxDecoder().packets(refused.data) == [MuxPacket(0, 1, 7, b"\x03\x00\x00\x00")]
    assert MuxDecoder().packets(no_device.data) == [MuxPacket(0, 1, 8, b"\x02\x00\x00\x00")]


def test_bad_versions_and_unknown_binary_messages(host: MuxHost) -> None:
    bad = host.handle(MuxPacket(7, 8, 6, b""))
    assert isinstance(bad, Reply)
    assert MuxDecoder().packets(bad.data) == [MuxPacket(0, 1, 6, b"\x06\x00\x00\x00")]
    unknown = host.handle(MuxPacket(0, 7, 2, b""))
    assert isinstance(unknown, Reply)
    assert MuxDecoder().packets(unknown.data) == [MuxPacket(0, 1, 2, b"\x01\x00\x00\x00")]


def test_a_client_that_sent_a_plist_gets_plist_answers_from_then_on(host: MuxHost) -> None:
    client = host.open_client()
    only_reply(host.handle(request({"MessageType": "ReadBUID"}), client))
    listen = host.handle(MuxPacket(0, 3, 4), client)  # a binary LISTEN, answered in the client's version
    assert isinstance(listen, StartListen)
    assert [body["MessageType"] for _tag, body in replies(listen.data)] == ["Result", "Attached"]


def test_list_listeners_names_each_listener_as_usbmuxd_1_1_1_does(host: MuxHost) -> None:
    """client.c:send_listener_list: one dict per listening client; the ``ID String`` carries the number of
    the client that asks (not the listener's), then the listener's ProgName."""
    idle, idevicesyslog, xcode = host.open_client(), host.open_client(), host.open_client()
    host.handle(request({"MessageType": "Listen", "ProgName": "idevicesyslog", "kLibUSBMuxVersion": 3,
                         "ClientVersionString": "libusbmuxd 2.0.2"}), idevicesyslog)
    host.handle(request({"MessageType": "Listen", "ProgName": "Xcode", "BundleID": "com.apple.dt.Xcode"}), xcode)
    only_reply(host.handle(request({"MessageType": "ReadBUID", "ProgName": "idle"}), idle))
    asking = host.open_client()
    body = only_reply(host.handle(request({"MessageType": "ListListeners"}), asking))
    n = asking.number
    assert body == {"ListenerList": [
        {"Blacklisted": False, "ConnType": 0, "ID String": f"{n}-idevicesyslog", "ProgName": "idevicesyslog",
         "kLibUSBMuxVersion": 3},
        {"Blacklisted": False, "BundleID": "com.apple.dt.Xcode", "ConnType": 0, "ID String": f"{n}-Xcode",
         "ProgName": "Xcode", "kLibUSBMuxVersion": 0}]}
    host.close_client(xcode)
    assert len(only_reply(host.handle(request({"MessageType": "ListListeners"}), asking))["ListenerList"]) == 1


def test_detach_and_reattach_get_a_new_device_id(host: MuxHost) -> None:
    device = next(iter(host.attached.values())).device
    assert host.detach(device) is not None
    assert only_reply(host.handle(request({"MessageType": "ListDevices"}))) == {"DeviceList": []}
    assert host.attach(device).device_id == 2


def test_encoded_request_roundtrip_through_decoder(host: MuxHost) -> None:
    data = encode_mux(request({"MessageType": "ReadBUID"}, tag=3))
    [packet] = MuxDecoder().packets(data)
    assert only_reply(host.handle(packet), tag=3)["BUID"] == "LAB-BUID"
