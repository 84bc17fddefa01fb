"""What the bench scripts share."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


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
