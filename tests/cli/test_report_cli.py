"""`harness report trends|render` on a history and a crashed run made with the reporting API."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from harness.reporting import Result, RunWriter, Selected, append_history, load_run


def harness(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True, timeout=120,
                          check=False)


def crashed_run(reports: Path) -> Path:
    writer = RunWriter(reports, "20261128-080000-abcdef")
    writer.select([Selected.of("s.py::test_a[pixel-8]", "pixel-8"),
                   Selected.of("s.py::test_a[xiaomi-13]", "xiaomi-13")])
    writer.add(Result("s.py::test_a[pixel-8]", "test_a", "pixel-8", "passed"))
    return writer.run_dir  # never finished: the process "died" here


def test_render_a_crashed_run_names_what_never_reported(tmp_path: Path) -> None:
    run_dir = crashed_run(tmp_path / "reports")
    result = harness("report", "render", str(run_dir))
    assert result.returncode == 0, result.stderr
    assert "1 selected test(s) never reported" in result.stdout
    assert (run_dir / "index.html").exists() and (run_dir / "junit.xml").exists()


def test_trends_needs_history_then_draws_it(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    missing = harness("report", "trends", "--reports", str(reports))
    assert missing.returncode == 1 and "no history yet" in missing.stderr
    run_dir = crashed_run(reports)
    append_history(reports / "history.sqlite", load_run(run_dir))
    drawn = harness("report", "trends", "--reports", str(reports))
    assert drawn.returncode == 0, drawn.stderr
    assert (reports / "trends.html").exists()


def _run(reports: Path, run_id: str, devices: tuple[str, ...]) -> None:
    writer = RunWriter(reports, run_id)
    writer.select([Selected.of(f"s.py::test_a[{d}]", d) for d in devices])
    for d in devices:
        writer.add(Result(f"s.py::test_a[{d}]", "test_a", d, "passed"))
    append_history(reports / "history.sqlite", writer.finish())


def test_trends_label_runs_with_date_and_id_and_leave_out_debug_runs(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    _run(reports, "20261201-020000-aaaaaa", ("pixel-8", "xiaomi-13", "oppo-find-x6"))
    _run(reports, "20261201-101500-debug1", ("pixel-8",))  # a one-test debug run
    _run(reports / "nightly", "20261202-020000-bbbbbb", ("pixel-8", "xiaomi-13", "oppo-find-x6"))
    every = harness("report", "trends", "--reports", str(reports))
    assert every.returncode == 0, every.stderr
    page = (reports / "trends.html").read_text()
    assert "20261201-020000-aaaaaa" in page and "20261201-101500-debug1" in page and "2 run(s)" in page
    kept = harness("report", "trends", "--reports", str(reports), "--min-cells", "2")
    assert kept.returncode == 0, kept.stderr
    page = (reports / "trends.html").read_text()
    assert "20261201-020000-aaaaaa" in page and "debug1" not in page and "1 run(s)" in page
    nightly = harness("report", "trends", "--reports", str(reports), "--nightly")
    assert nightly.returncode == 0 and "nightly" in nightly.stdout, nightly.stderr
    assert "20261202-020000-bbbbbb" in (reports / "nightly" / "trends.html").read_text()
