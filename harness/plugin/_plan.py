"""The plugin's planning: every device cell's plan at collection, tiers and budgets, each cell's own limit.

Registered by ``harness.plugin`` as a plugin of its own (``bgharness-plan``). Per collected cell it computes a
:class:`harness.plan.CellPlan` from the scenario's ``@cost``; it then drops the cells outside ``--tier`` and
``--budget``, hands phones to xdist heaviest first, bounds each cell's body by its own limit (no fixed pytest
timeout), and measures the device time each cell really used.
"""

from __future__ import annotations

import json
import re
import signal
import threading
import types
from collections.abc import Callable, Generator
from pathlib import Path

import pytest

from harness.config import DeviceConfig
from harness.errors import DeviceTimeout
from harness.plan import (
    TIMEOUT_MARGIN_S,
    CellPlan,
    CostFn,
    LeftOut,
    Tier,
    fit_budget,
    included,
    parse_tier,
    phone_order,
    plan_cell,
)
from harness.plugin._fixtures import SESSION_KEY
from harness.plugin._run import RUN_KEY, Run

__all__ = ["LEFT_OUT_KEY", "PLAN_KEY", "USED_KEY", "CellTimeout", "parse_duration", "plan_of"]

PLAN_KEY = pytest.StashKey[CellPlan]()
USED_KEY = pytest.StashKey[float]()  # device seconds the cell's body used
LEFT_OUT_KEY = pytest.StashKey[list[LeftOut]]()
MARKERS = (
    "cost(device_s): the cell's device-time cost, a function of harness.plan.CostContext "
    "(use harness.plan.cost)",
    "tier(name): quick | full | soak (default: derived from the cost at 1x)",
)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h)?\s*$")


class CellTimeout(DeviceTimeout):
    """A cell ran past its own limit (its planned wall time, a quarter more, and a margin)."""


def parse_duration(text: str) -> float:
    """``8h``, ``90m``, ``600s`` or plain seconds → seconds."""
    match = _DURATION.match(text)
    if match is None:
        raise pytest.UsageError(f"--budget {text!r}: give a duration such as 8h, 90m or 600s")
    return float(match.group(1)) * {"h": 3600.0, "m": 60.0, "min": 60.0}.get(match.group(2) or "s", 1.0)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("bgharness")
    group.addoption("--tier", default=None, choices=("quick", "full", "soak"),
                    help="run the cells of this tier and every shorter one: quick (each at most 10 min of device "
                         "time), full (fits a night), soak (everything); default: every cell")
    group.addoption("--budget", default=None,
                    help="fit the run into this much wall time per phone (e.g. 8h): quick cells first, then full, "
                         "then soak; the rest is left out and listed with the reason")
    group.addoption("--cell-margin", type=float, default=TIMEOUT_MARGIN_S,
                    help="wall seconds a cell may run past its planned wall time and a quarter more before it is "
                         f"stopped as hung (default {TIMEOUT_MARGIN_S:g})")


def pytest_configure(config: pytest.Config) -> None:
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)


def _device(item: pytest.Item) -> DeviceConfig | None:
    callspec = getattr(item, "callspec", None)
    dev = callspec.params.get("device") if callspec is not None else None
    return dev if isinstance(dev, DeviceConfig) else None


def plan_of(item: pytest.Item, run: Run) -> CellPlan | None:
    dev = _device(item)
    if dev is None:
        return None
    mark = item.get_closest_marker("cost")
    fn: CostFn | None = mark.kwargs.get("device_s") if mark is not None else None
    tier_mark = item.get_closest_marker("tier")
    tier: Tier | None = parse_tier(str(tier_mark.args[0])) if tier_mark is not None and tier_mark.args else None
    return plan_cell(item.nodeid, run.config, dev, fn, tier, uses_ui="ui" in getattr(item, "fixturenames", ()),
                     margin_s=item.config.getoption("--cell-margin", TIMEOUT_MARGIN_S))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    run = config.stash.get(RUN_KEY, None)
    if run is None:
        return  # no device cell was generated: the harness's own tests
    plans: dict[int, CellPlan] = {}
    for item in items:
        plan = plan_of(item, run)
        if plan is not None:
            item.stash[PLAN_KEY] = plan
            plans[id(item)] = plan
            item.add_marker(pytest.mark.timeout(0))  # pytest-timeout stays out: the cell has its own limit
    keep, dropped = _select(config, items, plans)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
    _order(items, plans)


