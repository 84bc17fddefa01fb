"""The worker's side of live progress: what each cell and each wait does, appended as JSON lines.

Every process that runs cells (the single pytest process, or each xdist worker) appends its events to
``<run>/progress/<worker>.jsonl``: a cell's start and end, and each wait on a device's log (what it waits for,
its window in device seconds, the phone's clock rate). The process that prints (the controller) tails these
files. A file, not xdist's channel: the controller learns of a wait while the wait is still going, and a run
without xdist uses the same path. A line is one ``write`` of a whole line, so a reader sees whole lines or none.
"""

from __future__ import annotations

import json
import linecache
import math
import re
import sys
import threading
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import IO

from harness.logs.stream import EventStream

__all__ = ["PROGRESS_DIR", "Feed", "describe_wait"]

PROGRESS_DIR = "progress"
_ARGS_SKIPPED = frozenset({"self", "within_s", "during_s", "since", "mark"})


class Feed:
    """Appends one worker's progress events; a failed write never fails a test (progress is a view)."""

    def __init__(self, worker: str, run_dir: Callable[[], Path | None]) -> None:
        self.worker = worker
        self._run_dir = run_dir  # resolved at the first event: the run's id is known only once a cell runs
        self._file: IO[str] | None = None
        self._lock = threading.Lock()
        self.cell: str | None = None
        self.device: str | None = None

    def _open(self) -> IO[str] | None:
        if self._file is None:
            run_dir = self._run_dir()
            if run_dir is None:
                return None
            folder = run_dir / PROGRESS_DIR
            folder.mkdir(parents=True, exist_ok=True)
            self._file = (folder / f"{self.worker}.jsonl").open("a", encoding="utf-8")
        return self._file

    def emit(self, kind: str, **fields: object) -> None:
        line = json.dumps({"e": kind, "t": round(time.time(), 3), "worker": self.worker, **fields}) + "\n"
        with self._lock:
            try:
                out = self._open()
                if out is not None:
                    out.write(line)
                    out.flush()
            except OSError:
                pass

    def started(self, nodeid: str, device: str, wall_s: float, device_s: float) -> None:
        self.cell, self.device = nodeid, device
        self.emit("start", nodeid=nodeid, device=device, wall_s=wall_s, device_s=device_s)

    def ended(self, outcome: str, used_device_s: float | None) -> None:
        if self.cell is not None:
            self.emit("end", nodeid=self.cell, device=self.device, outcome=outcome, used_device_s=used_device_s)
        self.cell = self.device = None

    def observe(self, stream: EventStream, what: object, window_s: float) -> Callable[[], None] | None:
        """The stream's wait observer: a wait of the current cell on its own phone is published."""
        cell = self.cell
        if cell is None or stream.device != self.device:
            return None
        window = round(window_s, 3) if math.isfinite(window_s) else None  # None: the stream cannot tell
        self.emit("wait", nodeid=cell, device=stream.device, what=describe_wait(what), window_s=window,
                  rate=stream.clock_rate if stream.stepper is None else 0.0)  # 0: a virtual clock, stepped
        return lambda: self.emit("waited", nodeid=cell, device=stream.device)

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def describe_wait(what: object) -> str:
    """What a wait waits for, in a line: the expectation and its arguments (``task_fired task='sync'``), or the
    predicate's own text with the names it uses filled in (``e.kind == "task_end" and e.task == 'sync'``)."""
    if isinstance(what, str):
        return what
    caller = _caller()
    if caller is not None and caller.f_code.co_filename.endswith(("expect.py",)):
        return _call_text(caller)
    if isinstance(what, types.FunctionType):
        return (_lambda_text(what) if what.__name__ == "<lambda>" else None) or what.__qualname__
    return "an event"


def _caller() -> types.FrameType | None:
    """The first frame outside the stream, contextlib and this package: whoever asked for the wait."""
    frame: types.FrameType | None = sys._getframe(1)
    while frame is not None:
        name = frame.f_code.co_filename
        if not name.endswith(("stream.py", "contextlib.py", "_feed.py")):
            return frame
        frame = frame.f_back
    return None


def _call_text(frame: types.FrameType) -> str:
    code = frame.f_code
    names = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    args = [f"{n}={frame.f_locals[n]!r}" for n in names
            if n not in _ARGS_SKIPPED and frame.f_locals.get(n) is not None]
    return " ".join([code.co_name, *args])


def _lambda_text(fn: types.FunctionType) -> str | None:
    """The predicate's body as written (Python 3.11 code positions), with module constants and closure values
    substituted: a progress line reads ``e.task == 'sync-orders'``, not ``e.task == TASK``."""
    code = fn.__code__
    spans = [(line, col, end_line, end_col) for line, end_line, col, end_col in code.co_positions()
             if line is not None and end_line is not None and col is not None and end_col is not None
             and (line, col) != (end_line, end_col)]  # RESUME and friends: zero width at column 0
    if not spans:
        return None
    lines = linecache.getlines(code.co_filename)
    start, end = min((s[0], s[1]) for s in spans), max((s[2], s[3]) for s in spans)
    if not lines or end[0] > len(lines):
        return None
    if start[0] == end[0]:
        text = lines[start[0] - 1][start[1]:end[1]]
    else:
        text = lines[start[0] - 1][start[1]:] + "".join(lines[start[0]:end[0] - 1]) + lines[end[0] - 1][:end[1]]
    return _fill_names(" ".join(text.split()), fn)


def _fill_names(text: str, fn: types.FunctionType) -> str:
    values: dict[str, object] = {}
    for name in fn.__code__.co_names:
        if name in fn.__globals__:
            values[name] = fn.__globals__[name]
    for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or (), strict=False):
        try:
            values[name] = cell.cell_contents
        except ValueError:  # an empty cell: the variable was never bound
            continue
    for name, value in values.items():
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            text = re.sub(rf"(?<![.\w]){re.escape(name)}\b", repr(value), text)
    return text
