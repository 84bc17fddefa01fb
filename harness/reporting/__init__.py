"""Results of a run: a model, streamed to ``results.jsonl``, and writers over it.

The pytest plugin opens a ``RunWriter`` at session start, ``select``s the collected tests, ``add``s a
``Result`` the moment each test ends and ``finish``es at session end, which writes ``junit.xml``,
``index.html`` (the survival matrix) and a page per test with its timeline picture under
``reports/<run-id>/``. ``load_run`` reads a run back, even one cut short; ``write_reports`` renders
it again. ``print_summary`` shows the matrix in the terminal; ``append_history``, ``render_trends``
and ``compare_runs`` keep and read ``reports/history.sqlite`` across runs (what a nightly job adds to the
comparison lives in ``harness.nightly``).

Everything here is independent of pytest: the model is plain frozen dataclasses.
"""

from harness.reporting._history import (
    CellChange,
    CellHistory,
    CellRate,
    Comparison,
    HistoryRun,
    append_history,
    compare_runs,
    read_history,
)
from harness.reporting._junit import junit_tree, write_junit
from harness.reporting._layout import latest_run_dir, new_run_id
from harness.reporting._matrix import Cell, Entry, Matrix, matrix_table, print_summary, survival_matrix
from harness.reporting._model import (
    DEVICE_PROPS,
    OUTCOMES,
    STATUSES,
    DeviceLike,
    Outcome,
    ReportError,
    Result,
    Run,
    Selected,
    Status,
    TimelineItem,
    device_props,
    scenario_of,
    timeline_from_events,
)
from harness.reporting._redact import Redactor, config_secrets, redact
from harness.reporting._stream import RunWriter, load_run, write_reports
from harness.reporting._timeline import draw_timeline
from harness.reporting._trends import oem_survival, render_trends

__all__ = [
    "DEVICE_PROPS",
    "OUTCOMES",
    "STATUSES",
    "Cell",
    "CellChange",
    "CellHistory",
    "CellRate",
    "Comparison",
    "DeviceLike",
    "Entry",
    "HistoryRun",
    "Matrix",
    "Outcome",
    "Redactor",
    "ReportError",
    "Result",
    "Run",
    "RunWriter",
    "Selected",
    "Status",
    "TimelineItem",
    "append_history",
    "compare_runs",
    "config_secrets",
    "device_props",
    "draw_timeline",
    "junit_tree",
    "latest_run_dir",
    "load_run",
    "matrix_table",
    "new_run_id",
    "oem_survival",
    "print_summary",
    "read_history",
    "redact",
    "render_trends",
    "scenario_of",
    "survival_matrix",
    "timeline_from_events",
    "write_junit",
    "write_reports",
]
