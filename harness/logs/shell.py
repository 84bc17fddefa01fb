"""Small shell outputs the harness reads: toybox ``ps`` (android.md §3.2) and
``cmd jobscheduler run`` (§2.1)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["PsRow", "RunOutcome", "RunResult", "parse_jobscheduler_run", "parse_ps"]


@dataclass(frozen=True, slots=True)
class PsRow:
    user: str  # u0_a147, root, system
    pid: int
    ppid: int | None
    name: str  # NAME / CMD, the last column (may hold spaces: "bash -l")
    columns: dict[str, str] = field(default_factory=dict)  # every column by its header

    @property
    def package(self) -> str:
        return self.name.split(":", 1)[0]


def parse_ps(text: str) -> list[PsRow]:
    """Rows of ``ps -A`` / ``ps -ef``; lines before the header row (a shell prompt) are ignored."""
    rows: list[PsRow] = []
    header: list[str] | None = None
    for line in text.splitlines():
        words = line.split()
        if header is None:
            if "PID" in words:
                header = words
            continue
        cells = line.split(None, len(header) - 1)
        if len(cells) < len(header) or not cells[1].isdigit():
            continue
        cols = dict(zip(header, cells, strict=True))
        ppid = cols.get("PPID", "")
        rows.append(PsRow(cells[0], int(cells[1]), int(ppid) if ppid.isdigit() else None, cells[-1], cols))
    return rows


RunOutcome = Literal["running", "no_job", "no_package", "needs_force", "unknown"]


@dataclass(frozen=True, slots=True)
class RunResult:
    outcome: RunOutcome
    forced: bool = False
    job_id: int | None = None
    package: str | None = None
    namespace: str | None = None
    user: int | None = None
    message: str = ""  # the line the outcome was read from

    @property
    def ok(self) -> bool:
        """The request was accepted; that is not proof that onStartJob ran."""
        return self.outcome == "running"


_RUNNING = re.compile(r"^Running job( \[FORCED\])?\s*$", re.M)
_NO_JOB = re.compile(r"Could not find job (-?\d+) in package (\S+)(?: / namespace (\S+))? / user (-?\d+)")
_NO_PACKAGE = re.compile(r"Package not found: (\S+) / user (-?\d+)")
_NEEDS_FORCE = re.compile(r"Job (-?\d+) in package (\S+) / user (-?\d+) has functional constraints")


def parse_jobscheduler_run(text: str) -> RunResult:
    """Outcome of ``cmd jobscheduler run`` from its stdout and stderr together."""
    if (m := _RUNNING.search(text)) is not None:
        return RunResult("running", forced=m.group(1) is not None, message=m.group(0).strip())
    if (m := _NO_JOB.search(text)) is not None:
        return RunResult("no_job", job_id=int(m.group(1)), package=m.group(2), namespace=m.group(3),
                         user=int(m.group(4)), message=m.group(0))
    if (m := _NO_PACKAGE.search(text)) is not None:
        return RunResult("no_package", package=m.group(1), user=int(m.group(2)), message=m.group(0))
    if (m := _NEEDS_FORCE.search(text)) is not None:
        return RunResult("needs_force", job_id=int(m.group(1)), package=m.group(2), user=int(m.group(3)),
                         message=m.group(0))
    return RunResult("unknown", message=text.strip())
