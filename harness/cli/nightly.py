"""``harness nightly``: the catalogue on a lab host, the history, and what changed since the last nights."""

from __future__ import annotations

from pathlib import Path

import typer

from harness.cli._common import DevicesOpt, exits, make_console

__all__ = ["nightly_cmd"]

console = make_console()
ScenariosOpt = typer.Option(["scenarios"], "--scenarios", help="What pytest runs (repeatable).")
PytestArgOpt = typer.Option([], "--pytest-arg", help="An extra pytest argument (repeatable).")


@exits
def nightly_cmd(
    devices: str = DevicesOpt,
    reports: str = typer.Option("reports/nightly", "--reports",
                                help="The nightly reports folder; its history.sqlite is what runs are compared with."),
    scenarios: list[str] = ScenariosOpt,
    workers: int = typer.Option(4, "--workers", "-n", min=1, help="Devices in parallel (pytest-xdist workers)."),
    window: int = typer.Option(10, "--window", min=1, help="Compare with this many previous runs; flaky "
                               "cells are rated over them."),
    timeout: float = typer.Option(4 * 3600.0, "--timeout", help="Wall-clock seconds before the run is "
                                  "interrupted (its finished results are kept)."),
    pytest_args: list[str] = PytestArgOpt,
) -> None:
    """Run the catalogue, append it to the history and compare it with the previous runs; exit 1 only on
    new failures.

    The comparison names new failures, fixed cells, other changed cells, flaky cells (pass rate over the
    window) and newly quarantined devices; the trends page (survival per OEM over time) is rendered again.
    """
    from harness.nightly import NightlyPlan, print_nightly, run_nightly

    plan = NightlyPlan(devices, Path(reports), tuple(scenarios), workers, window, timeout,
                       pytest_args=tuple(pytest_args))
    result = run_nightly(plan)
    print_nightly(console, result)
    raise typer.Exit(result.exit_code)
