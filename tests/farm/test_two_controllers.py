"""Two controllers, one lab, one farm: two separate pytest runs (own folder, own devices.toml, own reports and
state, ``-n 2`` each) lease the same two lab phones through the plugin at the same time. No phone's cells
from the two runs overlap in time, per each run's results.jsonl, both runs finish green, and ``farm status``
shows the owner, run and test of the held phones while they run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest

from harness.farm import PgLeaseStore, status
from tests import labkit
from tests.labkit import RunningLab

PHONES = ("pixel-8", "xiaomi-13")

# Each cell makes a real device call while it holds the phone and notes when its body ran.
SCENARIOS = '''
import json
import os
import time

import pytest

from harness.android import AndroidDriver


@pytest.mark.parametrize("round_", range(4))
def test_cell(device, round_):
    start = time.time()
    drv = AndroidDriver.for_device(device.run.config, device.config, timeout_s=20)
    assert drv.transport.shell("getprop ro.build.version.release").strip()
    time.sleep(0.1)
    line = json.dumps([device.name, os.environ["BGH_CONTROLLER"], start, time.time()])
    with open(os.environ["BGH_BODIES"], "a", encoding="utf-8") as out:
        out.write(line + "\\n")
'''


@pytest.fixture(scope="module")
def lab() -> Iterator[RunningLab]:
    """A lab of its own with just the two phones: other tests' leftovers (an unplugged phone) cannot get in."""
    cfg = labkit.test_config(names=PHONES)  # (imported as labkit.*: pytest would collect a bare test_config)
    running = RunningLab(cfg)
    running.thread.start()
    try:
        yield running
    finally:
        running.thread.stop()
        subprocess.run(["adb", "-P", str(cfg.lab.adb_server_port), "kill-server"], capture_output=True, timeout=20,
                       check=False)


def _devices_toml(lab: RunningLab) -> str:
    """The lab's phones as a remote controller sees them: plain Android phones behind the lab's adb server."""
    parts = ['[lab]\nstate_dir = "state"\n\n[app]\nname = "Courier"\nandroid_package = "com.example.courier"\n']
    for name in PHONES:
        dev = lab.cfg.device(name)
        parts.append(f'[[device]]\nname = "{name}"\nplatform = "android"\noem = "{dev.oem}"\nmodel = "{dev.model}"\n'
                     f'os_version = "{dev.os_version}"\nserial = "{dev.serial}"\nadb_server = "{dev.adb_server}"\n')
    return "\n".join(parts)


def _controller(folder: Path, lab: RunningLab, farm_url: str, bodies: Path) -> subprocess.Popen[str]:
    folder.mkdir()
    (folder / "devices.toml").write_text(_devices_toml(lab))
    (folder / "test_cells.py").write_text(SCENARIOS)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "BGH_"))}  # not our xdist worker
    env |= {"HARNESS_FARM_URL": farm_url, "BGH_BODIES": str(bodies), "BGH_CONTROLLER": folder.name}
    cmd = [sys.executable, "-m", "pytest", "test_cells.py", "-n", "2", "-p", "no:cacheprovider", "-q",
           "--devices", "devices.toml", "--reports", "reports", "--no-lab"]
    return subprocess.Popen(cmd, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_two_controllers_share_one_lab_through_one_farm(lab: RunningLab, farm_url: str, tmp_path: Path) -> None:
    bodies = tmp_path / "bodies.jsonl"
    runs = [_controller(tmp_path / name, lab, farm_url, bodies) for name in ("controller-a", "controller-b")]
    seen = _held_rows_while_running(farm_url, runs)
    assert seen, "farm status never showed a phone held by a running test"
    assert all(r["run"] and r["owner"] and r["token"] for r in seen)
    assert {str(r["test"]).split("[")[0] for r in seen} == {"test_cells.py::test_cell"}, seen
    for run in runs:
        out, _ = run.communicate(timeout=240)
        assert run.returncode == 0, out[-3000:]

    cells: dict[str, list[tuple[float, float, str]]] = {name: [] for name in PHONES}
    for name in ("controller-a", "controller-b"):
        lines = [json.loads(line) for line in (tmp_path / name / "reports" / "latest" / "results.jsonl")
                 .read_text().splitlines()]
        results = [r for r in lines if r["type"] == "result"]
        assert len(results) == 8 and {r["outcome"] for r in results} == {"passed"}, results
        for r in results:
            cells[r["device"]].append((r["started_at"], r["ended_at"], f"{name} {r['nodeid']}"))
    for phone, spans in cells.items():
        spans.sort()
        for (_, end, who), (start, _, next_who) in pairwise(spans):
            assert start >= end, f"{phone}: {next_who} started at {start} before {who} ended at {end}"

    spans_by_phone: dict[str, list[tuple[float, float, str]]] = {name: [] for name in PHONES}
    for line in bodies.read_text().splitlines():
        phone, controller, start, end = json.loads(line)
        spans_by_phone[phone].append((start, end, controller))
    for phone, spans in spans_by_phone.items():
        spans.sort()
        assert len(spans) == 8 and {c for _, _, c in spans} == {"controller-a", "controller-b"}
        for (_, end, _), (start, _, _) in pairwise(spans):
            assert start >= end, f"{phone}: two test bodies drove it at once"


def _held_rows_while_running(farm_url: str, runs: list[subprocess.Popen[str]]) -> list[dict[str, object]]:
    """``farm status`` rows of leased phones, read every 50 ms while either run is going."""
    store = PgLeaseStore(farm_url, hostname="observer")
    seen: list[dict[str, object]] = []
    try:
        while any(run.poll() is None for run in runs):
            seen += [row.as_json() for row in status(store) if row.state == "leased"]
            time.sleep(0.05)
    finally:
        store.close()
    return seen
