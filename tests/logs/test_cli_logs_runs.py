"""``harness logs`` on what users capture: one event per run with its task and run, and clear words for a
capture that is empty or holds none of the system lines an analysis needs."""

from __future__ import annotations

import io
import json
from pathlib import Path

from harness.logs.cli_logs import EXIT_BAD_INPUT, EXIT_MISSING_BUFFERS, EXIT_OK, run_logs

# From a lab phone's capture (threadtime, scenarios/test_force_stop.py): ActivityManager starts the process, then
# WorkManager's worker, the probe and Expo each report the same run.
RUN = (Path(__file__).parent / "data" / "lab_one_run.txt").read_text()


def run(tmp_path: Path, text: str, as_json: bool = True) -> tuple[int, str, str]:
    path = tmp_path / "capture.txt"
    path.write_text(text)
    out, err = io.StringIO(), io.StringIO()
    code = run_logs(str(path), None, as_json, out, err)
    return code, out.getvalue(), err.getvalue()


def test_one_event_per_run_with_its_task_and_number(tmp_path: Path) -> None:
    code, out, err = run(tmp_path, RUN)
    assert (code, err) == (EXIT_OK, "")
    rows = [json.loads(line) for line in out.splitlines()]
    runs = [(r["kind"], r["task"], r.get("run")) for r in rows if r["kind"].startswith("task_")]
    assert runs == [("task_start", "sync-orders", "4"), ("task_end", "sync-orders", "4"),
                    ("task_start", "sync-orders", "5")]


def test_an_empty_capture_says_how_to_take_one(tmp_path: Path) -> None:
    code, out, err = run(tmp_path, "\n  \n")
    assert (code, out) == (EXIT_BAD_INPUT, "")
    assert "is empty" in err and "adb logcat -b all -d" in err


def test_a_main_buffer_only_capture_is_read_but_says_what_it_lacks(tmp_path: Path) -> None:
    app_only = "".join(line + "\n" for line in RUN.splitlines() if "ReactNativeJS" in line)
    code, out, err = run(tmp_path, app_only, as_json=False)
    assert code == EXIT_MISSING_BUFFERS
    assert "task_start" in out  # what it holds is still printed
    assert "no system or events buffer lines" in err and "adb logcat -b all -d" in err


def test_a_capture_without_the_events_buffer_says_where_doze_is(tmp_path: Path) -> None:
    """`adb logcat -d` dumps main and system (its dividers say so): the system lines are there, Doze is not."""
    default_dump = "--------- beginning of main\n--------- beginning of system\n" + RUN
    code, out, err = run(tmp_path, default_dump)
    assert code == EXIT_MISSING_BUFFERS and "task_start" in out
    assert "only the main and system buffer(s), not events" in err and "adb logcat -b all -d" in err
    code, _, err = run(tmp_path, default_dump.replace("of system", "of events"))
    assert (code, err) == (EXIT_OK, "")
