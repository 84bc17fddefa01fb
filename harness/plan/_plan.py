"""A cell's plan: its device time at its phone's clock rate, the wall time that takes, its limit and its tier."""

from __future__ import annotations

from dataclasses import dataclass

from harness.config import Config, DeviceConfig
from harness.plan._cost import DEFAULT_COST_S, REAL_REBOOT_S, CostContext, CostFn, overhead_wall_s
from harness.plan._tiers import Tier, derive_tier

__all__ = ["TIMEOUT_FACTOR", "TIMEOUT_MARGIN_S", "CellPlan", "plan_cell"]

# A cell's limit: its planned wall time with a quarter on top (a phone slower than planned), plus a margin for
# the harness's own start-up of the cell (the lease is taken before the limit starts).
TIMEOUT_FACTOR = 1.25
TIMEOUT_MARGIN_S = 60.0
# How fast a virtual lab clock moves through a cell's waits: one step per logged event, each a time-control round
# trip plus the capture's delivery of the step's marker. Measured with `make demo` on the 2-core build machine
# (shared/NOTES.md): a cell's device time over its wall time is 1,000-20,000; the lower end, so estimates are safe.
VIRTUAL_DEVICE_S_PER_WALL_S = 1000.0


@dataclass(frozen=True, slots=True)
class CellPlan:
    nodeid: str
    device: str
    tier: Tier
    device_s: float  # device time the cell may use on its phone, windows and overhead
    wall_s: float  # the same at the phone's clock rate
    timeout_s: float  # the cell's limit in wall seconds
    device_s_1x: float  # what the cell costs on a real phone: this decides its tier
    declared: bool  # False: the scenario declares no cost and got DEFAULT_COST_S

    def as_json(self) -> dict[str, object]:
        return {"nodeid": self.nodeid, "device": self.device, "tier": self.tier, "device_s": round(self.device_s, 1),
                "wall_s": round(self.wall_s, 1), "timeout_s": round(self.timeout_s, 1), "declared": self.declared}


def _windows(fn: CostFn | None, ctx: CostContext) -> float:
    return DEFAULT_COST_S if fn is None else max(0.0, float(fn(ctx)))


def plan_cell(nodeid: str, cfg: Config, dev: DeviceConfig, fn: CostFn | None, tier: Tier | None = None, *,
              uses_ui: bool = False, margin_s: float = TIMEOUT_MARGIN_S) -> CellPlan:
    """Plan one cell from its cost function (None when the scenario declares none), its explicit tier, and
    whether it drives the UI through Appium (its session costs wall time)."""
    rate = cfg.clock_rate(dev)
    boot_s = cfg.lab.boot_delay_s if dev.lab else REAL_REBOOT_S
    windows = _windows(fn, CostContext(cfg.app, dev, rate, boot_s))
    overhead = overhead_wall_s(dev, uses_ui)
    real = DeviceConfig(dev.name, dev.platform, dev.oem, dev.model, dev.os_version)  # the same cell on a real phone
    at_1x = _windows(fn, CostContext(cfg.app, real, 1.0, REAL_REBOOT_S)) + overhead_wall_s(real, uses_ui)
    if cfg.virtual_time(dev):  # the clock stands still while the cell acts, and jumps event to event in its waits
        device_s, wall_s = windows, overhead + windows / VIRTUAL_DEVICE_S_PER_WALL_S
    else:
        device_s = windows + overhead * rate
        wall_s = device_s / rate
    return CellPlan(nodeid, dev.name, tier or derive_tier(at_1x), device_s, wall_s,
                    wall_s * TIMEOUT_FACTOR + margin_s, at_1x, fn is not None)
