"""Nightly runs on a lab host: the catalogue, the history, and what changed since the nights before.

``run_nightly(NightlyPlan(...))`` runs ``pytest scenarios`` through the harness plugin, records the
devices the pool quarantined, compares the run with the previous ones (new failures, fixes, other
changed cells, flaky cells with their pass rate, newly quarantined devices) and renders the trends
page; ``harness nightly`` prints it and exits 1 only on new failures (docs/nightly.md).
"""

from harness.nightly._compare import NightlyComparison, nightly_comparison, quarantined_in, record_quarantines
from harness.nightly._run import (
    EXIT_NEW_FAILURES,
    EXIT_NO_RESULTS,
    NightlyPlan,
    NightlyResult,
    comparison_json,
    pytest_command,
    run_nightly,
)
from harness.nightly._show import print_comparison, print_nightly

__all__ = [
    "EXIT_NEW_FAILURES",
    "EXIT_NO_RESULTS",
    "NightlyComparison",
    "NightlyPlan",
    "NightlyResult",
    "comparison_json",
    "nightly_comparison",
    "print_comparison",
    "print_nightly",
    "pytest_command",
    "quarantined_in",
    "record_quarantines",
    "run_nightly",
]
