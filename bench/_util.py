"""What the bench scripts share."""

from __future__ import annotations

import os
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path


def median_ms(fn: Callable[[], object], runs: int) -> float:
    """The median wall time of ``fn()`` over ``runs`` calls, in milliseconds."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


FIGURE_PREFIX = "FIGURE "


def figure(name: str, value: str, goal: str, ok: bool) -> None:
    """Print one of issue 22's figures as the machine-readable line ``bench/run_all.py`` collects:
    ``FIGURE <name>|<value>|<goal>|PASS`` (or ``MISS``); no ``|`` inside the fields."""
    fields = (name, value, goal)
    assert not any("|" in f for f in fields), fields
    print(FIGURE_PREFIX + "|".join((*fields, "PASS" if ok else "MISS")), flush=True)


def virtual_clock(devices_toml: str) -> str:
    """A devices.toml text with ``[lab] clock = "virtual"`` (the shipped default; the test kit's private copies
    default to "realtime")."""
    return re.sub(r'(?m)^clock = "\w+"', 'clock = "virtual"', devices_toml)


def bytecode_env(cache: Path) -> dict[str, str]:
    """This environment as on a developer's machine: byte code cached (under ``cache``, private to the bench; pytest
    keeps its assertion-rewritten modules there too), whatever ``PYTHONDONTWRITEBYTECODE`` says. Without a cache
    every pytest process compiles the harness and rewrites each pytest plugin's package again: about a second of CPU
    per process."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env
