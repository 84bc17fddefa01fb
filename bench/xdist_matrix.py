"""40 short lab tests x 4 devices with `-n 4`, against the slowest single device's serial time.

Target (issues 5, 22): the parallel matrix within 1.3x of the slowest device alone, i.e. devices really
run in parallel and the plugin (leases, captures, reports) adds little. The lab runs the shipped devices.toml's
clock (``clock = "virtual"``), so no test waits on wall time and the figure is the harness's own cost.

Every pytest here runs as on a developer's machine, with a byte-code cache (``bench._util.bytecode_env``), after
one discarded warm-up run.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._util import bytecode_env, figure, virtual_clock
from harness.config import load_config
from harness.labctl import spawn_lab, stop_lab
from tests.plugin.test_plugin_lab_run import private_config

TESTS = '''
import pytest

@pytest.mark.parametrize("n", range(40))
def test_short(android, timeline, n):
    android.transport.shell(f"log -t ReactNativeJS 'BgProbe v1 task_start task=sync-orders run={n}'")
    timeline.task_fired("sync-orders", within_s=60)
    assert android.os_version() in ("14", "15")
'''
GOAL = 1.3
DEVICES = ("pixel-8", "xiaomi-13", "oppo-find-x6", "samsung-s23")


def pytest_run(folder: Path, *args: str) -> float:
    env = bytecode_env(folder / "pycache")
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_short.py", *args],
                            cwd=folder, capture_output=True, text=True, check=False, env=env, timeout=900)
    if result.returncode != 0:
        print(result.stdout[-3000:], result.stderr[-2000:])
        raise SystemExit("bench run failed")
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "devices.toml").write_text(virtual_clock(private_config(folder)))
        (folder / "test_short.py").write_text(TESTS)
        cfg = load_config(folder / "devices.toml")
        spawn_lab(cfg)
        try:
            pytest_run(folder, "--device", DEVICES[0])  # warm-up: fills the byte-code cache
            serial = {name: pytest_run(folder, "--device", name) for name in DEVICES}
            parallel = pytest_run(folder, "-n", "4", *[a for n in DEVICES for a in ("--device", n)])
        finally:
            stop_lab(cfg)
    slowest = max(serial.values())
    print("serial, one device at a time: " + ", ".join(f"{k} {v:.1f} s" for k, v in serial.items()))
    print(f"40 tests x 4 devices with -n 4: {parallel:.1f} s = {parallel / slowest:.2f}x the slowest single device "
          f"(goal <= {GOAL:g}x), clock {cfg.lab.clock!r}")
    figure("40 tests x 4 phones -n 4 / slowest phone alone", f"{parallel / slowest:.2f}x", f"<= {GOAL:g}x",
           parallel / slowest <= GOAL)


if __name__ == "__main__":
    main()
