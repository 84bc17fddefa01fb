"""``harness logs FILE`` on iPhone captures: the same table and JSON as for Android, format autodetected."""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path

import pytest
from pymobiledevice3.cli.syslog import format_line
from pymobiledevice3.services.os_trace import SyslogEntry, SyslogLabel, SyslogLogLevel

from harness.logs.cli_logs import capture_events, run_logs

DATA = Path(__file__).parent / "data"
KEYS = ["time", "kind", "package", "pid", "job_id", "reason", "killer", "line", "task"]  # + "run" when numbered


def run(path: Path | str, package: str | None = None, as_json: bool = True) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_logs(str(path), package, as_json, out, err)
    return code, out.getvalue(), err.getvalue()


def json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


def test_console_export_json() -> None:
    code, out, err = run(DATA / "ios_s01_a.txt")
    assert (code, err) == (0, "")
    rows = json_lines(out)
    assert all(list(row) == KEYS for row in rows)
    assert rows == [
        {"time": "05:40:26.372168+0400", "kind": "push", "package": "com.********.test", "pid": None, "job_id": None,
         "reason": "priority 5", "killer": None, "line": 1, "task": None},
        {"time": "05:40:26.402957+0400", "kind": "activity", "package": "com.********.test", "pid": None,
         "job_id": None, "reason": "submitted", "killer": None, "line": 5, "task": None},
        {"time": "05:40:26.405965+0400", "kind": "activity", "package": "com.********.test", "pid": None,
         "job_id": None, "reason": "canceled", "killer": None, "line": 6, "task": None},
    ]


@pytest.mark.parametrize(("name", "rows"), [
    ("ios_s02_a.txt", [("10:03:39.139515 +0100", "push", "gg.hc.apnstest", None, "priority 1", 1)]),
    ("ios_s03_a.txt", [("16:49:45.424565+0100", "push", "de.xyz.xyz.dev", None, "priority 10", 1)]),
    ("ios_s04_a.txt", [("2022-10-11 17:33:48.620501-0700", "activity", None, 2318, "simulated_launch", 1),
                       ("2022-10-11 17:33:51.256109-0700", "activity", None, 2318, "not_scheduled", 2)]),
    ("ios_s04_c.txt", [("2019-06-18 23:36:54.523814+0800", "activity", None, 5127, "simulated_launch", 1)]),
])
def test_other_captures(name: str, rows: list[tuple[object, ...]]) -> None:
    code, out, err = run(DATA / name)
    assert (code, err) == (0, "")
    assert [(r["time"], r["kind"], r["package"], r["pid"], r["reason"], r["line"]) for r in json_lines(out)] == rows


def test_a_capture_with_nothing_to_report() -> None:
    assert run(DATA / "ios_s05_a.txt") == (0, "", "")


def _driver_capture(tmp_path: Path) -> Path:
    """A capture as the iOS driver writes it: pmd3 ``format_line(entry, include_label=True)`` per entry."""
    def line(process: str, pid: int, message: str, level: SyslogLogLevel = SyslogLogLevel.NOTICE) -> str:
        entry = SyslogEntry(pid, datetime(2026, 11, 28, 8, 0, 0, 500000), level, f"/usr/lib/{process}", 0,
                            f"/usr/libexec/{process}", message, SyslogLabel(category="c", subsystem="s"))
        return format_line(entry, include_label=True, image_offset=False, color=False)

    ident = "[app<com.example.courier(6C1E2A9E)>:412]"
    lines = [
        line("runningboardd", 92, f"{ident} This process will be managed."),
        line("Courier", 412, "BgProbe v1 task_start task=sync-orders run=3 trigger=bgtask", SyslogLogLevel.INFO),
        line("Courier", 412, "a message\nover two rows", SyslogLogLevel.INFO),
        line("runningboardd", 92, f"{ident} termination reported by launchd (1, 7, 9)"),
        line("runningboardd", 92, f"Removing process: {ident}"),
        line("SpringBoard", 58, "Received incoming message on topic com.example.other at priority 5"),
    ]
    capture = tmp_path / "syslog.txt"
    capture.write_text("".join(text + "\n" for text in lines), encoding="utf-8")
    return capture


def test_the_drivers_own_capture(tmp_path: Path) -> None:
    code, out, err = run(_driver_capture(tmp_path))
    assert (code, err) == (0, "")
    assert [(r["time"], r["kind"], r["package"], r["pid"], r["reason"], r["killer"], r["line"])
            for r in json_lines(out)] == [
        ("2026-11-28 08:00:00.500000", "process_start", "com.example.courier", 412, None, None, 1),
        ("2026-11-28 08:00:00.500000", "task_start", "com.example.courier", 412, "bgtask", None, 2),
        ("2026-11-28 08:00:00.500000", "kill", "com.example.courier", 412, "jetsam: per-process-limit", "ios", 5),
        ("2026-11-28 08:00:00.500000", "push", "com.example.other", None, "priority 5", None, 7),
    ]


def test_package_filter_takes_a_bundle_id(tmp_path: Path) -> None:
    _, out, _ = run(_driver_capture(tmp_path), package="com.example.other")
    assert [(r["kind"], r["package"]) for r in json_lines(out)] == [("push", "com.example.other")]


def test_human_output_names_the_killer(tmp_path: Path) -> None:
    code, out, _ = run(_driver_capture(tmp_path), as_json=False)
    assert code == 0
    kill = out.splitlines()[2]
    assert kill.split() == ["5", "2026-11-28", "08:00:00.500000", "kill", "com.example.courier", "pid=412",
                            "killer=ios", 'reason="jetsam:', 'per-process-limit"']


def test_idevicesyslog_session_with_unparseable_lines(tmp_path: Path) -> None:
    capture = tmp_path / "idevicesyslog.txt"
    capture.write_text("junk before anything\n[connected]\n"
                       "Nov 28 08:00:01 SpringBoard[58] <Notice>: Received incoming message on topic "
                       "com.example.courier at priority 5\n[disconnected]\nmore junk\n", encoding="utf-8")
    code, out, err = run(capture)
    assert code == 0
    assert [(r["time"], r["kind"], r["line"]) for r in json_lines(out)] == [("Nov 28 08:00:01", "push", 3)]
    assert err.startswith("skipped 2 unparseable lines, e.g.:\n  line 1: 'junk before anything'\n")


def test_android_captures_still_read_as_android() -> None:
    events, skipped = capture_events((DATA / "s02_a.txt").read_text(encoding="utf-8"))
    assert ([(e.kind, e.killer) for e in events], skipped) == ([("force_stop", "samsung"), ("kill", "samsung")], 0)
    events, _ = capture_events((DATA / "s17_a.txt").read_text(encoding="utf-8")
                               + (DATA / "s17_b.txt").read_text(encoding="utf-8"))
    assert {e.kind for e in events} == {"job_start", "job_stop"}


def test_a_crash_text_alone_is_not_taken_for_ios() -> None:
    # Nothing in it parses as either platform: it stays with the logcat reader, which counts it.
    events, skipped = capture_events((DATA / "ios_s06_a.txt").read_text(encoding="utf-8"))
    assert (events, skipped) == ([], 1)
