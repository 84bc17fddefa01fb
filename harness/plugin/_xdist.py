"""One device, one worker: a pytest-xdist scheduler that groups tests by the device they run on.

pytest-xdist's own ``loadgroup`` renames node ids (``test_x[pixel-8]@pixel-8``) by assigning
``item._nodeid``, which pytest 9 no longer reads (node ids live in ``Node._id``), so the groups are
silently lost. This scheduler finds the device in the node id's parameter part instead, and falls
back to xdist's per-test distribution for tests that use no device.

A worker that dies mid-cell (``kill -9``, a segfault) hands its pending cells back to the queue, the crashed one
included: xdist would run it again on the dirty phone, in a loop if the cell itself kills the worker. Here the
crashed cell is marked done before its phone's cells go back to the queue, and ``record_crash`` writes its result:
an ``error``, "worker crashed", naming the cell, the phone and the capture's last lines. The phone's next cell
puts it back from its restore journal when it leases it (the ``device`` fixture), the dead worker's lease being
free at once (a dead pid on this host).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from xdist.scheduler import LoadScopeScheduling  # type: ignore[import-untyped]

from harness.plugin._run import Run
from harness.reporting import Result, device_props

__all__ = ["DeviceScheduling", "device_of", "record_crash"]

_TAIL = 30  # log lines kept in a crashed cell's result
_CAPTURES = ("logcat.txt", "syslog.txt")


def device_of(nodeid: str, names: tuple[str, ...]) -> str | None:
    """The configured device a parametrized node id runs on (``test_x[xiaomi-13-3]`` → ``xiaomi-13``)."""
    match = re.search(r"\[(.*)\]$", nodeid)
    if match is None:
        return None
    params = f"-{match.group(1)}-"
    for name in sorted(names, key=len, reverse=True):  # "pixel-8" before a hypothetical "pixel"
        if f"-{name}-" in params:
            return name
    return None


class DeviceScheduling(LoadScopeScheduling):  # type: ignore[misc]
    def __init__(self, config: pytest.Config, log: object | None = None, devices: tuple[str, ...] = ()) -> None:
        super().__init__(config, log)
        self.devices = devices

    def _split_scope(self, nodeid: str) -> str:
        device = device_of(nodeid, self.devices)
        return f"device:{device}" if device is not None else nodeid

    def remove_node(self, node: object) -> str | None:
        """A worker left: on a crash, its running cell is taken out of its phone's work before that goes back
        to the queue (xdist would hand it to the next worker as not yet run)."""
        crashed = _running(self.assigned_work.get(node, {}))
        if crashed is not None:
            for unit in self.assigned_work[node].values():
                if crashed in unit:
                    unit[crashed] = True
        next_pending = super().remove_node(node)
        return crashed if crashed is not None else next_pending


def _running(workload: dict[str, dict[str, bool]]) -> str | None:
    """The cell a worker was running: the first one of its work not yet completed (xdist's own rule)."""
    for unit in workload.values():
        for nodeid, completed in unit.items():
            if not completed:
                return nodeid
    return None


def record_crash(run: Run, nodeid: str, worker: str) -> str:
    """The crashed cell's result (error, "worker crashed", with the phone and its log's last lines); returns the
    message."""
    names = tuple(d.name for d in run.config.devices)
    device = device_of(nodeid, names)
    folder = run.writer.artifact_dir(nodeid)
    tail, artifacts = "", {}
    for name in _CAPTURES:
        path = folder / name
        if path.is_file():
            tail = "\n".join(_last_lines(path, _TAIL))
            artifacts[name] = str(path.relative_to(run.writer.run_dir))
    message = (f"worker crashed: xdist worker {worker} died while running {nodeid} on {device or 'no device'}; the "
               "cell was not run again (its phone is put back from its restore journal before its next cell)")
    if tail:
        message += f"\nlast log lines:\n{tail}"
    now = time.time()
    dev = run.config.device(device) if device is not None else None
    run.writer.add(Result(nodeid, _scenario(nodeid), device or "", "error",
                          device_props(dev) if dev is not None else {}, started_at=now, ended_at=now,
                          message=message, artifacts=artifacts))
    return message


def _last_lines(path: Path, count: int) -> list[str]:
    with path.open("rb") as handle:
        handle.seek(0, 2)
        handle.seek(max(0, handle.tell() - 64_000))
        return handle.read().decode("utf-8", "replace").splitlines()[-count:]


def _scenario(nodeid: str) -> str:
    """``test_x`` of ``scenarios/test_a.py::test_x[pixel-8]``."""
    return nodeid.rpartition("::")[2].partition("[")[0]
