"""A worker that dies mid-cell leaves a result, and its cell is not run again on the dirty phone.

A whole pytest-xdist run through the plugin against a private lab: the crashing cell puts pixel-8's app in the
``restricted`` standby bucket (journaled), logs a line of its own, and ``kill -9``s its own worker. xdist re-queues
a dead worker's pending cells, the crashed one included; the harness keeps that one out, writes its ``error``
"worker crashed" result with the phone and the last log lines, and the phone's next cell finds it put back from
its restore journal.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from tests.labkit import private_devices_toml

pytest_plugins = ["pytester"]

SCENARIOS = '''
import os
import signal
from pathlib import Path


def test_a_crash(android):
    with Path("crash_runs.txt").open("a") as runs:  # one line per time this cell ran
        runs.write("ran\\n")
    android.set_standby_bucket("restricted")
    mark = android.stream.mark()
    android.transport.shell("log -t CrashCell about-to-die")
    assert android.stream.wait_for_line("about-to-die", mark, 600) is not None  # in logcat.txt before the crash
    os.kill(os.getpid(), signal.SIGKILL)


def test_b_after_the_crash(android):
    assert android.standby_bucket() != "restricted", "the crashed cell's change was not put back"
'''


@pytest.fixture
def run(pytester: pytest.Pytester) -> pytest.RunResult:
    (pytester.path / "devices.toml").write_text(private_devices_toml(pytester.path / "state"))
    pytester.makepyfile(test_crash=SCENARIOS)
    return pytester.runpytest_subprocess("--device", "pixel-8", "-n", "1", "--reports", "reports",
                                         "-p", "no:cacheprovider", "-p", "no:randomly", timeout=300)


def test_a_crashed_worker_leaves_an_error_result_and_no_rerun(run: pytest.RunResult,
                                                             pytester: pytest.Pytester) -> None:
    runs = (pytester.path / "crash_runs.txt").read_text().splitlines()
    assert runs == ["ran"], run.outlines[-40:]  # not re-run on the dirty phone
    outcomes = run.parseoutcomes()
    assert outcomes.get("passed") == 1, run.outlines[-40:]  # the next cell: the phone was put back

    latest = pytester.path / "reports" / "latest"
    results = {r["nodeid"]: r for line in (latest / "results.jsonl").read_text().splitlines()
               if (r := json.loads(line))["type"] == "result"}
    crashed = results["test_crash.py::test_a_crash[pixel-8]"]
    assert crashed["outcome"] == "error" and crashed["device"] == "pixel-8", crashed
    assert crashed["message"].startswith("worker crashed: xdist worker gw0 died while running "
                                         "test_crash.py::test_a_crash[pixel-8] on pixel-8"), crashed["message"]
    assert "CrashCell: about-to-die" in crashed["message"]  # the capture's last lines
    assert "logcat.txt" in crashed["artifacts"]
    assert results["test_crash.py::test_b_after_the_crash[pixel-8]"]["outcome"] == "passed"

    junit = ET.parse(latest / "junit.xml").getroot()
    case = next(c for c in junit.iter("testcase") if "test_a_crash" in (c.get("name") or ""))
    assert case.find("error") is not None or case.find("failure") is not None
    pages = [p.read_text() for p in latest.rglob("*.html")]
    assert any("worker crashed" in page for page in pages)
