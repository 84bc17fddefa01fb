"""What people do with the farm by hand: see every phone, book one, release one, read the audit log.

A booking is a lease of kind ``booking``: it takes its turn in the same first-come queue as test
runs, gets a fencing token like them, and needs no heartbeat: it simply expires at the end of its
time. Releasing someone else's lease or booking takes ``--force`` and a reason, and leaves an audit
row; the holder is refused at its next check with an error that names who released it and why.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from harness.farm._db import Conn, channel
from harness.farm._errors import FarmError
from harness.farm._pg import PgLeaseStore
from harness.farm._rows import CURRENT, LEASE_COLUMNS, describe_lease, utc
from harness.pool import Claim, LeaseRecord

__all__ = ["STATUS_KEYS", "AuditRow", "DeviceStatus", "audit_log", "book", "release", "status"]

State = Literal["free", "leased", "booked", "quarantined", "offline"]
STATUS_KEYS = ("name", "state", "owner", "run", "test", "since", "expiry", "token")


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    """One row of ``harness farm status``. ``detail`` (a quarantine's reason, why it is offline) is for
    the table only; ``--json`` rows carry exactly STATUS_KEYS."""

    name: str
    state: State
    owner: str | None = None  # user@host
    run: str | None = None
    test: str | None = None  # the test node id; for a booking, its note
    since: str | None = None  # ISO 8601 UTC
    expiry: str | None = None
    token: int | None = None  # the lease's fencing token
    detail: str | None = None

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        return {key: data[key] for key in STATUS_KEYS}


def status(store: PgLeaseStore, configured: Iterable[str] = ()) -> list[DeviceStatus]:
    """Every phone the farm knows or ``devices.toml`` lists, sorted by name."""
    with store.use("main", "farm status") as conn:
        health = {name: (reason, at) for name, reason, at in conn.execute(
            "SELECT name, health, extract(epoch FROM health_at) FROM devices")}
        leases = {row[0]: row for row in conn.execute(f"SELECT {LEASE_COLUMNS} FROM leases WHERE expires > now()")}
        quarantines = {row[0]: row for row in conn.execute(
            "SELECT device, run_id, reason, extract(epoch FROM since), extract(epoch FROM expires) FROM quarantine "
            "WHERE expires > now()")}
    rows = []
    for name in sorted({*health, *configured}):
        lease, quarantine = leases.get(name), quarantines.get(name)
        reason, at = health.get(name, (None, None))
        if lease is not None:
            booked = lease[3] == "booking"
            rows.append(DeviceStatus(name, "booked" if booked else "leased", owner=lease[4],
                                     run=None if booked else lease[7], test=lease[9], since=utc(float(lease[10])),
                                     expiry=utc(float(lease[13])), token=int(lease[1])))
        elif quarantine is not None:
            rows.append(DeviceStatus(name, "quarantined", run=quarantine[1], since=utc(float(quarantine[3])),
                                     expiry=utc(float(quarantine[4])), detail=quarantine[2]))
        elif reason is not None:
            rows.append(DeviceStatus(name, "offline", since=utc(float(at)), detail=reason))
        else:
            rows.append(DeviceStatus(name, "free"))
    return rows


def book(store: PgLeaseStore, device: str, for_s: float, note: str, wait_s: float = 0.0) -> LeaseRecord:
    """Reserve ``device`` for a person for ``for_s`` seconds; waits its turn up to ``wait_s``."""
    if for_s <= 0:
        raise FarmError(f"[{device}] farm book: --for must be positive, got {for_s:g} s")
    claim = Claim(run_id="", worker="booking", holder=note, hostname=store.hostname, timeout_s=for_s)
    record = store.take(device, claim, wait_s, None, kind="booking")
    with store.use("main", f"[{device}] audit") as conn:
        _audit(conn, store.owner, "book", device, record.fence, None, f"{for_s:g} s: {note}")
    return record


def release(store: PgLeaseStore, device: str, *, force: bool = False, reason: str | None = None) -> str:
    """End the caller's own lease or booking of ``device`` (anyone's with ``force``, which also lifts a
    quarantine). Returns what was released, for the user."""
    if force and not (reason or "").strip():
        raise FarmError(f"[{device}] farm release --force: a reason is required (--reason TEXT); "
                        "it goes to the audit log")
    with store.use("main", f"[{device}] farm release") as conn, conn.transaction():
        if conn.execute("SELECT 1 FROM devices WHERE name = %s FOR UPDATE", (device,)).fetchone() is None:
            raise FarmError(f"[{device}] farm release: the farm has never seen this device "
                            f"(`harness farm status` lists the ones it knows)")
        current = conn.execute(CURRENT, (device,)).fetchone()
        lifted = force and conn.execute("DELETE FROM quarantine WHERE device = %s RETURNING device",
                                        (device,)).fetchone() is not None
        if lifted:
            _audit(conn, store.owner, "unquarantine", device, None, None, reason)
        if current is None:
            if lifted:
                return f"{device}: quarantine lifted"
            raise FarmError(f"[{device}] farm release: nothing to release, it is neither leased nor booked")
        if not force and current[4] != store.owner:
            raise FarmError(f"[{device}] farm release: held by {describe_lease(current)}, not by you ({store.owner}) "
                            f"— to take it from them: --force --reason TEXT (audited)")
        conn.execute("DELETE FROM leases WHERE device = %s", (device,))
        conn.execute("SELECT pg_notify(%s, 'released')", (channel(device),))
        what = describe_lease(current)
        _audit(conn, store.owner, "force-release" if force else "release", device, int(current[1]), what, reason)
    return f"{device}: released {what}" + ("; quarantine lifted" if lifted else "")


def _audit(conn: Conn, actor: str, action: str, device: str, fence: int | None, previous: str | None,
           reason: str | None) -> None:
    conn.execute("INSERT INTO audit (actor, action, device, fence, previous, reason) VALUES (%s, %s, %s, %s, %s, %s)",
                 (actor, action, device, fence, previous, reason))


@dataclass(frozen=True, slots=True)
class AuditRow:
    at: str
    actor: str
    action: str  # book, release, force-release, unquarantine, quarantine, expired
    device: str | None
    token: int | None
    previous: str | None  # the lease or booking it ended
    reason: str | None


def audit_log(store: PgLeaseStore, limit: int = 50, device: str | None = None) -> list[AuditRow]:
    """The newest ``limit`` audit rows, oldest first."""
    with store.use("main", "farm log") as conn:
        rows = conn.execute(
            "SELECT extract(epoch FROM at), actor, action, device, fence, previous, reason FROM audit "
            "WHERE %s::text IS NULL OR device = %s ORDER BY id DESC LIMIT %s", (device, device, limit)).fetchall()
    return [AuditRow(utc(float(at)) or "", actor, action, dev, None if fence is None else int(fence), prev, why)
            for at, actor, action, dev, fence, prev, why in reversed(rows)]

