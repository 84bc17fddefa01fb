"""``harness plan`` and the plugin's selection on a pool of real-phone entries: collection only, no phone needed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

DEVICES = '''
[app]
name = "Other"
android_package = "com.example.other"

[[app.task]]
name = "refresh"
kind = "background-task"
interval_min = 30

[[device]]
name = "pixel-7"
platform = "android"
oem = "google"
model = "Pixel 7"
os_version = "14"
serial = "PIXEL7SERIAL"

[[device]]
name = "galaxy"
platform = "android"
oem = "samsung"
model = "Galaxy S22"
os_version = "14"
serial = "GALAXYSERIAL"
'''

SCENARIOS = '''
import pytest

from harness.android import AndroidDriver
from harness.plan import HOUR, cost


@cost(lambda c: 2 * c.ack)
def test_quick(android: AndroidDriver) -> None: ...


@cost(lambda c: 4 * c.period("refresh"))  # 2 h at 1x
def test_full(android: AndroidDriver) -> None: ...


@pytest.mark.tier("soak")
@cost(lambda c: 20 * HOUR)
def test_soak(android: AndroidDriver) -> None: ...


@pytest.mark.oem("google")
def test_undeclared(android: AndroidDriver) -> None: ...
'''


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "devices.toml").write_text(DEVICES)
    (tmp_path / "test_cells.py").write_text(SCENARIOS)
    return tmp_path


def plan(project: Path, *args: str) -> dict[str, object]:
    command = [sys.executable, "-m", "harness.cli", "plan", "--json", "test_cells.py", "--devices", "devices.toml",
               "-p", "no:cacheprovider", *args]
    out = subprocess.run(command, check=False, cwd=project, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_the_plan_has_every_cell_at_1x_with_its_tier_and_limit(project: Path) -> None:
    got = plan(project)
    cells = {c["nodeid"].split("::")[1]: c for c in got["cells"]}  # type: ignore[attr-defined]
    assert set(cells) == {"test_quick[pixel-7]", "test_quick[galaxy]", "test_full[pixel-7]", "test_full[galaxy]",
                          "test_soak[pixel-7]", "test_soak[galaxy]", "test_undeclared[pixel-7]"}
    assert set(cells["test_quick[galaxy]"]) == {"nodeid", "device", "tier", "device_s", "wall_s", "timeout_s"}
    assert [cells[f"test_{t}[galaxy]"]["tier"] for t in ("quick", "full", "soak")] == ["quick", "full", "soak"]
    full = cells["test_full[pixel-7]"]
    assert full["device_s"] == full["wall_s"] >= 2 * 3600  # a real phone: 1x
    assert full["timeout_s"] > full["wall_s"]
    assert got["undeclared"] == ["test_cells.py::test_undeclared[pixel-7]"]
    phones = got["phones"]
    assert phones["pixel-7"]["wall_s"] > phones["galaxy"]["wall_s"]  # type: ignore[index]
    assert got["makespan_s"] == phones["pixel-7"]["wall_s"]  # type: ignore[index]


def test_a_tier_selects_it_and_every_shorter_one(project: Path) -> None:
    quick = plan(project, "--tier", "quick")
    assert {c["tier"] for c in quick["cells"]} == {"quick"}  # type: ignore[attr-defined]
    full = plan(project, "--tier", "full")
    assert {c["tier"] for c in full["cells"]} == {"quick", "full"}  # type: ignore[attr-defined]


def test_a_budget_leaves_out_what_does_not_fit_and_says_why(project: Path) -> None:
    got = plan(project, "--budget", "3h")
    left = {lo["nodeid"].split("::")[1]: lo["reason"] for lo in got["left_out"]}  # type: ignore[attr-defined]
    assert set(left) == {"test_soak[pixel-7]", "test_soak[galaxy]"}
    assert "soak cell needs 20.0 h" in left["test_soak[galaxy]"]
    assert all(p["wall_s"] <= 3 * 3600 for p in got["phones"].values())  # type: ignore[attr-defined]


def test_a_bad_budget_is_one_clear_line(project: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "harness.cli", "plan", "test_cells.py", "--devices", "devices.toml",
                          "--budget", "all night"], check=False, cwd=project, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode != 0
    assert "--budget 'all night': give a duration such as 8h" in out.stderr + out.stdout
    assert "Traceback" not in out.stderr + out.stdout
