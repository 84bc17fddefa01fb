"""The nightly comparison over a made-up history: changed cells, new failures, flaky rates, quarantines,
and the per-OEM survival numbers of the trends page."""

from __future__ import annotations

from pathlib import Path

from harness.nightly import nightly_comparison, quarantined_in, record_quarantines
from harness.reporting import (
    CellChange,
    Outcome,
    Run,
    append_history,
    oem_survival,
    read_history,
)
from tests.reporting.sample import WALL, result

DAY = 86_400.0
NIGHTS: dict[tuple[str, str], list[Outcome]] = {
    ("test_fetch", "pixel-8"): ["passed", "passed", "failed"],  # new failure
    ("test_fetch", "redmi-note-12"): ["expected_kill", "expected_kill", "expected_kill"],  # unchanged
    ("test_swipe", "galaxy-a54"): ["failed", "failed", "error"],  # changed, still red: not a new failure
    ("test_swipe", "redmi-note-12"): ["passed", "failed", "passed"],  # fixed tonight; flipped twice: flaky
}


def history(tmp_path: Path) -> Path:
    db = tmp_path / "history.sqlite"
    for n in range(3):
        results = tuple(result(s, d, o[n], at=n * DAY) for (s, d), o in NIGHTS.items())
        append_history(db, Run(f"night-{n}", WALL + n * DAY, "0.1.0", 1, results=results))
    record_quarantines(db, "night-1", [("galaxy-a54", "adb: device offline (2 strikes)", WALL + DAY)])
    record_quarantines(db, "night-2", [("galaxy-a54", "adb: device offline", WALL + 2 * DAY),
                                       ("pixel-8", "battery at 3% (floor 5%)", WALL + 2 * DAY)])
    return db


def test_nightly_comparison_names_what_changed(tmp_path: Path) -> None:
    got = nightly_comparison(history(tmp_path), window=5)
    assert got.run_id == "night-2" and got.base.previous == ("night-1", "night-0")
    assert got.base.new_failures == (CellChange("test_fetch", "pixel-8", "passed", "failed", "night-1"),)
    assert got.base.fixed == (CellChange("test_swipe", "redmi-note-12", "failed", "passed", "night-1"),)
    assert got.changed == (CellChange("test_fetch", "pixel-8", "passed", "failed", "night-1"),
                           CellChange("test_swipe", "galaxy-a54", "failed", "error", "night-1"),
                           CellChange("test_swipe", "redmi-note-12", "failed", "passed", "night-1"))
    assert [(f.scenario, f.device, f.passes, f.runs) for f in got.base.flaky] == \
        [("test_swipe", "redmi-note-12", 2, 3)]
    assert got.has_new_failures


def test_newly_quarantined_devices_are_the_ones_not_quarantined_the_night_before(tmp_path: Path) -> None:
    db = history(tmp_path)
    got = nightly_comparison(db)
    assert got.newly_quarantined == {"pixel-8": "battery at 3% (floor 5%)"}
    assert set(got.quarantined) == {"galaxy-a54", "pixel-8"}
    first = nightly_comparison(db, run_id="night-1")
    assert first.newly_quarantined == {"galaxy-a54": "adb: device offline (2 strikes)"}
    record_quarantines(db, "night-2", [])  # recording a run again replaces its rows
    assert quarantined_in(db, "night-2") == {}


def test_an_older_night_and_an_empty_history(tmp_path: Path) -> None:
    got = nightly_comparison(history(tmp_path), run_id="night-1")
    assert got.base.previous == ("night-0",)
    assert got.changed == (CellChange("test_swipe", "redmi-note-12", "passed", "failed", "night-0"),)
    empty = nightly_comparison(tmp_path / "none.sqlite")
    assert empty.run_id is None and empty.changed == () and not empty.has_new_failures


def test_oem_survival_per_run(tmp_path: Path) -> None:
    runs, cells = read_history(history(tmp_path))
    table = oem_survival(runs, cells)
    # google: the fetch survived nights 0 and 1 and failed on night 2; an error counts in neither column
    assert table["google"] == [(1, 1), (1, 1), (0, 1)]
    assert table["xiaomi"] == [(1, 2), (0, 2), (1, 2)]
    assert table["samsung"] == [(0, 1), (0, 1), (0, 0)]
