"""A stand-in JobService for the lab's JobScheduler tests: records starts and stops, never calls jobFinished."""

from __future__ import annotations

__all__ = ["Recorder"]


class Recorder:
    """A JobService that never calls jobFinished (unless the test does), for the running-job paths."""

    def __init__(self) -> None:
        self.started: list[int] = []
        self.stopped: list[tuple[int, str]] = []

    def on_start_job(self, package: str, job_id: int, namespace: str | None) -> None:
        self.started.append(job_id)

    def on_stop_job(self, package: str, job_id: int, namespace: str | None, reason: str) -> None:
        self.stopped.append((job_id, reason))
