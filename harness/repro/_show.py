"""How repro statistics read in a terminal and in ``summary.json``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from harness.repro._records import DeviceStats, RunRecord
from harness.repro._stats import Distribution, Rate

__all__ = ["describe_run", "duration_text", "print_stats", "stats_json"]

_LABELS = {"passed": "pass", "failed": "FAIL", "expected_kill": "expected kill", "error": "error",
           "unexpected_survival": "unexpected survival", "skipped": "skip", "not_run": "not run"}


def duration_text(seconds: float) -> str:
    """``9m40s``, ``1h02m``, ``48s``."""
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


def describe_run(rec: RunRecord, total: int | None) -> str:
    """One line per finished run, printed above the progress bar."""
    of = f"/{total}" if total else ""
    seed = f" seed {rec.seed}" if rec.seed is not None else ""
    what = _LABELS.get(rec.outcome, rec.outcome)
    if rec.killers:
        what += f" (killed by {', '.join(rec.killers)}"
        what += f" after {duration_text(rec.time_to_kill_s)})" if rec.time_to_kill_s is not None else ")"
    bundle = f"  → {rec.bundle}" if rec.bundle is not None else ""
    return f"{rec.device} run {rec.index + 1}{of}{seed}: {what}{bundle}"


def _dist_text(dist: Distribution | None) -> str:
    if dist is None:
        return "no kill seen"
    return (f"min {duration_text(dist.min)}  median {duration_text(dist.median)}  p90 {duration_text(dist.p90)}  "
            f"max {duration_text(dist.max)}  ({dist.count} kill{'' if dist.count == 1 else 's'}, device time from the "
            "test's first event)")


def _seeds_text(seeds: Sequence[int]) -> str:
    if not seeds:
        return "none (not a lab phone)"
    if list(seeds) == list(range(seeds[0], seeds[0] + len(seeds))) and len(seeds) > 1:
        return f"{seeds[0]}–{seeds[-1]}"
    return ", ".join(map(str, seeds))


def print_stats(console: Console, stats: Sequence[DeviceStats], interrupted: bool) -> None:
    """Per device: runs, fire rate, kill rate (95 % Wilson intervals), killers, time to kill, outcomes."""
    if interrupted:
        console.print("[yellow]interrupted: the statistics cover the runs that finished[/]")
    for st in stats:
        errors = st.runs - st.fired.n
        console.print(f"\n[bold]{st.device}[/]: {st.runs} run(s), {st.fired.n} with a verdict"
                      + (f", {errors} without (error, skipped or cut short)" if errors else ""))
        console.print(f"  fire rate     {st.fired.text()}")
        console.print(f"  kill rate     {st.killed.text()}")
        killers = ", ".join(f"{k} ×{n}" for k, n in st.killers.items()) or "none"
        console.print(f"  killers       {killers}")
        console.print(f"  time to kill  {_dist_text(st.time_to_kill)}")
        console.print(f"  outcomes      {', '.join(f'{_LABELS.get(o, o)} ×{n}' for o, n in st.outcomes.items())}")
        console.print(f"  lab seeds     {_seeds_text(st.seeds)}")
        if st.bundles:
            console.print(f"  bug bundles   {st.bundles}")
    if len(stats) > 1:
        console.print()
        console.print(_compare_table(stats))


def _compare_table(stats: Sequence[DeviceStats]) -> Table:
    table = Table("device", "runs", "fire rate [95 % CI]", "kill rate [95 % CI]", "killers", "median time to kill",
                  title="comparison")
    for st in stats:
        median = duration_text(st.time_to_kill.median) if st.time_to_kill else "—"
        table.add_row(st.device, str(st.runs), st.fired.text(), st.killed.text(),
                      ", ".join(st.killers) or "—", median)
    return table


def _rate_json(rate: Rate) -> dict[str, Any]:
    low, high = rate.interval
    return {"hits": rate.hits, "n": rate.n, "rate": rate.value, "ci95": [low, high]}


def stats_json(st: DeviceStats) -> dict[str, Any]:
    dist = st.time_to_kill
    return {"device": st.device, "runs": st.runs, "fire_rate": _rate_json(st.fired),
            "kill_rate": _rate_json(st.killed), "killers": st.killers, "outcomes": st.outcomes,
            "time_to_kill_s": None if dist is None else {"count": dist.count, "min": dist.min,
                                                         "median": dist.median, "p90": dist.p90, "max": dist.max},
            "seeds": list(st.seeds), "bundles": st.bundles}
