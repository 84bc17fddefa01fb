"""The iOS driver's tests share one way to bring up a lab: its two iPhones on a fast clock, one lab per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.labkit import RunningLab
from tests.labkit import test_config as lab_config


@pytest.fixture(scope="module")
def ios_lab() -> Iterator[RunningLab]:
    running = RunningLab(lab_config(clock_rate=600, names=("iphone-12", "iphone-15")))
    running.thread.start()
    try:
        yield running
    finally:
        running.thread.stop()
