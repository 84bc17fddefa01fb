"""Run one scenario test through pytest and the harness plugin, in this process.

In-process rather than a subprocess per run: no interpreter start and no re-import of pytest,
matplotlib and the drivers for every run (about 1.5 s each on the 2-core build machine), and
the lab (a separate process) stays up across runs. pytest's own output goes to a log file per run;
the repro's progress bar writes to a duplicate of the terminal's file descriptor, which pytest's fd
capture (``dup2`` over fd 1 and 2 while a test runs) does not touch.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["PytestRun", "collect", "run_test"]

_QUIET = ["-p", "no:cacheprovider", "-W", "ignore::pytest.PytestAssertRewriteWarning"]


@dataclass(frozen=True, slots=True)
class PytestRun:
    run_id: str
    exit_code: int
    run_dir: Path
    log: Path

    @property
    def interrupted(self) -> bool:
        return self.exit_code == pytest.ExitCode.INTERRUPTED


@contextlib.contextmanager
def _env(name: str, value: str) -> Iterator[None]:
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


@contextlib.contextmanager
def _output_to(path: Path) -> Iterator[None]:
    with path.open("w", encoding="utf-8") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        yield


def run_test(test: str, device: str, devices: str, reports: Path, run_id: str, seed: int | None,
             log: Path) -> PytestRun:
    """``pytest TEST --device DEVICE [--lab-seed SEED]`` as run ``run_id``; its report goes under ``reports``."""
    args = [test, "--device", device, "--devices", devices, "--reports", str(reports), "-q", "-rfExX", *_QUIET]
    if seed is not None:
        args += ["--lab-seed", str(seed)]
    log.parent.mkdir(parents=True, exist_ok=True)
    with _env("BGH_RUN_ID", run_id), _output_to(log):
        code = pytest.main(args)
    return PytestRun(run_id, int(code), reports / run_id, log)


class _Collector:
    def __init__(self) -> None:
        self.nodeids: list[str] = []

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.nodeids = [item.nodeid for item in session.items]


def collect(target: str, devices: str, device: str | None, log: Path) -> tuple[int, list[str]]:
    """The node ids ``target`` selects (on ``device``, when given): (pytest's exit code, node ids)."""
    collector = _Collector()
    args = [target, "--collect-only", "-q", "--devices", devices, *_QUIET]
    if device is not None:
        args += ["--device", device]
    log.parent.mkdir(parents=True, exist_ok=True)
    with _output_to(log):
        code = pytest.main(args, plugins=[collector])
    return int(code), collector.nodeids
