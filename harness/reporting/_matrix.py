"""The survival matrix: scenarios as rows, devices as columns, every writer's common view of a run;
and its terminal rendering (rich, imported only when used), for the end of a pytest run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from harness.reporting._model import STATUSES, Result, Run, Selected, Status

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

__all__ = ["LABELS", "SEVERITY", "STYLES", "Cell", "Entry", "Matrix", "matrix_table", "print_summary",
           "survival_matrix", "worst"]

LABELS: dict[str, str] = {
    "passed": "pass",
    "failed": "FAIL",
    "expected_kill": "expected kill",
    "unexpected_survival": "unexpected survival",
    "error": "ERROR",
    "skipped": "skip",
    "not_run": "not run",
}

# A cell holding several tests (a scenario parametrized beyond the device) shows its worst one.
SEVERITY: tuple[Status, ...] = ("error", "failed", "unexpected_survival", "not_run", "expected_kill", "skipped",
                                "passed")


def worst(statuses: list[Status]) -> Status:
    return min(statuses, key=SEVERITY.index)


@dataclass(frozen=True, slots=True)
class Entry:
    """One test of a cell: its result, or None when it never reported."""

    nodeid: str
    status: Status
    result: Result | None


@dataclass(frozen=True, slots=True)
class Cell:
    scenario: str
    device: str
    entries: tuple[Entry, ...]

    @property
    def status(self) -> Status:
        return worst([e.status for e in self.entries])


@dataclass(frozen=True, slots=True)
class Matrix:
    scenarios: tuple[str, ...]  # in the order pytest selected (then ran) them
    devices: tuple[str, ...]
    cells: dict[tuple[str, str], Cell]  # (scenario, device) → cell; absent: not tried on that device
    unplaced: tuple[Selected, ...]  # not run, and the device was to be picked at run time

    def cell(self, scenario: str, device: str) -> Cell | None:
        return self.cells.get((scenario, device))


def survival_matrix(run: Run) -> Matrix:
    entries: dict[tuple[str, str], list[Entry]] = {}
    scenarios: dict[str, None] = {s.scenario: None for s in run.selected}
    devices: dict[str, None] = {s.device: None for s in run.selected if s.device is not None}
    for r in run.results:
        scenarios.setdefault(r.scenario)
        devices.setdefault(r.device)
        entries.setdefault((r.scenario, r.device), []).append(Entry(r.nodeid, r.outcome, r))
    unplaced = []
    for s in run.not_run():
        if s.device is None:
            unplaced.append(s)
        else:
            entries.setdefault((s.scenario, s.device), []).append(Entry(s.nodeid, "not_run", None))
    cells = {key: Cell(key[0], key[1], tuple(es)) for key, es in entries.items()}
    placed = {scenario for scenario, _ in cells}
    return Matrix(tuple(s for s in scenarios if s in placed), tuple(devices), cells, tuple(unplaced))


# -- terminal -------------------------------------------------------------------------------------
STYLES: dict[str, str] = {
    "passed": "bold green",
    "failed": "bold white on red",
    "expected_kill": "dark_orange",
    "unexpected_survival": "bold white on purple",
    "error": "bold white on dark_red",
    "skipped": "dim",
    "not_run": "dim italic",
}


def matrix_table(run: Run) -> Table:
    """Scenarios × devices, one coloured word per cell (``—``: not tried on that device)."""
    from rich.table import Table  # noqa: PLC0415 - rich loads only when a table is printed (the plugin imports reporting at load)
    from rich.text import Text  # noqa: PLC0415 - rich loads only when a table is printed (the plugin imports reporting at load)

    matrix = survival_matrix(run)
    table = Table()
    table.add_column("scenario", style="bold", no_wrap=True)
    for device in matrix.devices:
        table.add_column(device, justify="center")
    for scenario in matrix.scenarios:
        # Text objects, not markup: node ids and messages carry [brackets] rich would parse.
        row = [Text(scenario)] + [_cell_text(matrix.cell(scenario, d)) for d in matrix.devices]
        table.add_row(*row)
    return table


def _cell_text(cell: Cell | None) -> Text:
    from rich.text import Text  # noqa: PLC0415 - rich loads only when a table is printed (the plugin imports reporting at load)

    if cell is None:
        return Text("—", style="dim")
    status = cell.status
    killer = next((e.result.killer for e in cell.entries if e.result and e.result.killer), None)
    label = LABELS[status] + (f" ({killer})" if killer and status != "passed" else "")
    if len(cell.entries) > 1:
        label += f" ×{len(cell.entries)}"
    return Text(label, style=STYLES[status])


def print_summary(run: Run, console: Console, run_dir: Path | None = None) -> None:
    """The matrix, then one line of counts, the tests never placed on a device, and (given
    ``run_dir``) where the HTML report is."""
    from rich.text import Text  # noqa: PLC0415 - rich loads only when a table is printed (the plugin imports reporting at load)

    # A heading line rather than the table's title: rich wraps a title to the table's width.
    console.print(Text(f"survival matrix — run {run.run_id}", style="bold"))
    console.print(matrix_table(run))
    counts = run.counts()
    line = Text()
    for status in STATUSES:
        if counts[status]:
            if line:
                line.append(", ")
            line.append(f"{counts[status]} {LABELS[status]}", style=STYLES[status])
    line.append(f" in {run.duration_s:.1f} s" + (" — interrupted" if run.interrupted else ""))
    console.print(line)
    for s in survival_matrix(run).unplaced:
        console.print(Text(f"not run: {s.nodeid}", style=STYLES["not_run"]))
    if run_dir is not None:
        console.print(Text(f"report: {run_dir / 'index.html'}"))
