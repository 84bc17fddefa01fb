"""``harness logs FILE [--package PKG] [--json]`` through ``run_logs``, with real files and streams."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from harness.logs.cli_logs import run_logs

DATA = Path(__file__).parent / "data"
KEYS = ["time", "kind", "package", "pid", "job_id", "reason", "killer", "line", "task"]  # + "run" when numbered


def run(path: Path | str, package: str | None = None, as_json: bool = True) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_logs(str(path), package, as_json, out, err)
    return code, out.getvalue(), err.getvalue()


def json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


def test_json_objects_have_exactly_the_keys(tmp_path: Path) -> None:
    code, out, err = run(DATA / "s02_a.txt")
    assert (code, err) == (0, "")
    rows = json_lines(out)
    assert [list(row) for row in rows] == [KEYS, KEYS]
    assert rows == [
        {"time": "11-02 15:19:00.136", "kind": "force_stop", "package": "im.vector.app.debug", "pid": None,
         "job_id": None, "reason": "MARs #1", "killer": "samsung", "line": 3, "task": None},
        {"time": "11-02 15:19:00.137", "kind": "kill", "package": "im.vector.app.debug", "pid": 29855,
         "job_id": None, "reason": "stop im.vector.app.debug,MARs #1", "killer": "samsung", "line": 4, "task": None}]


def test_line_numbers_count_every_line_of_the_file(tmp_path: Path) -> None:
    capture = tmp_path / "mixed.txt"
    capture.write_text("--------- beginning of events\n\nnot logcat\n" + (DATA / "s21_a.txt").read_text()
                       + "[ 05-25 18:10:17.249 4230:16683 D/PFW.HwPFWAppWakeLockPolicy ]\n"
                         "force stop abnormal wakelock app uid: 10185\n\n", encoding="utf-8")
    code, out, err = run(capture)
    assert code == 0
    assert [(r["kind"], r["job_id"], r["killer"], r["line"]) for r in json_lines(out)] == [
        ("job_timeout", 999, None, 4), ("force_stop", None, "huawei", 6)]
    assert err == "skipped 1 unparseable line, e.g.:\n  line 3: 'not logcat'\n"


def test_skipped_lines_are_counted_on_stderr(tmp_path: Path) -> None:
    capture = tmp_path / "c.txt"
    capture.write_text("junk one\n" + (DATA / "s10_c.txt").read_text() + "junk two\njunk three\n", encoding="utf-8")
    code, out, err = run(capture)
    assert code == 0 and len(out.splitlines()) == 1
    # the count, then a sample of what was skipped, with line numbers (issue 18)
    assert err == ("skipped 3 unparseable lines, e.g.:\n  line 1: 'junk one'\n  line 3: 'junk two'\n"
                   "  line 4: 'junk three'\n")


def test_human_output_names_the_killer() -> None:
    code, out, _ = run(DATA / "s03_b.txt", as_json=False)
    assert code == 0
    [line] = out.splitlines()
    assert "kill" in line and "com.termux" in line and "pid=11364" in line and "killer=samsung" in line
    assert '"DHA:empty #33"' in line and "12-22 14:15:11.155" in line


def test_package_filter(tmp_path: Path) -> None:
    capture = tmp_path / "c.txt"
    capture.write_text((DATA / "s08_a.txt").read_text() + "I device_idle: [5,s:shell]\n", encoding="utf-8")
    _, out, _ = run(capture, package="com.android.dynsystem")
    assert [(r["kind"], r["pid"], r["reason"]) for r in json_lines(out)] == [
        ("kill", 2997, "empty #24"), ("kill", 2980, "empty #25"), ("doze", None, "IDLE")]


def test_jobscheduler_dump_gives_its_history(tmp_path: Path) -> None:
    capture = tmp_path / "jobs.txt"
    capture.write_text((DATA / "s17_a.txt").read_text() + (DATA / "s17_b.txt").read_text()
                       + "     -5s0ms   START: #u0a29/-66 com.b/.J\n", encoding="utf-8")
    code, out, err = run(capture)
    assert (code, err) == (0, "")
    assert [(r["time"], r["kind"], r["package"], r["job_id"], r["reason"], r["line"]) for r in json_lines(out)] == [
        ("-1h35m26s440ms", "job_start", "com.google.android.youtube", 9008, None, 26),
        ("-1h35m26s362ms", "job_stop", "com.google.android.youtube", 9008, "app called jobFinished", 27),
        ("-5s0ms", "job_start", "com.b", -66, None, 28)]


def test_deviceidle_dump_gives_the_doze_state(tmp_path: Path) -> None:
    capture = tmp_path / "idle.txt"
    capture.write_text((DATA / "s16_a.txt").read_text() + "  mState=IDLE mLightState=OVERRIDE\n", encoding="utf-8")
    _, out, _ = run(capture)
    assert [(r["kind"], r["reason"], r["time"], r["line"]) for r in json_lines(out)] == [("doze", "IDLE", None, 28)]
    _, out, _ = run(DATA / "s15_a.txt")  # Settings only: nothing happened
    assert out == ""


@pytest.mark.parametrize(("content", "words"), [
    (b"\x00\x01binary\x00", "binary file"),
    (b"11-02 15:19:00.136  1 2 I T: caf\xe9\n", "not UTF-8"),
])
def test_binary_files_are_refused(tmp_path: Path, content: bytes, words: str) -> None:
    capture = tmp_path / "capture.bin"
    capture.write_bytes(content)
    code, out, err = run(capture)
    assert (code, out) == (2, "")
    assert str(capture) in err and words in err


def test_missing_file_and_directory(tmp_path: Path) -> None:
    for path in (tmp_path / "nope.txt", tmp_path):
        code, out, err = run(path)
        assert (code, out) == (2, "")
        assert err.startswith(f"harness logs: cannot read {path}")


def test_byte_order_mark_is_ignored(tmp_path: Path) -> None:
    capture = tmp_path / "bom.txt"
    capture.write_bytes(b"\xef\xbb\xbf" + (DATA / "s10_a.txt").read_bytes())
    code, out, err = run(capture)
    assert (code, err, json_lines(out)[0]["kind"]) == (0, "", "process_died")
