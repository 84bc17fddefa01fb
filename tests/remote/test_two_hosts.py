"""One controller, two lab hosts: phones behind a remote adb server (``adb_server = "host:port"``) and a
remote usbmuxd (``usbmux = "host:port"``) are listed, checked, leased, driven and logged like local ones."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from harness.android import AndroidDriver
from harness.config import load_config
from tests.labkit import ROOT
from tests.remote.hosts import HOST_B, TwoHosts, start_two_hosts

SCENARIO = '''
from harness.android import AndroidDriver
from harness.ios import IOSDriver
from harness.logs.expect import Expect
from harness.plugin import App

TASK = "sync-orders"


def test_the_phone_answers_from_its_host(android: AndroidDriver, device) -> None:
    assert android.os_version() == device.config.os_version


def test_its_log_streams_back_from_its_host(android: AndroidDriver, app: App, timeline: Expect) -> None:
    android.launch()
    android.home()
    timeline.task_fired(TASK, within_s=2 * app.interval_s(TASK))


def test_the_iphone_answers_from_its_host(ios: IOSDriver, device) -> None:
    assert ios.os_version == device.config.os_version
    assert ios.installed()
'''


@pytest.fixture(scope="module")
def hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoHosts]:
    running = start_two_hosts(tmp_path_factory.mktemp("hosts"))
    try:
        yield running
    finally:
        running.stop()


def harness(hosts: TwoHosts, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(hosts.controller.parent / "home")}
    return subprocess.run([sys.executable, "-m", "harness.cli", *args, "--devices", str(hosts.controller)],
                          capture_output=True, text=True, timeout=120, env=env, check=False,
                          cwd=hosts.controller.parent)


def test_harness_devices_reads_each_phone_through_its_hosts_server(hosts: TwoHosts) -> None:
    done = harness(hosts, "devices", "--json")
    assert done.returncode == 0, done.stderr
    rows = {row["name"]: row for row in json.loads(done.stdout)}
    assert (rows["pixel-8"]["state"], rows["pixel-8"]["os_version"]) == ("connected", "15")
    assert (rows["xiaomi-13"]["state"], rows["xiaomi-13"]["os_version"]) == ("connected", "14")
    assert rows["xiaomi-13"]["id"].startswith(f"{HOST_B}:")
    assert rows["iphone-12"]["state"] == rows["iphone-15"]["state"] == "usbmuxd reachable"


def test_doctor_checks_both_adb_servers_and_both_usbmuxds(hosts: TwoHosts) -> None:
    out = harness(hosts, "doctor").stdout
    for cfg in (hosts.cfg_a, hosts.cfg_b):
        host = cfg.lab.host
        assert f"ok   adb server {host}:{cfg.lab.adb_server_port}: 1 device(s) listed" in out, out
        assert f"ok   usbmuxd {host}:{cfg.lab.usbmuxd_port}: reachable" in out, out


def test_the_driver_reaches_the_remote_phone(hosts: TwoHosts) -> None:
    cfg = load_config(hosts.controller)
    answers = {name: AndroidDriver.for_device(cfg, cfg.device(name)).transport.shell(
        "getprop ro.product.manufacturer").strip() for name in ("pixel-8", "xiaomi-13")}
    assert answers == {"pixel-8": "Google", "xiaomi-13": "Xiaomi"}


def test_a_run_leases_checks_drives_and_logs_phones_on_both_hosts(hosts: TwoHosts) -> None:
    folder = hosts.controller.parent
    (folder / "test_remote.py").write_text(SCENARIO)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(folder / "home")}
    done = subprocess.run([sys.executable, "-m", "pytest", "test_remote.py", "--devices", str(hosts.controller),
                           "--reports", "reports", "-p", "no:cacheprovider", "-p", "no:randomly", "-q"],
                          cwd=folder, capture_output=True, text=True, timeout=300, env=env, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "6 passed" in done.stdout
    lines = [json.loads(line) for line in (folder / "reports" / "latest" / "results.jsonl").read_text().splitlines()]
    results = {(r["scenario"], r["device"]): r for r in lines if r["type"] == "result"}
    assert {d for _, d in results} == {"pixel-8", "xiaomi-13", "iphone-12", "iphone-15"}
    fired = results[("test_its_log_streams_back_from_its_host", "xiaomi-13")]
    assert any(item["kind"] == "task_start" for item in fired["timeline"])


def test_an_unplugged_phone_on_one_host_leaves_the_other_host_alone(hosts: TwoHosts) -> None:
    port = str(hosts.cfg_b.lab.adb_server_port)
    serial = hosts.cfg_b.device("xiaomi-13").serial
    assert serial is not None
    subprocess.run(["adb", "-H", HOST_B, "-P", port, "disconnect", serial], check=True, capture_output=True,
                   timeout=20)
    try:
        rows = {row["name"]: row for row in json.loads(harness(hosts, "devices", "--json").stdout)}
        assert rows["xiaomi-13"]["state"] == "missing" and rows["pixel-8"]["state"] == "connected"
    finally:
        subprocess.run(["adb", "-H", HOST_B, "-P", port, "connect", serial], check=True, capture_output=True,
                       timeout=20)
