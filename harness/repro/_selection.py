"""Check up front what a repro would run: the devices exist, and the test names exactly one test on each.

A typo in the test name would otherwise cost a pytest run per requested run and end in "0 runs with a
verdict"; here it costs one collection and names the tests the file does hold.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config import Config, DeviceConfig
from harness.errors import ConfigError, HarnessError
from harness.repro._pytest import collect

__all__ = ["check_selection", "devices_of"]


def devices_of(cfg: Config, names: list[str]) -> list[DeviceConfig]:
    """The configured devices, in the order given; an unknown name is bad input (exit code 2)."""
    chosen = []
    for name in names:
        try:
            chosen.append(cfg.device(name))
        except KeyError:
            known = ", ".join(d.name for d in cfg.devices)
            raise ConfigError(cfg.path, f"device {name!r}", "no such device", f"configured: {known}") from None
    if len({d.name for d in chosen}) != len(chosen):
        raise ConfigError(cfg.path, "--device/--compare", "a device is named twice")
    return chosen


def check_selection(test: str, devices_path: str, dev: DeviceConfig, logs: Path) -> str:
    """The one node id ``test`` selects on ``dev``; a ``HarnessError`` naming what is there otherwise."""
    code, nodeids = collect(test, devices_path, dev.name, logs / f"collect-{dev.name}.log")
    if code == pytest.ExitCode.INTERRUPTED:  # Ctrl-C while pytest collected: the repro is interrupted, not wrong
        raise KeyboardInterrupt
    ran = [n for n in nodeids if n.endswith(f"[{dev.name}]")]
    if len(ran) == 1:
        return ran[0]
    if ran:
        listed = "\n  ".join(ran)
        raise HarnessError(f"{test} selects {len(ran)} tests on {dev.name}; name one of them:\n  {listed}")
    if nodeids:
        raise HarnessError(f"{test} does not apply to {dev.name} ({dev.oem}, {dev.platform}): its markers "
                           "select other devices")
    file = test.split("::", 1)[0]
    _, in_file = collect(file, devices_path, None, logs / "collect-file.log")
    names = sorted({n.split("::", 1)[-1].split("[", 1)[0] for n in in_file})
    hint = f"; {file} holds: {', '.join(names)}" if names else f" (pytest exit code {code}; see {logs})"
    raise HarnessError(f"no test {test!r}{hint}")
