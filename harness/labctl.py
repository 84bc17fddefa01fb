"""Control the virtual lab as a background process: find it, start it, stop it.

Used by ``harness lab`` and the pytest plugin. It talks to the lab only through its pidfile and
its process; it never imports the lab.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from harness._bytecode import bytecode_cached_env
from harness.config import Config
from harness.errors import LabError

__all__ = ["lab_state", "pid_alive", "repair_adb_server", "spawn_lab", "state_dir", "stop_lab"]

READY_TIMEOUT_S = 60.0


def state_dir(cfg: Config) -> Path:
    return Path(cfg.path).resolve().parent / cfg.lab.state_dir


def pid_alive(pid: int) -> bool:
    try:
        # A lab this process spawned lingers as a zombie until reaped; reap it so it reads as gone.
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def lab_state(cfg: Config) -> dict[str, Any] | None:
    """The running lab's status file, or None when no lab of this config runs."""
    path = state_dir(cfg) / "lab.json"
    try:
        state: dict[str, Any] = json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    if not pid_alive(int(state.get("pid", -1))):
        return None
    return state


def spawn_lab(cfg: Config) -> dict[str, Any]:
    """Start ``harness lab up`` in the background and wait until it reports its endpoints."""
    sdir = state_dir(cfg)
    sdir.mkdir(parents=True, exist_ok=True)
    log_path = sdir / "lab.log"
    with log_path.open("ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "harness.cli", "lab", "up", "--devices", cfg.path, "-v"],
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, env=bytecode_cached_env())
    try:
        return _ready(cfg, proc, log_path)
    except BaseException:  # not up in time, or Ctrl-C while it started: no half-started lab is left behind
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        raise


def _ready(cfg: Config, proc: subprocess.Popen[bytes], log_path: Path) -> dict[str, Any]:
    """The state ``proc`` (a ``harness lab up``) writes once its servers listen."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        state = lab_state(cfg)
        if state is not None and state.get("pid") == proc.pid:
            return state
        if proc.poll() is not None:
            tail = log_path.read_text(errors="replace")[-2000:]
            raise LabError(f"the lab exited with code {proc.returncode} while starting; its log ({log_path}):\n{tail}")
        time.sleep(0.1)  # another process's pidfile: there is no event to await across processes
    raise LabError(f"the lab did not come up within {READY_TIMEOUT_S:.0f} s; see {log_path}")


def stop_lab(cfg: Config, timeout_s: float = 30.0) -> int | None:
    """Stop the background lab (SIGTERM, then SIGKILL); returns its pid, or None if none ran."""
    state = lab_state(cfg)
    if state is None:
        return None
    pid = int(state["pid"])
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)  # waiting for another process to exit
    if pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(FileNotFoundError):
        (state_dir(cfg) / "lab.json").unlink()
    return pid


def repair_adb_server(cfg: Config, state: dict[str, Any]) -> str | None:
    """A running lab whose adb server is gone (killed, crashed, stopped): start it again and reconnect its phones.

    Returns what was done, or None when the server answers. The lab's own reconnect-on-reboot keeps
    working on the new server, and ``harness lab down`` stops it as it would have stopped the first.
    """
    # Here, not at the top: the plugin imports labctl at load, and the adb client (ppadb) is needed only for a repair.
    from harness.android.transport import ServerRecovery, server_answers  # noqa: PLC0415 - see above

    host, port = cfg.lab.host, cfg.lab.adb_server_port
    if server_answers(host, port):
        return None
    serials = tuple(str(d["serial"]) for d in state.get("devices", [])
                    if d.get("platform") == "android" and d.get("served") and d.get("serial"))
    recovery = ServerRecovery(port, serials, "the lab's private adb server")
    recovery.put_down_if_stopped()  # a stopped server holds the port and would hang `adb start-server`
    return recovery.restart("lab", "")
