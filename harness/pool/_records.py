"""Lease records on disk: one JSON file per leased device, and how to tell a live one from a stale one.

Layout under the pool's ``state_dir``::

    leases/<device>.json     who holds the device (absent when free)
    leases/<device>.lock     the file lock that makes read-check-write of that record atomic
    quarantine/<run>.json    failures and quarantined devices of one run (see _quarantine.py)

Records are replaced atomically (write a temporary file, then ``os.replace``), so a reader that takes
no lock, such as ``harness lab status``, sees either the old record or the new one, never half of one.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from harness._flock import LockTimeout, acquire
from harness.errors import PoolError

__all__ = [
    "LeaseInfo",
    "LeaseRecord",
    "atomic_write_json",
    "file_lock",
    "lease_path",
    "leases",
    "lock_path",
    "next_fence",
    "pid_alive",
    "read_json",
    "read_record",
    "safe_name",
    "stale_reason",
    "this_host",
    "write_record",
]

LeaseState = Literal["held", "expired"]


def safe_name(name: str) -> str:
    """A device or run name as a file name: ``/`` and other odd characters are percent-encoded."""
    return quote(name, safe="") or "%00"


def lease_path(state_dir: Path, device: str) -> Path:
    return state_dir / "leases" / f"{safe_name(device)}.json"


def lock_path(state_dir: Path, device: str) -> Path:
    return state_dir / "leases" / f"{safe_name(device)}.lock"


def this_host() -> str:
    return socket.gethostname()


# The file locks only guard a read-check-write of one small JSON file (tens of microseconds), so a
# contender retries often; the lease itself is waited for elsewhere, at a much slower pace.
_LOCK_POLL_S = 0.002


@contextmanager
def file_lock(path: Path, timeout_s: float, device: str, command: str) -> Iterator[None]:
    """Hold the lock at ``path`` (``harness._flock``: a descriptor per use, so nothing is inherited across a fork,
    which matters as the pool may be created before multiprocessing forks); a timeout becomes a PoolError naming
    the device."""
    try:
        held = acquire(path, timeout_s, _LOCK_POLL_S)
    except LockTimeout as exc:
        raise PoolError(device, command, f"the file lock {path} stayed taken for {timeout_s:g} s",
                        "a process is stuck inside the pool (stopped with SIGSTOP?); `fuser` on the file finds it"
                        ) from exc
    try:
        yield
    finally:
        held.release()


@dataclass(frozen=True, slots=True)
class LeaseRecord:
    """What ``leases/<device>.json`` holds. Times are wall-clock (``time.time()``): they are compared
    across processes, and across machines when ``state_dir`` is shared."""

    device: str
    token: str  # unique per lease: "is this record still mine?" must not depend on pid or host
    pid: int
    hostname: str
    run_id: str
    worker: str  # PYTEST_XDIST_WORKER ("gw0", ...) or "main"
    holder: str  # the test node id (or whatever the caller names itself)
    since: float
    heartbeat: float
    timeout_s: float  # the owner's lease timeout: it, not the reader's, decides when the record expires
    fence: int = 0  # the fencing token: per device, larger than that of every earlier lease

    @staticmethod
    def new(device: str, *, run_id: str, worker: str, holder: str, hostname: str, timeout_s: float,
            fence: int = 0) -> LeaseRecord:
        now = time.time()
        return LeaseRecord(device=device, token=uuid.uuid4().hex, pid=os.getpid(), hostname=hostname,
                           run_id=run_id, worker=worker, holder=holder, since=now, heartbeat=now, timeout_s=timeout_s,
                           fence=fence)

    def renewed(self, at: float) -> LeaseRecord:
        return LeaseRecord(self.device, self.token, self.pid, self.hostname, self.run_id, self.worker, self.holder,
                           self.since, at, self.timeout_s, self.fence)

    @staticmethod
    def from_json(data: dict[str, Any]) -> LeaseRecord:
        return LeaseRecord(
            device=str(data["device"]), token=str(data["token"]), pid=int(data["pid"]),
            hostname=str(data["hostname"]), run_id=str(data["run_id"]), worker=str(data["worker"]),
            holder=str(data["holder"]), since=float(data["since"]), heartbeat=float(data["heartbeat"]),
            timeout_s=float(data["timeout_s"]), fence=int(data.get("fence", 0)),
        )


def atomic_write_json(path: Path, data: dict[str, Any]) -> None:
    # No fsync: the failure we guard against is a dead process, not a dead machine, and an fsync per
    # heartbeat would cost more than the whole lease cycle.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def read_json(path: Path) -> dict[str, Any] | None:
    """The parsed file, or None if it is missing or unreadable (a hand-edited or truncated file
    must not wedge the pool: it is treated as absent and overwritten)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def read_record(state_dir: Path, device: str) -> LeaseRecord | None:
    data = read_json(lease_path(state_dir, device))
    if data is None:
        return None
    try:
        return LeaseRecord.from_json(data)
    except (KeyError, TypeError, ValueError):
        return None


