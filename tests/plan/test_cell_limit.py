"""Each cell's own limit, on a private lab: a hung cell ends as an error naming the phone and the stuck call, and a
finished cell records the device time it used beside its plan."""

from __future__ import annotations

import json

import pytest

from tests.labkit import private_devices_toml

pytest_plugins = ["pytester"]

SCENARIOS = '''
from harness.android import AndroidDriver
from harness.logs.expect import Expect
from harness.plan import cost


@cost(lambda c: 60.0)
def test_hangs(android: AndroidDriver, timeline: Expect) -> None:
    timeline.stream.wait_for(lambda e: False, timeline.mark, 10.0 ** 9)  # a window no plan allows


@cost(lambda c: 2 * c.ack)
def test_quick(android: AndroidDriver, timeline: Expect) -> None:
    timeline.reset()
    android.force_stop()
    timeline.killed(by="user", within_s=timeline.ack_s)
'''


@pytest.fixture
def results(pytester: pytest.Pytester) -> dict[str, dict[str, object]]:
    (pytester.path / "devices.toml").write_text(private_devices_toml(pytester.path / "state"))
    pytester.makepyfile(test_lab=SCENARIOS)
    run = pytester.runpytest_subprocess("--device", "pixel-8", "--reports", "reports", "--cell-margin", "1",
                                        "-p", "no:cacheprovider", timeout=240)
    assert run.ret == pytest.ExitCode.TESTS_FAILED, run.outlines[-30:]
    lines = [json.loads(line) for line in (pytester.path / "reports" / "latest" / "results.jsonl").open()]
    return {str(r["nodeid"]).split("::")[1]: r for r in lines if r["type"] == "result"}


def test_a_hung_cell_is_an_error_that_names_the_phone_and_the_call(results: dict[str, dict[str, object]]) -> None:
    hung = results["test_hangs[pixel-8]"]
    assert hung["outcome"] == "error"
    message = str(hung["message"])
    assert "CellTimeout: [pixel-8] EventStream.wait_for (stream.py:" in message
    assert "called from test_lab.py:8: test_hangs[pixel-8] ran past its limit" in message
    assert "ran past its limit of" in message and "declare the cell's real cost" in message
    assert "Timeout (>" not in message  # not pytest-timeout's fixed limit


def test_a_finished_cell_records_the_device_time_it_used(results: dict[str, dict[str, object]]) -> None:
    quick = results["test_quick[pixel-8]"]
    assert quick["outcome"] == "passed" and quick["tier"] == "quick"
    used, planned = quick["device_s"], quick["plan_device_s"]
    assert isinstance(used, float) and isinstance(planned, float)
    assert 0 < used <= planned
