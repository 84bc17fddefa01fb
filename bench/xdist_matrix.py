"""40 short lab tests x 4 devices with `-n 4`, against the slowest single device's serial time.

Target (issues 5, 22): the parallel matrix within 1.3x of the slowest device alone, i.e. devices really
run in parallel and the plugin (leases, captures, reports) adds little. The lab runs the shipped devices.toml's
clock (``clock = "virtual"``), so no test waits on wall time and the figure is the harness's own cost.

Every pytest here runs as on a developer's machine, with a byte-code cache (``bench._util.bytecode_env``), after
one discarded warm-up run of each kind (one phone, and ``-n 4``: its workers import xdist and execnet, which the
serial runs never load).

Beside the wall times it prints the CPU each run took: the pytest processes' (controller and workers), and the lab's
(its process and its adb server). Wall times carry the host's other load; CPU does not. A run on a virtual clock
waits for nothing, so the parallel run cannot take less wall time than its CPU over the cores it has: that floor,
over the slowest phone's wall time, is the best ratio this host can show (the goal needs it at 1.3x or below); over
the slowest phone's CPU it is the ratio on an idle host of this many cores, whose serial run waits for no core.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Measured:
    wall_s: float
    pytest_cpu_s: float  # the pytest processes: the controller and its xdist workers
    lab_cpu_s: float  # the lab's process and its adb server

    @property
    def cpu_s(self) -> float:
        return self.pytest_cpu_s + self.lab_cpu_s


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (/proc/PID/stat, fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def lab_pids(state: dict[str, object]) -> list[int]:
    """The lab's process and its adb server (``adb -L tcp:PORT fork-server``, started by the lab)."""
    port = str(state["adb_server"]).rsplit(":", 1)[1]
    found = subprocess.run(["pgrep", "-f", f"tcp:{port} fork-server"], capture_output=True, text=True, check=False)
    return [int(str(state["pid"])), *(int(pid) for pid in found.stdout.split())]


def pytest_run(folder: Path, lab: list[int], *args: str) -> Measured:
    env = bytecode_env(folder / "pycache")
    pytest_before, lab_before = children_cpu_s(), sum(cpu_s(pid) for pid in lab)
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_short.py", *args],
                            cwd=folder, capture_output=True, text=True, check=False, env=env, timeout=900)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        print(result.stdout[-3000:], result.stderr[-2000:])
        raise SystemExit("bench run failed")
    return Measured(wall, children_cpu_s() - pytest_before, sum(cpu_s(pid) for pid in lab) - lab_before)


def cpu_line(what: str, run: Measured) -> str:
    return (f"{what}: wall {run.wall_s:.1f} s, CPU {run.cpu_s:.1f} s "
            f"(pytest {run.pytest_cpu_s:.1f} s, lab and its adb server {run.lab_cpu_s:.1f} s)")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "devices.toml").write_text(virtual_clock(private_config(folder)))
        (folder / "test_short.py").write_text(TESTS)
        cfg = load_config(folder / "devices.toml")
        lab = lab_pids(spawn_lab(cfg))
        matrix = ("-n", "4", *[a for n in DEVICES for a in ("--device", n)])
        try:
            pytest_run(folder, lab, "--device", DEVICES[0])  # warm-ups: fill the byte-code cache
            pytest_run(folder, lab, *matrix)
            serial = {name: pytest_run(folder, lab, "--device", name) for name in DEVICES}
            parallel = pytest_run(folder, lab, *matrix)
        finally:
            stop_lab(cfg)
    slowest = max(serial.values(), key=lambda m: m.wall_s)
    ratio = parallel.wall_s / slowest.wall_s
    cores = len(os.sched_getaffinity(0))
    floor = parallel.cpu_s / cores
    print("serial, one device at a time: " + ", ".join(f"{k} {v.wall_s:.1f} s" for k, v in serial.items()))
    print(cpu_line("  the slowest phone alone", slowest))
    print(cpu_line("  40 tests x 4 phones, -n 4", parallel))
    print(f"  on {cores} cores the -n 4 run needs at least its CPU / {cores} = {floor:.1f} s of wall time: "
          f"{floor / slowest.wall_s:.2f}x the slowest phone alone, the best this host can show "
          f"({floor / slowest.cpu_s:.2f}x its CPU, its wall time on an idle host, where its processes take turns)")
    print(f"40 tests x 4 devices with -n 4: {parallel.wall_s:.1f} s = {ratio:.2f}x the slowest single device "
          f"(goal <= {GOAL:g}x), clock {cfg.lab.clock!r}")
    figure("40 tests x 4 phones -n 4 / slowest phone alone", f"{ratio:.2f}x", f"<= {GOAL:g}x", ratio <= GOAL)


if __name__ == "__main__":
    main()
