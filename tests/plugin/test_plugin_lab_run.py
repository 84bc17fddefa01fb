"""A whole pytest run through the plugin against a private lab: leases, results as the run goes,
reports, an unplugged phone failing clearly and being quarantined while the others go on."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.labkit import private_devices_toml

pytest_plugins = ["pytester"]

SCENARIOS = '''
import subprocess

from harness.android import AndroidDriver


def test_app_is_installed(android: AndroidDriver) -> None:
    assert android.installed()


def test_reads_a_wrong_version(android: AndroidDriver) -> None:
    assert android.os_version() == "99", "deliberately failing"


def test_zz_unplugged(android: AndroidDriver, device) -> None:
    if device.name != "xiaomi-13":
        return
    host, port = device.config.adb_host_port
    subprocess.run(["adb", "-P", str(port), "disconnect", device.config.serial], check=True, timeout=20)
    android.os_version()


def test_zzz_after_unplug(android: AndroidDriver) -> None:
    assert android.installed()
'''


def private_config(path: Path) -> str:
    return private_devices_toml(path / "state")


@pytest.fixture
def run(pytester: pytest.Pytester) -> pytest.RunResult:
    (pytester.path / "devices.toml").write_text(private_config(pytester.path))
    pytester.makepyfile(test_lab=SCENARIOS)
    return pytester.runpytest_subprocess("--device", "pixel-8", "--device", "xiaomi-13", "--reports", "reports",
                                         "-p", "no:cacheprovider", "-p", "no:randomly", "-rs", timeout=240)


def test_a_run_through_the_plugin(run: pytest.RunResult, pytester: pytest.Pytester) -> None:
    outcomes = run.parseoutcomes()
    assert outcomes.get("passed") == 4, run.outlines[-30:]  # installed ×2, unplugged on pixel, after-unplug on pixel
    assert outcomes.get("failed") == 3  # wrong version ×2, the unplugged xiaomi
    run.stdout.fnmatch_lines(["*DeviceUnreachable: [[]xiaomi-13[]] getprop*is not listed by the adb server*",
                              "*survival matrix*"])
    assert outcomes.get("errors", 0) + outcomes.get("skipped", 0) == 1  # xiaomi after the unplug: unhealthy

    latest = pytester.path / "reports" / "latest"
    lines = [json.loads(line) for line in (latest / "results.jsonl").read_text().splitlines()]
    assert lines[0]["type"] == "run" and lines[1]["type"] == "selected"
    assert len(lines[1]["tests"]) == 8
    results = {r["nodeid"]: r for r in lines if r["type"] == "result"}
    assert results["test_lab.py::test_reads_a_wrong_version[pixel-8]"]["outcome"] == "failed"
    assert results["test_lab.py::test_app_is_installed[xiaomi-13]"]["outcome"] == "passed"
    assert "logcat.txt" in results["test_lab.py::test_reads_a_wrong_version[pixel-8]"]["artifacts"]
    assert "jobscheduler.txt" in results["test_lab.py::test_reads_a_wrong_version[pixel-8]"]["artifacts"]

    junit = ET.parse(latest / "junit.xml").getroot()
    props = {p.get("name"): p.get("value") for p in junit.iter("property")}
    assert {"platform", "oem", "model", "os_version"} <= set(props)
    assert "xiaomi-13" in (latest / "index.html").read_text()

    state = pytester.path / "state"
    assert not (state / "lab.json").exists(), "the run started the lab, so it must stop it"
