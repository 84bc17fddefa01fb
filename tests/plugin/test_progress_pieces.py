"""Live progress, piece by piece: durations, ETA arithmetic, the board, the plain lines, and what a wait
publishes when a real EventStream waits (through Expect and through a scenario's own predicate)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from rich.console import Console

from harness.logs.expect import Expect
from harness.logs.stream import EventStream, observe_waits
from harness.plugin._progress._board import Board, Cell, PhoneView, Wait, pace, phone_eta, run_eta
from harness.plugin._progress._display import Display, LineProxy, Tail
from harness.plugin._progress._feed import PROGRESS_DIR, Feed
from harness.plugin._progress._lines import cell_name, end_line, now_text, span, start_line, wait_line
from harness.plugin._progress._watch import RunWatch

TASK = "sync-orders"


@pytest.mark.parametrize(("seconds", "text"), [
    (None, "?"), (-3, "<0.1s"), (0.04, "<0.1s"), (7.46, "7.5s"), (42.4, "42s"), (59.6, "1m00s"), (450, "7m30s"),
    (3599.6, "1h00m"), (7500, "2h05m"), (86400 + 4 * 3600, "1d04h"),
])
def test_span(seconds: float | None, text: str) -> None:
    assert span(seconds) == text


@pytest.mark.parametrize(("finished", "expected"), [
    ([], None),  # nothing finished: no pace yet
    ([(0.0, 5.0)], None),  # a plan of nothing says nothing
    ([(10.0, 5.0)], 0.5),
    ([(10.0, 5.0), (30.0, 35.0)], 1.0),  # over the sums, not a mean of ratios
    ([(10.0, 1000.0)], 20.0),  # bounded: one stuck cell does not make the ETA absurd
    ([(100.0, 0.1)], 0.05),
])
def test_pace(finished: list[tuple[float, float]], expected: float | None) -> None:
    assert pace(finished) == expected


@pytest.mark.parametrize(("current", "pending", "speed", "expected"), [
    (None, [10.0, 20.0], 1.0, 30.0),  # nothing running: the cells not started
    ((10.0, 4.0), [10.0], 1.0, 16.0),  # 6 s left of the current cell, then 10
    ((10.0, 15.0), [10.0], 1.0, 10.0),  # past its plan: counted as ending now, not negative
    ((10.0, 4.0), [10.0], 0.5, 6.0),  # the phone runs at half its plan: 1 s left, then 5
    ((10.0, 4.0), [], 2.0, 16.0),
])
def test_phone_eta(current: tuple[float, float] | None, pending: list[float], speed: float, expected: float) -> None:
    assert phone_eta(current, pending, speed) == pytest.approx(expected)


@pytest.mark.parametrize(("busy", "queued", "workers", "expected"), [
    ([5.0, 10.0], [], 2, 10.0),  # one phone per worker: the slowest phone
    ([5.0], [10.0, 3.0], 2, 10.0),  # the free worker takes the heaviest queued phone, the other waits for 5 s
    ([5.0, 1.0], [10.0, 3.0], 2, 11.0),  # heaviest first to the first worker to free up (1 s), 3 s after 5 s
    ([], [4.0, 4.0, 4.0], 1, 12.0),  # no xdist: one after another
    ([], [4.0, 4.0, 4.0], 3, 4.0),
    ([7.0, 7.0, 7.0], [], 2, 7.0),  # more phones busy than workers (a worker between phones): still 7
    ([], [], 4, 0.0),
])
def test_run_eta(busy: list[float], queued: list[float], workers: int, expected: float) -> None:
    assert run_eta(busy, queued, workers) == pytest.approx(expected)


def _plan(device: str, *walls: float) -> list[dict[str, object]]:
    return [{"nodeid": f"scenarios/test_x.py::test_{n}[{device}]", "device": device, "wall_s": w, "device_s": w * 240}
            for n, w in enumerate(walls)]


def test_board_folds_events_and_corrects_the_eta_by_the_pace_seen() -> None:
    board = Board(workers=1)
    board.load_plan(_plan("pixel-8", 10.0, 10.0, 10.0) + _plan("xiaomi-13", 40.0))
    first, second = (f"scenarios/test_x.py::test_{n}[pixel-8]" for n in (0, 1))
    board.apply({"e": "start", "t": 100.0, "nodeid": first, "device": "pixel-8"})
    assert board.phone("pixel-8", 104.0).eta_s == pytest.approx(26.0)  # 6 + 10 + 10 at the plan's pace
    assert board.run_eta(104.0) == pytest.approx(66.0)  # one worker: xiaomi-13 (40 s) waits for pixel-8
    board.apply({"e": "end", "t": 105.0, "nodeid": first, "device": "pixel-8", "outcome": "passed",
                 "used_device_s": 1200.0})
    board.apply({"e": "start", "t": 105.0, "nodeid": second, "device": "pixel-8"})
    board.apply({"e": "wait", "t": 106.0, "nodeid": second, "device": "pixel-8", "what": "task_fired task='s'",
                 "window_s": 1800.0, "rate": 240.0})
    view = board.phone("pixel-8", 106.0)
    assert (view.done, view.total, view.current and view.current.nodeid) == (1, 3, second)
    assert view.current is not None and view.current.wait == Wait("task_fired task='s'", 1800.0, 240.0, 106.0)
    assert view.eta_s == pytest.approx(4.0 + 5.0)  # the first cell took half its plan: so will these
    assert board.cells[first].used_device_s == 1200.0
    board.apply({"e": "waited", "t": 107.0, "nodeid": second, "device": "pixel-8"})
    assert board.cells[second].wait is None
    assert board.apply({"e": "wait", "t": 1.0, "nodeid": "not/in/the.py::plan", "device": "x"}) is None


def test_board_learns_a_cell_the_plan_did_not_list() -> None:
    board = Board()
    board.apply({"e": "start", "t": 1.0, "nodeid": "t.py::test_a[pixel-8]", "device": "pixel-8", "wall_s": 8.0,
                 "device_s": 1920.0})
    assert board.phone("pixel-8", 3.0) == PhoneView("pixel-8", 0, 1, 0, board.cells["t.py::test_a[pixel-8]"], 6.0)


_CELL = Cell("scenarios/test_doze.py::test_sync[pixel-8]", "pixel-8", 180.0, 43200.0, started=1000.0)
_WAIT = Wait("task_fired task='sync-orders'", 1800.0, 240.0, 1040.0)
_VIEW = PhoneView("pixel-8", 1, 4, 0, _CELL, 610.0)


@pytest.mark.parametrize(("line", "expected"), [
    (start_line(_CELL, _VIEW, 1200.0),
     "[progress] pixel-8 start scenarios/test_doze.py::test_sync[pixel-8] | cell 2/4 | plan 12h00m of device time, "
     "3m00s of wall time | phone eta 10m10s | run eta 20m00s"),
    (wait_line(_CELL, _WAIT, _VIEW, 1200.0),
     "[progress] pixel-8 wait scenarios/test_doze.py::test_sync[pixel-8] for task_fired task='sync-orders' | window "
     "30m00s of device time (7.5s at 240x) | elapsed 40s | phone eta 10m10s | run eta 20m00s"),
    (wait_line(_CELL, Wait("the window to pass", 600.0, 1.0, 1000.0), _VIEW, 1200.0),
     "[progress] pixel-8 wait scenarios/test_doze.py::test_sync[pixel-8] for the window to pass | window 10m00s of "
     "device time | elapsed <0.1s | phone eta 10m10s | run eta 20m00s"),  # a real phone: device time is wall time
    (wait_line(_CELL, Wait("the window to pass", None, 240.0, 1001.0), _VIEW, 1200.0),
     "[progress] pixel-8 wait scenarios/test_doze.py::test_sync[pixel-8] for the window to pass | window of unknown "
     "length (no log line yet to measure it from) | elapsed 1.0s | phone eta 10m10s | run eta 20m00s"),
    (end_line(Cell(_CELL.nodeid, "pixel-8", 180.0, 43200.0, 1000.0, 1171.0, "failed", 41000.0),
              PhoneView("pixel-8", 4, 4, 1, None, 0.0), 30.0),
     "[progress] pixel-8 end scenarios/test_doze.py::test_sync[pixel-8] failed in 2m51s (plan 3m00s, used 11h23m of "
     "device time) | cell 4/4 | phone done | run eta 30s"),
])
def test_plain_lines(line: str, expected: str) -> None:
    assert line == expected
    assert "\x1b" not in line


@pytest.mark.parametrize(("view", "expected"), [
    (PhoneView("pixel-8", 1, 4, 0, Cell("t.py::a[pixel-8]", "pixel-8", 1, 1, 0.0, wait=_WAIT), 1.0),
     "2.0s into a window 30m00s of device time (7.5s at 240x) · waits for task_fired task='sync-orders'"),
    (PhoneView("pixel-8", 1, 4, 0, Cell("t.py::a[pixel-8]", "pixel-8", 1, 1, 0.0), 1.0),
     "acting on the phone (no wait)"),
    (PhoneView("pixel-8", 0, 4, 0, None, 40.0), "not started (its worker is busy, or starting)"),
    (PhoneView("pixel-8", 4, 4, 0, None, 0.0), ""),  # a finished phone: its first line says so
])
def test_now_text(view: PhoneView, expected: str) -> None:
    assert now_text(view, now=1042.0) == expected


@pytest.mark.parametrize(("nodeid", "phone", "name"), [
    ("scenarios/test_doze.py::test_sync[pixel-8]", "pixel-8", "test_doze.py::test_sync"),
    ("test_x.py::test_y[pixel-8-push]", "pixel-8", "test_x.py::test_y[pixel-8-push]"),  # more than the phone: kept
])
def test_cell_name(nodeid: str, phone: str, name: str) -> None:
    assert cell_name(nodeid, phone) == name


def _events(folder: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (folder / PROGRESS_DIR / "main.jsonl").read_text().splitlines()]


def test_a_real_stream_publishes_each_wait_of_the_current_cell(tmp_path: Path) -> None:
    feed = Feed("main", lambda: tmp_path)
    stream = EventStream("pixel-8", clock_rate=240.0)
    other = EventStream("xiaomi-13", clock_rate=240.0)
    stream.close()  # a closed stream's waits return at once: what matters here is what they publish
    other.close()
    observe_waits(feed.observe)
    try:
        stream.wait_for(lambda e: e.kind == "task_end", stream.mark(), 60)  # no cell yet: nothing published
        feed.started("t.py::test_a[pixel-8]", "pixel-8", 10.0, 2400.0)
        Expect(stream, "com.example").task_not_fired(TASK, during_s=600)
        stream.wait_for(lambda e: e.kind == "task_end" and e.task == TASK, stream.mark(), 120)
        stream.wait_for_line("DeviceIdleController", stream.mark(), 90)
        other.wait_for(lambda e: True, other.mark(), 60)  # another phone's stream: not this cell's wait
        feed.ended("passed", 1234.5)
    finally:
        observe_waits(None)
        feed.close()
    events = _events(tmp_path)
    waits = [(e["what"], e["window_s"], e["rate"]) for e in events if e["e"] == "wait"]
    assert waits == [("task_not_fired task='sync-orders'", 600.0, 240.0),
                     ("e.kind == \"task_end\" and e.task == 'sync-orders'", 120.0, 240.0),
                     ("a log line with 'DeviceIdleController'", 90.0, 240.0)]
    assert [e["e"] for e in events] == ["start", "wait", "waited", "wait", "waited", "wait", "waited", "end"]
    assert events[-1]["outcome"] == "passed" and events[-1]["used_device_s"] == 1234.5


def test_tail_reads_whole_lines_only(tmp_path: Path) -> None:
    (tmp_path / "gw1.jsonl").write_text('{"e": "start", "t": 2.0}\n{"e": "wait", "t": 3')
    (tmp_path / "gw0.jsonl").write_text('{"e": "start", "t": 1.0}\n')
    tail = Tail(tmp_path)
    assert [e["t"] for e in tail.read()] == [1.0, 2.0]  # oldest first across the workers' files
    with (tmp_path / "gw1.jsonl").open("a") as f:
        f.write('.5}\n')
    assert tail.read() == [{"e": "wait", "t": 3.5}]
    assert tail.read() == []


def test_run_watch_says_what_the_running_cell_waits_for(tmp_path: Path) -> None:
    watch = RunWatch(tmp_path)
    assert watch.text(now=10.0) == ""  # nothing written yet: the run has not reached its cell
    feed = Feed("main", lambda: tmp_path)
    feed.started("t.py::test_a[pixel-8]", "pixel-8", 20.0, 4800.0)
    feed.emit("wait", nodeid="t.py::test_a[pixel-8]", device="pixel-8", what="task_fired task='s'",
              window_s=1800.0, rate=240.0)
    feed.close()
    start = watch.board.cells  # empty until asked: the watch reads when its text is wanted
    assert start == {}
    text = watch.text(now=json.loads((tmp_path / PROGRESS_DIR / "main.jsonl").read_text().splitlines()[1])["t"])
    assert re.fullmatch(r"\S+, eta \S+ · <0\.1s into a window 30m00s of device time \(7\.5s at 240x\) · "
                        r"waits for task_fired task='s'", text), text


def test_line_proxy_prints_whole_lines_and_keeps_a_part_for_its_end() -> None:
    shown, real = io.StringIO(), io.StringIO()
    proxy = LineProxy(Console(file=shown, width=200, color_system=None), real)
    proxy.write("test_x.py::test_a[pixel-8] ")
    proxy.flush()  # pytest flushes the name before the test runs: nothing shows yet
    assert shown.getvalue() == ""
    proxy.write("PASSED [ 50%]\ntest_x.py::test_b[pixel-8] ")
    assert shown.getvalue() == "test_x.py::test_a[pixel-8] PASSED [ 50%]\n"
    proxy.drain()  # the table stopped: the rest goes to the real stream
    assert real.getvalue() == "test_x.py::test_b[pixel-8] "


def test_the_live_frame_has_two_lines_per_phone_and_the_run(tmp_path: Path) -> None:
    board = Board(workers=2)
    board.load_plan(_plan("pixel-8", 10.0, 10.0) + _plan("xiaomi-13", 40.0))
    cell = "scenarios/test_x.py::test_0[pixel-8]"
    board.apply({"e": "start", "t": 100.0, "nodeid": cell, "device": "pixel-8"})
    board.apply({"e": "wait", "t": 101.0, "nodeid": cell, "device": "pixel-8", "what": "dozed state='IDLE'",
                 "window_s": 600.0, "rate": 240.0})
    display = Display(tmp_path, board, io.StringIO(), live=True)
    display.started = 99.0
    shown = io.StringIO()
    Console(file=shown, width=200, color_system=None).print(display._render(now=103.0))
    assert shown.getvalue().splitlines() == [
        "pixel-8    0/2 cells  test_x.py::test_0  3.0s  eta 17s",
        "           2.0s into a window 10m00s of device time (2.5s at 240x) · waits for dozed state='IDLE'",
        "xiaomi-13  0/1 cells  eta 40s",
        "           not started (its worker is busy, or starting)",
        "run: 0/3 cells in 4.0s so far, eta 40s",
    ]
