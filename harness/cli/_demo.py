"""``harness demo``: the README's main command — the scenario catalogue across the virtual lab."""

from __future__ import annotations

import subprocess
import sys

from harness._bytecode import bytecode_cached_env
from harness.cli._common import load, make_console
from harness.cli._devices import devices_cmd
from harness.cli._lab import _print_status
from harness.labctl import lab_state, spawn_lab

__all__ = ["run_demo"]

console = make_console()


MAX_WORKERS = 8  # xdist workers mostly wait on device time; more than this only costs memory


def default_workers(device_count: int) -> int:
    """One xdist worker per phone: a phone runs its tests one after another (it is leased), so the run takes
    as long as the busiest phone's share, and fewer workers than phones would queue whole phones behind others."""
    return max(1, min(MAX_WORKERS, device_count))


def run_demo(devices: str, workers: int | None = None, tier: str | None = None) -> int:
    cfg = load(devices)
    workers = workers if workers is not None else default_workers(len(cfg.devices))
    state = lab_state(cfg)
    if state is None:
        console.print("[bold]starting the virtual lab[/]")
        state = spawn_lab(cfg)
    _print_status(state)
    console.print("\n[bold]device pool[/] (live state read from each phone over adb)")
    devices_cmd(devices=devices, as_json=False)
    console.print(f"\n[bold]running the scenario catalogue on every device, {workers} in parallel[/]")
    cmd = [sys.executable, "-m", "pytest", "scenarios", "-n", str(workers), "-p", "no:cacheprovider", "-q",
           "--devices", devices, "-W", "ignore::pytest.PytestAssertRewriteWarning", *(["--tier", tier] if tier else [])]
    code = subprocess.call(cmd, env=bytecode_cached_env())
    console.print("\nthe lab keeps running for more runs; stop it with `harness lab down` "
                  "(open reports/latest/index.html for the matrix with evidence)")
    return code
