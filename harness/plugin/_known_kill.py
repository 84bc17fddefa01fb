"""``@pytest.mark.known_kill(oem=..., reason=...)``: an OEM kill we expect, recorded and checked.

On a device of that OEM the test is expected to fail *because that OEM's killer killed the app*:
then it is reported as an expected kill (xfail). If it fails for another reason (another killer, no
kill at all) it stays a failure, with a note. If it passes, the kill stopped happening: a strict
failure, so a fixed OEM setting (or a lab profile that no longer kills) is noticed.
"""

from __future__ import annotations

import pytest

from harness.logs.expect import ExpectationFailed
from harness.plugin._options import KILLER_OF_OEM

__all__ = ["apply_known_kill", "expected_killer"]


def expected_killer(item: pytest.Item) -> tuple[str, str] | None:
    """(killer, reason) when the item is marked known_kill for its device's OEM."""
    callspec = getattr(item, "callspec", None)
    dev = callspec.params.get("device") if callspec is not None else None
    if dev is None:
        return None
    for mark in item.iter_markers("known_kill"):
        oems = mark.kwargs.get("oem") or (mark.args[0] if mark.args else None)
        oem_list = [oems] if isinstance(oems, str) else list(oems or [])
        if dev.oem in oem_list:
            return KILLER_OF_OEM.get(dev.oem, dev.oem), str(mark.kwargs.get("reason", ""))
    return None


def apply_known_kill(item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport) -> str | None:
    """Rewrite the call-phase report; returns the outcome name for the results (or None if unmarked)."""
    expected = expected_killer(item)
    if expected is None or report.when != "call" or report.skipped:  # a skipped cell (an unmapped role) ran nothing
        return None
    killer, reason = expected
    if report.passed:
        report.outcome = "failed"
        report.longrepr = (f"known_kill is strict: {item.nodeid} was expected to be killed by {killer} "
                           f"({reason}), but the task survived — the kill stopped happening")
        return "unexpected_survival"
    exc = call.excinfo.value if call.excinfo is not None else None
    if isinstance(exc, ExpectationFailed) and exc.killer == killer:
        report.outcome = "skipped"
        report.wasxfail = f"expected kill by {killer}: {reason}" if reason else f"expected kill by {killer}"
        return "expected_kill"
    seen = exc.killer if isinstance(exc, ExpectationFailed) else None
    note = (f"\n\nknown_kill: expected a kill by {killer}, but the failure is attributed to "
            f"{seen or 'no killer'}")
    report.longrepr = f"{report.longrepr}{note}"
    return None
