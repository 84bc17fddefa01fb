"""results.jsonl: streamed as tests end, read back after a crash, appended to by several processes."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from harness.config import DeviceConfig
from harness.reporting import (
    ReportError,
    RunWriter,
    Selected,
    device_props,
    latest_run_dir,
    load_run,
    new_run_id,
)
from tests.reporting.sample import WALL, nodeid, result, xiaomi_day


def lines_of(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_header_and_selection_come_first_then_each_result_as_it_ends(tmp_path: Path) -> None:
    w = RunWriter(tmp_path, "r1", lab_seed=7, started_at=WALL, harness_version="9.9")
    w.select([nodeid("test_a", "pixel-8"), Selected.of(nodeid("test_b", "pixel-8"), "pixel-8")])
    assert [line["type"] for line in lines_of(w.results_path)] == ["run", "selected"]
    w.add(result("test_a", "pixel-8"))
    rows = lines_of(w.results_path)
    assert rows[0] == {"type": "run", "schema": 1, "run_id": "r1", "started_at": WALL, "harness_version": "9.9",
                       "lab_seed": 7}
    assert rows[1] == {"type": "selected", "tests": [
        {"nodeid": nodeid("test_a", "pixel-8"), "scenario": "test_a", "device": None},
        {"nodeid": nodeid("test_b", "pixel-8"), "scenario": "test_b", "device": "pixel-8"}]}
    assert rows[2]["type"] == "result" and rows[2]["outcome"] == "passed"


def test_a_crash_mid_run_leaves_every_finished_result_and_names_the_rest(tmp_path: Path) -> None:
    w = RunWriter(tmp_path, "crashed", started_at=WALL)
    tests = [nodeid(s, "pixel-8") for s in ("test_a", "test_b", "test_c")]
    w.select(tests)
    w.add(result("test_a", "pixel-8"))
    w.add(result("test_b", "pixel-8", "failed", message="boom"))
    with w.results_path.open("ab") as f:  # the worker dies halfway through writing test_c's line
        f.write(b'{"type":"result","nodeid":"scenarios/test_background.py::test_c[pix')
    # No finish(): Ctrl-C, a killed worker, a pulled cable.
    run = load_run(tmp_path / "crashed")
    assert run.interrupted and run.finished_at is None
    assert [(r.scenario, r.outcome) for r in run.results] == [("test_a", "passed"), ("test_b", "failed")]
    assert [s.nodeid for s in run.not_run()] == [tests[2]]
    assert run.damaged_lines == 1
    assert run.counts()["not_run"] == 1


def test_a_writer_after_a_cut_line_keeps_its_own_line_whole(tmp_path: Path) -> None:
    w = RunWriter(tmp_path, "r", started_at=WALL)
    with w.results_path.open("ab") as f:
        f.write(b'{"type":"result","nodeid":"cut')  # another worker, killed mid-write
    w.add(result("test_a", "galaxy-a54"))
    run = load_run(w.run_dir)
    assert [r.device for r in run.results] == ["galaxy-a54"] and run.damaged_lines == 1


def test_a_result_round_trips_whole(tmp_path: Path) -> None:
    w = RunWriter(tmp_path, "r", started_at=WALL)
    original = result("test_periodic_fetch", "redmi-note-12", "expected_kill", killer="miui",
                      message="line 1\nline 2 \"quoted\" ünïcode", explanation="why", timeline=xiaomi_day(),
                      artifacts={"logcat": "artifacts/x/logcat.txt"})
    w.add(original)
    assert load_run(w.run_dir).results == (original,)


def test_a_rerun_replaces_the_earlier_result(tmp_path: Path) -> None:
    w = RunWriter(tmp_path, "r", started_at=WALL)
    w.add(result("test_a", "pixel-8", "failed"))
    w.add(result("test_a", "pixel-8", "passed"))
    assert [r.outcome for r in load_run(w.run_dir).results] == ["passed"]


def test_a_second_writer_joins_the_run_without_a_second_header(tmp_path: Path) -> None:
    first = RunWriter(tmp_path, "r", lab_seed=1, started_at=WALL)
    second = RunWriter(tmp_path, "r", lab_seed=99)  # an xdist worker, opened later
    second.add(result("test_a", "pixel-8"))
    assert [line["type"] for line in lines_of(first.results_path)] == ["run", "result"]
    assert load_run(first.run_dir).lab_seed == 1


def test_finish_marks_the_run_complete_and_writes_the_reports(tmp_path: Path) -> None:
    w = RunWriter(tmp_path, "r", started_at=WALL)
    w.select([nodeid("test_a", "pixel-8")])
    w.add(result("test_a", "pixel-8"))
    run = w.finish(finished_at=WALL + 30)
    assert not run.interrupted and run.duration_s == 30 and run.not_run() == ()
    assert (w.run_dir / "junit.xml").is_file() and (w.run_dir / "index.html").is_file()


def test_latest_points_at_the_newest_run(tmp_path: Path) -> None:
    RunWriter(tmp_path, "older")
    RunWriter(tmp_path, "newer")
    assert (tmp_path / "latest").is_symlink()
    assert latest_run_dir(tmp_path) == (tmp_path / "newer").resolve()


def test_latest_as_a_text_file_is_understood(tmp_path: Path) -> None:
    RunWriter(tmp_path, "r1")
    (tmp_path / "latest").unlink()
    (tmp_path / "latest").write_text("r1\n", encoding="utf-8")  # what a file system without symlinks gets
    assert latest_run_dir(tmp_path) == tmp_path / "r1"
    assert latest_run_dir(tmp_path / "nowhere") is None


@pytest.mark.parametrize("bad", ["../escape", "a/b", "latest", "", ".hidden"])
def test_run_ids_that_are_not_one_folder_name_are_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError, match="run id"):
        RunWriter(tmp_path, bad)


def test_new_run_ids_sort_by_time_and_are_valid_folder_names(tmp_path: Path) -> None:
    a, b = new_run_id(WALL), new_run_id(WALL + 1)
    assert a < b and a.startswith("20250314-")
    assert RunWriter(tmp_path, a).run_dir.name == a


def test_load_run_on_a_folder_that_is_not_a_run_says_so(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match=r"results\.jsonl"):
        load_run(tmp_path)
    (tmp_path / "results.jsonl").write_text('{"type":"result"}\n', encoding="utf-8")
    with pytest.raises(ReportError, match="no run header"):
        load_run(tmp_path)


def append_many(reports_dir: str, run_id: str, worker: int, count: int) -> None:
    """One xdist worker: its own RunWriter on the shared run. Every other line is longer than
    PIPE_BUF, the size below which the kernel would keep an O_APPEND write whole on its own."""
    w = RunWriter(Path(reports_dir), run_id)
    for i in range(count):
        w.add(result(f"test_w{worker}_{i}", "pixel-8", message="x" * (6000 if i % 2 else 10)))


def test_concurrent_appends_from_several_processes_leave_whole_lines(tmp_path: Path) -> None:
    RunWriter(tmp_path, "shared", started_at=WALL)
    ctx = multiprocessing.get_context("spawn")  # no fork: the pytest process may have threads
    workers = [ctx.Process(target=append_many, args=(str(tmp_path), "shared", k, 30)) for k in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(timeout=60)
    assert [p.exitcode for p in workers] == [0, 0, 0, 0]
    data = (tmp_path / "shared" / "results.jsonl").read_bytes()
    assert data.endswith(b"\n")
    rows = [json.loads(line) for line in data.splitlines()]  # raises on any torn line
    assert [r["type"] for r in rows].count("run") == 1
    run = load_run(tmp_path / "shared")
    assert len(run.results) == 120 and run.damaged_lines == 0


def test_device_props_of_configured_devices() -> None:
    pixel = DeviceConfig("pixel-8", "android", "google", "Pixel 8", "15", serial="37281FDJH000AB")
    iphone = DeviceConfig("iphone-15", "ios", "apple", "iPhone15,4", "17.5", udid="00008120-001A")
    assert device_props(pixel) == {"platform": "android", "oem": "google", "model": "Pixel 8", "os_version": "15",
                                   "serial": "37281FDJH000AB"}
    assert device_props(iphone)["serial"] == "00008120-001A"


def test_a_timeline_picture_is_drawn_for_a_result_that_did_not_pass_only(tmp_path: Path) -> None:
    w = RunWriter(tmp_path, "r1", started_at=WALL)
    w.add(result("test_a", "pixel-8", timeline=xiaomi_day()))
    w.add(result("test_b", "redmi-note-12", "expected_kill", killer="miui", timeline=xiaomi_day()))
    w.finish()
    pictures = [p.name for p in (w.run_dir / "tests").glob("*.png")]
    assert len(pictures) == 1 and "test_b" in pictures[0], pictures
    passed = next((w.run_dir / "tests").glob("*test_a*.html")).read_text(encoding="utf-8")
    assert "<img" not in passed and "<details open><summary>12 events" in passed
