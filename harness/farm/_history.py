"""The history in the farm database: every controller's runs in one place.

The same tables as ``reports/history.sqlite`` (``history_runs``, ``history_results``,
``history_quarantined``), plus the host each run was appended from. ``import_sqlite`` moves an
existing ``history.sqlite`` over; importing twice replaces the runs rather than doubling them.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.farm._db import Conn, Db
from harness.farm._errors import FarmError
from harness.pool._records import this_host
from harness.reporting._history import HistoryRun, ResultRow, result_rows
from harness.reporting._model import Run

__all__ = ["ImportCounts", "PgHistory", "import_sqlite"]

_RESULT_COLUMNS = ("run_id, nodeid, scenario, device, platform, oem, model, os_version, serial, outcome, killer, "
                   "duration_s, message, explanation")
_INSERT_RESULT = f"INSERT INTO history_results ({_RESULT_COLUMNS}) VALUES ({', '.join(['%s'] * 14)})"
_UPSERT_RUN = ("INSERT INTO history_runs (run_id, started_at, finished_at, harness_version, lab_seed, selected, host) "
               "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (run_id) DO UPDATE SET "
               "started_at = excluded.started_at, "
               "finished_at = excluded.finished_at, harness_version = excluded.harness_version, "
               "lab_seed = excluded.lab_seed, selected = excluded.selected, host = excluded.host")


class PgHistory:
    """The history in the farm database at ``url`` (a connection per call: history is written once a run)."""

    def __init__(self, url: str) -> None:
        self.db = Db(url)

    @property
    def where(self) -> str:
        return self.db.where

    def _put_run(self, conn: Conn, run_row: tuple[Any, ...], results: list[tuple[Any, ...]]) -> None:
        conn.execute("DELETE FROM history_results WHERE run_id = %s", (run_row[0],))
        conn.execute(_UPSERT_RUN, run_row)
        with conn.cursor() as cur:
            cur.executemany(_INSERT_RESULT, results)

    def append(self, run: Run) -> None:
        with self.db.errors("append the run to the history"), self.db.connect() as conn, conn.transaction():
            self._put_run(conn, (run.run_id, run.started_at, run.finished_at, run.harness_version, run.lab_seed,
                                 len(run.selected), this_host()), result_rows(run))

    def read(self, last_n: int | None) -> tuple[list[HistoryRun], list[ResultRow]]:
        with self.db.errors("read the history"), self.db.connect() as conn:
            runs = [HistoryRun(i, float(t)) for i, t in conn.execute(
                "SELECT run_id, started_at FROM history_runs ORDER BY started_at DESC, run_id DESC LIMIT %s",
                (last_n,))]
            runs.reverse()
            rows = conn.execute("SELECT run_id, scenario, device, coalesce(oem, ''), outcome FROM history_results "
                                "WHERE run_id = ANY(%s)", ([r.run_id for r in runs],)).fetchall()
        return runs, [(a, b, c, d, e) for a, b, c, d, e in rows]

    def record_quarantines(self, run_id: str, entries: list[tuple[str, str, float]]) -> None:
        with self.db.errors("record quarantines"), self.db.connect() as conn, conn.transaction():
            conn.execute("DELETE FROM history_quarantined WHERE run_id = %s", (run_id,))
            with conn.cursor() as cur:
                cur.executemany("INSERT INTO history_quarantined (run_id, device, reason, since) "
                                "VALUES (%s, %s, %s, %s)", [(run_id, *entry) for entry in entries])

    def quarantined_in(self, run_id: str) -> dict[str, str]:
        with self.db.errors("read quarantines"), self.db.connect() as conn:
            rows = conn.execute("SELECT device, reason FROM history_quarantined WHERE run_id = %s ORDER BY device",
                                (run_id,)).fetchall()
        return {str(d): str(r) for d, r in rows}


@dataclass(frozen=True, slots=True)
class ImportCounts:
    runs: int
    results: int
    quarantined: int


def _read_sqlite(path: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    if not path.is_file():
        raise FarmError(f"{path}: no such history file (it is reports/history.sqlite after a run)")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            runs = conn.execute("SELECT run_id, started_at, finished_at, harness_version, lab_seed, selected "
                                "FROM runs").fetchall()
            results = conn.execute(f"SELECT {_RESULT_COLUMNS} FROM results").fetchall()
            has_q = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'quarantined'").fetchone() is not None
            quarantined = (conn.execute("SELECT run_id, device, reason, since FROM quarantined").fetchall()
                           if has_q else [])
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise FarmError(f"{path}: not a harness history database ({exc})") from exc
    return runs, results, quarantined


def import_sqlite(url: str, path: Path, host: str | None = None) -> ImportCounts:
    """Copy every run of a ``history.sqlite`` into the farm (one transaction: all of it or none)."""
    runs, results, quarantined = _read_sqlite(Path(path))
    by_run: dict[str, list[tuple[Any, ...]]] = {}
    for row in results:
        by_run.setdefault(str(row[0]), []).append(row)
    db = Db(url)
    with db.errors(f"import {path}"), db.connect() as conn, conn.transaction():
        store = PgHistory(url)
        for run in runs:
            store._put_run(conn, (*run, host or f"imported from {path}"), by_run.get(str(run[0]), []))
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO history_quarantined (run_id, device, reason, since) VALUES (%s, %s, %s, %s) "
                            "ON CONFLICT (run_id, device) DO UPDATE SET reason = excluded.reason, "
                            "since = excluded.since", quarantined)
    return ImportCounts(len(runs), sum(len(by_run.get(str(r[0]), [])) for r in runs), len(quarantined))
