"""The virtual adbd through Google's adb server, the adb CLI, pure-python-adb and adbutils."""

from __future__ import annotations

import asyncio
import re
import socket
import struct
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import adbutils
import pytest

from harness.lab.android.adbd import AdbdServer, _Connection
from harness.lab.android.codec import A_VERSION, Command, Decoder, Message, encode
from tests.labkit import RunningLab

ANDROID = ("pixel-8", "xiaomi-13", "oppo-find-x6", "samsung-s23")
MANUFACTURER = {"pixel-8": "Google", "xiaomi-13": "Xiaomi", "oppo-find-x6": "OPPO", "samsung-s23": "samsung"}
V2 = struct.Struct("<BI")  # shell protocol packet header: id, length (adb/shell_protocol.h)
THREADTIME = re.compile(r"^\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} +\d+ +\d+ [VDIWEF] .+?: ")


def test_adb_devices_lists_the_four_phones_with_models(lab: RunningLab) -> None:
    out = subprocess.run(["adb", "-P", str(lab.adb_port), "devices", "-l"], capture_output=True, text=True,
                         timeout=20, check=True).stdout
    for name in ANDROID:
        model = re.sub(r"[^A-Za-z0-9._-]|-", "_", lab.cfg.device(name).model)  # adb sanitizes the banner
        assert re.search(rf"^{re.escape(lab.serial(name))}\s+device .*model:{re.escape(model)}\b", out, re.M), out


@pytest.mark.parametrize("name", ANDROID)
def test_getprop_manufacturer_is_the_oems_string(lab: RunningLab, name: str) -> None:
    result = lab.shell(name, "getprop ro.product.manufacturer")
    assert (result.stdout, result.code) == (MANUFACTURER[name] + "\n", 0)


@pytest.mark.parametrize(
    ("command", "stdout", "stderr", "code"),
    [
        ("foo", "", "/system/bin/sh: foo: inaccessible or not found\n", 127),
        ("false", "", "", 1),
        ("true", "", "", 0),
        ("exit 3", "", "", 3),
        ("false; echo $?", "1\n", "", 0),
        ("echo a && false || echo b", "a\nb\n", "", 0),
        ("echo 'a  b' \"$?\"", "a  b 0\n", "", 0),
        ("cat /nope", "", "cat: /nope: No such file or directory\n", 1),
        ("pidof no.such.process", "", "", 1),
        ("echo 'unterminated", "", "/system/bin/sh: no closing quote\n", 1),
        ("getprop ro.nope", "\n", "", 0),
        ("echo hi | grep -c hi; echo hi | grep zz", "hi\n", "", 1),
    ],
)
def test_shell_texts_and_exit_codes_are_androids(lab: RunningLab, command: str, stdout: str, stderr: str,
                                                 code: int) -> None:
    result = lab.shell("pixel-8", command)
    assert (result.stdout, result.stderr, result.code) == (stdout, stderr, code)


def test_logcat_dump_prints_threadtime_lines(lab: RunningLab) -> None:
    lab.shell("pixel-8", "log -t LabTest hello from the test")
    out = lab.adb("pixel-8", "logcat", "-d").stdout.splitlines()
    lines = [line for line in out if not line.startswith("--------- ")]
    assert lines and all(THREADTIME.match(line) for line in lines), out[:5]
    assert any(line.endswith("I LabTest : hello from the test") for line in lines)


def test_logcat_formats_and_tail(lab: RunningLab) -> None:
    lab.shell("pixel-8", "log -t Fmt one; log -t Fmt two")
    brief = lab.adb("pixel-8", "logcat", "-d", "-v", "brief", "-s", "Fmt").stdout
    assert re.search(r"^I/Fmt     \( *\d+\): two$", brief, re.M), brief
    epoch = lab.adb("pixel-8", "logcat", "-d", "-v", "epoch", "-s", "Fmt").stdout
    assert re.search(r"^ {9}\d{10}\.\d{3} +\d+ +\d+ I Fmt     : two$", epoch, re.M), epoch
    tail = lab.adb("pixel-8", "logcat", "-t", "1", "-s", "Fmt").stdout
    assert tail.rstrip().splitlines()[-1].endswith("Fmt     : two")


def test_pure_python_adb_shell(lab: RunningLab) -> None:
    device = lab.ppadb("xiaomi-13")
    assert device.shell("getprop ro.product.brand") == "Xiaomi\n"
    # ppadb opens raw `shell:`: stderr merged into stdout, no exit code
    assert device.shell("ls /nope; echo done") == "ls: /nope: No such file or directory\ndone\n"


