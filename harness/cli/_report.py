"""``harness report trends|render``: history pictures, and reports for a run that never finished."""

from __future__ import annotations

from pathlib import Path

import typer

from harness.cli._common import DevicesOpt, exits, load, make_console
from harness.errors import HarnessError

__all__ = ["report_app"]

report_app = typer.Typer(help="Reports from past runs.", no_args_is_help=True)
console = make_console()
ReportsOpt = typer.Option("reports", "--reports", help="The reports folder (default: reports/).")


@report_app.command("trends")
@exits
def trends(reports: str = ReportsOpt, last: int = typer.Option(30, "--last", help="How many recent runs."),
           devices: str = DevicesOpt,
           nightly: bool = typer.Option(False, "--nightly", help="Only the nightly job's runs (its reports folder, "
                                        "REPORTS/nightly, as `harness nightly` writes it)."),
           min_cells: int = typer.Option(1, "--min-cells", min=1, help="Leave out runs of fewer cells (a one-test "
                                         "debug run is no point of a trend).")) -> None:
    """Survival rate per scenario x device (and per OEM) over the recent runs, as a page with pictures; each run
    is labelled with its date and run id (every host's runs when a farm URL is set: HARNESS_FARM_URL or [farm]
    url)."""
    from harness.reporting import render_trends  # noqa: PLC0415 - the report writers (matplotlib) load only for `harness report`
    from harness.reporting._history import SqliteHistory, history_at  # noqa: PLC0415 - the report writers (matplotlib) load only for `harness report`

    if nightly:
        reports = str(Path(reports) / "nightly")
    db = history_at(Path(reports), load(devices) if Path(devices).is_file() else None)
    if isinstance(db, SqliteHistory) and not db.path.exists():
        raise HarnessError(f"{db}: no history yet — run the scenarios first (`make demo` or `pytest scenarios`)")
    out = render_trends(db, Path(reports) / "trends.html", last_n=last, min_cells=min_cells)
    console.print(f"trends: {out}")


@report_app.command("render")
@exits
def render(run_dir: str = typer.Argument(..., help="A run folder, e.g. reports/latest.")) -> None:
    """Write junit.xml and the HTML matrix for a run from its results.jsonl (e.g. after a crash)."""
    from harness.reporting import load_run, write_reports  # noqa: PLC0415 - the report writers (matplotlib) load only for `harness report`

    run = load_run(Path(run_dir))
    index = write_reports(run, Path(run_dir))
    missing = len(run.not_run())
    console.print(f"report: {index}" + (f" ({missing} selected test(s) never reported)" if missing else ""))