def _select(config: pytest.Config, items: list[pytest.Item],
            plans: dict[int, CellPlan]) -> tuple[list[pytest.Item], list[pytest.Item]]:
    tier_text = config.getoption("--tier", None)
    tier = parse_tier(tier_text) if tier_text else None
    chosen = [p for i in items if (p := plans.get(id(i))) is not None and included(p.tier, tier)]
    budget = config.getoption("--budget", None)
    if budget:
        fitted, left = fit_budget(chosen, parse_duration(budget))
        config.stash[LEFT_OUT_KEY] = left
        chosen = fitted
    wanted = {id(p) for p in chosen}
    keep = [i for i in items if id(i) not in plans or id(plans[id(i)]) in wanted]
    return keep, [i for i in items if id(i) in plans and id(plans[id(i)]) not in wanted]


def _order(items: list[pytest.Item], plans: dict[int, CellPlan]) -> None:
    """Device cells grouped by phone, heaviest phone first (xdist hands out phones in this order)."""
    rank = {name: n for n, name in enumerate(phone_order(plans.values()))}

    def key(pair: tuple[int, pytest.Item]) -> tuple[int, int]:
        index, item = pair
        plan = plans.get(id(item))
        return (-1, index) if plan is None else (rank[plan.device], index)

    items[:] = [item for _, item in sorted(enumerate(items), key=key)]


def pytest_collection_finish(session: pytest.Session) -> None:
    """The run's plan, beside its results (``plan.json``): what ``harness plan`` would have printed."""
    config = session.config
    worker = getattr(config, "workerinput", {}).get("workerid")
    run = config.stash.get(RUN_KEY, None)
    plans = [p for item in session.items if (p := item.stash.get(PLAN_KEY, None)) is not None]
    if run is None or not plans or worker not in (None, "gw0") or config.option.collectonly:
        return
    left = config.stash.get(LEFT_OUT_KEY, [])
    path = run.writer.run_dir / "plan.json"
    body = {"cells": [p.as_json() for p in plans],
            "left_out": [{**lo.plan.as_json(), "reason": lo.reason} for lo in left]}
    path.write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    plan = item.stash.get(PLAN_KEY, None)
    if plan is None or threading.current_thread() is not threading.main_thread():
        return (yield)
    previous = signal.signal(signal.SIGALRM, _on_alarm(item, plan))
    signal.setitimer(signal.ITIMER_REAL, plan.timeout_s)
    try:
        return (yield)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        _measure(item)


def _on_alarm(item: pytest.Item, plan: CellPlan) -> Callable[[int, types.FrameType | None], None]:
    def alarm(signum: int, frame: types.FrameType | None) -> None:
        raise CellTimeout(plan.device, _stuck_in(frame),
                          f"{item.name} ran past its limit of {plan.timeout_s:.0f} s of wall time (its plan: "
                          f"{plan.device_s:.0f} s of device time, {plan.wall_s:.0f} s of wall time)",
                          "declare the cell's real cost with @harness.plan.cost if its windows are longer; "
                          "otherwise this call hung: check the phone and its adb server / usbmuxd")

    return alarm


def _stuck_in(frame: types.FrameType | None) -> str:
    """The innermost harness call the cell was in when its limit passed, and the scenario line that made it."""
    harness_call = scenario_line = None
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        if harness_call is None and "harness" in path.parts and path.name != "_plan.py":
            harness_call = f"{frame.f_code.co_qualname} ({path.name}:{frame.f_lineno})"
        if scenario_line is None and path.name.startswith("test_"):
            scenario_line = f"{path.name}:{frame.f_lineno}"
        frame = frame.f_back
    parts = [p for p in (harness_call, f"called from {scenario_line}" if scenario_line else None) if p]
    return " ".join(parts) or "the test body"


def _measure(item: pytest.Item) -> None:
    """The device time the cell's body used: the phone's clock now, less when the test's capture opened."""
    session = item.stash.get(SESSION_KEY, None)
    stream, opened = getattr(session, "stream", None), getattr(session, "opened", None)
    if stream is None or opened is None or opened.device_time is None:
        return
    end = stream.mark().device_time
    if end is not None:
        item.stash[USED_KEY] = end - opened.device_time