def test_adbutils_as_an_independent_client(lab: RunningLab) -> None:
    client = adbutils.AdbClient(host="127.0.0.1", port=lab.adb_port)
    device = client.device(lab.serial("samsung-s23"))
    assert device.prop.model == "SM-S911B"
    assert device.shell2("false").returncode == 1
    assert device.shell("echo hi").strip() == "hi"


def test_push_pull_round_trip(lab: RunningLab, tmp_path: Path) -> None:
    payload = bytes(range(256)) * 1000
    src = tmp_path / "blob.bin"
    src.write_bytes(payload)
    assert lab.adb("oppo-find-x6", "push", str(src), "/data/local/tmp/dir/blob.bin").code == 0
    back = tmp_path / "back.bin"
    assert lab.adb("oppo-find-x6", "pull", "/data/local/tmp/dir/blob.bin", str(back)).code == 0
    assert back.read_bytes() == payload
    listing = lab.shell("oppo-find-x6", "ls -l /data/local/tmp/dir").stdout
    assert "blob.bin" in listing and str(len(payload)) in listing


def test_pull_of_a_missing_file_fails_like_adb(lab: RunningLab, tmp_path: Path) -> None:
    result = lab.adb("oppo-find-x6", "pull", "/data/local/tmp/none", str(tmp_path / "x"))
    assert result.code == 1
    expected = "failed to stat remote object '/data/local/tmp/none': No such file or directory"
    assert expected in result.stdout + result.stderr


def test_many_concurrent_streams(lab: RunningLab) -> None:
    device = lab.ppadb("pixel-8")
    with ThreadPoolExecutor(8) as pool:
        outs = list(pool.map(lambda i: device.shell(f"echo {i}"), range(64)))
    assert outs == [f"{i}\n" for i in range(64)]


def test_reboot_disconnects_and_the_phone_returns(lab: RunningLab) -> None:
    name = "samsung-s23"
    lab.shell(name, "log -t BeforeReboot marker")
    assert lab.adb(name, "reboot").code == 0
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        result = lab.adb(name, "wait-for-device", "shell", "getprop sys.boot_completed", timeout_s=30)
        if result.stdout.strip() == "1":
            break
    assert result.stdout.strip() == "1"
    log = lab.adb(name, "logcat", "-d").stdout
    assert "BeforeReboot" not in log  # RAM log buffers do not survive a reboot
    assert "Entered the Android system server!" in log


def test_shell_v2_keeps_stderr_apart_and_exec_out_is_binary_safe(lab: RunningLab) -> None:
    result = lab.shell("pixel-8", "echo out; echo err >&2")
    assert (result.stdout, result.stderr) == ("out\n", "err\n")
    exec_out = subprocess.run(["adb", "-P", str(lab.adb_port), "-s", lab.serial("pixel-8"), "exec-out",
                               "echo binary"], capture_output=True, timeout=20, check=True).stdout
    assert exec_out == b"binary\n"


@pytest.mark.parametrize(
    ("command", "pattern"),
    [
        ("date", r"^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d UTC \d{4}\n$"),
        ("date +%s", r"^\d{10}\n$"),
        ("pidof system_server", r"^1416\n$"),
        ("ps -A | grep system_server", r"^system\s+1416\s+612 .* system_server\n$"),
        ("pm path android", r"^package:/system/priv-app/android/android.apk\n$"),
        ("pm list packages -3", r"^(package:[\w.]+\n)*$"),
        ("wm size", r"^Physical size: 1080x2400\n$"),
        ("settings put global lab_probe 1; settings get global lab_probe; settings get global nope",
         r"^1\nnull\n$"),
        ("getprop | grep ro.build.version.sdk", r"^\[ro\.build\.version\.sdk\]: \[35\]\n$"),
        ("id", r"^uid=2000\(shell\) gid=2000\(shell\)"),
    ],
)
def test_device_shell_commands(lab: RunningLab, command: str, pattern: str) -> None:
    result = lab.shell("pixel-8", command)
    assert result.code == 0, result
    assert re.search(pattern, result.stdout), result.stdout


def test_logcat_follows_until_the_client_closes(lab: RunningLab) -> None:
    with subprocess.Popen(["adb", "-P", str(lab.adb_port), "-s", lab.serial("xiaomi-13"), "logcat", "-T", "1",
                           "-s", "Follow"], stdout=subprocess.PIPE, text=True) as proc:  # the pipe closed at the end
        try:
            lab.shell("xiaomi-13", "log -t Follow first")
            assert proc.stdout is not None
            seen = [proc.stdout.readline() for _ in range(2)]
            assert seen[0].startswith("--------- beginning of main")
            assert seen[1].rstrip().endswith("I Follow  : first")
            lab.shell("xiaomi-13", "log -t Follow second")
            assert proc.stdout.readline().rstrip().endswith("I Follow  : second")
        finally:
            proc.terminate()
            proc.wait(10)
    assert lab.shell("xiaomi-13", "echo still-serving").stdout == "still-serving\n"


