"""The plan's arithmetic: costs at a phone's clock rate, tiers from the cost at 1x, limits, LPT makespan, budgets."""

from __future__ import annotations

import dataclasses

import pytest

from harness.config import Config, DeviceConfig, load_config
from harness.plan import (
    DEFAULT_COST_S,
    HOUR,
    MIN,
    NIGHT_S,
    QUICK_MAX_S,
    TIMEOUT_FACTOR,
    CellPlan,
    ack_window,
    derive_tier,
    fit_budget,
    included,
    makespan,
    parse_tier,
    phone_order,
    phone_totals,
    plan_cell,
)
from harness.plan._cost import PROMPT_WALL_S, CostContext, overhead_wall_s
from harness.plan._plan import VIRTUAL_DEVICE_S_PER_WALL_S
from tests.labkit import ROOT


@pytest.fixture(scope="module")
def cfg() -> Config:
    return load_config(ROOT / "devices.toml")


def real(cfg: Config, name: str) -> DeviceConfig:
    """The shipped lab phone as a real phone: clock rate 1, a real phone's overheads."""
    return dataclasses.replace(cfg.device(name), lab=False, clock_rate=None)


def cell(device: str, wall_s: float, tier: str = "quick") -> CellPlan:
    return CellPlan(f"t::x[{device}-{wall_s}]", device, tier, wall_s, wall_s, wall_s, wall_s, True)  # type: ignore[arg-type]


@pytest.mark.parametrize(("at_1x", "tier"), [(0, "quick"), (QUICK_MAX_S, "quick"), (QUICK_MAX_S + 1, "full"),
                                               (30 * HOUR, "full")])
def test_a_tier_comes_from_the_cost_at_1x(at_1x: float, tier: str) -> None:
    assert derive_tier(at_1x) == tier


@pytest.mark.parametrize(("tier", "selected", "runs"), [
    ("quick", None, True), ("soak", None, True), ("quick", "quick", True), ("full", "quick", False),
    ("quick", "full", True), ("full", "full", True), ("soak", "full", False), ("soak", "soak", True)])
def test_selecting_a_tier_selects_every_shorter_one(tier: str, selected: str | None, runs: bool) -> None:
    assert included(parse_tier(tier), parse_tier(selected) if selected else None) is runs


def test_an_unknown_tier_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="quick, full, soak"):
        parse_tier("nightly")


def test_the_ack_window_is_a_minute_or_less_at_1x_and_holds_round_trips_on_a_fast_clock() -> None:
    assert ack_window(1.0) <= 60
    assert ack_window(240.0) / 240.0 >= 1.0  # at least a second of wall time for the harness's round trips
    assert ack_window(1440.0) > ack_window(240.0)


def test_a_cell_on_a_real_phone_costs_its_windows_plus_overhead_and_gets_a_limit_above_them(cfg: Config) -> None:
    dev = real(cfg, "pixel-8")
    plan = plan_cell("t::a[pixel-8]", cfg, dev, lambda c: 20 * MIN)
    assert plan.device_s == 20 * MIN + overhead_wall_s(dev)
    assert plan.wall_s == plan.device_s  # 1x
    assert plan.timeout_s > 20 * MIN * TIMEOUT_FACTOR  # a 20-minute window is never cut short at 1x
    assert plan.tier == "full" and plan.declared


def realtime(cfg: Config) -> Config:
    """The shipped lab under ``clock = "realtime"``: its phones run ``clock_rate`` times the wall clock."""
    return dataclasses.replace(cfg, lab=dataclasses.replace(cfg.lab, clock="realtime"))


def test_a_virtual_lab_phone_has_windows_at_1x_and_wall_time_from_its_stepping(cfg: Config) -> None:
    dev = cfg.device("pixel-8")
    assert cfg.virtual_time(dev) and cfg.clock_rate(dev) == 1.0  # windows sized as on a real phone
    plan = plan_cell("t::a[pixel-8]", cfg, dev, lambda c: 20 * MIN)
    assert plan.device_s == 20 * MIN  # the clock stands still while the cell acts: its own work costs none
    assert plan.wall_s == pytest.approx(overhead_wall_s(dev) + 20 * MIN / VIRTUAL_DEVICE_S_PER_WALL_S)
    assert plan.tier == "full"
    assert not cfg.virtual_time(real(cfg, "pixel-8"))


