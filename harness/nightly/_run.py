"""``harness nightly``: the scenario catalogue on a lab host, appended to the history, compared with the
nights before.

The run itself is ``pytest scenarios -n N`` through the harness plugin, as ``make demo`` runs it (a
subprocess: xdist needs its own controller), with a run id chosen here so the results can be found.
The plugin streams ``results.jsonl`` and appends the finished run to ``<reports>/history.sqlite``;
a run cut short (the wall-clock limit, Ctrl-C) is appended here from what it streamed. Then the
devices the pool quarantined during the run are recorded, the run is compared with the ``window``
runs before it, and the trends page is rendered again.

The exit code fails (1) only when a cell turned red since the last run it ran in; a night with no
result at all (pytest could not start, the lab did not come up) is an infrastructure failure (2).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from harness._bytecode import bytecode_cached_env
from harness.config import Config, load_config
from harness.farm import farm_store
from harness.labctl import state_dir
from harness.nightly._compare import NightlyComparison, nightly_comparison, record_quarantines
from harness.pool import quarantined
from harness.reporting import (
    CellChange,
    append_history,
    load_run,
    new_run_id,
    render_trends,
    write_reports,
)
from harness.reporting._history import History, history_at
from harness.reporting._layout import RESULTS

__all__ = ["EXIT_NEW_FAILURES", "EXIT_NO_RESULTS", "NightlyPlan", "NightlyResult", "comparison_json",
           "pytest_command", "run_nightly"]

EXIT_NEW_FAILURES = 1
EXIT_NO_RESULTS = 2
_INTERRUPT_GRACE_S = 120.0  # after SIGINT, pytest tears fixtures down and writes its reports


@dataclass(frozen=True, slots=True)
class NightlyPlan:
    devices_path: str = "devices.toml"
    reports: Path = Path("reports/nightly")
    scenarios: tuple[str, ...] = ("scenarios",)
    workers: int = 4
    window: int = 10  # runs to compare against (and to rate flaky cells over)
    timeout_s: float = 4 * 3600.0  # harness nightly derives it from the plan
    trends_last: int = 30
    pytest_args: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NightlyResult:
    run_id: str
    run_dir: Path
    pytest_exit: int
    comparison: NightlyComparison | None
    trends: Path | None

    @property
    def exit_code(self) -> int:
        if self.comparison is None:
            return EXIT_NO_RESULTS
        return EXIT_NEW_FAILURES if self.comparison.has_new_failures else 0


def run_nightly(plan: NightlyPlan, run_id: str | None = None) -> NightlyResult:
    """Run the catalogue, then record, compare and render; the caller prints the result."""
    cfg = load_config(plan.devices_path)
    run_id = run_id or new_run_id()
    code = _run_catalogue(plan, run_id)
    run_dir = plan.reports / run_id
    if not (run_dir / RESULTS).exists():
        return NightlyResult(run_id, run_dir, code, None, None)
    db = history_at(plan.reports, cfg)  # reports/history.sqlite, or the farm's shared history
    run = load_run(run_dir)
    if run.interrupted:  # the plugin never finished it: render and append what it streamed
        write_reports(run, run_dir)
        append_history(db, run)
    _record_quarantines(cfg, db, run_id)
    comparison = nightly_comparison(db, run_id, plan.window)
    trends = render_trends(db, plan.reports / "trends.html", last_n=plan.trends_last)
    (run_dir / "nightly.json").write_text(json.dumps(comparison_json(comparison), indent=1) + "\n")
    return NightlyResult(run_id, run_dir, code, comparison, trends)


def pytest_command(plan: NightlyPlan) -> list[str]:
    cmd = [sys.executable, "-m", "pytest", *plan.scenarios, "--devices", plan.devices_path,
           "--reports", str(plan.reports), "-p", "no:cacheprovider", "-q", "-rfE",
           "-W", "ignore::pytest.PytestAssertRewriteWarning"]
    if plan.workers > 1:
        cmd += ["-n", str(plan.workers)]
    return [*cmd, *plan.pytest_args]


def _run_catalogue(plan: NightlyPlan, run_id: str) -> int:
    """pytest in a subprocess sharing our terminal (Ctrl-C reaches it too); SIGINT at the time limit."""
    env = {**bytecode_cached_env(), "BGH_RUN_ID": run_id}
    proc = subprocess.Popen(pytest_command(plan), env=env)
    try:
        return proc.wait(timeout=plan.timeout_s)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)
        try:
            return proc.wait(timeout=_INTERRUPT_GRACE_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()
    except KeyboardInterrupt:
        return proc.wait(timeout=_INTERRUPT_GRACE_S)


def _record_quarantines(cfg: Config, db: History, run_id: str) -> None:
    store = farm_store(cfg)  # on a farm the run's quarantines are in the database, not under .lab/pool
    found = store.quarantined(run_id) if store is not None else quarantined(state_dir(cfg) / "pool", run_id)
    entries = [(q.device, q.reason, q.since) for q in found]
    record_quarantines(db, run_id, entries)


def _cells(changes: tuple[CellChange, ...]) -> list[dict[str, object]]:
    return [{"scenario": c.scenario, "device": c.device, "before": c.before, "after": c.after,
             "before_run": c.before_run} for c in changes]


def comparison_json(cmp: NightlyComparison) -> dict[str, object]:
    base = cmp.base
    return {"run_id": base.run_id, "compared_with": list(base.previous),
            "new_failures": _cells(base.new_failures), "fixed": _cells(base.fixed), "changed": _cells(cmp.changed),
            "flaky": [{"scenario": f.scenario, "device": f.device, "passes": f.passes, "runs": f.runs,
                       "pass_rate": f.rate} for f in base.flaky],
            "newly_quarantined": cmp.newly_quarantined, "quarantined": cmp.quarantined}
