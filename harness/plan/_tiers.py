"""Tiers: how much device time a cell may take, so a run can be sized to the time there is.

- ``quick``: at most 10 minutes of device time at 1x. The cell brings the phone to the state it needs with the
  OS's own test knobs (``cmd deviceidle``, ``cmd jobscheduler run``, ``device_config``, ``am set-standby-bucket``)
  instead of waiting for the natural schedule.
- ``full``: the rest of what fits a night; the plan checks that a phone's full tier fits ``NIGHT_S``.
- ``soak``: what needs the natural schedule for longer (iOS's own BGTask grants over a day, long screen-offs).

A cell's tier is its ``@pytest.mark.tier(...)`` or, without one, derived from its cost at 1x. Selecting a tier
selects it and every shorter one: ``--tier full`` runs the quick and the full cells.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["NIGHT_S", "QUICK_MAX_S", "TIERS", "Tier", "derive_tier", "included", "parse_tier"]

Tier = Literal["quick", "full", "soak"]
TIERS: tuple[Tier, ...] = get_args(Tier)
QUICK_MAX_S = 600.0  # device seconds at 1x
NIGHT_S = 8 * 3600.0  # what a phone's full tier must fit (wall seconds at its clock rate)


def derive_tier(device_s_at_1x: float) -> Tier:
    return "quick" if device_s_at_1x <= QUICK_MAX_S else "full"


def parse_tier(text: str) -> Tier:
    for tier in TIERS:
        if text == tier:
            return tier
    raise ValueError(f"unknown tier {text!r} (choose from {', '.join(TIERS)})")


def included(tier: Tier, selected: Tier | None) -> bool:
    """Whether a cell of ``tier`` runs when ``selected`` is asked for (None: every tier)."""
    return selected is None or TIERS.index(tier) <= TIERS.index(selected)
