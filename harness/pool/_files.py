"""The embedded lease store: record files on one controller, shared by its xdist workers and runs.

A lease is a record file, not a held OS lock: the file lock is taken only for the read-check-write
of the record, so a holder that dies (``kill -9``, OOM, a wedged xdist worker) never leaves a lock
behind, and the record says who it was. A record is taken over when its owner is provably gone (same
host, dead pid: at once) or silent (heartbeat older than the owner's lease timeout: any host).

Waiting is polling: every ``poll_s`` (DEFAULT_POLL_S, 0.1 s) a waiter takes the device's file lock
for well under a millisecond and re-reads the record. Ten cheap looks a second per waiter cost nothing
next to a device test, and a freed device waits at most one poll (half of one on average) for its
next holder. Waiters are served first come, first served (``_queue.py``), across processes and runs.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from contextlib import AbstractContextManager, suppress
from pathlib import Path

from harness.errors import LeaseTimeout
from harness.pool._quarantine import FailureSource, Quarantined, quarantine_of, quarantined, record_failure
from harness.pool._queue import Waiter, leave_queue, queue_turn
from harness.pool._records import (
    LeaseInfo,
    LeaseRecord,
    file_lock,
    lease_path,
    leases,
    lock_path,
    next_fence,
    read_record,
    stale_reason,
    write_record,
)
from harness.pool._store import Claim, Loss, OnWait

__all__ = ["DEFAULT_POLL_S", "FileStore"]

log = logging.getLogger("harness.pool")

DEFAULT_POLL_S = 0.1
# A file lock guards a few tens of microseconds of work; failing to get one in 10 s means a process
# is stuck inside that window (SIGSTOP, a debugger), which deserves an error rather than a hang.
_LOCK_TIMEOUT_S = 10.0


class FileStore:
    """Lease records under ``state_dir`` (``leases/``, ``quarantine/``, ``waiting/``)."""

    def __init__(self, state_dir: Path, hostname: str, poll_s: float = DEFAULT_POLL_S) -> None:
        self.state_dir = Path(state_dir)
        self._hostname = hostname
        self.poll_s = poll_s
        for sub in ("leases", "quarantine", "waiting"):
            (self.state_dir / sub).mkdir(parents=True, exist_ok=True)

    @property
    def hostname(self) -> str:
        return self._hostname

    @property
    def shared(self) -> bool:
        return False

    @property
    def where(self) -> str:
        return str(self.state_dir)

    # -- take ----------------------------------------------------------------------------------------

    def take(self, device: str, claim: Claim, timeout_s: float, on_wait: OnWait | None) -> LeaseRecord:
        deadline = time.monotonic() + timeout_s
        now = time.time()
        me = Waiter(token=uuid.uuid4().hex, pid=os.getpid(), hostname=self.hostname, run_id=claim.run_id,
                    holder=claim.holder, since=now, seen=now, poll_s=self.poll_s)
        reported: str | None = None
        try:
            while True:
                mine, current, ahead = self._try_take(device, claim, me)
                if mine is not None:
                    return mine
                info = None if current is None else LeaseInfo.of(current, self.hostname)
                if info is not None and current is not None and current.token != reported:
                    reported = current.token
                    log.info("[%s] waiting: held by %s", device, info.describe())
                    if on_wait is not None:
                        on_wait(info)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise self._timeout_error(device, info, ahead, timeout_s, claim.timeout_s)
                time.sleep(min(self.poll_s, remaining))
        except BaseException:
            # Best effort: a waiter that cannot clean up goes silent and is dropped from the queue anyway.
            with suppress(Exception), self._lock(device, "acquire"):
                leave_queue(self.state_dir, device, me.token)
            raise

    def _lock(self, device: str, command: str, timeout_s: float = _LOCK_TIMEOUT_S) -> AbstractContextManager[None]:
        return file_lock(lock_path(self.state_dir, device), timeout_s, device, command)

    def _try_take(self, name: str, claim: Claim, me: Waiter) -> tuple[LeaseRecord | None, LeaseRecord | None,
                                                                      Waiter | None]:
        """(our new record, None, None) if it was our turn; else (None, the holder's record or None if
        the device is free, the waiter ahead of us in the queue or None)."""
        with self._lock(name, "acquire"):
            current = read_record(self.state_dir, name)
            stale = None if current is None else stale_reason(current, self.hostname)
            held = current is not None and stale is None
            ahead = queue_turn(self.state_dir, name, me, held=held, host=self.hostname)
            if held:
                return None, current, ahead
            if ahead is not None:
                return None, None, ahead
            if current is not None:
                log.warning("[%s] reclaiming the lease of %s: %s", name,
                            LeaseInfo.of(current, self.hostname).describe(), stale)
            mine = LeaseRecord.new(name, run_id=claim.run_id, worker=claim.worker, holder=claim.holder,
                                   hostname=self.hostname, timeout_s=claim.timeout_s,
                                   fence=next_fence(self.state_dir, name))
            write_record(self.state_dir, mine)
            return mine, None, None

    def _timeout_error(self, name: str, info: LeaseInfo | None, ahead: Waiter | None, timeout_s: float,
                       lease_timeout_s: float) -> LeaseTimeout:
        if info is not None:
            who = info.describe()
            if info.pid == os.getpid() and info.hostname == self.hostname:
                who += " — that is this process: leases are not re-entrant, release the first one"
        else:
            who = f"nobody right now, but it is promised to {ahead.describe() if ahead else '?'}, who queued first"
        expiry = lease_timeout_s if info is None else info.timeout_s
        fix = (f"wait longer (timeout_s={timeout_s:g}) for that test to finish; `harness lab status` lists "
               f"who holds what; if the holder is gone, its lease expires {expiry:g} s after its last "
               f"heartbeat (at once when a dead holder ran on this host)")
        return LeaseTimeout(name, who, timeout_s, fix)

    # -- the holder's side ---------------------------------------------------------------------------

    def _loss(self, current: LeaseRecord | None) -> Loss:
        if current is None:
            return Loss("its record is gone (released by someone else, or reclaimed and already released)")
        info = LeaseInfo.of(current, self.hostname)
        return Loss(f"taken over by {info.describe()} with token {current.fence}", info)

    def renew(self, record: LeaseRecord) -> Loss | None:
        with self._lock(record.device, "heartbeat", record.timeout_s / 4):
            current = read_record(self.state_dir, record.device)
            if current is None or current.token != record.token:
                return self._loss(current)
            write_record(self.state_dir, current.renewed(time.time()))
        return None

    def check(self, record: LeaseRecord) -> Loss | None:
        # No lock: records are replaced atomically, and a reader sees the old record or the new one.
        current = read_record(self.state_dir, record.device)
        if current is None or current.token != record.token:
            return self._loss(current)
        stale = stale_reason(current, self.hostname)
        return None if stale is None else Loss(f"it expired: {stale}")

    def give_back(self, record: LeaseRecord) -> Loss | None:
        with self._lock(record.device, "release"):
            current = read_record(self.state_dir, record.device)
            if current is None or current.token != record.token:
                return self._loss(current)
            lease_path(self.state_dir, record.device).unlink(missing_ok=True)
        return None

    # -- quarantine and listing ----------------------------------------------------------------------

    def record_failure(self, run_id: str, device: str, reason: str, *, source: FailureSource, holder: str,
                       limit: int) -> tuple[int, Quarantined | None]:
        return record_failure(self.state_dir, run_id, device, reason, source=source, holder=holder, limit=limit)

    def health_ok(self, device: str) -> None:
        return None  # one controller: nobody else shows the device's state

    def quarantine_of(self, run_id: str, device: str) -> Quarantined | None:
        return quarantine_of(self.state_dir, run_id, device)

    def quarantined(self, run_id: str) -> list[Quarantined]:
        return quarantined(self.state_dir, run_id)

    def leases(self) -> list[LeaseInfo]:
        return leases(self.state_dir)

    def close(self) -> None:
        return None
