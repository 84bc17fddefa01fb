"""Run every bench script in this folder, then print issue 22's figures in one table: value, goal, PASS/MISS.

Each script runs in its own process (a lab, an adb server or a byte-code cache of one never meets the next), its
output passed through as it comes. A script reports a figure of the issue's table with one line
(``bench._util.figure``)::

    FIGURE <name>|<value>|<goal>|PASS        (or MISS; no "|" inside a field)

The table lists every figure of ``EXPECTED`` in its order, then any other figure a script printed; a figure no
script printed (a script missing, e.g. ``scale.py`` not written yet, or one that failed) is listed as MISSING.
``make bench`` exits 1 when a figure misses or is missing. Named scripts only: ``python bench/run_all.py wire``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._util import FIGURE_PREFIX

HERE = Path(__file__).resolve().parent

# Issue 22's table, in its order: the figure's name as its script prints it, and the script.
EXPECTED: tuple[tuple[str, str], ...] = (
    ("driver verb / raw pure-python-adb shell", "wire.py"),
    ("`adb shell` subprocess / driver verb", "wire.py"),
    ("lab shell round trip / bare adbd", "wire.py"),
    ("40 tests x 4 phones -n 4 / slowest phone alone", "xdist_matrix.py"),
    ("iOS os_trace -> expectation", "log_volume.py"),
    ("make demo", "demo_time.py"),
    ("lab phones on one host: start", "scale.py"),
    ("lab phones on one host: idle CPU", "scale.py"),
    ("lab phones on one host: shell p50", "scale.py"),
    ("24 device-hours on 4 phones, over the wire", "virtual_day.py"),
)


def scripts(only: list[str]) -> list[Path]:
    """Every bench script, or those named (``python bench/run_all.py wire virtual_day``)."""
    return [p for p in sorted(HERE.glob("*.py")) if p.name not in ("run_all.py", "__init__.py")
            and not p.name.startswith("_") and (not only or p.stem in only)]


def run(script: Path) -> tuple[list[str], int, float]:
    """Run one script, echoing its output; its FIGURE lines, exit status and wall seconds."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, cwd=HERE.parent)
    assert proc.stdout is not None
    figures = []
    for line in proc.stdout:
        print(line, end="", flush=True)
        if line.startswith(FIGURE_PREFIX):
            figures.append(line[len(FIGURE_PREFIX):].rstrip("\n"))
    return figures, proc.wait(), time.perf_counter() - start


def missing(script: str, failed: dict[str, int], ran: set[str]) -> str:
    if script in failed:
        return f"MISSING ({script} exited {failed[script]})"
    if not (HERE / script).exists():
        return f"MISSING ({script} absent)"
    if script not in ran:
        return f"MISSING ({script} not run)"
    return f"MISSING (not printed by {script})"


def table(found: dict[str, tuple[str, str, str]], failed: dict[str, int], ran: set[str]) -> list[str]:
    rows = [(name, *found[name]) if name in found else (name, "-", "-", missing(script, failed, ran))
            for name, script in EXPECTED]
    known = {name for name, _ in EXPECTED}
    rows += [(name, *found[name]) for name in found if name not in known]
    width, vwidth, gwidth = (max(len(r[i]) for r in rows) for i in range(3))
    return [f"{name:<{width}}  {value:>{vwidth}}  {goal:<{gwidth}}  {status}" for name, value, goal, status in rows]


def main(only: list[str]) -> int:
    found: dict[str, tuple[str, str, str]] = {}
    failed: dict[str, int] = {}
    times: list[str] = []
    chosen = scripts(only)
    for script in chosen:
        print(f"== {script.stem}", flush=True)
        figures, code, wall = run(script)
        times.append(f"{script.stem} {wall:.0f} s")
        if code != 0:
            failed[script.name] = code
            print(f"!! {script.name} exited {code}", flush=True)
        for line in figures:
            name, value, goal, status = [*line.split("|"), "", "", ""][:4]
            found[name] = (value, goal, status)
    rows = table(found, failed, {p.name for p in chosen})
    print("\n== issue 22: figures, goals, this run (" + ", ".join(times) + ")")
    print("\n".join(rows))
    return 0 if all(r.endswith("PASS") for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
