from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

import pytest

from tests.labkit import RunningLab, test_config


@pytest.fixture(scope="session")
def lab() -> Iterator[RunningLab]:
    """The four virtual Android phones behind a private, real adb server (one per test session)."""
    if shutil.which("adb") is None:
        pytest.fail("the `adb` binary is missing: run `make test` (it installs Debian's adb) or apt-get install adb")
    cfg = test_config()
    running = RunningLab(cfg)
    running.thread.start()
    try:
        yield running
    finally:
        running.thread.stop()
        subprocess.run(["adb", "-P", str(cfg.lab.adb_server_port), "kill-server"], capture_output=True,
                       timeout=20, check=False)
