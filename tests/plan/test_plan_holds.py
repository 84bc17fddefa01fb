"""The plan holds on the lab: each quick cell of the shipped catalogue uses no more device time than it declares.
Issue 16 allows real phones 25 % over the plan; on the lab's virtual clock a cell's device time is exact (the cells
measured 0.99-1.00 of their plans), so a declaration that leaves out part of the cell shows up even when it stays
under 25 %: the charger gate cell's half minute of screen-on before its watch, 150 s used against 120 s planned."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.labkit import ROOT, private_devices_toml
from tests.repro.project import env

SLACK = 1.05  # the virtual clock is exact; the margin is for the harness's own steps between waits


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, object]]:
    """The quick tier on one stock phone of a private lab on the virtual clock (the demo's clock)."""
    path = tmp_path_factory.mktemp("quick")
    (path / "devices.toml").write_text(private_devices_toml(path / "state", clock="virtual"))
    proc = subprocess.run([sys.executable, "-m", "pytest", str(ROOT / "scenarios"), "--devices", "devices.toml",
                           "--device", "pixel-8", "--tier", "quick", "--reports", "reports", "-p", "no:cacheprovider",
                           "-p", "no:randomly", "-q"], cwd=path, env=env(), capture_output=True, text=True,
                          timeout=900, check=False)
    lines = (path / "reports" / "latest" / "results.jsonl").read_text().splitlines()
    found = [r for r in map(json.loads, lines) if r.get("type") == "result"]
    assert found, (proc.stdout + proc.stderr)[-3000:]
    return found


def test_every_quick_cell_uses_no_more_device_time_than_its_plan_allows(results: list[dict[str, object]]) -> None:
    ran = [r for r in results if r["outcome"] in ("passed", "expected_kill")]
    assert len(ran) >= 10, [(r["nodeid"], r["outcome"]) for r in results]
    over = {str(r["nodeid"]): (r["device_s"], r["plan_device_s"]) for r in ran
            if float(r["device_s"]) > SLACK * float(r["plan_device_s"])}  # type: ignore[arg-type]
    assert not over, over
