"""The pool's schedule: phones run in parallel, a phone's cells one after another.

The plugin hands xdist one phone at a time, heaviest first (longest-processing-time first), so with fewer workers
than phones the makespan is what LPT gives; with a worker per phone it is the busiest phone's share.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from harness.plan._plan import CellPlan
from harness.plan._tiers import TIERS

__all__ = ["LeftOut", "fit_budget", "makespan", "phone_order", "phone_totals"]


@dataclass(frozen=True, slots=True)
class LeftOut:
    plan: CellPlan
    reason: str


def phone_totals(plans: Iterable[CellPlan]) -> dict[str, float]:
    """Wall seconds per phone."""
    totals: dict[str, float] = {}
    for plan in plans:
        totals[plan.device] = totals.get(plan.device, 0.0) + plan.wall_s
    return totals


def phone_order(plans: Iterable[CellPlan]) -> list[str]:
    """Phones heaviest first: the order the plugin gives them to xdist."""
    totals = phone_totals(plans)
    return sorted(totals, key=lambda name: (-totals[name], name))


def makespan(plans: Sequence[CellPlan], workers: int | None = None) -> float:
    """Wall seconds until the last phone is done, with ``workers`` (default: one per phone) taking phones LPT."""
    totals = phone_totals(plans)
    slots = [0.0] * max(1, min(workers or len(totals) or 1, len(totals) or 1))
    heapq.heapify(slots)
    for name in phone_order(plans):
        heapq.heappush(slots, heapq.heappop(slots) + totals[name])
    return max(slots)


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.0f} min"


def fit_budget(plans: Sequence[CellPlan], budget_s: float) -> tuple[list[CellPlan], list[LeftOut]]:
    """Per phone, the quick cells first, then full, then soak, each kept while the phone's share fits the budget."""
    kept: list[CellPlan] = []
    left: list[LeftOut] = []
    used: dict[str, float] = {}
    for tier in TIERS:
        for plan in (p for p in plans if p.tier == tier):
            spent = used.get(plan.device, 0.0)
            if spent + plan.wall_s <= budget_s:
                used[plan.device] = spent + plan.wall_s
                kept.append(plan)
            else:
                room = _hours(max(0.0, budget_s - spent))
                left.append(LeftOut(plan, f"{tier} cell needs {_hours(plan.wall_s)} on {plan.device}, which has "
                                          f"{room} left of the {_hours(budget_s)} budget"))
    order = {id(p): i for i, p in enumerate(plans)}
    kept.sort(key=lambda p: order[id(p)])
    return kept, left
