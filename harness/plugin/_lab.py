"""Start the virtual lab for lab devices, once per run, shared by every xdist worker.

The first worker (or the single process) that needs a lab phone spawns ``harness lab up
--detach`` under a file lock; the others find it running. The run that started it stops it when
the whole run ends; a lab that was already up before the run is left alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from filelock import FileLock

from harness.config import Config
from harness.config._roles import app_fingerprint
from harness.errors import LabError
from harness.labctl import lab_state, spawn_lab, state_dir, stop_lab

__all__ = ["ensure_lab", "stop_lab_if_ours"]

_START_TIMEOUT_S = 90.0


def _marker(cfg: Config, run_id: str) -> Path:
    return state_dir(cfg) / f"started-by-{run_id}"


def ensure_lab(cfg: Config, run_id: str, allowed: bool) -> None:
    """Make sure the lab of ``cfg`` is serving; start it (detached) if allowed and needed."""
    state = lab_state(cfg)
    if state is not None:
        _check_app(cfg, state)
        return
    if not allowed:
        raise LabError(f"{cfg.path}: lab devices are selected but no lab is running and --no-lab was given; "
                       "start it with `harness lab up --detach`")
    sdir = state_dir(cfg)
    sdir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(sdir / "lab-start.lock"), timeout=_START_TIMEOUT_S):
        if lab_state(cfg) is not None:
            return
        spawn_lab(cfg)
        _marker(cfg, run_id).write_text("this run started the lab; it stops it when the run ends\n")


def _check_app(cfg: Config, state: dict[str, Any]) -> None:
    """The lab reads ``[app]`` once, when it starts: a lab started before ``[app]`` changed models another app
    (other tasks, other package), and every verdict against it would be about that app. Stop, saying so."""
    theirs = state.get("app_fingerprint")
    if theirs is not None and theirs != app_fingerprint(cfg.app):
        raise LabError(f"{cfg.path}: the running lab (pid {state.get('pid')}) was started with another [app] than "
                       "this file's (it reads [app] only at start); restart it: `harness lab down` then "
                       "`harness lab up --detach` (or let the run start it)")


def stop_lab_if_ours(cfg: Config, run_id: str) -> None:
    marker = _marker(cfg, run_id)
    if not marker.exists():
        return
    marker.unlink()
    stop_lab(cfg)
