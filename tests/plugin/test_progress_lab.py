"""Live progress in a real run on a private lab, with stdout not a terminal (a CI log): plain lines, one per cell
start, wait and end, naming the phone, the cell, the window in device time and ETAs; no dots, no ANSI; pytest's
summary and the matrix stay. Once with xdist (one worker per phone) and once in a single process."""

from __future__ import annotations

import re

import pytest

from tests.labkit import private_devices_toml

pytest_plugins = ["pytester"]

SCENARIOS = '''
import os

from harness.logs.expect import Expect

TASK = "nightly-upload"  # needs the charger and 31 min of screen-off idle: it never runs in these cells


def test_an_event_that_never_comes(timeline: Expect) -> None:
    assert timeline.stream.wait_for(lambda e: e.kind == "task_end" and e.task == TASK, timeline.mark, 120) is None


def test_an_expectation(timeline: Expect) -> None:
    timeline.task_not_fired(TASK, during_s=180)


def test_zz_worker_dies(device) -> None:
    if device.name == "xiaomi-13" and "PYTEST_XDIST_WORKER" in os.environ and not os.path.exists("died"):
        open("died", "w").close()  # once: xdist may run a crashed cell again on the worker that replaces it
        os._exit(3)  # the xdist worker dies mid-cell: it never writes the cell's end
'''
PHONES = ("pixel-8", "xiaomi-13")
_LINE = re.compile(r"^\[progress\] (?P<phone>\S+) (?P<kind>start|wait|end) (?P<cell>\S+) (?P<rest>.*)$")


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    (pytester.path / "devices.toml").write_text(private_devices_toml(pytester.path / "state"))
    pytester.makepyfile(test_lab=SCENARIOS)
    return pytester.runpytest_subprocess("--reports", "reports", "-p", "no:cacheprovider", "-p", "no:randomly",
                                         "-q", *args, timeout=300)


def _progress(result: pytest.RunResult) -> list[re.Match[str]]:
    return [m for line in result.outlines if (m := _LINE.match(line))]


def _check_cell(lines: list[re.Match[str]], phone: str, test: str) -> None:
    cell = f"test_lab.py::{test}[{phone}]"
    mine = [m for m in lines if m["phone"] == phone and m["cell"] == cell]
    assert [m["kind"] for m in mine] == ["start", "wait", "end"], mine
    start, wait, end = (m["rest"] for m in mine)
    assert re.search(r"\| cell \d/3 \| plan \S+ of device time, \S+ of wall time \| phone eta \S+ \| run eta \S+$",
                     start), start
    window = "2m00s" if test == "test_an_event_that_never_comes" else "3m00s"
    assert re.search(rf"^for .+ \| window {window} of device time \(\S+ at \d+x\) \| elapsed \S+ \| phone eta \S+ "
                     r"\| run eta \S+$", wait), wait
    assert re.search(r"^passed in \S+ \(plan \S+, used \S+ of device time\) \| cell \d/3 \| (phone eta \S+|phone done)"
                     r" \| run eta \S+$", end), end


def test_plain_progress_with_one_worker_per_phone(pytester: pytest.Pytester) -> None:
    result = _run(pytester, "-n", "2", *(arg for phone in PHONES for arg in ("--device", phone)))
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed") == 1 and outcomes.get("passed", 0) >= 5, result.outlines[-30:]  # 1: the crash
    lines = _progress(result)
    for phone in PHONES:
        for test in ("test_an_event_that_never_comes", "test_an_expectation"):
            _check_cell(lines, phone, test)
    waits = {m["rest"].split(" | ")[0] for m in lines if m["kind"] == "wait"}
    assert waits == {"for e.kind == \"task_end\" and e.task == 'nightly-upload'",
                     "for task_not_fired task='nightly-upload'"}
    died = [m["rest"] for m in lines if m["cell"] == "test_lab.py::test_zz_worker_dies[xiaomi-13]"]
    assert died[0].startswith("| cell 3/3") and any(d.startswith("crashed in ") for d in died), died  # controller
    assert any(re.fullmatch(r"\[progress\] run 6/6 cells in \S+ \(cells took \S+ of \S+ planned\)", line)
               for line in result.outlines), result.outlines[-20:]
    assert not any("\x1b" in line for line in result.outlines)
    assert not any(re.fullmatch(r"[.FEsx]+( +\[ *\d+%\])?", line.strip()) for line in result.outlines if line.strip())
    result.stdout.fnmatch_lines(["*survival matrix*"])


def test_plain_progress_without_xdist(pytester: pytest.Pytester) -> None:
    result = _run(pytester, "--device", "pixel-8")
    assert result.parseoutcomes().get("passed") == 3, result.outlines[-30:]
    lines = _progress(result)
    _check_cell(lines, "pixel-8", "test_an_event_that_never_comes")
    _check_cell(lines, "pixel-8", "test_an_expectation")
    assert {m["phone"] for m in lines} == {"pixel-8"}
