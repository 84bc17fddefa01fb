"""`harness lab up|status|down` and `harness devices` as a user runs them, against a private lab."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.labkit import ROOT, private_devices_toml


def harness(*args: str, timeout_s: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True,
                          timeout=timeout_s, check=False, cwd=ROOT)


@pytest.fixture
def config(tmp_path: Path) -> Iterator[Path]:
    text = private_devices_toml(tmp_path / "state")
    adb_port = int(re.search(r"(?m)^adb_server_port = (\d+)", text).group(1))  # type: ignore[union-attr]
    path = tmp_path / "devices.toml"
    path.write_text(text)
    yield path
    harness("lab", "down", "--devices", str(path))
    subprocess.run(["adb", "-P", str(adb_port), "kill-server"], capture_output=True, timeout=20, check=False)


def test_lab_up_status_devices_down(config: Path) -> None:
    up = harness("lab", "up", "--detach", "--devices", str(config))
    assert up.returncode == 0, up.stderr
    assert "pixel-8" in up.stdout

    again = harness("lab", "up", "--detach", "--devices", str(config))
    assert again.returncode == 0 and "already running" in again.stdout

    # A task added to [app] after the lab started: the lab still models the old app, and `lab up` says so.
    added = config.with_name("added.toml")
    added.write_text(config.read_text().replace("[push]", '[[app.task]]\nname = "extra"\nkind = "background-task"\n'
                                                          'interval_min = 15\n\n[push]', 1))
    stale = harness("lab", "up", "--detach", "--devices", str(added))
    assert stale.returncode == 1 and "started with another [app]" in stale.stderr, stale.stdout + stale.stderr

    status = json.loads(harness("lab", "status", "--json", "--devices", str(config)).stdout)
    assert status["running"] is True
    assert re.fullmatch(r"127\.0\.0\.1:\d+", status["adb_server"])
    served = {d["name"]: d for d in status["devices"]}
    assert all(served[n]["served"] for n in ("pixel-8", "xiaomi-13", "oppo-find-x6", "samsung-s23"))

    rows = {r["name"]: r for r in json.loads(harness("devices", "--json", "--devices", str(config)).stdout)}
    assert rows["pixel-8"]["state"] == "connected" and rows["pixel-8"]["os_version"] == "15"
    assert rows["xiaomi-13"]["os_version"] == "14"
    assert rows["iphone-15"]["state"] == "usbmuxd reachable"
    assert status["usbmuxd"] and served["iphone-15"]["served"]

    down = harness("lab", "down", "--devices", str(config))
    assert down.returncode == 0 and "lab stopped" in down.stdout
    assert harness("lab", "status", "--devices", str(config)).returncode == 3
    after = {r["name"]: r for r in json.loads(harness("devices", "--json", "--devices", str(config)).stdout)}
    assert after["pixel-8"]["state"] == "no adb server"  # the lab started the private server, so it stopped it


def test_taken_port_is_a_clear_error(config: Path) -> None:
    text = config.read_text()
    port = int(re.search(r"lab_port = (\d+)", text).group(1))  # type: ignore[union-attr]
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", port))
        blocker.listen()
        result = harness("lab", "up", "--detach", "--devices", str(config))
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
