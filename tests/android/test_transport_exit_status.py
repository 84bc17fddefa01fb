"""``AdbTransport.run``: one ``shell,v2`` round trip carries the exit status (issue 22, item 2), through the real
adb server to the lab phone; a phone without ``shell_v2`` gets the marker echo on the raw service."""

from __future__ import annotations

import pytest

from harness.android.transport import AdbTransport
from harness.errors import CommandFailed
from tests.labkit import RunningLab

NAME = "pixel-8"


def _transport(lab: RunningLab) -> AdbTransport:
    return AdbTransport(NAME, lab.serial(NAME), "127.0.0.1", lab.adb_port, default_timeout_s=20)


@pytest.mark.parametrize("v2", [True, False])
def test_exit_status_and_merged_output(lab: RunningLab, v2: bool) -> None:
    transport = _transport(lab)
    transport._shell_v2 = None if v2 else False  # None: asked of the adb server at the first run
    result = transport.run("echo out; cat /nope; false")
    assert (result.output, result.exit_code) == ("out\ncat: /nope: No such file or directory\n", 1)
    assert transport._shell_v2 is v2  # the lab phone offers shell_v2, as every phone since Android 7


def test_an_exit_in_the_command_is_its_status(lab: RunningLab) -> None:
    transport = _transport(lab)
    assert transport.run("echo before; exit 3").exit_code == 3  # the marker echo never ran after an exit
    with pytest.raises(CommandFailed, match="exit 3: before"):
        transport.check("echo before; exit 3")
