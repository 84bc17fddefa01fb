"""``harness plan [pytest args]``: what a run will cost before it runs, at each phone's clock rate."""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path

import typer

from harness.cli._common import make_console
from harness.plan import NIGHT_S, CellPlan, LeftOut, makespan, phone_totals

__all__ = ["collect_plan", "plan_cmd"]

console = make_console()


def collect_plan(args: list[str]) -> tuple[list[CellPlan], list[LeftOut], int]:
    """Collect (nothing runs, no lab starts) and return the plans pytest's plugin made, the left-out cells, and
    pytest's exit code. Collection output goes to a buffer, shown only when collection failed."""
    import pytest  # noqa: PLC0415 - here, not at import: every `harness` command would pay for pytest, the plugin and the drivers

    from harness.plugin._plan import LEFT_OUT_KEY, PLAN_KEY  # noqa: PLC0415 - the plugin (pytest) loads only for `harness plan`

    class Collected:
        def __init__(self) -> None:
            self.plans: list[CellPlan] = []
            self.left_out: list[LeftOut] = []

        @pytest.hookimpl(trylast=True)
        def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
            self.plans = [p for item in items if (p := item.stash.get(PLAN_KEY, None)) is not None]
            self.left_out = config.stash.get(LEFT_OUT_KEY, [])

    collected = Collected()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = pytest.main([*args, "--collect-only", "-q", "-p", "no:cacheprovider"], plugins=[collected])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        sys.stderr.write(out.getvalue()[-4000:])
    return collected.plans, collected.left_out, int(code)


def _as_json(plans: list[CellPlan], left: list[LeftOut], workers: int | None) -> dict[str, object]:
    return {"cells": [{k: v for k, v in p.as_json().items() if k != "declared"} for p in plans],
            "phones": {name: {"wall_s": round(total, 1)} for name, total in phone_totals(plans).items()},
            "makespan_s": round(makespan(plans, workers), 1) if plans else 0.0,
            "undeclared": [p.nodeid for p in plans if not p.declared],
            "left_out": [{"nodeid": lo.plan.nodeid, "device": lo.plan.device, "reason": lo.reason} for lo in left]}


def _span(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.0f} s"


def _print(plans: list[CellPlan], left: list[LeftOut], workers: int | None) -> None:
    for plan in plans:
        star = "" if plan.declared else "  (no @cost: default)"
        console.print(f"{plan.device:<14} {plan.tier:<6} {_span(plan.device_s):>9} device  {_span(plan.wall_s):>9} "
                      f"wall  limit {_span(plan.timeout_s):>9}  {plan.nodeid}{star}", markup=False, soft_wrap=True)
    console.print()
    for name, total in sorted(phone_totals(plans).items(), key=lambda kv: -kv[1]):
        over = "  (more than a night: run its soak cells separately, or pass --budget)" if total > NIGHT_S else ""
        console.print(f"{name:<14} {_span(total):>9} wall{over}", markup=False)
    pool = f"{workers} worker{'s' if workers != 1 else ''}" if workers else "a worker per phone"
    console.print(f"makespan {_span(makespan(plans, workers))} over {len(phone_totals(plans))} phones ({pool}, "
                  "heaviest phone first)", markup=False)
    for lo in left:
        console.print(f"left out: {lo.plan.nodeid}: {lo.reason}", markup=False, soft_wrap=True)


def _is_test_path(arg: str) -> bool:
    path = arg.split("::", 1)[0]
    return not arg.startswith("-") and Path(path).exists() and (Path(path).is_dir() or path.endswith(".py"))


def plan_cmd(ctx: typer.Context,
             as_json: bool = typer.Option(False, "--json", help="Print the plan as JSON."),
             workers: int | None = typer.Option(None, "--workers", "-n", min=1,
                                                help="xdist workers (default: one per phone)")) -> None:
    """Print each cell's device time, wall time and limit at its phone's clock rate, per phone and for the pool.

    Extra arguments go to pytest (default: scenarios), e.g. `harness plan scenarios --tier quick --devices x.toml`."""
    args = list(ctx.args)
    if not any(_is_test_path(a) for a in args):  # options only (their values are not paths to collect)
        args.insert(0, "scenarios")
    plans, left, code = collect_plan(args)
    if code not in (0, 5):
        raise typer.Exit(code)
    if as_json:
        sys.stdout.write(json.dumps(_as_json(plans, left, workers), indent=1) + "\n")
    else:
        _print(plans, left, workers)
