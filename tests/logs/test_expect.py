"""The "why did it not fire" explanation, as a pure function over events and a device snapshot."""

from __future__ import annotations

import pytest

from harness.logs.events import Event
from harness.logs.expect import Snapshot, explain

PKG = "com.example.courier"
T = 1795852800.0


def ev(kind: str, t: float, **kw: object) -> Event:
    return Event(kind, time=T + t, package=kw.pop("package", PKG), raw=f"{kind} line", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("events", "snap", "prior", "starts", "killer"),
    [
        ([ev("kill", 10, killer="miui", reason="OneKeyClean")], None, [], "08:00:10 killed by miui", "miui"),
        ([ev("kill", 5, killer="lmk"), ev("force_stop", 9, killer="samsung", reason="MARs #1")], None, [],
         "08:00:09 force-stopped by samsung", "samsung"),
        ([], None, [ev("freeze", 1, killer="samsung", reason="uidIdle")], "08:00:01 frozen by samsung", "samsung"),
        ([], None, [ev("kill", 1, killer="miui"), ev("process_start", 2)], "inconclusive: no kill", None),
        ([], Snapshot(stopped_state=True), [], "the app is in the stopped state", None),
        ([], Snapshot(job_found=False), [], "never scheduled", None),
        ([], Snapshot(job_found=True, background_restricted=True), [], "background restricted", None),
        ([], Snapshot(job_found=True, deep_state="IDLE", light_state="OVERRIDE"), [], "Doze: deep IDLE", None),
        ([], Snapshot(job_found=True, bucket="rare"), [], "standby bucket RARE", None),
        ([], Snapshot(job_found=True, unsatisfied=("CONNECTIVITY",)), [], "the job is waiting on CONNECTIVITY", None),
        ([ev("kill", 3, package="other.app", killer="lmk")], None, [], "inconclusive: no kill", None),
    ],
)
def test_explain(events: list[Event], snap: Snapshot | None, prior: list[Event], starts: str,
                 killer: str | None) -> None:
    reason, _evidence, found = explain(events, PKG, snap, prior)
    assert starts in reason
    assert found == killer
