"""reports/history.sqlite: appending is idempotent, trends render, compare_runs finds what changed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from harness.reporting import Outcome, ReportError, Run, append_history, compare_runs, load_run, render_trends
from harness.reporting._history import CellChange, CellRate
from tests.reporting.sample import WALL, result, write_sample_run

DAY = 86_400.0

# Four nightly runs; one row per cell, one outcome per night, oldest first.
NIGHTS: dict[tuple[str, str], list[Outcome]] = {
    ("test_periodic_fetch", "pixel-8"): ["passed", "passed", "passed", "failed"],  # new failure
    ("test_periodic_fetch", "redmi-note-12"): ["failed", "failed", "failed", "passed"],  # fixed
    ("test_survives_swipe", "galaxy-a54"): ["passed", "failed", "passed", "failed"],  # flaky
    ("test_survives_swipe", "redmi-note-12"): ["expected_kill", "expected_kill", "unexpected_survival",
                                               "expected_kill"],
}


def night(n: int) -> Run:
    results = tuple(result(s, d, outcomes[n], at=n * DAY) for (s, d), outcomes in NIGHTS.items())
    return Run(f"night-{n}", WALL + n * DAY, "0.1.0", 1, results=results, finished_at=WALL + n * DAY + 600)


def history(tmp_path: Path) -> Path:
    db = tmp_path / "history.sqlite"
    for n in (2, 0, 3, 1):  # appended out of order: runs are ordered by start time
        append_history(db, night(n))
    return db


def count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def test_appending_a_run_twice_keeps_one_copy(tmp_path: Path) -> None:
    run = load_run(write_sample_run(tmp_path).run_dir)
    db = tmp_path / "history.sqlite"
    append_history(db, run)
    append_history(db, run)
    assert (count(db, "runs"), count(db, "results")) == (1, len(run.results)) == (1, 7)
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT oem, outcome, killer FROM results WHERE device = 'redmi-note-12' "
                           "AND scenario = 'test_periodic_fetch'").fetchone()
    assert row == ("xiaomi", "expected_kill", "miui")


def test_compare_runs_finds_new_failures_fixes_and_flaky_cells(tmp_path: Path) -> None:
    got = compare_runs(history(tmp_path), n_previous=3)
    assert got.run_id == "night-3" and got.previous == ("night-2", "night-1", "night-0")
    assert got.new_failures == (CellChange("test_periodic_fetch", "pixel-8", "passed", "failed", "night-2"),
                                CellChange("test_survives_swipe", "galaxy-a54", "passed", "failed", "night-2"))
    assert got.fixed == (CellChange("test_periodic_fetch", "redmi-note-12", "failed", "passed", "night-2"),
                         CellChange("test_survives_swipe", "redmi-note-12", "unexpected_survival", "expected_kill",
                                    "night-2"))
    # A single flip (pixel-8 fetch, redmi fetch) is a regression or a fix, not flakiness.
    assert got.flaky == (CellRate("test_survives_swipe", "galaxy-a54", 2, 4),
                         CellRate("test_survives_swipe", "redmi-note-12", 3, 4))
    assert got.flaky[0].rate == 0.5


def test_compare_an_older_run_against_fewer_previous(tmp_path: Path) -> None:
    got = compare_runs(history(tmp_path), n_previous=1, run_id="night-1")
    assert got.previous == ("night-0",)
    assert [(c.scenario, c.device) for c in got.new_failures] == [("test_survives_swipe", "galaxy-a54")]
    assert got.fixed == ()


def test_compare_on_an_empty_history_or_an_unknown_run(tmp_path: Path) -> None:
    assert compare_runs(tmp_path / "new.sqlite").run_id is None
    with pytest.raises(ReportError, match="no run 'nope'"):
        compare_runs(history(tmp_path), run_id="nope")


def test_trends_page_renders_its_pictures_and_numbers(tmp_path: Path) -> None:
    out = render_trends(history(tmp_path), tmp_path / "trends.html", last_n=30)
    text = out.read_text(encoding="utf-8")
    for png in ("trends-cells.png", "trends-oems.png"):
        assert f'src="{png}"' in text
        assert (tmp_path / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # pixel-8 fetch: the work survived 3 of 4 nights; redmi swipe: 1 unexpected survival in 4.
    assert "75% (3/4)" in text and "25% (1/4)" in text
    assert "last 4 run(s)" in text and "http" not in text


def test_trends_of_the_last_two_runs_only(tmp_path: Path) -> None:
    text = render_trends(history(tmp_path), tmp_path / "t.html", last_n=2).read_text(encoding="utf-8")
    assert "last 2 run(s)" in text and "night-3" in text and "night-0" not in text


def test_trends_of_an_empty_history(tmp_path: Path) -> None:
    text = render_trends(tmp_path / "h.sqlite", tmp_path / "t.html").read_text(encoding="utf-8")
    assert "No runs" in text and not (tmp_path / "t-cells.png").exists()
