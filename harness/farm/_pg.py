"""The farm lease store: PostgreSQL shared by every controller.

One row per held device in ``leases``, with its TTL, fencing token and owner. Taking a device is one
short transaction that locks the device's row in ``devices`` (so takers of one device are serialised
and takers of different devices are not), drops waiters whose connection is gone, and hands the
device to the first live waiter (``waiters`` ordered by id: first come, first served).

Waiting is ``LISTEN/NOTIFY``, not polling: a release notifies the device's channel in the same
statement that deletes the lease, and the waiters wake at once. A wait is still bounded (the
holder's expiry, or ``max_wait_s``) so a waiter ahead that died without a word, or a lease whose
holder stopped heartbeating, is noticed without anyone having to say so.

The holder keeps its own deadline: the moment it *sent* the last renewal that succeeded, plus the
TTL, less a margin. The server's expiry is later than that, so when the database becomes unreachable the holder
stops (``check`` reports the loss) before any other controller can be handed the phone.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import psycopg
from psycopg import sql

from harness.errors import LeaseTimeout
from harness.farm._db import Conn, Db, channel, owner
from harness.farm._errors import FarmUnreachable
from harness.farm._quarantine import QuarantineMixin
from harness.farm._rows import (
    CURRENT,
    DROP_DEAD_WAITERS,
    FIRST_WAITER,
    LEASE_COLUMNS,
    RELEASE,
    RENEW,
    Busy,
    describe_lease,
    info_of,
    loss_of,
)
from harness.pool import Claim, LeaseInfo, LeaseRecord, Loss, OnWait
from harness.pool._records import this_host

__all__ = ["PgLeaseStore"]

log = logging.getLogger("harness.farm")

_MAX_WAIT_S = 2.0  # the longest a waiter sleeps without news
_PROMISED_WAIT_S = 0.1


def _surely_ours_until(sent: float, ttl_s: float) -> float:
    """The holder's own deadline after a renewal sent at ``sent`` succeeded. The server's expiry is at least
    ``sent + ttl_s``; the margin covers the time between two checks of a busy holder."""
    return sent + ttl_s - min(1.0, ttl_s / 4)


class PgLeaseStore(QuarantineMixin):
    """Leases in the farm database at ``url``. One per process; its connections are opened lazily."""

    def __init__(self, url: str, *, hostname: str | None = None, quarantine_s: float = 3600.0,
                 max_wait_s: float = _MAX_WAIT_S) -> None:
        self.db = Db(url)
        self._hostname = hostname or this_host()
        self.owner = owner(self._hostname)
        self.quarantine_s = quarantine_s
        self.max_wait_s = max_wait_s
        self._conns: dict[str, Conn | None] = {"main": None, "beat": None}
        self._locks = {"main": threading.RLock(), "beat": threading.RLock()}
        self._known: set[str] = set()
        self._deadline: dict[str, float] = {}  # lease token -> monotonic time it is surely ours until

    @property
    def hostname(self) -> str:
        return self._hostname

    @property
    def shared(self) -> bool:
        return True

    @property
    def where(self) -> str:
        return self.db.where

    @contextmanager
    def use(self, which: str, doing: str) -> Iterator[Conn]:
        """A connection (``main``: acquire, check, release; ``beat``: the heartbeat thread's own), reopened
        after it broke; psycopg errors become one-line FarmUnreachable errors."""
        with self._locks[which]:
            conn = self._conns[which]
            if conn is None or conn.closed:
                conn = self._conns[which] = self.db.connect()
            try:
                with self.db.errors(doing):
                    yield conn
            except BaseException:
                if conn.broken or conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                    with suppress(Exception):
                        conn.close()
                    self._conns[which] = None
                raise

    def _register(self, conn: Conn, device: str) -> None:
        if device not in self._known:
            conn.execute("INSERT INTO devices (name) VALUES (%s) ON CONFLICT DO NOTHING", (device,))
            self._known.add(device)

    # -- take ----------------------------------------------------------------------------------------

    def take(self, device: str, claim: Claim, timeout_s: float, on_wait: OnWait | None, *,
             kind: str = "test") -> LeaseRecord:
        deadline = time.monotonic() + timeout_s
        with self.use("main", f"[{device}] acquire") as conn:
            self._register(conn, device)
            sent = time.monotonic()
            got = self._attempt(conn, device, claim, kind, None)
            if isinstance(got, LeaseRecord):
                self._deadline[got.token] = _surely_ours_until(sent, claim.timeout_s)
                return got
            return self._wait(conn, device, claim, kind, deadline, timeout_s, on_wait)

    def _wait(self, conn: Conn, device: str, claim: Claim, kind: str, deadline: float, timeout_s: float,
              on_wait: OnWait | None) -> LeaseRecord:
        chan = channel(device)
        # LISTEN before queueing and before the next look: a release after that look cannot be missed.
        conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(chan)))
        waiter: int | None = self._enqueue(conn, device, claim)
        reported: str | None = None
        try:
            while True:
                sent = time.monotonic()
                got = self._attempt(conn, device, claim, kind, waiter)
                if isinstance(got, LeaseRecord):
                    waiter = None
                    self._deadline[got.token] = _surely_ours_until(sent, claim.timeout_s)
                    return got
                waiter = got.waiter_id
                if got.holder is not None and got.holder[2] != reported:
                    reported = got.holder[2]
                    log.info("[%s] waiting: held by %s", device, describe_lease(got.holder))
                    if on_wait is not None:
                        on_wait(info_of(got.holder))
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise self._timeout_error(device, got, timeout_s)
                nap = min(remaining, self.max_wait_s)
                if got.expires_in_s is not None:
                    nap = min(nap, max(got.expires_in_s, 0.0) + 0.02)
                elif got.holder is None:
                    # Free but promised to a waiter ahead, who takes it in milliseconds unless it died
                    # (its death sends no notification): look again soon.
                    nap = min(nap, _PROMISED_WAIT_S)
                wake = conn.notifies(timeout=nap, stop_after=1)
                try:
                    next(wake, None)  # a release or a waiter leaving, or the nap is over
                finally:
                    wake.close()  # the generator holds the connection's lock until closed
        finally:
            self._leave(conn, chan, waiter)

    def _enqueue(self, conn: Conn, device: str, claim: Claim) -> int:
        row = conn.execute(
            "INSERT INTO waiters (device, owner, host, pid, run_id, holder, backend_pid) "
            "VALUES (%s, %s, %s, %s, %s, %s, pg_backend_pid()) RETURNING id",
            (device, self.owner, self._hostname, os.getpid(), claim.run_id, claim.holder)).fetchone()
        assert row is not None
        return int(row[0])

    def _leave(self, conn: Conn, chan: str, waiter: int | None) -> None:
        """Leave the queue (telling the next waiter it may now be first) and stop listening. Best effort:
        a waiter that cannot clean up is dropped once its connection closes."""
        try:
            if waiter is not None:
                conn.execute("WITH gone AS (DELETE FROM waiters WHERE id = %s RETURNING id) "
                             "SELECT pg_notify(%s, 'left') FROM gone", (waiter, chan))
            conn.execute(sql.SQL("UNLISTEN {}").format(sql.Identifier(chan)))
        except psycopg.Error as exc:
            log.warning("leaving the queue of %s failed (%s); the farm drops the entry when this connection closes",
                        chan, exc)

    def _attempt(self, conn: Conn, device: str, claim: Claim, kind: str, waiter: int | None) -> LeaseRecord | Busy:
        """One look, in one transaction: our new lease, or who is in the way."""
        with conn.transaction():
            conn.execute("SELECT fence FROM devices WHERE name = %s FOR UPDATE", (device,))
            conn.execute(DROP_DEAD_WAITERS, (device,))
            if waiter is not None and conn.execute("UPDATE waiters SET seen = now() WHERE id = %s",
                                                   (waiter,)).rowcount == 0:
                waiter = self._enqueue(conn, device, claim)  # dropped as silent (we were suspended): queue again
            current = conn.execute(CURRENT, (device,)).fetchone()
            first = conn.execute(FIRST_WAITER, (device,)).fetchone()
            if current is not None and current[14]:
                return Busy(current, first if first is not None and first[0] != waiter else None,
                            float(current[13]) - float(current[15]), waiter)
            if first is not None and first[0] != waiter:
                return Busy(None, first, None, waiter)
            if current is not None:
                log.warning("[%s] reclaiming the expired lease of %s", device, describe_lease(current))
                conn.execute("INSERT INTO audit (actor, action, device, fence, previous, reason) "
                             "VALUES (%s, 'expired', %s, %s, %s, %s)",
                             (self.owner, device, current[1], describe_lease(current), info_of(current).stale_reason))
                conn.execute("DELETE FROM leases WHERE device = %s", (device,))
            return self._insert(conn, device, claim, kind, waiter)

    def _insert(self, conn: Conn, device: str, claim: Claim, kind: str, waiter: int | None) -> LeaseRecord:
        token = uuid.uuid4().hex
        row = conn.execute(
            "WITH f AS (UPDATE devices SET fence = fence + 1 WHERE name = %s RETURNING fence) "
            "INSERT INTO leases (device, fence, token, kind, owner, host, pid, run_id, worker, holder, ttl_s, expires) "
            "SELECT %s, f.fence, %s, %s, %s, %s, %s, %s, %s, %s, %s, now() + %s * interval '1 second' FROM f "
            f"RETURNING {LEASE_COLUMNS}",
            (device, device, token, kind, self.owner, self._hostname, os.getpid(), claim.run_id, claim.worker,
             claim.holder, claim.timeout_s, claim.timeout_s)).fetchone()
        assert row is not None
        if waiter is not None:
            conn.execute("DELETE FROM waiters WHERE id = %s", (waiter,))
        return LeaseRecord(device=device, token=token, pid=os.getpid(), hostname=self._hostname,
                           run_id=claim.run_id, worker=claim.worker, holder=claim.holder, since=float(row[10]),
                           heartbeat=float(row[11]), timeout_s=claim.timeout_s, fence=int(row[1]))

    def _timeout_error(self, device: str, busy: Busy, timeout_s: float) -> LeaseTimeout:
        if busy.holder is not None:
            who = describe_lease(busy.holder)
            if busy.holder[6] == os.getpid() and busy.holder[5] == self._hostname:
                who += " — that is this process: leases are not re-entrant, release the first one"
        elif busy.ahead is not None:
            who = (f"nobody right now, but it is promised to {busy.ahead[1]} (run {busy.ahead[2]}, "
                   f"pid {busy.ahead[4]}, test {busy.ahead[3]}), who queued first")
        else:
            who = "nobody (it came free just now)"
        fix = (f"wait longer (timeout_s={timeout_s:g}); `harness farm status` shows who holds what; a holder that "
               f"stops heartbeating loses the phone when its TTL runs out; an admin can "
               f"`harness farm release {device} --force --reason TEXT`")
        return LeaseTimeout(device, who, timeout_s, fix)

    # -- the holder's side ---------------------------------------------------------------------------

    def _loss(self, conn: Conn, record: LeaseRecord) -> Loss:
        current = conn.execute(CURRENT, (record.device,)).fetchone()
        audit = conn.execute("SELECT actor, action, reason, extract(epoch FROM at) FROM audit "
                             "WHERE device = %s AND fence = %s ORDER BY id DESC LIMIT 1",
                             (record.device, record.fence)).fetchone()
        return loss_of(current, audit, record.token, record.fence)

    def _unreachable(self, record: LeaseRecord, exc: FarmUnreachable) -> Loss | None:
        """A loss once the TTL ran out since the last renewal the server confirmed; None while the lease is
        surely still ours (nobody else can have been handed it before its server-side expiry)."""
        if time.monotonic() < self._deadline.get(record.token, 0.0):
            return None
        return Loss(f"this controller lost the farm database ({exc}) and its TTL of {record.timeout_s:g} s ran out "
                    f"without a heartbeat, so another controller may hold the phone now")

    def renew(self, record: LeaseRecord) -> Loss | None:
        sent = time.monotonic()
        try:
            with self.use("beat", f"[{record.device}] heartbeat") as conn:
                if conn.execute(RENEW, (record.device, record.token)).rowcount == 1:
                    self._deadline[record.token] = _surely_ours_until(sent, record.timeout_s)
                    return None
                return self._loss(conn, record)
        except FarmUnreachable as exc:
            loss = self._unreachable(record, exc)
            if loss is None:
                raise
            return loss

    def check(self, record: LeaseRecord) -> Loss | None:
        try:
            with self.use("main", f"[{record.device}] lease check") as conn:
                row = conn.execute("SELECT token, expires > now() FROM leases WHERE device = %s",
                                   (record.device,)).fetchone()
                if row is not None and row[0] == record.token and row[1]:
                    return None
                return self._loss(conn, record)
        except FarmUnreachable as exc:
            return self._unreachable(record, exc)

    def give_back(self, record: LeaseRecord) -> Loss | None:
        with self.use("main", f"[{record.device}] release") as conn:
            self._deadline.pop(record.token, None)
            if conn.execute(RELEASE, (record.device, record.token, channel(record.device))).fetchone() is not None:
                return None
            return self._loss(conn, record)

    def leases(self) -> list[LeaseInfo]:
        with self.use("main", "list leases") as conn:
            return [info_of(row) for row in conn.execute(f"SELECT {LEASE_COLUMNS} FROM leases ORDER BY device")]

    def close(self) -> None:
        for which, lock in self._locks.items():
            with lock:
                conn, self._conns[which] = self._conns[which], None
                if conn is not None:
                    with suppress(Exception):
                        conn.close()
