"""Device leases for one process: acquire, health, quarantine, heartbeat, release, whatever the store.

``Pool`` is the same for both lease stores (``_store.py``): record files on this controller (the
default, ``_files.py``) or a PostgreSQL farm shared by several controllers (``harness.farm``). It keeps
the leases this process holds alive with a heartbeat thread, runs the health check while holding the
lease (so a slow check never races another taker), and applies the quarantine rules.

A holder whose lease expired or was revoked learns it at its next ``Lease.check()`` (the error names
who took over), at its next heartbeat (``Lease.lost``), and at the end of its ``with`` block, which
then raises ``LeaseLost`` so the test fails rather than passing on a phone someone else drove.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from harness.config._model import DeviceConfig
from harness.errors import DeviceQuarantined, DeviceUnhealthy, HarnessError
from harness.pool._files import DEFAULT_POLL_S, FileStore
from harness.pool._quarantine import Quarantined
from harness.pool._records import LeaseInfo, LeaseRecord, this_host
from harness.pool._store import Claim, LeaseLost, LeaseStore, Loss, OnWait, SharedQuarantine

__all__ = ["DEFAULT_POLL_S", "HealthCheck", "Lease", "OnWait", "Pool"]

log = logging.getLogger("harness.pool")

HealthCheck = Callable[[DeviceConfig], str | None]  # None when healthy, else the reason
_JOIN_GRACE_S = 10.0


class Lease:
    """Exclusive use of one device until :meth:`release` (or the end of a ``with`` block)."""

    def __init__(self, pool: Pool, record: LeaseRecord, config: DeviceConfig | None) -> None:
        self._pool = pool
        self.record = record
        self.config = config
        self._released = False
        self._loss: Loss | None = None

    @property
    def device(self) -> str:
        return self.record.device

    @property
    def fence(self) -> int:
        """The fencing token: larger than that of every earlier lease of this device."""
        return self.record.fence

    @property
    def lost(self) -> bool:
        """True once the lease expired or was taken over or revoked (seen by the heartbeat or a check)."""
        return self._loss is not None

    @property
    def lost_to(self) -> LeaseInfo | None:
        return None if self._loss is None else self._loss.to

    def check(self) -> None:
        """Raise LeaseLost (naming who took over) unless this is still the device's current lease.

        Cheap enough for every device action: one record read, or one query on the farm database,
        whose failure (the controller lost the database) is itself a loss once the TTL has run out.
        """
        if self._loss is None and not self._released:
            loss = self._pool._store.check(self.record)
            if loss is not None:
                self._pool._lose(self, loss)
        if self._loss is not None:
            raise LeaseLost(self.device, self.record.holder, self._loss.reason, self.fence, self._pool.store.shared)
        if self._released:
            raise LeaseLost(self.device, self.record.holder, "it was released by its holder", self.fence,
                            self._pool.store.shared)

    def release(self) -> bool:
        """Give the device back. False (with a warning) if it had been lost, or on a second call."""
        return self._pool._release(self)

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        was_released = self._released
        if not self.release() and not was_released and self._loss is not None and exc_type is None:
            # The block finished as if all was well, but someone else had the phone meanwhile.
            raise LeaseLost(self.device, self.record.holder, self._loss.reason, self.fence, self._pool.store.shared)

    def __repr__(self) -> str:
        state = "lost" if self.lost else "released" if self._released else "held"
        return f"<Lease {self.device} #{self.fence} {state} by {self.record.holder!r}>"


class Pool:
    """The leases of one process in one run. Create one per process (per xdist worker), after any fork.

    ``state_dir`` is shared by every process and run that may touch the same phones; ``run_id`` scopes
    quarantine (a nightly job and an ad-hoc run each have their own). ``store`` replaces the files
    under ``state_dir`` with another lease store (``harness.farm.PgLeaseStore``: a shared database).
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
        store: LeaseStore | None = None,
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
        self._store: LeaseStore = store or FileStore(self.state_dir, hostname or this_host(), poll_s)
        self.hostname = self._store.hostname
        self._pid = os.getpid()
        self._mutex = threading.Lock()
        self._held: dict[str, Lease] = {}  # token -> lease
        self._stop = threading.Event()
        self._beater: threading.Thread | None = None
        atexit.register(self.close)  # a clean exit hands devices back at once, on any host

    @property
    def store(self) -> LeaseStore:
        return self._store

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
        claim = Claim(run_id=self.run_id, worker=self.worker, holder=holder, hostname=self.hostname,
                      timeout_s=self.lease_timeout_s)
        lease = Lease(self, self._store.take(name, claim, timeout_s, on_wait), config)
        self._track(lease)
        try:
            self._raise_if_quarantined(name)  # another worker may have quarantined it while we waited
            if health is not None and config is not None:
                self._check_health(lease, config, health)
        except BaseException:
            lease.release()
            raise
        return lease

    # -- health and quarantine -----------------------------------------------------------------------

    def _raise_if_quarantined(self, name: str) -> None:
        found = self._store.quarantine_of(self.run_id, name)
        if found is not None:
            raise self._quarantined(name, found.run_id, found.reason)

    def _quarantined(self, name: str, run_id: str, reason: str) -> DeviceQuarantined:
        return SharedQuarantine(name, run_id, reason) if self._store.shared else DeviceQuarantined(name, run_id, reason)

    def _check_health(self, lease: Lease, config: DeviceConfig, health: HealthCheck) -> None:
        cause: Exception | None = None
        try:
            problem = health(config)
        except Exception as exc:  # a check that crashes on a broken phone is the phone failing it
            cause, problem = exc, f"health check raised {type(exc).__name__}: {exc}"
        if problem is None:
            self._store.health_ok(config.name)
            return
        count, gone = self._store.record_failure(self.run_id, config.name, problem, source="health",
                                                 holder=lease.record.holder, limit=self.quarantine_after)
        if gone is not None:
            log.warning("[%s] quarantined for run %s: %s", config.name, self.run_id, gone.reason)
            raise self._quarantined(config.name, self.run_id, gone.reason) from cause
        raise DeviceUnhealthy(config.name, problem, count, self.quarantine_after) from cause

    def report_failure(self, device: str, reason: str, holder: str = "") -> Quarantined | None:
        """Count a failure seen during a test (the phone disconnected, adb went offline) toward quarantine.

        Returns the quarantine if this failure put the device over the limit (or it already was).
        """
        _, gone = self._store.record_failure(self.run_id, device, reason, source="report", holder=holder,
                                             limit=self.quarantine_after)
        if gone is not None:
            log.warning("[%s] quarantined for run %s: %s", device, self.run_id, gone.reason)
        return gone

    def quarantined(self) -> list[Quarantined]:
        """Devices quarantined in this pool's run, for the report."""
        return self._store.quarantined(self.run_id)

    def leases(self) -> list[LeaseInfo]:
        return self._store.leases()

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
                    loss = self._store.renew(lease.record)
                except HarnessError as exc:  # e.g. the farm database does not answer: said in one line
                    log.warning("[%s] heartbeat failed, retrying in %g s: %s", lease.device, self.heartbeat_s, exc)
                    continue
                except Exception:  # one bad beat must not end the thread that keeps every lease alive
                    log.exception("[%s] heartbeat failed; retrying in %g s", lease.device, self.heartbeat_s)
                    continue
                if loss is not None:
                    self._lose(lease, loss)

    def _lose(self, lease: Lease, loss: Loss) -> None:
        with self._mutex:
            # release() forgets the lease before giving it back, so a loss seen after that is the
            # release itself, not a theft.
            if self._held.pop(lease.record.token, None) is None or lease._loss is not None:
                return
            lease._loss = loss
        log.warning("[%s] lease of %r (token %d) was lost: %s", lease.device, lease.record.holder, lease.fence,
                    loss.reason)

    def _release(self, lease: Lease) -> bool:
        with self._mutex:
            mine = self._held.pop(lease.record.token, None) is not None
        if lease._released:
            return False
        lease._released = True
        if not mine:  # the heartbeat or a check already found it lost and warned
            log.warning("[%s] release by %r: nothing to release, the lease had been reclaimed",
                        lease.device, lease.record.holder)
            return False
        loss = self._store.give_back(lease.record)
        if loss is not None:
            lease._loss = loss
            log.warning("[%s] release by %r: the lease had been reclaimed: %s", lease.device, lease.record.holder,
                        loss.reason)
            return False
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
            self._beater.join(timeout=self.heartbeat_s + _JOIN_GRACE_S)
        self._store.close()
        atexit.unregister(self.close)

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
