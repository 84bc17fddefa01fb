"""Quarantine on the farm: counted per run, shared by every controller, with its reason and its expiry.

Failures are counted per run, as on one controller (two failures of one phone in one run take it
out). Once out, it is out for every controller and run until ``[farm] quarantine_s`` has passed or an
admin lifts it (``harness farm release DEVICE --force --reason TEXT``), so a broken phone stops
failing other people's runs too. A failed health check also marks the phone *offline* in
``harness farm status`` until a check passes again.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from harness.farm._db import Conn
from harness.farm._rows import utc
from harness.pool import Quarantined
from harness.pool._quarantine import FailureSource

__all__ = ["QuarantineMixin"]

_ACTIVE = ("SELECT device, run_id, reason, failures, extract(epoch FROM since), extract(epoch FROM expires) "
           "FROM quarantine WHERE device = %s AND expires > now()")


def _quarantined(row: tuple[Any, ...]) -> Quarantined:
    device, run_id, reason, failures, since, expires = row
    text = (f"{reason} (out for every controller until {utc(float(expires))}; "
            f"`harness farm release {device} --force --reason TEXT` lifts it)")
    return Quarantined(device=device, run_id=run_id, reason=text, failures=tuple(failures), since=float(since))


class QuarantineMixin:
    """The quarantine half of ``PgLeaseStore``."""

    owner: str
    quarantine_s: float

    def use(self, which: str, doing: str) -> AbstractContextManager[Conn]:
        raise NotImplementedError

    def _register(self, conn: Conn, device: str) -> None:
        raise NotImplementedError

    def record_failure(self, run_id: str, device: str, reason: str, *, source: FailureSource, holder: str,
                       limit: int) -> tuple[int, Quarantined | None]:
        with self.use("main", f"[{device}] record a failure") as conn:
            self._register(conn, device)
            with conn.transaction():
                conn.execute("SELECT 1 FROM devices WHERE name = %s FOR UPDATE", (device,))
                conn.execute("INSERT INTO failures (run_id, device, source, reason, holder) "
                             "VALUES (%s, %s, %s, %s, %s)", (run_id, device, source, reason, holder))
                conn.execute("UPDATE devices SET health = %s, health_at = now() WHERE name = %s", (reason, device))
                texts = [f"{s}: {r}" for s, r in conn.execute(
                    "SELECT source, reason FROM failures WHERE run_id = %s AND device = %s ORDER BY at",
                    (run_id, device))]
                if len(texts) >= limit and conn.execute(_ACTIVE, (device,)).fetchone() is None:
                    self._quarantine(conn, run_id, device, texts)
                row = conn.execute(_ACTIVE, (device,)).fetchone()
        return len(texts), None if row is None else _quarantined(row)

    def _quarantine(self, conn: Conn, run_id: str, device: str, texts: list[str]) -> None:
        reason = f"failed {len(texts)} times in run {run_id}: " + "; ".join(texts)
        conn.execute(
            "INSERT INTO quarantine (device, run_id, reason, failures, expires) "
            "VALUES (%s, %s, %s, %s, now() + %s * interval '1 second') ON CONFLICT (device) DO UPDATE SET "
            "run_id = excluded.run_id, reason = excluded.reason, failures = excluded.failures, since = now(), "
            "expires = excluded.expires", (device, run_id, reason, texts, self.quarantine_s))
        conn.execute("INSERT INTO quarantine_log (device, run_id, reason, since) VALUES (%s, %s, %s, now()) "
                     "ON CONFLICT DO NOTHING", (device, run_id, reason))
        conn.execute("INSERT INTO audit (actor, action, device, reason) VALUES (%s, 'quarantine', %s, %s)",
                     (self.owner, device, reason))

    def health_ok(self, device: str) -> None:
        with self.use("main", f"[{device}] health") as conn:
            conn.execute("UPDATE devices SET health = NULL, health_at = now() WHERE name = %s AND health IS NOT NULL",
                         (device,))

    def quarantine_of(self, run_id: str, device: str) -> Quarantined | None:
        with self.use("main", f"[{device}] quarantine") as conn:
            row = conn.execute(_ACTIVE, (device,)).fetchone()
        return None if row is None else _quarantined(row)

    def quarantined(self, run_id: str) -> list[Quarantined]:
        """The devices ``run_id`` quarantined (whether or not that quarantine still holds), for its report."""
        with self.use("main", "list quarantines") as conn:
            rows = conn.execute("SELECT device, run_id, reason, extract(epoch FROM since) FROM quarantine_log "
                                "WHERE run_id = %s ORDER BY device", (run_id,)).fetchall()
        return [Quarantined(device=d, run_id=r, reason=reason, failures=(), since=float(s)) for d, r, reason, s in rows]