def test_a_lab_phone_runs_the_same_windows_faster_but_keeps_the_tier_of_a_real_phone(cfg: Config) -> None:
    cfg = realtime(cfg)
    dev = cfg.device("pixel-8")
    rate = cfg.clock_rate(dev)
    assert rate > 1
    plan = plan_cell("t::a[pixel-8]", cfg, dev, lambda c: 20 * MIN)
    assert plan.wall_s == pytest.approx(plan.device_s / rate)
    assert plan.device_s == 20 * MIN + overhead_wall_s(dev) * rate  # the harness's own work is wall time
    assert plan.tier == "full"  # decided at 1x, whatever the lab's clock
    assert plan_cell("t::b[pixel-8]", cfg, dev, lambda c: 2 * MIN).tier == "quick"


def test_the_cost_function_sees_the_app_the_phone_and_its_rate(cfg: Config) -> None:
    seen: list[CostContext] = []
    def cost_of(c: CostContext) -> float:
        seen.append(c)
        return 0.0

    plan_cell("t::a[iphone-15]", cfg, cfg.device("iphone-15"), cost_of)
    lab, at_1x = seen
    assert lab.rate == cfg.clock_rate(cfg.device("iphone-15")) and at_1x.rate == 1.0
    assert lab.period("sync-orders") == 15 * MIN and lab.period("no-such-task") == 0.0
    assert lab.duration("nightly-upload") == 60.0
    assert lab.prompt == PROMPT_WALL_S * lab.rate and at_1x.ack == ack_window(1.0)
    assert lab.platform == "ios"


def test_an_undeclared_cell_gets_the_default_and_says_so(cfg: Config) -> None:
    plan = plan_cell("t::a[pixel-8]", cfg, real(cfg, "pixel-8"), None)
    assert not plan.declared and plan.device_s == DEFAULT_COST_S + overhead_wall_s(real(cfg, "pixel-8"))


def test_an_explicit_tier_wins_and_appium_cells_carry_the_session(cfg: Config) -> None:
    dev = real(cfg, "pixel-8")
    assert plan_cell("t::a", cfg, dev, lambda c: 60.0, "soak").tier == "soak"
    with_ui = plan_cell("t::a", cfg, dev, lambda c: 60.0, uses_ui=True)
    assert with_ui.device_s > plan_cell("t::a", cfg, dev, lambda c: 60.0).device_s


def test_the_margin_is_the_callers(cfg: Config) -> None:
    dev = real(cfg, "pixel-8")
    assert plan_cell("t::a", cfg, dev, lambda c: 60.0, margin_s=1.0).timeout_s == pytest.approx(
        (60.0 + overhead_wall_s(dev)) * TIMEOUT_FACTOR + 1.0)


def test_phones_are_handed_out_heaviest_first_and_the_makespan_is_lpt() -> None:
    plans = [cell("a", 5), cell("b", 4), cell("c", 3), cell("d", 3), cell("a", 1)]
    assert phone_totals(plans) == {"a": 6, "b": 4, "c": 3, "d": 3}
    assert phone_order(plans) == ["a", "b", "c", "d"]
    assert makespan(plans) == 6  # a worker per phone: the busiest phone
    assert makespan(plans, workers=2) == 9  # LPT: a=6 | b=4, then c to the lighter (7), d to the lighter (9)
    assert makespan(plans, workers=1) == 16


def test_a_budget_keeps_quick_cells_first_and_says_what_it_left_out_and_why() -> None:
    plans = [cell("p", 2 * HOUR, "full"), cell("p", 10 * MIN, "quick"), cell("p", 7 * HOUR, "full"),
             cell("p", 20 * HOUR, "soak"), cell("q", 30 * MIN, "quick")]
    kept, left = fit_budget(plans, NIGHT_S)
    assert [p.wall_s for p in kept] == [2 * HOUR, 10 * MIN, 30 * MIN]  # the run's order is kept
    assert [lo.plan.wall_s for lo in left] == [7 * HOUR, 20 * HOUR]
    assert "full cell needs 7.0 h on p, which has 5.8 h left of the 8.0 h budget" in left[0].reason
