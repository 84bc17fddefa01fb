"""Run every bench script in this folder and print their results."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    for script in sorted(HERE.glob("*.py")):
        if script.name in ("run_all.py", "__init__.py") or script.name.startswith("_"):
            continue
        print(f"== {script.stem}")
        runpy.run_path(str(script), run_name="__main__")
