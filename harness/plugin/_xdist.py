"""One device, one worker: a pytest-xdist scheduler that groups tests by the device they run on.

pytest-xdist's own ``loadgroup`` renames node ids (``test_x[pixel-8]@pixel-8``) by assigning
``item._nodeid``, which pytest 9 no longer reads (node ids live in ``Node._id``), so the groups are
silently lost. This scheduler finds the device in the node id's parameter part instead, and falls
back to xdist's per-test distribution for tests that use no device.
"""

from __future__ import annotations

import re

import pytest
from xdist.scheduler import LoadScopeScheduling  # type: ignore[import-untyped]

__all__ = ["DeviceScheduling", "device_of"]


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
