"""One run's progress, read from its folder when asked: for a caller that runs pytest in this process and
draws its own progress (``harness repro`` draws a bar per phone and, beside it, what the current run does)."""

from __future__ import annotations

import time
from pathlib import Path

from harness.plugin._progress._board import Board
from harness.plugin._progress._display import Tail
from harness.plugin._progress._feed import PROGRESS_DIR
from harness.plugin._progress._lines import now_text, span

__all__ = ["RunWatch"]


class RunWatch:
    """Not thread-safe: one reader (a progress bar's refresh thread) asks it."""

    def __init__(self, run_dir: Path) -> None:
        self.board = Board()
        self._tail = Tail(run_dir / PROGRESS_DIR)

    def text(self, now: float | None = None) -> str:
        """The running cell's elapsed time and ETA and what it waits for; empty before its first event."""
        try:
            for event in self._tail.read():
                self.board.apply(event)
        except OSError:
            pass  # the run's folder is being written: the next refresh reads it
        now = time.time() if now is None else now
        for view in self.board.views(now):
            cell = view.current
            if cell is not None and cell.started is not None:
                return f"{span(now - cell.started)}, eta {span(view.eta_s)} · {now_text(view, now)}"
        return ""
