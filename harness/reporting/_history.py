"""``reports/history.sqlite``: every run's results, for trends and for what changed since last night.

Two tables, ``runs`` and ``results`` (one row per finished test). Appending a run again replaces it
whole, so re-appending after re-rendering an interrupted run, or a retried CI step, is harmless.
"""

from __future__ import annotations

import contextlib
import itertools
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from harness.reporting._matrix import worst
from harness.reporting._model import ReportError, Run, Status

__all__ = ["BAD", "OK", "SURVIVED", "CellChange", "CellHistory", "CellRate", "Comparison", "HistoryRun",
           "append_history", "compare_runs", "connect", "read_history"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, started_at REAL NOT NULL, finished_at REAL,
    harness_version TEXT NOT NULL, lab_seed INTEGER, selected INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS results (
    run_id TEXT NOT NULL, nodeid TEXT NOT NULL, scenario TEXT NOT NULL, device TEXT NOT NULL,
    platform TEXT, oem TEXT, model TEXT, os_version TEXT, serial TEXT,
    outcome TEXT NOT NULL, killer TEXT, duration_s REAL, message TEXT, explanation TEXT,
    PRIMARY KEY (run_id, nodeid));
CREATE INDEX IF NOT EXISTS results_cell ON results (scenario, device);
"""
_MAX_TEXT = 4000  # the run folder keeps the full text; history keeps enough to recognise it

# The background work ran (the OEM did not kill it) / did not: for survival rates. Errors and skips
# say nothing about the phone, so they count in neither.
SURVIVED = frozenset({"passed", "unexpected_survival"})
_KILLED = frozenset({"failed", "expected_kill"})
# The test's verdict, for new failures, fixes and flakiness.
OK = frozenset({"passed", "expected_kill"})
BAD = frozenset({"failed", "unexpected_survival", "error"})


@contextlib.contextmanager
def connect(db_path: Path) -> Iterator[sqlite3.Connection]:
    try:
        # A generous timeout: two nightly jobs may finish together and append at once.
        conn = sqlite3.connect(db_path, timeout=30)
    except sqlite3.Error as e:
        raise ReportError(f"{db_path}: cannot open the history database: {e}") from e
    try:
        conn.executescript(_SCHEMA)
        yield conn
    except sqlite3.Error as e:
        raise ReportError(f"{db_path}: history database error: {e}") from e
    finally:
        conn.close()


def append_history(db_path: Path, run: Run) -> None:
    """Add (or replace) the run and its results."""
    rows = [(run.run_id, r.nodeid, r.scenario, r.device, r.device_props.get("platform"), r.device_props.get("oem"),
             r.device_props.get("model"), r.device_props.get("os_version"), r.device_props.get("serial"),
             r.outcome, r.killer, r.duration_s, r.message[:_MAX_TEXT], r.explanation[:_MAX_TEXT])
            for r in run.results]
    with connect(db_path) as conn, conn:  # the second `with` is the transaction: all of the run or none
        conn.execute("DELETE FROM results WHERE run_id = ?", (run.run_id,))
        conn.execute("INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?)",
                     (run.run_id, run.started_at, run.finished_at, run.harness_version, run.lab_seed,
                      len(run.selected)))
        conn.executemany(f"INSERT INTO results VALUES ({', '.join('?' * 14)})", rows)


@dataclass(frozen=True, slots=True)
class HistoryRun:
    run_id: str
    started_at: float


@dataclass(frozen=True, slots=True)
class CellHistory:
    """One scenario on one device across runs: the cell's status per run (absent: not run there)."""

    scenario: str
    device: str
    oem: str
    statuses: dict[str, Status]  # run_id → worst status of the cell in that run

    def survival(self) -> tuple[int, int]:
        """(runs where the work survived, runs that said either way)."""
        said = [s for s in self.statuses.values() if s in SURVIVED or s in _KILLED]
        return sum(s in SURVIVED for s in said), len(said)


def read_history(db_path: Path, last_n: int | None = None) -> tuple[list[HistoryRun], list[CellHistory]]:
    """The last ``last_n`` runs (default: all), oldest first, and every cell that ran in them."""
    with connect(db_path) as conn:
        limit = -1 if last_n is None else last_n  # SQLite: a negative LIMIT is no limit
        runs = [HistoryRun(i, t) for i, t in conn.execute(
            "SELECT run_id, started_at FROM runs ORDER BY started_at DESC, run_id DESC LIMIT ?", (limit,))]
        runs.reverse()
        marks = ", ".join("?" * len(runs))
        rows = conn.execute(f"SELECT run_id, scenario, device, COALESCE(oem, ''), outcome FROM results "
                            f"WHERE run_id IN ({marks})", [r.run_id for r in runs]).fetchall()
    found: dict[tuple[str, str], dict[str, list[Status]]] = {}
    oems: dict[str, str] = {}
    for run_id, scenario, device, oem, outcome in rows:
        found.setdefault((scenario, device), {}).setdefault(run_id, []).append(outcome)
        oems[device] = oem or oems.get(device, "")
    cells = [CellHistory(s, d, oems.get(d, ""), {run: worst(v) for run, v in per_run.items()})
             for (s, d), per_run in sorted(found.items())]
    return runs, cells


@dataclass(frozen=True, slots=True)
class CellChange:
    scenario: str
    device: str
    before: Status | None  # the cell's status the last time it ran; None: new cell
    after: Status
    before_run: str | None


@dataclass(frozen=True, slots=True)
class CellRate:
    scenario: str
    device: str
    passes: int
    runs: int

    @property
    def rate(self) -> float:
        return self.passes / self.runs if self.runs else 0.0


@dataclass(frozen=True, slots=True)
class Comparison:
    run_id: str | None  # the run compared (None: the history is empty)
    previous: tuple[str, ...]  # the runs it is compared against, newest first
    new_failures: tuple[CellChange, ...]
    fixed: tuple[CellChange, ...]
    flaky: tuple[CellRate, ...]  # flipped between green and red twice or more over these runs; lowest rate first


def compare_runs(db_path: Path, n_previous: int = 5, run_id: str | None = None) -> Comparison:
    """What changed in ``run_id`` (default: the newest run) against the ``n_previous`` runs before it."""
    runs, cells = read_history(db_path)
    ids = [r.run_id for r in runs]
    if run_id is None and ids:
        run_id = ids[-1]
    if run_id is None or run_id not in ids:
        if run_id is not None:
            raise ReportError(f"{db_path}: no run {run_id!r} in the history")
        return Comparison(None, (), (), (), ())
    at = ids.index(run_id)
    previous = ids[max(0, at - n_previous):at][::-1]
    new_failures, fixed, flaky = [], [], []
    for cell in cells:
        now = cell.statuses.get(run_id)
        before_run = next((r for r in previous if _verdict(cell.statuses.get(r)) is not None), None)
        before = cell.statuses.get(before_run) if before_run else None
        if now is not None and _verdict(now) is False and _verdict(before) is not False:
            new_failures.append(CellChange(cell.scenario, cell.device, before, now, before_run))
        elif now is not None and _verdict(now) is True and _verdict(before) is False:
            fixed.append(CellChange(cell.scenario, cell.device, before, now, before_run))
        verdicts = [v for v in (_verdict(cell.statuses.get(r)) for r in [*previous[::-1], run_id]) if v is not None]
        # One flip is a regression or a fix, reported above; flipping back and forth is flakiness.
        if sum(a != b for a, b in itertools.pairwise(verdicts)) >= 2:
            flaky.append(CellRate(cell.scenario, cell.device, verdicts.count(True), len(verdicts)))
    flaky.sort(key=lambda c: (c.rate, c.scenario, c.device))
    return Comparison(run_id, tuple(previous), tuple(new_failures), tuple(fixed), tuple(flaky))


def _verdict(status: Status | None) -> bool | None:
    """True: the test was green; False: red; None: no verdict (skipped, not run)."""
    if status in OK:
        return True
    return False if status in BAD else None
