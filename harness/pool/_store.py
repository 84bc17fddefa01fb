"""Where leases live: the interface both backends implement.

``Pool`` (``_pool.py``) owns what every backend shares: the ``Lease`` objects, the heartbeat thread,
the health check and the quarantine rules. A ``LeaseStore`` owns the records and the waiting:

- ``FileStore`` (``_files.py``): record files under one controller's ``state_dir``; waiters poll.
  The default: no set-up at all.
- ``harness.farm.PgLeaseStore``: one PostgreSQL database shared by every controller; waiters are woken
  by ``LISTEN/NOTIFY``; times are the server's, so controllers' clocks never have to agree.

Every lease carries a fencing token (``LeaseRecord.fence``): per device, each new lease gets a larger
number than any before it, so a stale holder can always be told apart from the current one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from harness.errors import DeviceQuarantined, PoolError
from harness.pool._quarantine import FailureSource, Quarantined
from harness.pool._records import LeaseInfo, LeaseRecord

__all__ = ["Claim", "LeaseLost", "LeaseStore", "Loss", "OnWait", "SharedQuarantine"]

OnWait = Callable[[LeaseInfo], None]  # told who holds the device, each time the holder changes


@dataclass(frozen=True, slots=True)
class Claim:
    """Who asks for a device: enough to show the owner to everyone else."""

    run_id: str
    worker: str  # PYTEST_XDIST_WORKER ("gw0", ...) or "main"
    holder: str  # the test node id
    hostname: str
    timeout_s: float  # the lease TTL: the holder's heartbeat must renew it within this


@dataclass(frozen=True, slots=True)
class Loss:
    """Why a lease is no longer its holder's: one line for the error, and the new holder if there is one."""

    reason: str  # e.g. "taken over by run R (pid P on H, test T) with token 8"
    to: LeaseInfo | None = None


class LeaseLost(PoolError):
    """The lease expired or was revoked (``harness farm release --force``): the holder must stop driving
    the phone. The message says who took over."""

    def __init__(self, device: str, holder: str, reason: str, fence: int, shared: bool = False) -> None:
        self.holder = holder
        self.reason = reason
        self.fence = fence
        where = "`harness farm status` / `harness farm log`" if shared else "`harness lab status`"
        super().__init__(device, "lease check", f"the lease of {holder} (token {fence}) is gone: {reason}",
                         f"this test can no longer drive the phone; {where} shows who has it")


class SharedQuarantine(DeviceQuarantined):
    """The device is quarantined farm-wide: for every controller and run, until the quarantine expires or an
    admin lifts it (the reason says which run put it there, why, and until when)."""

    def __init__(self, device: str, run_id: str, reason: str) -> None:
        self.run_id = run_id
        self.reason = reason
        PoolError.__init__(self, device, "acquire", f"quarantined by run {run_id}: {reason}",
                           "fix the phone (replug, reboot, `harness doctor`)")


class LeaseStore(Protocol):
    """The records of who holds which device, and the queue of who waits for it."""

    @property
    def hostname(self) -> str: ...

    @property
    def shared(self) -> bool:
        """True when other controllers see the same leases and quarantines (a farm), so a quarantine outlives
        the run that caused it."""
        ...

    @property
    def where(self) -> str:
        """Where the leases live, for messages: a directory, or the database URL without its password."""
        ...

    def take(self, device: str, claim: Claim, timeout_s: float, on_wait: OnWait | None) -> LeaseRecord:
        """Wait (first come, first served) up to ``timeout_s`` and return the new lease; raise LeaseTimeout
        naming the holder when the wait runs out."""
        ...

    def renew(self, record: LeaseRecord) -> Loss | None:
        """The heartbeat: push the lease's expiry out by its TTL. A Loss when it was no longer ours."""
        ...

    def check(self, record: LeaseRecord) -> Loss | None:
        """None while ``record`` is still the device's current, unexpired lease."""
        ...

    def give_back(self, record: LeaseRecord) -> Loss | None:
        """End the lease and wake the next waiter. A Loss (and nothing changed) when it was not ours."""
        ...

    def record_failure(self, run_id: str, device: str, reason: str, *, source: FailureSource, holder: str,
                       limit: int) -> tuple[int, Quarantined | None]:
        """Count a failure in the run; quarantine the device at ``limit``. (count, quarantine if any)."""
        ...

    def health_ok(self, device: str) -> None:
        """The device passed its health check (a farm shows it as online again)."""
        ...

    def quarantine_of(self, run_id: str, device: str) -> Quarantined | None: ...

    def quarantined(self, run_id: str) -> list[Quarantined]: ...

    def leases(self) -> list[LeaseInfo]: ...

    def close(self) -> None: ...
