"""``harness nightly``: the catalogue on a lab host, the history, and what changed since the last nights."""

from __future__ import annotations

from pathlib import Path

import typer

from harness.cli._common import DevicesOpt, exits, make_console
from harness.cli.plan import collect_plan
from harness.plan import TIMEOUT_FACTOR, makespan

__all__ = ["nightly_cmd", "planned_limit"]

console = make_console()
_LIMIT_MARGIN_S = 600.0  # the lab's start, the pool's first leases, the reports at the end
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
    timeout: float | None = typer.Option(None, "--timeout", help="Wall-clock seconds before the run is "
                                         "interrupted (its finished results are kept); default: the plan's "
                                         "makespan, a quarter more, and 10 minutes."),
    tier: str | None = typer.Option(None, "--tier", help="quick, full or soak: run that tier and every shorter "
                                    "one (default: every cell)."),
    budget: str | None = typer.Option(None, "--budget", help="Fit the run into this much wall time per phone "
                                      "(e.g. 8h): quick cells first, then full, then soak; says what it left out."),
    pytest_args: list[str] = PytestArgOpt,
) -> None:
    """Run the catalogue, append it to the history and compare it with the previous runs; exit 1 only on
    new failures.

    The comparison names new failures, fixed cells, other changed cells, flaky cells (pass rate over the
    window) and newly quarantined devices; the trends page (survival per OEM over time) is rendered again.
    """
    from harness.nightly import NightlyPlan, print_nightly, run_nightly  # noqa: PLC0415 - the nightly runner (reports, pytest) loads only for `harness nightly`

    selection = [*(["--tier", tier] if tier else []), *(["--budget", budget] if budget else [])]
    args = (*selection, *pytest_args)
    limit = timeout if timeout is not None else planned_limit(devices, scenarios, args, workers)
    plan = NightlyPlan(devices, Path(reports), tuple(scenarios), workers, window, limit, pytest_args=args)
    result = run_nightly(plan)
    print_nightly(console, result)
    raise typer.Exit(result.exit_code)


def planned_limit(devices: str, scenarios: list[str], args: tuple[str, ...], workers: int) -> float:
    """The night's wall-clock limit from its plan (harness plan): the makespan with a quarter more and a margin.
    Prints the cells the budget left out, and why."""
    plans, left, code = collect_plan([*scenarios, "--devices", devices, *args])
    if code not in (0, 5):
        raise typer.Exit(code)
    for lo in left:
        console.print(f"left out: {lo.plan.nodeid}: {lo.reason}", markup=False, soft_wrap=True)
    span = makespan(plans, workers) if plans else 0.0
    console.print(f"plan: {len(plans)} cells, makespan {span / 3600:.1f} h over {workers} workers", markup=False)
    return span * TIMEOUT_FACTOR + _LIMIT_MARGIN_S
