"""A run's pool keeps its leases in files unless a farm URL is set, and then never loads the farm's code: importing
``harness.farm`` loads psycopg, about half a second of CPU in every pytest process and xdist worker."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.labkit import ROOT, private_devices_toml

_PROBE = textwrap.dedent("""
    import sys
    from pathlib import Path

    from harness.config import load_config
    from harness.plugin._run import Run

    run = Run(load_config(Path(sys.argv[1])), "run-1", Path(sys.argv[2]), False, 60.0,
              {"device": [], "platform": [], "oem": [], "tag": []})
    print(type(run.pool.store).__name__, "harness.farm" in sys.modules, "psycopg" in sys.modules)
    run.close()
""")


def test_a_run_on_lease_files_does_not_load_the_farm(tmp_path: Path) -> None:
    config = tmp_path / "devices.toml"
    config.write_text(private_devices_toml(tmp_path / "state"))
    env = {k: v for k, v in os.environ.items() if k != "HARNESS_FARM_URL"}
    out = subprocess.run([sys.executable, "-c", _PROBE, str(config), str(tmp_path / "reports")], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120, check=True).stdout.split()
    assert out == ["FileStore", "False", "False"], out
