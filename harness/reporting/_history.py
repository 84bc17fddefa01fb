"""The history: every run's results, for trends and for what changed since last night.

It lives in a ``HistoryStore``: ``reports/history.sqlite`` on one controller (``SqliteHistory``), or
the farm's PostgreSQL database when a farm URL is set (``harness.farm.PgHistory``), so trends and
nightly comparisons cover every controller. ``history_at(reports, config)`` picks the one to use;
every function here takes either a store or, as before, the path of a ``history.sqlite``.

Two tables, ``runs`` and ``results`` (one row per finished test), and ``quarantined`` (a device the
pool took out of a run). Appending a run again replaces it whole, so re-appending after re-rendering
an interrupted run, or a retried CI step, is harmless.
"""

from __future__ import annotations

import contextlib
import itertools
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from harness.config._farm import farm_url
from harness.reporting._matrix import worst
from harness.reporting._model import ReportError, Run, Status

if TYPE_CHECKING:
    from harness.config import Config

__all__ = ["BAD", "OK", "SURVIVED", "CellChange", "CellHistory", "CellRate", "Comparison", "History", "HistoryRun",
           "HistoryStore", "SqliteHistory", "append_history", "as_store", "compare_runs", "connect", "history_at",
           "read_history", "result_rows"]

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
CREATE TABLE IF NOT EXISTS quarantined (
    run_id TEXT NOT NULL, device TEXT NOT NULL, reason TEXT NOT NULL, since REAL,
    PRIMARY KEY (run_id, device));
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


def result_rows(run: Run) -> list[tuple[Any, ...]]:
    """The run's ``results`` rows, in column order (both stores write the same columns)."""
    return [(run.run_id, r.nodeid, r.scenario, r.device, r.device_props.get("platform"), r.device_props.get("oem"),
             r.device_props.get("model"), r.device_props.get("os_version"), r.device_props.get("serial"),
             r.outcome, r.killer, r.duration_s, r.message[:_MAX_TEXT], r.explanation[:_MAX_TEXT])
            for r in run.results]


ResultRow = tuple[str, str, str, str, Status]  # run_id, scenario, device, oem ('' when unknown), outcome


class HistoryStore(Protocol):
    """Where the history lives."""

    @property
    def where(self) -> str:
        """For messages: the file, or the database URL without its password."""
        ...

    def append(self, run: Run) -> None:
        """Add (or replace) the run and its results, all of it or none."""
        ...

    def read(self, last_n: int | None) -> tuple[list[HistoryRun], list[ResultRow]]:
        """The last ``last_n`` runs (None: all), oldest first, and their results."""
        ...

    def record_quarantines(self, run_id: str, entries: list[tuple[str, str, float]]) -> None:
        """Remember (device, reason, since) for every device quarantined in ``run_id`` (replacing earlier rows)."""
        ...

    def quarantined_in(self, run_id: str) -> dict[str, str]:
        """device → reason, for the devices quarantined in ``run_id``."""
        ...


class SqliteHistory:
    """``reports/history.sqlite``: the history of one controller."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @property
    def where(self) -> str:
        return str(self.path)

    def append(self, run: Run) -> None:
        rows = result_rows(run)
        with connect(self.path) as conn, conn:  # the second `with` is the transaction: all of the run or none
            conn.execute("DELETE FROM results WHERE run_id = ?", (run.run_id,))
            conn.execute("INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?)",
                         (run.run_id, run.started_at, run.finished_at, run.harness_version, run.lab_seed,
                          len(run.selected)))
            conn.executemany(f"INSERT INTO results VALUES ({', '.join('?' * 14)})", rows)

    def read(self, last_n: int | None) -> tuple[list[HistoryRun], list[ResultRow]]:
        with connect(self.path) as conn:
            limit = -1 if last_n is None else last_n  # SQLite: a negative LIMIT is no limit
            runs = [HistoryRun(i, t) for i, t in conn.execute(
                "SELECT run_id, started_at FROM runs ORDER BY started_at DESC, run_id DESC LIMIT ?", (limit,))]
            runs.reverse()
            marks = ", ".join("?" * len(runs))
            rows = conn.execute(f"SELECT run_id, scenario, device, COALESCE(oem, ''), outcome FROM results "
                                f"WHERE run_id IN ({marks})", [r.run_id for r in runs]).fetchall()
        return runs, rows

    def record_quarantines(self, run_id: str, entries: list[tuple[str, str, float]]) -> None:
        with connect(self.path) as conn, conn:
            conn.execute("DELETE FROM quarantined WHERE run_id = ?", (run_id,))
            conn.executemany("INSERT INTO quarantined VALUES (?, ?, ?, ?)",
                             [(run_id, device, reason, since) for device, reason, since in entries])

    def quarantined_in(self, run_id: str) -> dict[str, str]:
        with connect(self.path) as conn:
            rows = conn.execute("SELECT device, reason FROM quarantined WHERE run_id = ? ORDER BY device",
                                (run_id,)).fetchall()
        return {str(d): str(r) for d, r in rows}


History = Path | HistoryStore


def as_store(db: History) -> HistoryStore:
    """A store as it is; a path as the ``history.sqlite`` it names."""
    return SqliteHistory(db) if isinstance(db, Path) else db


def history_at(reports: Path, config: Config | None = None) -> HistoryStore:
    """The history a run in ``reports`` uses: the farm database when a farm URL is set (``HARNESS_FARM_URL``
    or ``[farm] url``), else ``reports/history.sqlite``."""
    url = farm_url(config)
    if url is None:
        return SqliteHistory(Path(reports) / "history.sqlite")
    from harness.farm import PgHistory  # noqa: PLC0415 - harness.farm imports this module (HistoryRun): a cycle; and psycopg loads only for a farm

    return PgHistory(url)


def append_history(db: History, run: Run) -> None:
    """Add (or replace) the run and its results."""
    as_store(db).append(run)


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


def read_history(db: History, last_n: int | None = None) -> tuple[list[HistoryRun], list[CellHistory]]:
    """The last ``last_n`` runs (default: all), oldest first, and every cell that ran in them."""
    runs, rows = as_store(db).read(last_n)
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


def compare_runs(db: History, n_previous: int = 5, run_id: str | None = None) -> Comparison:
    """What changed in ``run_id`` (default: the newest run) against the ``n_previous`` runs before it."""
    runs, cells = read_history(db)
    ids = [r.run_id for r in runs]
    if run_id is None and ids:
        run_id = ids[-1]
    if run_id is None or run_id not in ids:
        if run_id is not None:
            raise ReportError(f"{as_store(db).where}: no run {run_id!r} in the history")
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