def write_record(state_dir: Path, record: LeaseRecord) -> None:
    atomic_write_json(lease_path(state_dir, record.device), asdict(record))


def next_fence(state_dir: Path, device: str) -> int:
    """The device's next fencing token (``leases/<device>.fence``). The caller holds the device's file lock."""
    path = state_dir / "leases" / f"{safe_name(device)}.fence"
    try:
        last = int(path.read_text(encoding="ascii").strip() or 0)
    except (FileNotFoundError, ValueError):
        last = 0
    fence = last + 1
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(str(fence), encoding="ascii")
    os.replace(tmp, path)
    return fence


def pid_alive(pid: int) -> bool:
    """Whether a process of this host is still running (a zombie counts as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, it just belongs to another user
    # A worker killed with -9 stays a zombie until its parent reaps it (xdist's controller may not do
    # so promptly), and kill(pid, 0) still succeeds on a zombie. Field 3 of /proc/<pid>/stat is the
    # state; the command name before it is in parentheses and may itself contain spaces.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return True  # no procfs (macOS): trust kill(0)
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


def stale_reason(record: LeaseRecord, host: str, now: float | None = None) -> str | None:
    """Why the record may be taken over, or None while its owner is presumed alive.

    Same host and a dead pid: at once (the fast path after ``kill -9``). Otherwise only once the
    heartbeat is older than the owner's own timeout: a pid on another host says nothing here.
    """
    if record.hostname == host and not pid_alive(record.pid):
        return f"owner pid {record.pid} on {host} is dead"
    age = (time.time() if now is None else now) - record.heartbeat
    if age > record.timeout_s:
        return f"last heartbeat {age:.1f} s ago (lease timeout {record.timeout_s:g} s)"
    return None


@dataclass(frozen=True, slots=True)
class LeaseInfo:
    """One lease as ``harness lab status`` / ``harness devices`` show it."""

    device: str
    state: LeaseState  # "expired": the next acquire will reclaim it (see ``stale_reason``)
    run_id: str
    pid: int
    hostname: str
    worker: str
    holder: str
    since: float
    heartbeat: float
    timeout_s: float
    heartbeat_age_s: float
    stale_reason: str | None

    @staticmethod
    def of(record: LeaseRecord, host: str) -> LeaseInfo:
        now = time.time()
        reason = stale_reason(record, host, now)
        return LeaseInfo(
            device=record.device, state="held" if reason is None else "expired", run_id=record.run_id,
            pid=record.pid, hostname=record.hostname, worker=record.worker, holder=record.holder,
            since=record.since, heartbeat=record.heartbeat, timeout_s=record.timeout_s,
            heartbeat_age_s=now - record.heartbeat, stale_reason=reason,
        )

    def describe(self) -> str:
        """``run R (pid P on H, worker W, test T), held 12.0 s, heartbeat 0.3 s ago``."""
        held = time.time() - self.since
        return (f"run {self.run_id} (pid {self.pid} on {self.hostname}, worker {self.worker}, test {self.holder}), "
                f"held {held:.1f} s, heartbeat {self.heartbeat_age_s:.1f} s ago")


def leases(state_dir: Path) -> list[LeaseInfo]:
    """Every lease record under ``state_dir``, held or expired, sorted by device. Takes no lock."""
    host = this_host()
    found: list[LeaseInfo] = []
    for path in sorted((state_dir / "leases").glob("*.json")):
        data = read_json(path)
        if data is None:
            continue
        try:
            found.append(LeaseInfo.of(LeaseRecord.from_json(data), host))
        except (KeyError, TypeError, ValueError):
            continue
    return found
