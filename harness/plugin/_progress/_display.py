"""The controller's side of live progress: tail the workers' event files, fold them into the board, show it.

On a terminal: a table redrawn in place (rich ``Live``), one row per phone. Anywhere else (a CI log, a pipe):
one plain line per cell start, per new wait and per cell end, with no ANSI codes and no redraws. Both write to
a duplicate of stdout's descriptor, so a test's fd capture (``dup2`` over fd 1 in a single-process run) cannot
swallow a line written while the test runs.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from harness.plugin._progress._board import Board
from harness.plugin._progress._feed import PROGRESS_DIR
from harness.plugin._progress._lines import PREFIX, cell_name, end_line, now_text, span, start_line, wait_line

if TYPE_CHECKING:  # rich loads only in the process that shows progress: not in xdist workers, which only feed it
    from rich.console import Console, Group
    from rich.live import Live

__all__ = ["Display", "LineProxy", "Tail", "terminal_out"]

_POLL_S = 0.5
_EARLIER_S = 5.0  # events are written after this display starts; a little slack for clocks read apart


def terminal_out() -> tuple[IO[str], bool]:
    """A writable duplicate of stdout and whether it is a terminal that can redraw (not TERM=dumb)."""
    try:
        fd = os.dup(sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout replaced by an object with no descriptor
        return sys.stdout, False
    out = os.fdopen(fd, "w", buffering=1, encoding="utf-8", errors="replace")
    return out, out.isatty() and os.environ.get("TERM", "") != "dumb"


class LineProxy(io.TextIOBase):
    """pytest's terminal stream while the live table shows: each whole line is printed above the table. A part
    of a line waits for its end (pytest writes a verbose test's name, flushes, and adds PASSED later); what is
    left when the table stops goes to the real stream."""

    def __init__(self, console: Console, real: IO[str]) -> None:
        self.console, self.real = console, real
        self._partial = ""

    def write(self, text: str) -> int:
        from rich.text import Text  # noqa: PLC0415 - rich loads only where progress shows

        *whole, self._partial = (self._partial + text).split("\n")
        for line in whole:
            self.console.print(Text.from_ansi(line), soft_wrap=True)
        return len(text)

    def flush(self) -> None:
        """A part of a line stays until its end arrives."""

    def drain(self) -> None:
        if self._partial:
            self.real.write(self._partial)
            self._partial = ""
        self.real.flush()


class Tail:
    """New whole JSON lines from the files of one folder, oldest first across files."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._offsets: dict[Path, int] = {}

    def read(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        if not self.folder.is_dir():
            return events
        for path in sorted(self.folder.glob("*.jsonl")):
            start = self._offsets.get(path, 0)
            with path.open("rb") as f:
                f.seek(start)
                data = f.read()
            whole = data[: data.rfind(b"\n") + 1]  # a line still being written waits for the next read
            self._offsets[path] = start + len(whole)
            for raw in whole.splitlines():
                try:
                    event = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(event, dict):
                    events.append(event)
        return sorted(events, key=lambda e: float(e.get("t", 0.0)))


class Display:
    """A thread that polls the run's progress files every half second until stopped."""

    def __init__(self, run_dir: Path, board: Board, out: IO[str], live: bool,
                 route_writer: Callable[[Console | None], None] | None = None) -> None:
        self.run_dir, self.board, self.out, self.live_mode = run_dir, board, out, live
        self._route_writer = route_writer  # sends pytest's own terminal writes above the live table
        self._tail = Tail(run_dir / PROGRESS_DIR)
        self._plan_loaded = False
        self._live: Live | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="bgharness-progress", daemon=True)
        self.started = time.time()

    def start(self) -> None:
        with contextlib.suppress(OSError):
            self._poll()  # without xdist the plan is there already: the table (and pytest's routing) starts now
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        with contextlib.suppress(OSError):
            self._poll()  # the last events: every cell's end is shown before pytest's summary
        if self._live is not None:
            self._live.update(self._render(time.time()), refresh=True)
            self._live.stop()
            if self._route_writer is not None:
                self._route_writer(None)
        elif self._plan_loaded and not self.live_mode:
            self._print(self._summary_line())

    def _loop(self) -> None:
        while not self._stop.wait(_POLL_S):
            try:
                self._poll()
            except OSError:
                continue  # a file mid-rotation or a full disk: the next poll tries again

    def _poll(self) -> None:
        if not self._plan_loaded:
            self._load_plan()
        now = time.time()
        for event in self._tail.read():
            if float(event.get("t", 0.0)) < self.started - _EARLIER_S:
                continue  # from an earlier session with the same run id (BGH_RUN_ID given again)
            cell = self.board.apply(event)
            if cell is None or self.live_mode:
                continue
            view = self.board.phone(cell.device, now)
            run_eta = self.board.run_eta(now)
            if event["e"] == "start":
                self._print(start_line(cell, view, run_eta))
            elif event["e"] == "wait" and cell.wait is not None:
                self._print(wait_line(cell, cell.wait, view, run_eta))
            elif event["e"] == "end":
                self._print(end_line(cell, view, run_eta))
        if self.live_mode and self.board.cells:
            self._show(now)

    def _load_plan(self) -> None:
        path = self.run_dir / "plan.json"
        try:
            cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        except (OSError, ValueError):
            return  # not written yet (xdist's gw0 writes it once it has collected)
        self.board.load_plan(cells)
        self._plan_loaded = True

    def _print(self, line: str) -> None:
        self.out.write(line + "\n")
        self.out.flush()

    def _show(self, now: float) -> None:
        if self._live is None:
            from rich.console import Console  # noqa: PLC0415 - rich loads only where progress shows
            from rich.live import Live  # noqa: PLC0415 - rich loads only where progress shows

            console = Console(file=self.out, force_terminal=True, highlight=False)
            self._live = Live(self._render(now), console=console, auto_refresh=False, transient=False,
                              redirect_stdout=False, redirect_stderr=False)
            self._live.start()
            if self._route_writer is not None:
                self._route_writer(console)
        else:
            self._live.update(self._render(now), refresh=True)

    def _render(self, now: float) -> Group:
        """Two lines per phone (the cell, then what it does now), cut at the terminal's width, never wrapped."""
        from rich.console import Group  # noqa: PLC0415 - rich loads only where progress shows
        from rich.text import Text  # noqa: PLC0415 - rich loads only where progress shows

        views = self.board.views(now)
        width = max((len(v.device) for v in views), default=0) + 2
        lines: list[Text] = []
        for view in views:
            cell = view.current
            fails = f", {view.failed} failed" if view.failed else ""
            head = Text(view.device.ljust(width), style="bold")
            head.append(f"{view.done}/{view.total} cells{fails}")
            if cell is not None and cell.started is not None:
                head.append(f"  {cell_name(cell.nodeid, view.device)}  {span(now - cell.started)}", style="cyan")
            head.append("  done" if view.done == view.total else f"  eta {span(view.eta_s)}", style="bold")
            lines.append(head)
            if doing := now_text(view, now):
                lines.append(Text(" " * width + doing, style="dim"))
        done, total = self.board.done, len(self.board.cells)
        tail = "" if done == total else f" so far, eta {span(self.board.run_eta(now))}"
        lines.append(Text(f"run: {done}/{total} cells in {span(now - self.started)}{tail}", style="bold"))
        for line in lines:
            line.no_wrap, line.overflow = True, "ellipsis"
        return Group(*lines)

    def _summary_line(self) -> str:
        took = [c.took_s or 0.0 for c in self.board.cells.values()]
        planned = sum(c.wall_s for c in self.board.cells.values())
        return (f"{PREFIX} run {self.board.done}/{len(self.board.cells)} cells in {span(time.time() - self.started)} "
                f"(cells took {span(sum(took))} of {span(planned)} planned)")
