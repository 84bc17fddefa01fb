"""Crash-safe device leases shared by xdist workers and by separate runs on one controller.

A lease is a record file, not a held OS lock: the file lock is taken only for the read-check-write
of the record, so a holder that dies (``kill -9``, OOM, a wedged xdist worker) never leaves a lock
behind, and the record says who it was. A record is taken over when its owner is provably gone (same
host, dead pid: at once) or silent (heartbeat older than the owner's lease timeout: any host).

Waiting is polling: every ``poll_s`` (DEFAULT_POLL_S, 0.1 s) a waiter takes the device's file lock
for well under a millisecond and re-reads the record. Ten cheap looks a second per waiter cost nothing
next to a device test, and a freed device waits at most one poll (half of one on average) for its
next holder. Waiters are served first come, first served (``_queue.py``), across processes and runs.

Acquire also checks the run's quarantine (before waiting and again once the device is ours) and runs
the health check while holding the lease, so a slow check never races another taker.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import suppress
from dataclasses import replace
from pathlib import Path
from types import TracebackType

from harness.config._model import DeviceConfig
from harness.errors import DeviceQuarantined, DeviceUnhealthy, LeaseTimeout
from harness.pool._quarantine import Quarantined, quarantine_of, quarantined, record_failure
from harness.pool._queue import Waiter, leave_queue, queue_turn
from harness.pool._records import (
    LeaseInfo,
    LeaseRecord,
    file_lock,
    lease_path,
    leases,
    lock_path,
    read_record,
    stale_reason,
    this_host,
    write_record,
)

__all__ = ["DEFAULT_POLL_S", "HealthCheck", "Lease", "OnWait", "Pool"]

log = logging.getLogger("harness.pool")

HealthCheck = Callable[[DeviceConfig], str | None]  # None when healthy, else the reason
OnWait = Callable[[LeaseInfo], None]  # told who holds the device, each time the holder changes

DEFAULT_POLL_S = 0.1
# A file lock guards a few tens of microseconds of work; failing to get one in 10 s means a process
# is stuck inside that window (SIGSTOP, a debugger), which deserves an error rather than a hang.
_LOCK_TIMEOUT_S = 10.0


class Lease:
    """Exclusive use of one device until :meth:`release` (or the end of a ``with`` block)."""

    def __init__(self, pool: Pool, record: LeaseRecord, config: DeviceConfig | None) -> None:
        self._pool = pool
        self.record = record
        self.config = config
        self._released = False
        self._lost_to: LeaseInfo | None = None
        self._lost = False

    @property
    def device(self) -> str:
        return self.record.device

    @property
    def lost(self) -> bool:
        """True once someone else reclaimed the lease (this process missed heartbeats for too long)."""
        return self._lost

    @property
    def lost_to(self) -> LeaseInfo | None:
        return self._lost_to

    def release(self) -> bool:
        """Give the device back. False (with a warning) if it had been reclaimed, or on a second call."""
        return self._pool._release(self)

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()

    def __repr__(self) -> str:
        state = "lost" if self._lost else "released" if self._released else "held"
        return f"<Lease {self.device} {state} by {self.record.holder!r}>"


class Pool:
    """The leases of one process in one run. Create one per process (per xdist worker), after any fork.

    ``state_dir`` is shared by every process and run that may touch the same phones; ``run_id`` scopes
    quarantine (a nightly job and an ad-hoc run each have their own).
    """

    def __init__(
        self,
        state_dir: Path,
        run_id: str,
        lease_timeout_s: float = 60.0,
        heartbeat_s: float | None = None,
        *,
        poll_s: float = DEFAULT_POLL_S,
        quarantine_after: int = 2,
        worker: str | None = None,
        hostname: str | None = None,
    ) -> None:
        """``hostname`` overrides ``socket.gethostname()``; give each container its own when containers
        with separate pid namespaces share one ``state_dir`` under one hostname, or the dead-pid fast
        path would judge another container's pids."""
        heartbeat_s = lease_timeout_s / 4 if heartbeat_s is None else heartbeat_s
        if not run_id:
            raise ValueError("Pool: run_id must not be empty")
        if not 0 < heartbeat_s < lease_timeout_s:
            raise ValueError(f"Pool: need 0 < heartbeat_s ({heartbeat_s}) < lease_timeout_s ({lease_timeout_s})")
        if poll_s <= 0 or quarantine_after < 1:
            raise ValueError(f"Pool: need poll_s > 0 ({poll_s}) and quarantine_after >= 1 ({quarantine_after})")
        self.state_dir = Path(state_dir)
        self.run_id = run_id
        self.lease_timeout_s = lease_timeout_s
        self.heartbeat_s = heartbeat_s
        self.poll_s = poll_s
        self.quarantine_after = quarantine_after
        self.worker = worker or os.environ.get("PYTEST_XDIST_WORKER", "main")
        self.hostname = hostname or this_host()
        for sub in ("leases", "quarantine", "waiting"):
            (self.state_dir / sub).mkdir(parents=True, exist_ok=True)
        self._pid = os.getpid()
        self._mutex = threading.Lock()
        self._held: dict[str, Lease] = {}  # token -> lease
        self._stop = threading.Event()
        self._beater: threading.Thread | None = None
        atexit.register(self.close)  # a clean exit hands devices back at once, on any host

    # -- acquire -------------------------------------------------------------------------------------

    def acquire(
        self,
        device: DeviceConfig | str,
        timeout_s: float,
        holder: str,
        health: HealthCheck | None = None,
        on_wait: OnWait | None = None,
    ) -> Lease:
        """Wait up to ``timeout_s`` for the device, check its health, and lease it to ``holder``.

        Raises LeaseTimeout (naming who holds it), DeviceQuarantined, or DeviceUnhealthy (the lease is
        then already given back). ``health`` needs the DeviceConfig, so pass one rather than a name.
        """
        if os.getpid() != self._pid:
            raise RuntimeError("Pool was created before a fork; create one Pool per process")
        if self._stop.is_set():
            raise RuntimeError("Pool is closed")
        name = device if isinstance(device, str) else device.name
        config = None if isinstance(device, str) else device
        if health is not None and config is None:
            raise ValueError(f"acquire({name!r}): a health check needs the DeviceConfig, not just the name")
        self._raise_if_quarantined(name)
        lease = Lease(self, self._wait_for(name, holder, timeout_s, on_wait), config)
        self._track(lease)
        try:
            self._raise_if_quarantined(name)  # another worker may have quarantined it while we waited
            if health is not None and config is not None:
                self._check_health(lease, config, health)
        except BaseException:
            lease.release()
            raise
        return lease

    def _wait_for(self, name: str, holder: str, timeout_s: float, on_wait: OnWait | None) -> LeaseRecord:
        deadline = time.monotonic() + timeout_s
        now = time.time()
        me = Waiter(token=uuid.uuid4().hex, pid=os.getpid(), hostname=self.hostname, run_id=self.run_id,
                    holder=holder, since=now, seen=now, poll_s=self.poll_s)
        reported: str | None = None
        try:
            while True:
                mine, current, ahead = self._try_take(name, holder, me)
                if mine is not None:
                    return mine
                info = None if current is None else LeaseInfo.of(current, self.hostname)
                if info is not None and current is not None and current.token != reported:
                    reported = current.token
                    log.info("[%s] waiting: held by %s", name, info.describe())
                    if on_wait is not None:
                        on_wait(info)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise self._timeout_error(name, info, ahead, timeout_s)
                time.sleep(min(self.poll_s, remaining))
        except BaseException:
            # Best effort: a waiter that cannot clean up goes silent and is dropped from the queue anyway.
            with suppress(Exception), file_lock(lock_path(self.state_dir, name), _LOCK_TIMEOUT_S, name, "acquire"):
                leave_queue(self.state_dir, name, me.token)
            raise

    def _try_take(self, name: str, holder: str, me: Waiter) -> tuple[LeaseRecord | None, LeaseRecord | None,
                                                                     Waiter | None]:
        """(our new record, None, None) if it was our turn; else (None, the holder's record or None if
        the device is free, the waiter ahead of us in the queue or None)."""
        with file_lock(lock_path(self.state_dir, name), _LOCK_TIMEOUT_S, name, "acquire"):
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
            mine = LeaseRecord.new(name, run_id=self.run_id, worker=self.worker, holder=holder,
                                   hostname=self.hostname, timeout_s=self.lease_timeout_s)
            write_record(self.state_dir, mine)
            return mine, None, None

    def _timeout_error(self, name: str, info: LeaseInfo | None, ahead: Waiter | None,
                       timeout_s: float) -> LeaseTimeout:
        if info is not None:
            who = info.describe()
            if info.pid == os.getpid() and info.hostname == self.hostname:
                who += " — that is this process: leases are not re-entrant, release the first one"
        else:
            who = f"nobody right now, but it is promised to {ahead.describe() if ahead else '?'}, who queued first"
        expiry = self.lease_timeout_s if info is None else info.timeout_s
        fix = (f"wait longer (timeout_s={timeout_s:g}) for that test to finish; `harness lab status` lists "
               f"who holds what; if the holder is gone, its lease expires {expiry:g} s after its last "
               f"heartbeat (at once when a dead holder ran on this host)")
        return LeaseTimeout(name, who, timeout_s, fix)

    # -- health and quarantine -----------------------------------------------------------------------

    def _raise_if_quarantined(self, name: str) -> None:
        found = quarantine_of(self.state_dir, self.run_id, name)
        if found is not None:
            raise DeviceQuarantined(name, self.run_id, found.reason)

    def _check_health(self, lease: Lease, config: DeviceConfig, health: HealthCheck) -> None:
        cause: Exception | None = None
        try:
            problem = health(config)
        except Exception as exc:  # a check that crashes on a broken phone is the phone failing it
            cause, problem = exc, f"health check raised {type(exc).__name__}: {exc}"
        if problem is None:
            return
        count, gone = record_failure(self.state_dir, self.run_id, config.name, problem, source="health",
                                     holder=lease.record.holder, limit=self.quarantine_after)
        if gone is not None:
            log.warning("[%s] quarantined for run %s: %s", config.name, self.run_id, gone.reason)
            raise DeviceQuarantined(config.name, self.run_id, gone.reason) from cause
        raise DeviceUnhealthy(config.name, problem, count, self.quarantine_after) from cause

    def report_failure(self, device: str, reason: str, holder: str = "") -> Quarantined | None:
        """Count a failure seen during a test (the phone disconnected, adb went offline) toward quarantine.

        Returns the quarantine if this failure put the device over the limit (or it already was).
        """
        _, gone = record_failure(self.state_dir, self.run_id, device, reason, source="report",
                                 holder=holder, limit=self.quarantine_after)
        if gone is not None:
            log.warning("[%s] quarantined for run %s: %s", device, self.run_id, gone.reason)
        return gone

    def quarantined(self) -> list[Quarantined]:
        """Devices quarantined in this pool's run, for the report."""
        return quarantined(self.state_dir, self.run_id)

    def leases(self) -> list[LeaseInfo]:
        return leases(self.state_dir)

    # -- heartbeat and release -----------------------------------------------------------------------

    def _track(self, lease: Lease) -> None:
        with self._mutex:
            self._held[lease.record.token] = lease
            if self._beater is None:
                self._beater = threading.Thread(target=self._beat_loop, name="harness-pool-heartbeat", daemon=True)
                self._beater.start()

    def _beat_loop(self) -> None:
        while not self._stop.wait(self.heartbeat_s):
            with self._mutex:
                held = list(self._held.values())
            for lease in held:
                try:
                    self._beat(lease)
                except Exception:  # one bad beat must not end the thread that keeps every lease alive
                    log.exception("[%s] heartbeat failed; retrying in %g s", lease.device, self.heartbeat_s)

    def _beat(self, lease: Lease) -> None:
        name, token = lease.device, lease.record.token
        with file_lock(lock_path(self.state_dir, name), self.heartbeat_s, name, "heartbeat"):
            current = read_record(self.state_dir, name)
            with self._mutex:
                # release() forgets the lease before taking the file lock, so a missing record here
                # means "released meanwhile" rather than "stolen".
                if token not in self._held:
                    return
                if current is None or current.token != token:
                    del self._held[token]
                    self._mark_lost(lease, current)
                    return
            write_record(self.state_dir, replace(current, heartbeat=time.time()))

    def _mark_lost(self, lease: Lease, current: LeaseRecord | None) -> None:
        lease._lost = True
        lease._lost_to = None if current is None else LeaseInfo.of(current, self.hostname)
        to = "nobody (record gone)" if lease._lost_to is None else lease._lost_to.describe()
        log.warning("[%s] lease of %r was reclaimed by %s: this process missed heartbeats for over %g s "
                    "(suspended? overloaded?); the device may now be in use by two tests",
                    lease.device, lease.record.holder, to, self.lease_timeout_s)

    def _release(self, lease: Lease) -> bool:
        token, name = lease.record.token, lease.device
        with self._mutex:
            mine = self._held.pop(token, None) is not None
        if lease._released:
            return False
        lease._released = True
        if not mine:  # the heartbeat already found it reclaimed and warned
            log.warning("[%s] release by %r: nothing to release, the lease had been reclaimed",
                        name, lease.record.holder)
            return False
        with file_lock(lock_path(self.state_dir, name), _LOCK_TIMEOUT_S, name, "release"):
            current = read_record(self.state_dir, name)
            if current is None or current.token != token:
                self._mark_lost(lease, current)
                return False
            lease_path(self.state_dir, name).unlink(missing_ok=True)
        return True

    def close(self) -> None:
        """Release every lease this pool still holds and stop the heartbeat. Safe to call twice."""
        with self._mutex:
            held = list(self._held.values())
        for lease in held:
            try:
                lease.release()
            except Exception:  # at exit, one stuck device must not keep the others leased
                log.exception("[%s] release at close failed", lease.device)
        self._stop.set()
        if self._beater is not None and self._beater is not threading.current_thread():
            self._beater.join(timeout=self.heartbeat_s + _LOCK_TIMEOUT_S)
        atexit.unregister(self.close)

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
