"""Reproduce a background-work failure on demand: one scenario test, many runs, rates with intervals.

``run_repro(ReproPlan(test, ("xiaomi-13",), runs=30), console)`` runs the test 30 times on the phone
(each lab run with its own recorded seed), prints the fire and kill rates with 95 % Wilson intervals,
the killers and the time-to-kill distribution, and leaves a bug bundle (zip) per failing run with the
command that replays it. ``harness repro`` is the command-line face of it.
"""

from harness.repro._bundle import device_entry, reproduce_command
from harness.repro._records import DeviceStats, RunRecord, device_stats, record_of
from harness.repro._repro import DEFAULT_RUNS, ReproPlan, ReproResult, run_repro, seed_base
from harness.repro._stats import Distribution, Rate, distribution, quantile, wilson

__all__ = [
    "DEFAULT_RUNS",
    "DeviceStats",
    "Distribution",
    "Rate",
    "ReproPlan",
    "ReproResult",
    "RunRecord",
    "device_entry",
    "device_stats",
    "distribution",
    "quantile",
    "record_of",
    "reproduce_command",
    "run_repro",
    "seed_base",
    "wilson",
]
