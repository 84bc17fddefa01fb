"""``adb reverse`` against the virtual adbd with Google's adb CLI, and the phone side of a reverse connection.

Expected texts are the adb CLI's (``adb/client/commandline.cpp``: ``adb: error: <FAIL message>``) around
adbd's own FAIL messages (``adb/adb.cpp:handle_forward_request``).
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
from collections.abc import Iterator

import pytest

from harness.lab.android.reverse import reverse_of
from tests.labkit import RunningLab

NAME = "pixel-8"


@pytest.fixture
def clean(lab: RunningLab) -> Iterator[RunningLab]:
    lab.adb(NAME, "reverse", "--remove-all")
    yield lab
    lab.adb(NAME, "reverse", "--remove-all")


def _on_lab(lab: RunningLab, coro):  # type: ignore[no-untyped-def]
    return asyncio.run_coroutine_threadsafe(coro, lab.thread._loop).result(20)


def _echo_server() -> tuple[socket.socket, int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            conn.sendall(b"host saw: " + conn.recv(100))

    threading.Thread(target=serve, daemon=True).start()
    return server, server.getsockname()[1]


def test_reverse_list_remove_with_the_adb_cli(clean: RunningLab) -> None:
    lab = clean
    assert (lab.adb(NAME, "reverse", "tcp:8765", "tcp:41234").code, lab.adb(NAME, "reverse", "--list").code) == (0, 0)
    assert lab.adb(NAME, "reverse", "localabstract:chrome", "tcp:9222").code == 0
    listing = lab.adb(NAME, "reverse", "--list").stdout
    assert re.fullmatch(r"(host-\d+) tcp:8765 tcp:41234\n\1 localabstract:chrome tcp:9222\n\n", listing), listing
    rebind = lab.adb(NAME, "reverse", "--no-rebind", "tcp:8765", "tcp:1")
    assert (rebind.code, rebind.stderr) == (1, "adb: error: cannot rebind existing socket\n")
    assert lab.adb(NAME, "reverse", "tcp:8765", "tcp:41235").code == 0  # rebinding is allowed without the flag
    missing = lab.adb(NAME, "reverse", "--remove", "tcp:9999")
    assert (missing.code, missing.stderr) == (1, "adb: error: listener 'tcp:9999' not found\n")
    assert lab.adb(NAME, "reverse", "--remove", "tcp:8765").code == 0
    assert "tcp:8765" not in lab.adb(NAME, "reverse", "--list").stdout
    assert lab.adb(NAME, "reverse", "--remove-all").code == 0
    assert lab.adb(NAME, "reverse", "--list").stdout == "\n"


def test_reverse_tcp_0_prints_the_port_adbd_picked(clean: RunningLab) -> None:
    result = clean.adb(NAME, "reverse", "tcp:0", "tcp:5000")
    assert result.code == 0 and result.stdout.strip().isdigit()
    assert f"tcp:{result.stdout.strip()} tcp:5000" in clean.adb(NAME, "reverse", "--list").stdout


def test_reverse_with_pure_python_adb(clean: RunningLab) -> None:
    device = clean.ppadb(NAME)
    conn = device.create_connection(timeout=10)
    with conn:
        conn.send("reverse:forward:tcp:8766;tcp:41000")
        conn.check_status()
    assert device.list_reverses() == [{"remote": "tcp:8766", "local": "tcp:41000"}]  # ppadb's own naming


def test_the_phone_reaches_the_host_through_a_reverse(clean: RunningLab) -> None:
    server, port = _echo_server()
    with server:
        assert clean.adb(NAME, "reverse", "tcp:8767", f"tcp:{port}").code == 0
        table = reverse_of(clean.device(NAME))
        assert table is not None

        async def talk() -> bytes:
            stream = await table.connect(8767)
            stream.send(b"hello from the phone")
            data = b""
            while chunk := await stream.read_some():
                data += chunk
            await stream.close()
            return data

        assert _on_lab(clean, talk()) == b"host saw: hello from the phone"


def test_refused_connections(clean: RunningLab) -> None:
    table = reverse_of(clean.device(NAME))
    assert table is not None
    with pytest.raises(ConnectionRefusedError, match="no adb reverse"):
        _on_lab(clean, table.connect(8768))
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # nothing listens on the host side
        assert clean.adb(NAME, "reverse", "tcp:8768", f"tcp:{port}").code == 0
        with pytest.raises(ConnectionRefusedError, match="refused"):
            _on_lab(clean, table.connect(8768))
