"""What the lab's JobScheduler tests share: a stand-in JobService that records starts and stops (and never calls
jobFinished), a shell on the phone as (stdout, stderr, code), and a bounded poll of the model's state."""

from __future__ import annotations

import time
from collections.abc import Callable

from tests.labkit import RunningLab

__all__ = ["NAME", "Recorder", "sh", "wait_for"]

NAME = "pixel-8"


def sh(lab: RunningLab, command: str) -> tuple[str, str, int]:
    result = lab.shell(NAME, command)
    return result.stdout, result.stderr, result.code


def wait_for(check: Callable[[], bool], timeout_s: float = 5.0) -> None:
    """Poll model state the lab changes on its own loop (no event crosses to the test thread)."""
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


class Recorder:
    """A JobService that never calls jobFinished (unless the test does), for the running-job paths."""

    def __init__(self) -> None:
        self.started: list[int] = []
        self.stopped: list[tuple[int, str]] = []

    def on_start_job(self, package: str, job_id: int, namespace: str | None) -> None:
        self.started.append(job_id)

    def on_stop_job(self, package: str, job_id: int, namespace: str | None, reason: str) -> None:
        self.stopped.append((job_id, reason))
