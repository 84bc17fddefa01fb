"""adbd's forwarding, abb and install services, and sync v2, through Google's adb CLI and server.

Expected texts: the adb CLI's (client/adb_install.cpp prints ``Performing Streamed Install`` and
``adb: failed to install FILE: <status line>``), Android's installer's (``Failure [INSTALL_…: …]``, as real
phones print them), cmd's (``cmd: Can't find service: X``, exit 20) and Chrome's DevTools HTTP endpoint.
"""

from __future__ import annotations

import io
import json
import re
import socket
import struct
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.lab.android.apk import ApkParseError, parse_apk
from harness.lab.android.codec import A_VERSION, MAX_PAYLOAD, Command, Decoder, Message, encode
from tests.lab.android.test_reverse import _echo_server
from tests.labkit import RunningLab

NAME = "pixel-8"
APP = "com.example.courier"
STAGED = r"/data/app/vmdl\d+\.tmp/base\.apk"


# -- a real-format APK: a zip with a binary-XML manifest (ResourceTypes.h) --------------------------------------

def _string_pool(strings: list[str]) -> bytes:
    data = b"".join(struct.pack("<H", len(s)) + s.encode("utf-16-le") + b"\0\0" for s in strings)
    data += b"\0" * (-len(data) % 4)
    offsets, at = [], 0
    for s in strings:
        offsets.append(at)
        at += 2 + 2 * len(s) + 2
    head_size = 28
    body = struct.pack(f"<{len(strings)}I", *offsets) + data
    return struct.pack("<HHIIIIII", 0x0001, head_size, head_size + len(body), len(strings), 0, 0,
                       head_size + 4 * len(strings), 0) + body


def axml_manifest(attrs: dict[str, str | int]) -> bytes:
    strings = ["manifest", *attrs, *(v for v in attrs.values() if isinstance(v, str))]
    index = {s: i for i, s in reversed(list(enumerate(strings)))}
    body = b""
    for key, value in attrs.items():
        if isinstance(value, str):
            body += struct.pack("<IIIHBBI", 0xFFFFFFFF, index[key], index[value], 8, 0, 0x03, index[value])
        else:
            body += struct.pack("<IIIHBBI", 0xFFFFFFFF, index[key], 0xFFFFFFFF, 8, 0, 0x10, value)
    element = struct.pack("<IIIIHHHHHH", 1, 0xFFFFFFFF, 0xFFFFFFFF, index["manifest"], 20, 20, len(attrs), 0, 0, 0)
    start = struct.pack("<HHI", 0x0102, 16, 8 + len(element) + len(body)) + element + body
    pool = _string_pool(strings)
    return struct.pack("<HHI", 0x0003, 8, 8 + len(pool) + len(start)) + pool + start


def apk(attrs: dict[str, str | int] | None, signed: bool = True) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        if attrs is not None:
            archive.writestr("AndroidManifest.xml", axml_manifest(attrs))
        archive.writestr("classes.dex", b"dex\n035\0")
        if signed:
            archive.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\n")
            archive.writestr("META-INF/CERT.SF", "Signature-Version: 1.0\r\n")
            archive.writestr("META-INF/CERT.RSA", b"\x30\x82")
    return out.getvalue()


def _install(lab: RunningLab, tmp_path: Path, data: bytes, *args: str) -> tuple[int, str, str]:
    path = tmp_path / "app.apk"
    path.write_bytes(data)
    result = lab.adb(NAME, "install", *args, str(path))
    return result.code, result.stdout, result.stderr


# -- pure ---------------------------------------------------------------------------------------------------------

def test_parse_apk_reads_the_manifest() -> None:
    info = parse_apk(apk({"package": "org.example.x", "versionCode": 7, "versionName": "1.7"}), "/p/base.apk")
    assert (info.package, info.version_code, info.version_name) == ("org.example.x", 7, "1.7")


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"PK\3\4 but not a zip", "INSTALL_PARSE_FAILED_NOT_APK: Failed to parse /p/base.apk: Failed to load asset "
                                  "path /p/base.apk"),
        (apk(None), "INSTALL_PARSE_FAILED_UNEXPECTED_EXCEPTION: Failed to parse /p/base.apk: AndroidManifest.xml"),
        (apk({"versionCode": 1}), "INSTALL_PARSE_FAILED_BAD_MANIFEST: <manifest> does not specify package"),
        (apk({"package": "a.b"}, signed=False), "INSTALL_PARSE_FAILED_NO_CERTIFICATES: Failed to collect "
                                                "certificates from /p/base.apk: Attempt to get length of null array"),
    ],
)
def test_parse_apk_failures_are_androids(data: bytes, text: str) -> None:
    with pytest.raises(ApkParseError) as caught:
        parse_apk(data, "/p/base.apk")
    assert str(caught.value) == text


