"""The comparison a nightly run ends with, as text for the log (cron mails it, CI shows it)."""

from __future__ import annotations

from rich.console import Console

from harness.nightly._compare import NightlyComparison
from harness.nightly._run import EXIT_NEW_FAILURES, NightlyResult
from harness.reporting import CellChange

__all__ = ["print_comparison", "print_nightly"]

_LABELS = {"passed": "pass", "failed": "FAIL", "expected_kill": "expected kill", "error": "error",
           "unexpected_survival": "unexpected survival", "skipped": "skip", "not_run": "not run", None: "—"}


def _change(c: CellChange) -> str:
    return f"  {c.scenario} @ {c.device}: {_LABELS.get(c.before, c.before)} → {_LABELS.get(c.after, c.after)}" \
        + (f" (last ran in {c.before_run})" if c.before_run else "")


def _section(console: Console, title: str, lines: list[str]) -> None:
    console.print(f"{title} ({len(lines)})" + (":" if lines else ""))
    for line in lines:
        console.print(line)


def print_comparison(console: Console, cmp: NightlyComparison) -> None:
    base = cmp.base
    console.print(f"\n[bold]nightly {base.run_id}[/] compared with {len(base.previous)} previous run(s)"
                  + (f" ({', '.join(base.previous[:3])}{', …' if len(base.previous) > 3 else ''})"
                     if base.previous else " (the first run: nothing to compare with)"))
    _section(console, "[red]new failures[/]", [_change(c) for c in base.new_failures])
    _section(console, "[green]fixed[/]", [_change(c) for c in base.fixed])
    reported = {(c.scenario, c.device) for c in (*base.new_failures, *base.fixed)}
    _section(console, "other changes", [_change(c) for c in cmp.changed if (c.scenario, c.device) not in reported])
    _section(console, "flaky", [f"  {f.scenario} @ {f.device}: green in {f.passes}/{f.runs} runs ({100 * f.rate:.0f} %)"
                                for f in base.flaky])
    _section(console, "newly quarantined", [f"  {d}: {r}" for d, r in cmp.newly_quarantined.items()])


def print_nightly(console: Console, result: NightlyResult) -> None:
    if result.comparison is None:
        console.print(f"[red]the catalogue run left no results[/] (pytest exit {result.pytest_exit}); "
                      f"expected them in {result.run_dir}")
        return
    print_comparison(console, result.comparison)
    console.print(f"\nreport: {result.run_dir / 'index.html'}   trends: {result.trends}")
    if result.exit_code == EXIT_NEW_FAILURES:
        console.print("[red]exit 1: new failures since the previous run[/]")
    else:
        console.print("exit 0: no new failures")
