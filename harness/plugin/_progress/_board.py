"""The run as the controller sees it: the plan, folded with the workers' progress events; ETAs. Pure: no I/O.

ETAs come from the plan (each cell's wall time at its phone's clock rate), corrected by the pace the run has
shown so far: the wall time finished cells really took over what their plans said (per phone once one of its
cells has finished, the run's pace before that). A phone's ETA is what is left of its current cell plus its
cells not started; the run's ETA also places the phones not started yet on the first worker that comes free
(one worker runs one phone's cells, heaviest phone first, as the plugin's xdist scheduler does).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

__all__ = ["Board", "Cell", "PhoneView", "Wait", "pace", "phone_eta", "run_eta"]

_PACE_BOUNDS = (0.05, 20.0)  # one odd cell must not make the ETA absurd
_NOT_RUN = ("skipped",)  # a skipped cell ran nothing: its speed says nothing of the next cell's


@dataclass(frozen=True, slots=True)
class Wait:
    what: str
    window_s: float | None  # device seconds; None: unknown (no log line seen yet to measure it from)
    rate: float  # the phone's clock rate: the window takes window_s / rate of wall time
    started: float  # epoch seconds


@dataclass(slots=True)
class Cell:
    nodeid: str
    device: str
    wall_s: float  # planned wall time
    device_s: float  # planned device time
    started: float | None = None
    ended: float | None = None
    outcome: str | None = None
    used_device_s: float | None = None
    wait: Wait | None = None

    @property
    def took_s(self) -> float | None:
        return None if self.started is None or self.ended is None else self.ended - self.started


@dataclass(frozen=True, slots=True)
class PhoneView:
    device: str
    done: int
    total: int
    failed: int
    current: Cell | None
    eta_s: float | None  # wall seconds until the phone's last cell ends; None: nothing known to plan with


def pace(finished: Iterable[tuple[float, float]]) -> float | None:
    """Actual over planned wall time over ``(planned_s, took_s)`` pairs; None when nothing finished yet."""
    pairs = list(finished)
    planned = sum(p for p, _ in pairs)
    if not pairs or planned <= 0:
        return None
    low, high = _PACE_BOUNDS
    return min(high, max(low, sum(t for _, t in pairs) / planned))


def phone_eta(current: tuple[float, float] | None, pending: Iterable[float], speed: float) -> float:
    """Wall seconds left on a phone: its current cell ``(planned_s, elapsed_s)`` and the planned walls of its
    cells not started, at ``speed`` (actual / planned). A cell past its plan counts as ending now."""
    left = max(0.0, current[0] * speed - current[1]) if current is not None else 0.0
    return left + speed * sum(pending)


def run_eta(busy: Iterable[float], queued: Iterable[float], workers: int) -> float:
    """Wall seconds until the run ends: phones being worked on end after ``busy`` seconds; phones not started
    (``queued``, their whole remaining wall time) go, heaviest first, to the worker that frees up first."""
    free = sorted(busy)
    free += [0.0] * max(0, workers - len(free))
    if not free:
        free = [0.0]
    heapq.heapify(free)
    for need in sorted(queued, reverse=True):
        heapq.heappush(free, heapq.heappop(free) + need)
    return max(free)


@dataclass
class Board:
    workers: int = 1
    phones: dict[str, list[Cell]] = field(default_factory=dict)
    cells: dict[str, Cell] = field(default_factory=dict)

    def load_plan(self, plan_cells: Iterable[Mapping[str, object]]) -> None:
        for raw in plan_cells:
            nodeid, device = str(raw["nodeid"]), str(raw["device"])
            if nodeid not in self.cells:
                self._add(Cell(nodeid, device, _num(raw.get("wall_s")), _num(raw.get("device_s"))))

    def _add(self, cell: Cell) -> Cell:
        self.cells[cell.nodeid] = cell
        self.phones.setdefault(cell.device, []).append(cell)
        return cell

    def apply(self, event: Mapping[str, object]) -> Cell | None:
        """Fold one progress event in; returns the cell it concerns (None for an event this board ignores)."""
        nodeid, kind, at = str(event.get("nodeid")), event.get("e"), _num(event.get("t"))
        cell = self.cells.get(nodeid)
        if cell is None:
            if kind != "start":
                return None
            cell = self._add(Cell(nodeid, str(event.get("device")), _num(event.get("wall_s")),
                                  _num(event.get("device_s"))))
        if kind == "start":
            cell.started, cell.ended, cell.outcome, cell.wait = at, None, None, None
        elif kind == "wait":
            window = event.get("window_s")
            cell.wait = Wait(str(event.get("what")), _num(window) if window is not None else None,
                             _num(event.get("rate"), 1.0), at)
        elif kind == "waited":
            cell.wait = None
        elif kind == "end":
            cell.ended, cell.outcome, cell.wait = at, str(event.get("outcome")), None
            used = event.get("used_device_s")
            cell.used_device_s = float(used) if isinstance(used, int | float) else None
        else:
            return None
        return cell

    def _finished(self, cells: Iterable[Cell]) -> list[tuple[float, float]]:
        return [(c.wall_s, took) for c in cells if (took := c.took_s) is not None and c.outcome not in _NOT_RUN]

    def speed(self, device: str | None = None) -> float:
        overall = pace(self._finished(self.cells.values())) or 1.0
        if device is None:
            return overall
        return pace(self._finished(self.phones.get(device, []))) or overall

    def phone(self, device: str, now: float) -> PhoneView:
        cells = self.phones.get(device, [])
        current = next((c for c in cells if c.started is not None and c.ended is None), None)
        pending = [c.wall_s for c in cells if c.started is None]
        cur = (current.wall_s, now - current.started) if current is not None and current.started is not None else None
        done = sum(1 for c in cells if c.ended is not None)
        failed = sum(1 for c in cells if c.outcome in ("failed", "error"))
        eta = phone_eta(cur, pending, self.speed(device)) if cells else None
        return PhoneView(device, done, len(cells), failed, current, eta)

    def views(self, now: float) -> list[PhoneView]:
        return [self.phone(name, now) for name in self.phones]

    def run_eta(self, now: float) -> float:
        busy: list[float] = []
        queued: list[float] = []
        for view in self.views(now):
            if view.done == view.total or view.eta_s is None:
                continue
            (busy if view.current is not None or view.done else queued).append(view.eta_s)
        return run_eta(busy, queued, self.workers)

    @property
    def done(self) -> int:
        return sum(1 for c in self.cells.values() if c.ended is not None)


def _num(value: object, default: float = 0.0) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default
