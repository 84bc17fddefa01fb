"""``harness demo``: the README's main command, against the virtual lab."""

from __future__ import annotations

from harness.cli._common import load, make_console
from harness.cli._devices import devices_cmd
from harness.cli._lab import _print_status
from harness.labctl import lab_state, spawn_lab

__all__ = ["run_demo"]

console = make_console()


def run_demo(devices: str) -> int:
    cfg = load(devices)
    state = lab_state(cfg)
    if state is None:
        console.print("[bold]starting the virtual lab[/]")
        state = spawn_lab(cfg)
    _print_status(state)
    console.print("\n[bold]device pool[/] (live state read from each phone over adb)")
    devices_cmd(devices=devices, as_json=False)
    console.print("\nthe lab keeps running; stop it with `harness lab down`")
    return 0
