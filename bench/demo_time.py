"""`make demo`'s wall time (issue 22: 141 s, goal 45 s): the lab started, then the scenario catalogue on every phone.

The same steps as ``harness demo`` (``harness/cli/_demo.py``): start the lab in the background, run the pytest command
the demo builds (one xdist worker per phone), on the shipped devices.toml, except that the lab's ports and state and
the run's reports are private to this bench (so it never meets a lab or a report folder of the checkout). The demo's
device table (``harness devices``) is left out: it only prints. Python runs as on a developer's machine, with a
byte-code cache (``bench._util.bytecode_env``) filled by an untimed collection first. Some cells of the catalogue
fail on purpose (an OEM that kills the app), so the run's exit status is 0 or 1; anything else is a broken run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._util import bytecode_env, figure, virtual_clock
from harness.cli._demo import default_workers
from harness.config import load_config
from harness.labctl import spawn_lab, stop_lab
from tests.labkit import private_devices_toml

ROOT = Path(__file__).resolve().parents[1]
GOAL_S = 45.0


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bgh-demo-") as tmp:
        folder = Path(tmp)
        toml = folder / "devices.toml"
        toml.write_text(virtual_clock(private_devices_toml(folder / "state")))
        cfg = load_config(toml)
        workers = default_workers(len(cfg.devices))
        cmd = [sys.executable, "-m", "pytest", "scenarios", "-n", str(workers), "-p", "no:cacheprovider", "-q",
               "--devices", str(toml), "--reports", str(folder / "reports"),
               "-W", "ignore::pytest.PytestAssertRewriteWarning"]
        env = bytecode_env(folder / "pycache")
        os.environ.update(env)  # the lab process too
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        # warm-up, not timed: the byte-code cache a developer's machine has (collecting imports nearly everything)
        subprocess.run([*cmd[:4], "--co", *cmd[6:]], cwd=ROOT, capture_output=True, check=False, timeout=300)
        subprocess.run([sys.executable, "-c", "import harness.cli._lab, harness.lab.runner"], cwd=ROOT, check=False,
                       timeout=300)
        start = time.perf_counter()
        spawn_lab(cfg)
        try:
            lab_up = time.perf_counter() - start
            result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False, timeout=900)
        finally:
            wall = time.perf_counter() - start
            stop_lab(cfg)
    tail = result.stdout.strip().splitlines()[-1:] or ["(no output)"]
    print(f"demo: {wall:.1f} s wall (lab up {lab_up:.1f} s, catalogue {wall - lab_up:.1f} s on {len(cfg.devices)} "
          f"phones, {workers} workers; clock {cfg.lab.clock!r}); pytest: {tail[0]}")
    for line in result.stdout.splitlines():
        if line.startswith(("FAILED", "ERROR")):
            print(f"  {line[:200]}")
    if result.returncode not in (0, 1):
        print(result.stdout[-3000:], result.stderr[-2000:])
    figure("make demo", f"{wall:.1f} s", f"<= {GOAL_S:g} s", result.returncode in (0, 1) and wall <= GOAL_S)


if __name__ == "__main__":
    main()
