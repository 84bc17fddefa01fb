"""Plans before runs: every cell's device-time cost, its tier, its wall time at its phone's clock rate, its limit.

Scenarios declare their cost with :func:`cost` from the windows they wait on; the plugin plans every collected
cell (``harness.plugin._plan``), orders phones heaviest first, selects tiers and budgets, and bounds each cell
by its own limit instead of a fixed one. ``harness plan`` prints the same plan before a run.
"""

from harness.plan._cost import COST_MARKER, DEFAULT_COST_S, CostContext, CostFn, cost
from harness.plan._plan import TIMEOUT_FACTOR, TIMEOUT_MARGIN_S, CellPlan, plan_cell
from harness.plan._schedule import LeftOut, fit_budget, makespan, phone_order, phone_totals
from harness.plan._tiers import NIGHT_S, QUICK_MAX_S, TIERS, Tier, derive_tier, included, parse_tier
from harness.plan._windows import ACK_DEVICE_S, ACK_WALL_S, BACKGROUND_SETTLE_S, HOLD_S, HOUR, MIN, ack_window

__all__ = [
    "ACK_DEVICE_S",
    "ACK_WALL_S",
    "BACKGROUND_SETTLE_S",
    "COST_MARKER",
    "DEFAULT_COST_S",
    "HOLD_S",
    "HOUR",
    "MIN",
    "NIGHT_S",
    "QUICK_MAX_S",
    "TIERS",
    "TIMEOUT_FACTOR",
    "TIMEOUT_MARGIN_S",
    "CellPlan",
    "CostContext",
    "CostFn",
    "LeftOut",
    "Tier",
    "ack_window",
    "cost",
    "derive_tier",
    "fit_budget",
    "included",
    "makespan",
    "parse_tier",
    "phone_order",
    "phone_totals",
    "plan_cell",
]
