"""One repro run as the statistics see it, read back from the run's ``results.jsonl``; and per-device stats.

A run's *verdict* is its outcome when the test said something about the phone (passed, failed,
expected kill, unexpected survival); errors and skips say nothing and count in neither rate.

- **fired**: the background work did what the test requires (passed, or survived a known kill).
- **killed**: the phone stopped the app on its own: a ``kill`` / ``force_stop`` / ``freeze`` on the
  test's timeline attributed to a killer other than ``user`` (the test's own ``am force-stop``), or
  the killer the failure explanation named (``ExpectationFailed.killer``).
- **time to kill**: device time from the test's first timeline event (its launch, in the scenarios)
  to the first such kill.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.reporting import Result, Run, Status, TimelineItem
from harness.repro._stats import Distribution, Rate, distribution

__all__ = ["FAILING", "VERDICTS", "DeviceStats", "RunRecord", "device_stats", "record_of"]

VERDICTS = frozenset({"passed", "failed", "expected_kill", "unexpected_survival"})
_FIRED = frozenset({"passed", "unexpected_survival"})
# The runs an engineer wants evidence for: the work did not survive, or the test broke.
FAILING = frozenset({"failed", "expected_kill", "unexpected_survival", "error"})
_STOPS = frozenset({"kill", "force_stop", "freeze"})
_NOT_A_KILLER = frozenset({"user"})
_RELAUNCH_S = 2.0  # device seconds from a killed process to its replacement in a tool's relaunch


@dataclass(frozen=True, slots=True)
class RunRecord:
    index: int  # 0-based, per device
    device: str
    seed: int | None  # the lab seed this run was given (None: a real phone)
    run_id: str
    outcome: Status  # "not_run" when the run ended before the test reported (Ctrl-C, a crash)
    nodeid: str = ""
    killers: tuple[str, ...] = ()  # in the order they first struck
    time_to_kill_s: float | None = None  # device seconds
    duration_s: float = 0.0  # wall seconds of the test
    explanation: str = ""
    message: str = ""
    bundle: Path | None = None

    @property
    def has_verdict(self) -> bool:
        return self.outcome in VERDICTS

    @property
    def fired(self) -> bool:
        return self.outcome in _FIRED

    @property
    def killed(self) -> bool:
        return bool(self.killers)

    @property
    def failing(self) -> bool:
        return self.outcome in FAILING


def record_of(run: Run | None, *, index: int, device: str, seed: int | None, run_id: str) -> RunRecord:
    """The record of the one test a repro run ran on ``device`` (``not_run`` when it never reported)."""
    result = _result_for(run, device)
    if result is None:
        return RunRecord(index, device, seed, run_id, "not_run")
    killers, ttk = kills_of(result)
    return RunRecord(index, device, seed, run_id, result.outcome, result.nodeid, killers, ttk, result.duration_s,
                     result.explanation, result.message)


def _result_for(run: Run | None, device: str) -> Result | None:
    if run is None:
        return None
    found = [r for r in run.results if r.device == device]
    return found[-1] if found else None


def kills_of(result: Result) -> tuple[tuple[str, ...], float | None]:
    """(killers in order of their first strike, device seconds from the first event to the first kill)."""
    killers: list[str] = []
    first_kill: float | None = None
    timeline = result.timeline
    for i, item in enumerate(timeline):
        if _relaunch(item, timeline[i + 1:]):
            continue
        if item.kind in _STOPS and item.killer and item.killer not in _NOT_A_KILLER:
            if item.killer not in killers:
                killers.append(item.killer)
            if first_kill is None:
                first_kill = item.time
    if result.killer and result.killer not in _NOT_A_KILLER and result.killer not in killers:
        killers.append(result.killer)
    start = result.timeline[0].time if result.timeline else None
    ttk = first_kill - start if first_kill is not None and start is not None else None
    return tuple(killers), ttk


def _relaunch(item: TimelineItem, after: Sequence[TimelineItem]) -> bool:
    """A bare kill (a signal, no one named) followed at once by a new process of the app is a relaunch: a tool
    (Xcode, DVT, XCUITest's launchApp, the test's own ``ios.launch()``) replaced the process, the phone did not
    stop the app."""
    if item.kind != "kill" or item.killer != "unknown":
        return False
    return any(nxt.kind == "process_start" for nxt in after if nxt.time - item.time <= _RELAUNCH_S)


@dataclass(frozen=True, slots=True)
class DeviceStats:
    device: str
    runs: int  # every run started, verdict or not
    fired: Rate
    killed: Rate
    killers: dict[str, int]  # killer → runs it struck in
    time_to_kill: Distribution | None
    outcomes: dict[str, int]
    seeds: tuple[int, ...] = field(default=())
    bundles: int = 0


def device_stats(device: str, records: Sequence[RunRecord]) -> DeviceStats:
    judged = [r for r in records if r.has_verdict]
    killers = Counter[str](k for r in judged for k in r.killers)
    ttks = [r.time_to_kill_s for r in judged if r.time_to_kill_s is not None]
    return DeviceStats(
        device, len(records), Rate(sum(r.fired for r in judged), len(judged)),
        Rate(sum(r.killed for r in judged), len(judged)), dict(killers.most_common()), distribution(ttks),
        dict(Counter[str](r.outcome for r in records).most_common()),
        tuple(r.seed for r in records if r.seed is not None), sum(r.bundle is not None for r in records))