def test_a_text_manifest_is_corrupt_binary_xml() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("AndroidManifest.xml", '<manifest package="a.b"/>')
    with pytest.raises(ApkParseError, match=r"Failed to parse /p/base\.apk: Corrupt XML binary file$"):
        parse_apk(out.getvalue(), "/p/base.apk")


# -- the feature banner -------------------------------------------------------------------------------------------

def test_the_banner_offers_the_features_of_android_14(lab: RunningLab) -> None:
    port = lab.cfg.device(NAME).lab_port
    assert port is not None
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(encode(Message(Command.CNXN, A_VERSION, MAX_PAYLOAD, b"host::features=shell_v2\0")))
        decoder, messages = Decoder(), list[Message]()
        while not messages:
            messages = decoder.feed(sock.recv(65536))
    banner = messages[0].data.decode()
    features = banner.partition("features=")[2].split(",")
    assert {"abb", "abb_exec", "sendrecv_v2", "delayed_ack", "shell_v2", "cmd", "stat_v2", "ls_v2"} <= set(features)
    assert "sendrecv_v2_brotli" not in features and "track_app" not in features  # not implemented: not offered


# -- abb ----------------------------------------------------------------------------------------------------------

def test_abb_runs_binder_shell_commands(lab: RunningLab) -> None:
    listed = lab.adb(NAME, "abb", "package", "list", "packages")
    assert listed.code == 0 and f"package:{APP}\n" in listed.stdout
    missing = lab.adb(NAME, "abb", "nosuchservice")
    assert (missing.stdout, missing.stderr, missing.code) == ("", "cmd: Can't find service: nosuchservice\n", 20)


# -- install ------------------------------------------------------------------------------------------------------

def test_install_of_a_non_apk_fails_with_androids_text(lab: RunningLab, tmp_path: Path) -> None:
    code, out, err = _install(lab, tmp_path, b"this is not an APK")
    assert code == 1 and out == "Performing Streamed Install\n"
    assert re.fullmatch(rf"adb: failed to install {re.escape(str(tmp_path / 'app.apk'))}: Failure "
                        rf"\[INSTALL_PARSE_FAILED_NOT_APK: Failed to parse ({STAGED}): Failed to load asset path "
                        rf"\1\]\n", err), err
    logged = lab.adb(NAME, "logcat", "-d", "-s", "PackageInstaller").stdout
    assert re.search(rf"E PackageInstaller: Commit of session \d+ failed: Failed to parse {STAGED}", logged)


def test_install_of_an_unsigned_apk_fails(lab: RunningLab, tmp_path: Path) -> None:
    code, _, err = _install(lab, tmp_path, apk({"package": "org.example.unsigned"}, signed=False))
    assert code == 1 and "INSTALL_PARSE_FAILED_NO_CERTIFICATES: Failed to collect certificates from" in err


def test_install_of_a_new_app_and_an_update(lab: RunningLab, tmp_path: Path) -> None:
    fresh = apk({"package": "org.example.fresh", "versionCode": 3, "versionName": "3.0"})
    assert _install(lab, tmp_path, fresh) == (0, "Performing Streamed Install\nSuccess\n", "")
    assert "package:org.example.fresh\n" in lab.shell(NAME, "pm list packages fresh").stdout
    dump = lab.shell(NAME, "dumpsys package org.example.fresh").stdout
    assert "versionCode=3 " in dump and "versionName=3.0" in dump and "stopped=true" in dump
    code, _, err = _install(lab, tmp_path, apk({"package": "org.example.fresh", "versionCode": 2}))
    assert code == 1 and err.endswith("Failure [INSTALL_FAILED_VERSION_DOWNGRADE: Downgrade detected: Update "
                                      "version code 2 is older than current 3]\n"), err
    assert _install(lab, tmp_path, apk({"package": "org.example.fresh", "versionCode": 2}), "-d")[0] == 0


def test_install_of_a_pushed_apk_by_path(lab: RunningLab, tmp_path: Path) -> None:
    path = tmp_path / "pushed.apk"
    path.write_bytes(apk({"package": "org.example.pushed", "versionCode": 1}))
    assert lab.adb(NAME, "push", str(path), "/data/local/tmp/pushed.apk").code == 0
    result = lab.adb(NAME, "abb", "package", "install", "/data/local/tmp/pushed.apk")
    assert (result.stdout, result.code) == ("Success\n", 0)
    missing = lab.adb(NAME, "abb", "package", "install", "/data/local/tmp/none.apk")
    assert (missing.stdout, missing.code) == ("", 255)
    assert missing.stderr.startswith("Error: Unable to open file: /data/local/tmp/none.apk\n"
                                     "Error: Can't open file: /data/local/tmp/none.apk\n"), missing.stderr


