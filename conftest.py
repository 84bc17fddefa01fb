"""Root conftest: the harness's pytest plugin (also registered by the package's pytest11 entry point
under the same name, so it is loaded once either way), and where a cell's timeline starts."""

from __future__ import annotations

import pytest

from harness.logs.expect import Expect

pytest_plugins = ["harness.plugin"]


@pytest.fixture(autouse=True)
def _timeline_starts_after_the_previous_cell(request: pytest.FixtureRequest) -> None:
    """A cell's timeline holds what the phone logged from the cell's start on, not the previous cell's last lines.

    The capture opens with the phone's last lines (``logcat -T <count>``; an iPhone's relay may send its buffer
    first), so it begins with lines logged before the cell, and the first mark counts a line logged at its own
    instant as "since" it. On a real
    phone the previous cell's lines are older than the mark: its clock ran on through the teardown and the setup. On a
    virtual clock it stood still, so the previous cell's last lines (a push's task run, a permission revoke's kill, a
    thawed app's held jobs) carry the mark's very time, and whether they count depended on how far the reader had got
    when the mark was taken: on the host's load. Here the capture first reads everything the phone logged so far (the
    lab's sync marker, no clock movement) and the timeline starts after it."""
    if "timeline" not in request.fixturenames:
        return
    timeline = request.getfixturevalue("timeline")
    assert isinstance(timeline, Expect)
    stepper = timeline.stream.stepper
    if stepper is None:  # a phone whose clock runs by itself
        return
    timeline.stream.wait_quiet_until(stepper.now())
    timeline.start = timeline.reset()
