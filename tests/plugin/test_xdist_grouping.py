"""One device, one worker: the scheduler finds the device in the node id."""

from __future__ import annotations

import pytest

from harness.plugin._xdist import device_of
from tests.labkit import ROOT

pytest_plugins = ["pytester"]
NAMES = ("pixel-8", "xiaomi-13", "oppo-find-x6", "samsung-s23", "iphone-15")


@pytest.mark.parametrize(
    ("nodeid", "expected"),
    [
        ("scenarios/test_a.py::test_x[xiaomi-13]", "xiaomi-13"),
        ("scenarios/test_a.py::test_x[pixel-8-3]", "pixel-8"),
        ("scenarios/test_a.py::test_x[fast-oppo-find-x6]", "oppo-find-x6"),
        ("scenarios/test_a.py::test_x[samsung-s23-a-b]", "samsung-s23"),
        ("scenarios/test_a.py::test_plain", None),
        ("scenarios/test_a.py::test_x[pixel-88]", None),
    ],
)
def test_device_of(nodeid: str, expected: str | None) -> None:
    assert device_of(nodeid, NAMES) == expected


def test_each_device_runs_on_one_worker(pytester: pytest.Pytester) -> None:
    (pytester.path / "devices.toml").write_text((ROOT / "devices.toml").read_text())
    pytester.makeconftest("""
import os
import pytest
from harness.config import load_config

CFG = load_config("devices.toml")

def pytest_generate_tests(metafunc):
    if "dev" in metafunc.fixturenames:
        metafunc.parametrize("dev", [d.name for d in CFG.devices[:2]])

@pytest.fixture
def where(dev):
    return dev

""")
    pytester.makepyfile(test_h="""
import os, pytest

@pytest.mark.parametrize("n", range(4))
def test_h(where, n):
    print("RAN", where, os.environ["PYTEST_XDIST_WORKER"])
""")
    result = pytester.runpytest_subprocess("-n", "3", "-s", "-p", "no:cacheprovider", "-v", "test_h.py")
    workers: dict[str, set[str]] = {}
    for line in result.outlines:
        if "PASSED" in line and "test_h[" in line:
            worker = line.split("]")[0].strip("[")
            dev = line.split("test_h[")[1].split("-")[0] + "-" + line.split("test_h[")[1].split("-")[1]
            workers.setdefault(dev, set()).add(worker)
    assert workers and all(len(w) == 1 for w in workers.values()), workers
