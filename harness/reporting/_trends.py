"""The trends page: survival per scenario × device over the recent runs, and per OEM over time.

Two pictures beside the HTML (``<name>-cells.png``, ``<name>-oems.png``) and a table with the same
numbers as text, so the page still answers when the pictures do not load.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from harness.reporting._history import SURVIVED, CellHistory, History, HistoryRun, read_history
from harness.reporting._html import COLOURS, esc, page, write_atomic
from harness.reporting._matrix import LABELS
from harness.reporting._model import STATUSES

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["oem_survival", "render_trends"]


def render_trends(db: History, out_html: Path, last_n: int = 30, min_cells: int = 1) -> Path:
    """Write the trends page (and its pictures, beside it) for the last ``last_n`` runs (``db``: a history
    store, or the path of a ``history.sqlite``) of at least ``min_cells`` cells: a one-test debug run is no
    point of a trend."""
    runs, cells = read_history(db, None if min_cells > 1 else last_n)
    if min_cells > 1:
        runs = [r for r in runs if sum(r.run_id in c.statuses for c in cells) >= min_cells][-last_n:]
        kept = {r.run_id for r in runs}
        cells = [c for c in (_only(c, kept) for c in cells) if c.statuses]
    body = [f"<h1>Background-work survival, last {len(runs)} run(s)</h1>"]
    if not runs:
        body.append("<p>No runs in the history yet.</p>")
    else:
        cells_png = out_html.with_name(f"{out_html.stem}-cells.png")
        oems_png = out_html.with_name(f"{out_html.stem}-oems.png")
        _save(_cells_figure(runs, cells), cells_png)
        _save(_oems_figure(runs, cells), oems_png)
        body += [f'<h2>Per scenario × device</h2><p><img src="{esc(cells_png.name)}" alt="outcome per run"></p>',
                 f'<h2>Per OEM</h2><p><img src="{esc(oems_png.name)}" alt="survival rate per OEM"></p>',
                 _oem_table(runs, cells), _table(runs, cells)]
    write_atomic(out_html, page("bgharness trends", "\n".join(body)))
    return out_html


def _save(fig: Figure, path: Path) -> None:
    fig.savefig(path, format="png", bbox_inches="tight")


def _new_figure(width: float, height: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415 - matplotlib loads only when a picture is drawn
    from matplotlib.figure import Figure  # noqa: PLC0415 - matplotlib loads only when a picture is drawn

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _only(cell: CellHistory, runs: set[str]) -> CellHistory:
    return CellHistory(cell.scenario, cell.device, cell.oem, {r: s for r, s in cell.statuses.items() if r in runs})


def _run_label(run: HistoryRun) -> str:
    """The run's date (UTC) and its id: the id is what `harness report`, the run folder and the nightly name."""
    return f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime(run.started_at))}  {run.run_id}"


def _cells_figure(runs: list[HistoryRun], cells: list[CellHistory]) -> Figure:
    """A grid: one row per scenario @ device, one column per run, coloured by the cell's status."""
    from matplotlib.colors import BoundaryNorm, ListedColormap  # noqa: PLC0415 - matplotlib loads only when a picture is drawn
    from matplotlib.patches import Patch  # noqa: PLC0415 - matplotlib loads only when a picture is drawn

    codes = {s: n for n, s in enumerate(STATUSES)}
    grid = [[float(codes[c.statuses[r.run_id]]) if r.run_id in c.statuses else float("nan") for r in runs]
            for c in cells]
    fig = _new_figure(max(6.0, 1.5 + 0.35 * len(runs)), max(2.0, 0.8 + 0.28 * len(cells)))
    ax = fig.add_subplot()
    cmap = ListedColormap([COLOURS[s][0] for s in STATUSES]).with_extremes(bad="white")  # NaN: did not run
    ax.imshow(grid, cmap=cmap, norm=BoundaryNorm([n - 0.5 for n in range(len(STATUSES) + 1)], len(STATUSES)),
              aspect="auto", interpolation="nearest")
    ax.set_yticks(range(len(cells)), [f"{c.scenario} @ {c.device}" for c in cells], fontsize=8)
    ax.set_xticks(range(len(runs)), [_run_label(r) for r in runs], rotation=60, ha="right", fontsize=7)
    for row, cell in enumerate(cells):
        alive, said = cell.survival()
        text = f"{100 * alive / said:.0f}%" if said else "—"
        ax.text(len(runs) - 0.4, row, f" {text}", va="center", fontsize=8)
    ax.set_title("outcome per run (right: survival rate)", fontsize=9, loc="left")
    shown = [s for s in STATUSES if any(s in c.statuses.values() for c in cells)]
    ax.legend([Patch(facecolor=COLOURS[s][0], edgecolor="#9e9e9e") for s in shown], [LABELS[s] for s in shown],
              fontsize=7, loc="upper left", bbox_to_anchor=(1.12, 1.0), frameon=False)
    return fig