def test_logcat_bad_option_and_sizes(lab: RunningLab) -> None:
    bad = lab.shell("pixel-8", "logcat -z")
    assert bad.code == 1 and "invalid option" in bad.stderr
    sizes = lab.shell("pixel-8", "logcat -g -b main").stdout
    assert re.fullmatch(r"main: ring buffer is \d+ KiB \(\d+ KiB consumed, \d+ KiB readable\), max entry is 5120 B, "
                        r"max payload is 4068 B\n", sizes)


def test_interactive_shell_reads_commands_from_stdin(lab: RunningLab) -> None:
    """`adb shell` with piped stdin opens ``shell,v2,raw:`` (client/commandline.cpp adb_shell: raw when stdin is not a
    terminal) and sends the close-stdin packet at EOF, often after the shell has already exited: its output and exit
    code must still arrive. mksh without a terminal prints no prompt."""
    result = lab.adb("pixel-8", "shell", stdin="echo from-stdin\nexit 4\n")
    assert (result.stdout, result.stderr, result.code) == ("from-stdin\n", "", 4)


class _Wire(asyncio.Transport):
    """The adbd's side of a connection with no socket: what it writes, decoded."""

    def __init__(self) -> None:
        super().__init__()
        self.decoder = Decoder()
        self.messages: list[Message] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.messages += self.decoder.feed(bytes(data))

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default


async def _close_stdin_as_the_shell_exits(server: AdbdServer) -> tuple[int, list[Message]]:
    """An interactive raw shell reads ``exit 4``; the host's close-stdin packet is read in the loop turn in which the
    shell exits, before the flush that carries the shell's last output (how `adb shell` under load meets it)."""
    conn, wire = _Connection(server), _Wire()
    conn.connection_made(wire)
    try:
        conn.data_received(encode(Message(Command.CNXN, A_VERSION, 4096, b"host::features=shell_v2")))
        conn.data_received(encode(Message(Command.OPEN, 7, 0, b"shell,v2,raw:\0")))
        local = wire.messages[-1].arg0
        await asyncio.sleep(0)  # the shell waits on its stdin
        conn.data_received(encode(Message(Command.WRTE, 7, local, V2.pack(0, 7) + b"exit 4\n")))
        asyncio.get_running_loop().call_soon(conn.data_received, encode(Message(Command.WRTE, 7, local, V2.pack(4, 0))))
        for _ in range(100):
            if any(m.command == Command.CLSE for m in wire.messages):
                break
            await asyncio.sleep(0)
        return local, wire.messages
    finally:
        conn.connection_lost(None)


def test_a_write_that_meets_the_shells_exit_is_taken_and_the_output_still_leaves(lab: RunningLab) -> None:
    server = lab.thread.lab.android["pixel-8"].server
    local, messages = lab.run(_close_stdin_as_the_shell_exits(server))
    after = messages[messages.index(Message(Command.OKAY, local, 7)) + 1 :]
    assert [m.command for m in after] == [Command.OKAY, Command.OKAY, Command.WRTE, Command.CLSE], messages
    assert all((m.arg0, m.arg1) == (local, 7) for m in after), "a CLSE(0, id) would close the host's socket early"
    assert after[2].data == V2.pack(3, 1) + b"\x04"


def test_a_message_for_no_stream_is_dropped_unanswered(lab: RunningLab) -> None:
    """adb.cpp handle_packet: a WRTE, OKAY or CLSE whose local id names no socket is ignored."""
    port = lab.cfg.device("pixel-8").lab_port
    assert port is not None
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        decoder = Decoder()
        sock.sendall(encode(Message(Command.CNXN, A_VERSION, 4096, b"host::features=shell_v2")))
        stray = encode(Message(Command.WRTE, 5, 999, b"stray"))
        sock.sendall(stray + encode(Message(Command.OPEN, 6, 0, b"shell:echo hi\0")))
        received: list[Message] = []
        while not any(m.command == Command.CLSE for m in received):
            received += decoder.feed(sock.recv(1 << 16))
    assert [m.command for m in received] == [Command.CNXN, Command.OKAY, Command.WRTE, Command.CLSE]
    assert received[2].data == b"hi\n" and received[1].arg1 == 6
