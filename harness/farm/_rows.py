"""The farm's SQL for one lease, and how its rows read to a person (``LeaseInfo``, ``Loss``)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from harness.pool import LeaseInfo, Loss

__all__ = ["CURRENT", "DROP_DEAD_WAITERS", "FIRST_WAITER", "LEASE_COLUMNS", "RELEASE", "RENEW", "Busy",
           "describe_lease", "info_of", "loss_of", "utc"]

# Every lease query selects these, in this order, so one function reads them (``info_of``).
LEASE_COLUMNS = """device, fence, token, kind, owner, host, pid, run_id, worker, holder,
    extract(epoch FROM since), extract(epoch FROM heartbeat), ttl_s, extract(epoch FROM expires),
    expires > now(), extract(epoch FROM now())"""
CURRENT = f"SELECT {LEASE_COLUMNS} FROM leases WHERE device = %s"
# A waiter is gone once its connection is (kill -9, a crash: the server sees the socket close), or when
# it has not looked for 30 s (a hung process whose connection lingers).
DROP_DEAD_WAITERS = """DELETE FROM waiters w WHERE w.device = %s AND (w.seen < now() - interval '30 seconds'
    OR NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = w.backend_pid))"""
FIRST_WAITER = "SELECT id, owner, run_id, holder, pid FROM waiters WHERE device = %s ORDER BY id LIMIT 1"
# The heartbeat renews only a lease that is still this holder's and not yet expired: an expired lease
# may already have been promised to the next waiter, so it is never revived.
RENEW = """UPDATE leases SET heartbeat = now(), expires = now() + ttl_s * interval '1 second'
    WHERE device = %s AND token = %s AND expires > now()"""
RELEASE = """WITH gone AS (DELETE FROM leases WHERE device = %s AND token = %s RETURNING device)
    SELECT pg_notify(%s, 'released') FROM gone"""


def utc(epoch: float | None) -> str | None:
    """ISO 8601 in UTC, to the second: ``2026-12-07T18:04:05Z``."""
    return None if epoch is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def info_of(row: tuple[Any, ...]) -> LeaseInfo:
    """A ``LEASE_COLUMNS`` row as the pool shows a holder. ``hostname`` is the owner, ``user@host``."""
    (device, _fence, _token, kind, owner, _host, pid, run_id, worker, holder, since, heartbeat, ttl_s,
     _expires, live, now) = row
    age = float(now) - float(heartbeat)
    stale = None if live else f"last heartbeat {age:.1f} s ago (lease TTL {float(ttl_s):g} s)"
    return LeaseInfo(device=device, state="held" if live else "expired", run_id=run_id or "-", pid=int(pid),
                     hostname=owner, worker=worker if kind == "test" else "booking", holder=holder,
                     since=float(since), heartbeat=float(heartbeat), timeout_s=float(ttl_s),
                     heartbeat_age_s=age, stale_reason=stale)


def describe_lease(row: tuple[Any, ...]) -> str:
    """``booked by alice@desk until 2026-12-07T20:00:00Z (token 7): debugging Doze`` or a test lease's description."""
    fence, kind, owner, holder, expires = row[1], row[3], row[4], row[9], row[13]
    if kind == "booking":
        return f"booked by {owner} until {utc(float(expires))} (token {fence}): {holder}"
    return f"{info_of(row).describe()} (token {fence})"


@dataclass(frozen=True, slots=True)
class Busy:
    """Not our turn: who holds the device (if anyone), who queued first, when the holder's lease runs out."""

    holder: tuple[Any, ...] | None  # the LEASE_COLUMNS row of a live lease
    ahead: tuple[Any, ...] | None  # the FIRST_WAITER row, when that is not us
    expires_in_s: float | None
    waiter_id: int | None  # ours (it changes if a stale entry of ours was dropped and we queued again)


def loss_of(current: tuple[Any, ...] | None, audit: tuple[Any, ...] | None, token: str, fence: int) -> Loss:
    """Why lease ``token`` (``fence``) is gone: the admin who revoked it and the lease that replaced it.

    ``current``: the device's lease row now (``LEASE_COLUMNS``), ``audit``: the last audit row about
    ``fence`` as (actor, action, reason, at).
    """
    parts: list[str] = []
    if current is not None and current[2] == token:
        silent = float(current[15]) - float(current[11])
        return Loss(f"it expired at {utc(float(current[13]))}: no heartbeat for {silent:.1f} s "
                    f"(TTL {float(current[12]):g} s)")
    if audit is not None:
        actor, action, reason, at = audit
        if action == "force-release":
            parts.append(f"force-released by {actor} at {utc(float(at))}: {reason}")
        elif action == "expired":
            parts.append(f"it expired (no heartbeat within its TTL) and was reclaimed at {utc(float(at))}")
        else:
            parts.append(f"{action} by {actor} at {utc(float(at))}")
    to = None
    if current is not None:
        to = info_of(current)
        parts.append(f"now held by {describe_lease(current)}")
    elif not parts:
        parts.append("it expired and was reclaimed; the device is free again")
    return Loss("; ".join(parts), to)