def _oems_figure(runs: list[HistoryRun], cells: list[CellHistory]) -> Figure:
    """Survival rate per OEM, one point per run: is the OEM killer winning lately?"""
    fig = _new_figure(max(6.0, 1.5 + 0.35 * len(runs)), 3.2)
    ax = fig.add_subplot()
    for oem in sorted({c.oem for c in cells}):
        xs, ys = [], []
        for x, run in enumerate(runs):
            said = [c.statuses[run.run_id] for c in cells if c.oem == oem and run.run_id in c.statuses
                    and c.statuses[run.run_id] in _COUNTED]
            if said:
                xs.append(x)
                ys.append(100.0 * sum(s in SURVIVED for s in said) / len(said))
        ax.plot(xs, ys, marker="o", label=oem or "(no oem)")
    ax.set_ylim(-5, 105)
    ax.set_ylabel("survival %")
    ax.set_xticks(range(len(runs)), [_run_label(r) for r in runs], rotation=60, ha="right", fontsize=7)
    ax.grid(color="#eeeeee")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.005, 1.0), frameon=False)
    return fig


_COUNTED = frozenset({"passed", "unexpected_survival", "failed", "expected_kill"})


def _table(runs: list[HistoryRun], cells: list[CellHistory]) -> str:
    rows = []
    for c in cells:
        alive, said = c.survival()
        rate = f"{100 * alive / said:.0f}% ({alive}/{said})" if said else "—"
        marks = "".join(_mark(r, c) for r in runs)
        rows.append(f"<tr><td>{esc(c.scenario)}</td><td>{esc(c.device)}</td><td>{esc(c.oem)}</td>"
                    f"<td>{esc(rate)}</td><td>{marks}</td></tr>")
    return ("<h2>Table</h2><table><tr><th>scenario</th><th>device</th><th>oem</th><th>survival</th>"
            f"<th>runs, oldest first</th></tr>{''.join(rows)}</table>")


def _mark(run: HistoryRun, cell: CellHistory) -> str:
    status = cell.statuses.get(run.run_id)
    if status is None:
        return '<span title="not run">·</span>'
    title = f"{run.run_id}: {LABELS[status]}"
    return f'<span class="badge {status}" title="{esc(title)}">{esc(LABELS[status][:1].upper())}</span>'


def oem_survival(runs: list[HistoryRun], cells: list[CellHistory]) -> dict[str, list[tuple[int, int]]]:
    """OEM → per run (oldest first): (cells where the work survived, cells that said either way)."""
    table: dict[str, list[tuple[int, int]]] = {}
    for oem in sorted({c.oem for c in cells}):
        per_run = []
        for run in runs:
            said = [c.statuses[run.run_id] for c in cells if c.oem == oem and c.statuses.get(run.run_id) in _COUNTED]
            per_run.append((sum(s in SURVIVED for s in said), len(said)))
        table[oem] = per_run
    return table


def _oem_table(runs: list[HistoryRun], cells: list[CellHistory]) -> str:
    """The OEM picture's numbers as text: survival rate per OEM for each run, oldest first."""
    head = "".join(f"<th>{esc(_run_label(r))}</th>" for r in runs)
    rows = []
    for oem, per_run in oem_survival(runs, cells).items():
        tds = "".join(f'<td title="{alive}/{said}">{100 * alive / said:.0f}%</td>' if said else "<td>—</td>"
                      for alive, said in per_run)
        rows.append(f"<tr><td>{esc(oem or '(no oem)')}</td>{tds}</tr>")
    return f"<h3>Survival rate per OEM</h3><table><tr><th>oem</th>{head}</tr>{''.join(rows)}</table>"
