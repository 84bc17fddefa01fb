"""Bringing an adb server back: restart it where the harness owns it, and reconnect its TCP phones.

The harness owns the lab's private server (``[lab] adb_server_port``) and a local server a device
entry names ``adb_server_restartable = true``; any other server (a developer's own 5037, a remote
host's) is only reported. A restarted server knows no TCP phones (``adb connect`` state lives in
the server), so every ``host:port`` serial of that server is connected again; USB phones come back
on their own. Two xdist workers that notice the same dead server at once take turns on a lock file
per port: two ``adb start-server`` at once are not idempotent (the second one's daemon finds the port
taken and its client says "failed to start daemon", measured with two workers on a lab whose server
was killed mid-run: the loser's phone was quarantined for the rest of the run). A worker that gets
the lock after another's restart finds the server up, and its ``start-server`` returns at once.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from harness.config import Config, DeviceConfig
from harness.errors import DeviceUnreachable

__all__ = ["ServerRecovery", "listening_pid", "recovery_for"]

_LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
_ADB_TIMEOUT_S = 20.0
_WAIT_S = 15.0
_LOCKS: dict[int, threading.Lock] = {}
_RESTARTED: dict[int, float] = {}  # port → when this process last restarted that server (monotonic)
_RECENT_S = 30.0  # a restart this recent can explain a TCP phone its server does not list (not yet reconnected)
_TURN_S = 2 * _ADB_TIMEOUT_S + _WAIT_S  # the longest another process's restart can hold the lock file


@dataclass(frozen=True, slots=True)
class ServerRecovery:
    port: int
    serials: tuple[str, ...]  # the TCP phones (host:port serials) to `adb connect` again
    owner: str  # whose server it is, for messages: "the lab's private adb server"

    def restart(self, device: str, wait_for: str) -> str:
        """Start the server (if nothing answers), reconnect the phones, wait for ``wait_for``; returns what it did."""
        adb = shutil.which("adb")
        if adb is None:
            raise DeviceUnreachable(device, "adb start-server", f"{self.owner} on port {self.port} is gone and "
                                    "the `adb` binary is not on PATH to restart it", "install platform-tools")
        with _LOCKS.setdefault(self.port, threading.Lock()), self._turn(device):
            _RESTARTED[self.port] = time.monotonic()
            _stamp(self.port)
            self._adb(adb, device, "start-server")
            for serial in self.serials:  # a phone that is itself gone is the wait's business, not the restart's
                self._adb(adb, device, "connect", serial, check=False)
            if wait_for:
                self._adb(adb, device, "-s", wait_for, "wait-for-device", timeout_s=_WAIT_S)
        phones = f" and reconnected {', '.join(self.serials)}" if self.serials else ""
        return f"restarted {self.owner} on port {self.port}{phones}"

    def restarting_or_recent(self) -> bool:
        """Whether this process is restarting the server now or did within ``_RECENT_S``: then a TCP phone the
        server does not list is one it forgot with the restart, not one that went away."""
        lock = _LOCKS.get(self.port)
        if lock is not None and lock.locked():
            return True
        if time.monotonic() - _RESTARTED.get(self.port, float("-inf")) < _RECENT_S:
            return True
        try:  # another process's restart: its stamp is recent, or it holds the lock file now
            if time.time() - _lock_path(self.port, ".stamp").stat().st_mtime < _RECENT_S:
                return True
        except OSError:
            return False  # no process on this host ever restarted it
        try:
            with FileLock(str(_lock_path(self.port)), timeout=0):
                return False
        except Timeout:
            return True

    def _turn(self, device: str) -> FileLock:
        """The lock file that makes workers restart this server one at a time (see the module's docstring)."""
        lock = FileLock(str(_lock_path(self.port)), timeout=_TURN_S)
        try:
            lock.acquire()
        except Timeout:
            raise DeviceUnreachable(device, "adb start-server", f"another process has been restarting {self.owner} "
                                    f"on port {self.port} for over {_TURN_S:g} s", "check `harness devices`") from None
        return lock

    def put_down_if_stopped(self) -> str | None:
        """A server that stopped answering because its process is stopped (SIGSTOP, a debugger) never will:
        kill it so the next call finds it gone and restarts it. A running but slow server is left alone
        (under load it may answer yet); returns what was done, or None."""
        pid = listening_pid(self.port)
        if pid is None or _process_state(pid) not in ("T", "t"):
            return None
        with _LOCKS.setdefault(self.port, threading.Lock()):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                return None
        return f"its process ({pid}) was stopped; it was killed, and the next call restarts {self.owner}"

    def _adb(self, adb: str, device: str, *args: str, timeout_s: float = _ADB_TIMEOUT_S, check: bool = True) -> None:
        cmd = [adb, "-P", str(self.port), *args]
        try:
            result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            raise DeviceUnreachable(device, " ".join(cmd[1:]), f"did not finish within {timeout_s:g} s while "
                                    f"restarting {self.owner}", "check `harness devices`") from None
        if check and result.returncode != 0:
            raise DeviceUnreachable(device, " ".join(cmd[1:]), f"failed while restarting {self.owner}: "
                                    f"{(result.stdout + result.stderr).strip()[-200:]}", "check `harness devices`")


def _lock_path(port: int, suffix: str = ".lock") -> Path:
    """One lock file (and one stamp) per server port on this host, whatever the config's state dir: two configs
    (two labs, or a lab and a test lab) that name one port share one server."""
    return Path(tempfile.gettempdir()) / f"bgh-adb-restart-{port}{suffix}"


def _stamp(port: int) -> None:
    """Note the restart's time beside the lock (not on it: taking a lock file rewrites it): another process's
    call that finds its TCP phone missing within ``_RECENT_S`` knows the restart forgot it."""
    with contextlib.suppress(OSError):
        _lock_path(port, ".stamp").touch()


def recovery_for(cfg: Config, dev: DeviceConfig) -> ServerRecovery | None:
    """How to bring ``dev``'s adb server back, or None when the harness does not own that server."""
    host, port = dev.adb_host_port
    if dev.lab and port == cfg.lab.adb_server_port:
        owner = "the lab's private adb server"
    elif dev.adb_server_restartable and host in _LOCAL_HOSTS:
        owner = "the local adb server (adb_server_restartable)"
    else:
        return None
    serials = tuple(d.serial for d in cfg.devices if d.platform == "android" and d.serial and ":" in d.serial
                    and d.adb_server == dev.adb_server)
    return ServerRecovery(port, serials, owner)


def listening_pid(port: int) -> int | None:
    """The pid of the process listening on loopback ``port`` (Linux /proc), or None when it cannot be told."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])  # state 0A = LISTEN; field 9 = the socket's inode
    if not inodes:
        return None
    wanted = {f"socket:[{inode}]" for inode in inodes}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) in wanted for fd in (proc / "fd").iterdir()):
                return int(proc.name)
        except OSError:  # another user's process, or gone meanwhile
            continue
    return None


def _process_state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "?"