def test_an_update_of_the_catalog_app_succeeds_and_keeps_its_uid(lab: RunningLab, tmp_path: Path) -> None:
    before = lab.shell(NAME, f"pm list packages -U {APP}").stdout
    current = re.search(r"versionCode=(\d+)", lab.shell(NAME, f"dumpsys package {APP}").stdout)
    assert current is not None
    update = apk({"package": APP, "versionCode": int(current.group(1)) + 1, "versionName": "9.9"})
    assert _install(lab, tmp_path, update) == (0, "Performing Streamed Install\nSuccess\n", "")
    assert lab.shell(NAME, f"pm list packages -U {APP}").stdout == before
    assert "versionName=9.9" in lab.shell(NAME, f"dumpsys package {APP}").stdout


# -- forward ------------------------------------------------------------------------------------------------------

@pytest.fixture
def forwards(lab: RunningLab) -> Iterator[RunningLab]:
    yield lab
    lab.adb(NAME, "forward", "--remove-all")


def _forward(lab: RunningLab, remote: str) -> int:
    result = lab.adb(NAME, "forward", "tcp:0", remote)
    assert result.code == 0, result.stderr
    return int(result.stdout)


def test_forward_to_chrome_devtools_round_trips(forwards: RunningLab) -> None:
    port = _forward(forwards, "localabstract:chrome_devtools_remote")
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/version", timeout=10) as response:
        assert response.headers["Content-Type"] == "application/json; charset=UTF-8"
        version = json.loads(response.read())
    assert version["Android-Package"] == "com.android.chrome" and version["Browser"].startswith("Chrome/")
    assert version["webSocketDebuggerUrl"] == f"ws://127.0.0.1:{port}/devtools/browser"
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/json/nope", timeout=10)
    assert missing.value.code == 404 and missing.value.read() == b"Unknown command: nope"


def test_forward_to_nothing_listening_closes_the_connection(forwards: RunningLab) -> None:
    for remote in ("tcp:4999", "localabstract:no_such_socket"):
        port = _forward(forwards, remote)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"hello?")
            assert sock.recv(100) == b""


def test_forward_to_a_phone_port_held_by_a_reverse_reaches_the_host(forwards: RunningLab) -> None:
    server, host_port = _echo_server()
    try:
        assert forwards.adb(NAME, "reverse", "tcp:8790", f"tcp:{host_port}").code == 0
        port = _forward(forwards, "tcp:8790")
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"through the phone")
            data = b""
            while chunk := sock.recv(100):
                data += chunk
        assert data == b"host saw: through the phone"
    finally:
        server.close()
        forwards.adb(NAME, "reverse", "--remove-all")


# -- sync v2 (adb 29 predates it, so the requests are written here, per SYNC.TXT / file_sync_protocol.h) -----------

def _sync_socket(lab: RunningLab) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", lab.adb_port), timeout=10)
    for request in (f"host:transport:{lab.serial(NAME)}", "sync:"):
        sock.sendall(b"%04x" % len(request) + request.encode())
        assert sock.recv(4) == b"OKAY"
    return sock


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        assert chunk, "the sync stream closed"
        data += chunk
    return data


def _send_v2(sock: socket.socket, path: str, data: bytes, flags: int) -> bytes:
    sock.sendall(b"SND2" + struct.pack("<I", len(path)) + path.encode() + b"SND2" + struct.pack("<II", 0o100644, flags)
                 + b"DATA" + struct.pack("<I", len(data)) + data + b"DONE" + struct.pack("<I", 1_700_000_000))
    return _recv_exact(sock, 8)


def test_sendrecv_v2_round_trip_and_dry_run(lab: RunningLab) -> None:
    with _sync_socket(lab) as sock:
        assert _send_v2(sock, "/data/local/tmp/v2.txt", b"sent with SND2", 0) == b"OKAY\0\0\0\0"
        assert _send_v2(sock, "/data/local/tmp/dry.txt", b"dropped", 0x8000_0000) == b"OKAY\0\0\0\0"
        path = b"/data/local/tmp/v2.txt"
        sock.sendall(b"RCV2" + struct.pack("<I", len(path)) + path + b"RCV2" + struct.pack("<I", 0))
        ident, size = struct.unpack("<4sI", _recv_exact(sock, 8))
        assert (ident, _recv_exact(sock, size), _recv_exact(sock, 8)) == (b"DATA", b"sent with SND2", b"DONE\0\0\0\0")
        sock.sendall(b"QUIT\0\0\0\0")
    assert lab.shell(NAME, "ls /data/local/tmp/dry.txt").code == 1
