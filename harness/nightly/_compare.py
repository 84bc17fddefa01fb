"""What a nightly job ends with: the comparison against the previous runs, and the quarantines it remembers.

The history keeps ``quarantined`` (a device the pool took out of a run, and why), so the next night
can say which devices are *newly* quarantined. ``nightly_comparison`` builds on
``compare_runs`` (new failures, fixes, flaky cells with their pass rate over the window) and adds
every cell whose status changed since the last run it ran in, and the newly quarantined devices.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from harness.reporting._history import CellChange, Comparison, History, as_store, compare_runs, read_history

__all__ = ["NightlyComparison", "nightly_comparison", "quarantined_in", "record_quarantines"]

def record_quarantines(db: History, run_id: str, entries: Iterable[tuple[str, str, float]]) -> None:
    """Remember (device, reason, since) for every device quarantined in ``run_id`` (replacing earlier rows)."""
    as_store(db).record_quarantines(run_id, list(entries))


def quarantined_in(db: History, run_id: str) -> dict[str, str]:
    """device → reason, for the devices quarantined in ``run_id``."""
    return as_store(db).quarantined_in(run_id)


@dataclass(frozen=True, slots=True)
class NightlyComparison:
    base: Comparison  # new failures, fixed, flaky (pass rate over the window), the runs compared against
    changed: tuple[CellChange, ...]  # every cell whose status differs from the last run it ran in
    newly_quarantined: dict[str, str]  # device → reason: quarantined now, not in the previous run
    quarantined: dict[str, str]  # every device quarantined in this run

    @property
    def run_id(self) -> str | None:
        return self.base.run_id

    @property
    def has_new_failures(self) -> bool:
        return bool(self.base.new_failures)


def nightly_comparison(db: History, run_id: str | None = None, window: int = 10) -> NightlyComparison:
    """Compare ``run_id`` (default: the newest run) with the ``window`` runs before it."""
    db = as_store(db)
    base = compare_runs(db, window, run_id)
    if base.run_id is None:
        return NightlyComparison(base, (), {}, {})
    now = quarantined_in(db, base.run_id)
    before = quarantined_in(db, base.previous[0]) if base.previous else {}
    newly = {d: r for d, r in now.items() if d not in before}
    return NightlyComparison(base, _changed_cells(db, base), newly, now)


def _changed_cells(db: History, base: Comparison) -> tuple[CellChange, ...]:
    assert base.run_id is not None
    _, cells = read_history(db)
    changed = []
    for cell in cells:
        now = cell.statuses.get(base.run_id)
        before_run = next((r for r in base.previous if r in cell.statuses), None)
        if now is None or before_run is None:
            continue  # not run tonight, or a new cell: nothing to compare with
        before = cell.statuses[before_run]
        if before != now:
            changed.append(CellChange(cell.scenario, cell.device, before, now, before_run))
    return tuple(changed)
