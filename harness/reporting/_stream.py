"""``results.jsonl``, streamed: the writer appends a line as each test ends, the reader rebuilds the run.

The file is the evidence when everything else fails: the header and the selected tests go first, each
result goes in the moment its test ends (flushed and fsynced), so Ctrl-C, a killed xdist worker or a
pulled USB cable still leaves every finished result and the list of what never ran.

Several processes may append to one run (pytest-xdist workers, each with its own ``RunWriter`` on the
same run id). Each append holds a file lock and writes one whole line with one O_APPEND write, and
the reader skips any line that does not parse, so a writer killed mid-line costs only its own line.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from harness import __version__
from harness._flock import LockTimeout, acquire
from harness.reporting import _codec
from harness.reporting._html import write_html
from harness.reporting._junit import write_junit
from harness.reporting._layout import ARTIFACTS, JUNIT, RESULTS, TESTS, check_run_id, point_latest, slug
from harness.reporting._model import ReportError, Result, Run, Selected
from harness.reporting._redact import Redactor
from harness.reporting._timeline import draw_timeline, pictured

__all__ = ["RunWriter", "load_run", "write_reports"]


class RunWriter:
    """Streams one run to ``<reports_dir>/<run_id>/results.jsonl``.

    The first writer of a run writes the header and points ``reports/latest`` at it; a writer opened
    later on the same run id (an xdist worker) joins the run and only appends.
    """

    def __init__(self, reports_dir: Path, run_id: str, *, harness_version: str = __version__,
                 lab_seed: int | None = None, started_at: float | None = None, lock_timeout_s: float = 60.0,
                 redactor: Redactor | None = None) -> None:
        self.reports_dir = Path(reports_dir)
        self.redactor = redactor or Redactor()  # secret shapes always; the configured secrets when given
        self.run_id = check_run_id(run_id)
        self.run_dir = self.reports_dir / run_id
        self.results_path = self.run_dir / RESULTS
        try:
            self.run_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ReportError(f"{self.run_dir}: cannot create the run folder: {e}") from e
        self._lock_path, self._lock_timeout_s = Path(f"{self.results_path}.lock"), lock_timeout_s
        header = _codec.Header(run_id, time.time() if started_at is None else started_at, harness_version, lab_seed)
        if self._append(_codec.encode(_codec.header_line(header)), only_if_empty=True):
            point_latest(self.reports_dir, run_id)

    def select(self, tests: Iterable[Selected | str]) -> None:
        """Record the tests about to run (node ids, or ``Selected`` when the device is known)."""
        chosen = [t if isinstance(t, Selected) else Selected.of(t) for t in tests]
        self._append(_codec.encode(_codec.selected_line(chosen)))

    def add(self, result: Result) -> None:
        """Record one finished test; it is on disk when this returns. A later result for the same
        node id (a rerun) replaces it. Its timeline picture (a result that did not pass, ``pictured``) is
        drawn here, by the process that ran the test, so xdist workers share the drawing instead of the controller
        doing it all at the end."""
        result = self.redactor.result(result)
        for path in {str(Path(p).parent) for p in result.artifacts.values()}:
            self.redactor.files(self.run_dir / path)
        self._append(_codec.encode(_codec.result_line(result)))
        if result.timeline and pictured(result.outcome):
            tests = self.run_dir / TESTS
            tests.mkdir(parents=True, exist_ok=True)
            draw_timeline(result.timeline, tests / f"{slug(result.nodeid)}.png",
                          title=f"{result.scenario} @ {result.device}", window=result.window)

    def artifact_dir(self, nodeid: str) -> Path:
        """A folder for a test's files; store paths in ``Result.artifacts`` relative to ``run_dir``."""
        folder = self.run_dir / ARTIFACTS / slug(nodeid)
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def finish(self, *, finished_at: float | None = None, render: bool = True) -> Run:
        """Mark the run complete and (``render``) write junit.xml, index.html and the detail pages.
        Call once, from the process that owns the run (the xdist controller)."""
        end = time.time() if finished_at is None else finished_at
        self._append(_codec.encode(_codec.finish_line(end)))
        run = load_run(self.run_dir)
        if render:
            write_reports(run, self.run_dir)
        return run

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            held = acquire(self._lock_path, self._lock_timeout_s)
        except LockTimeout as e:
            raise ReportError(f"{self.results_path}: another process held the lock for {self._lock_timeout_s:g} s; "
                              f"if no harness is running, delete {self._lock_path}") from e
        try:
            yield
        finally:
            held.release()

    def _append(self, data: bytes, *, only_if_empty: bool = False) -> bool:
        with self._locked():
            try:
                fd = os.open(self.results_path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
            except OSError as e:
                raise ReportError(f"{self.results_path}: cannot open for appending: {e}") from e
            try:
                size = os.fstat(fd).st_size
                if only_if_empty and size > 0:
                    return False
                if size > 0 and not _ends_with_newline(fd, size):
                    # A writer died mid-line: end its line so ours stays whole and parseable.
                    data = b"\n" + data
                _write_all(fd, data)
                os.fsync(fd)
                return True
            except OSError as e:
                raise ReportError(f"{self.results_path}: cannot append a line: {e}") from e
            finally:
                os.close(fd)


def _ends_with_newline(fd: int, size: int) -> bool:
    os.lseek(fd, size - 1, os.SEEK_SET)  # reads honour the offset; O_APPEND writes still go to the end
    return os.read(fd, 1) == b"\n"


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def load_run(run_dir: Path) -> Run:
    """The run as ``results.jsonl`` has it: complete, still running, or interrupted (then
    ``run.interrupted`` is true and ``run.not_run()`` names the selected tests with no result)."""
    path = Path(run_dir) / RESULTS
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ReportError(f"{path}: cannot read the results of a run ({e.strerror or e}); is this a run folder?") from e
    lines: list[_codec.Line] = []
    damaged = 0
    for raw in data.split(b"\n"):
        if not raw.strip():
            continue
        try:
            line = _codec.decode(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):  # the last line of a killed writer, cut short
            damaged += 1
            continue
        if line is not None:
            lines.append(line)
    return _fold(path, lines, damaged)


def _fold(path: Path, lines: list[_codec.Line], damaged: int) -> Run:
    header: _codec.Header | None = None
    selected: dict[str, Selected] = {}
    results: dict[str, Result] = {}  # a rerun's result replaces the first, in the first's place
    finished_at: float | None = None
    for line in lines:
        if isinstance(line, _codec.Header):
            header = header or line
        elif isinstance(line, tuple):
            for test in line:
                if test.nodeid not in selected or test.device is not None:
                    selected[test.nodeid] = test
        elif isinstance(line, Result):
            results[line.nodeid] = line
        else:
            finished_at = line.finished_at
    if header is None:
        raise ReportError(f"{path}: no run header line; the file is not from RunWriter or lost its first line")
    return Run(header.run_id, header.started_at, header.harness_version, header.lab_seed,
               tuple(selected.values()), tuple(results.values()), finished_at, damaged)


def write_reports(run: Run, run_dir: Path) -> Path:
    """Write junit.xml, index.html and the detail pages (with timeline pictures) from the model;
    returns the index. For an interrupted run: ``write_reports(load_run(d), d)``."""
    run_dir = Path(run_dir)
    try:
        write_junit(run, run_dir / JUNIT)
        return write_html(run, run_dir)
    except OSError as e:
        raise ReportError(f"{run_dir}: cannot write the reports: {e}") from e
