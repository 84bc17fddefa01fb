"""One lab for the fuzz suite: every listener of it on free loopback ports, no adb server needed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.lab.runner import LabThread
from tests.fuzz.kit import LogWatch, lab_config


@pytest.fixture(scope="module")
def fuzz_lab() -> Iterator[LabThread]:
    lab = LabThread(lab_config(), connect_adb=False)
    lab.start()
    yield lab
    lab.stop()


@pytest.fixture
def watch() -> Iterator[LogWatch]:
    """Fails the test if the lab logged an unhandled exception while it ran."""
    handler = LogWatch()
    with handler.watching():
        yield handler
    assert not handler.bad, f"{len(handler.bad)} unhandled exception(s) in the lab log, first: {handler.bad[0]}"
