"""Issue 21: `harness lab up` repairs a running lab whose adb server is gone, and a `lab up` that fails
half-way leaves nothing listening (no adb server, no phone)."""

from __future__ import annotations

import json
import re
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.android.test_transport_recovery import kill_server
from tests.cli.test_lab_cli import harness
from tests.labkit import private_devices_toml


def _port(text: str, key: str) -> int:
    return int(re.search(rf"(?m)^{key} = (\d+)", text).group(1))  # type: ignore[union-attr]


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def config(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "devices.toml"
    path.write_text(private_devices_toml(tmp_path / "state"))
    yield path
    harness("lab", "down", "--devices", str(path))
    subprocess.run(["adb", "-P", str(_port(path.read_text(), "adb_server_port")), "kill-server"],
                   capture_output=True, timeout=20, check=False)


def test_lab_up_brings_back_a_dead_adb_server(config: Path) -> None:
    assert harness("lab", "up", "--detach", "--devices", str(config)).returncode == 0
    adb_port = _port(config.read_text(), "adb_server_port")
    kill_server(adb_port)  # waits until the process is gone

    again = harness("lab", "up", "--detach", "--devices", str(config))
    assert again.returncode == 0, again.stderr
    assert "its adb server was gone: restarted the lab's private adb server" in again.stdout
    rows = {r["name"]: r for r in json.loads(harness("devices", "--json", "--devices", str(config)).stdout)}
    assert all(rows[n]["state"] == "connected" for n in ("pixel-8", "xiaomi-13", "oppo-find-x6", "samsung-s23"))

    third = harness("lab", "up", "--detach", "--devices", str(config))
    assert "adb server was gone" not in third.stdout  # a healthy lab is left alone


def test_a_lab_up_that_fails_half_way_leaves_nothing_listening(config: Path) -> None:
    text = config.read_text()
    adb_port, phone_port = _port(text, "adb_server_port"), _port(text, "lab_port")
    with socket.socket() as blocker:  # usbmuxd starts after the phones and the adb server: it fails last
        blocker.bind(("127.0.0.1", _port(text, "usbmuxd_port")))
        blocker.listen()
        result = harness("lab", "up", "--detach", "--devices", str(config))
    assert result.returncode == 1 and "cannot listen" in result.stderr
    assert not _listening(adb_port), "the failed lab left its adb server running"
    assert not _listening(phone_port), "the failed lab left a phone's adbd listening"
