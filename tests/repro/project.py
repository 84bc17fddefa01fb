"""A throw-away project for driving the `harness` command end to end: a private devices.toml (free ports,
its own state folder, a fast clock, only some phones) and a copy of some scenarios."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.labkit import ROOT, private_devices_toml

HARNESS = [sys.executable, "-m", "harness.cli"]


def make_project(path: Path, names: tuple[str, ...], scenarios: tuple[str, ...], clock_rate: int = 600,
                 clock: str = "virtual") -> Path:
    """A project on the shipped lab's virtual clock (runs replay exactly, whatever the host's load); ``clock =
    "realtime"`` at ``clock_rate`` for a test that needs the phones' time to run by itself."""
    text = private_devices_toml(path / "state", clock=clock)
    text = re.sub(r"(?m)^clock_rate = \d+", f"clock_rate = {clock_rate}", text, count=1)  # [lab]
    head, *devices = text.split("[[device]]")
    kept = [d for d in devices if any(f'name = "{n}"' in d for n in names)]
    (path / "devices.toml").write_text(head + "".join("[[device]]" + d for d in kept))
    (path / "scenarios").mkdir(exist_ok=True)
    for name in scenarios:
        shutil.copy(ROOT / "scenarios" / name, path / "scenarios" / name)
    return path


def set_device_settings(path: Path, device: str, settings: dict[str, str]) -> None:
    """Give a device a devices.toml ``settings`` table (applied when the lab starts)."""
    table = ", ".join(f'"{k}" = "{v}"' for k, v in settings.items())
    toml = path / "devices.toml"
    text = toml.read_text()
    marker = f'name = "{device}"\n'
    assert marker in text
    toml.write_text(text.replace(marker, f"{marker}settings = {{ {table} }}\n"))


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "160"}


def harness(path: Path, *args: str, timeout_s: float = 600.0) -> subprocess.CompletedProcess[str]:
    """The real `harness` command, run in the project folder."""
    return subprocess.run([*HARNESS, *args], cwd=path, capture_output=True, text=True, timeout=timeout_s,
                          env=env(), check=False)
