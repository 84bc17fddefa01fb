"""The farm's tables, created and migrated by the harness itself: ``schema_version`` says how far.

Each migration runs once, in order, inside one transaction that holds an advisory lock, so two
controllers starting against a fresh database at the same moment do not both create the tables.
A database migrated by a newer harness than this one is refused rather than misread.

Times are ``timestamptz`` set by the server (``now()``): expiry is judged by one clock, the
database's, so the controllers' clocks never need to agree.
"""

from __future__ import annotations

import psycopg

from harness.farm._errors import FarmError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "migrate"]

_LOCK_KEY = 0x62676866  # "bghf": the advisory lock that serialises migrations

_V1 = """
CREATE TABLE devices (
    name text PRIMARY KEY,
    fence bigint NOT NULL DEFAULT 0,          -- the last fencing token handed out for this device
    health text,                              -- the last failed health check; NULL once one passes
    health_at timestamptz);
CREATE TABLE leases (
    device text PRIMARY KEY REFERENCES devices (name),
    fence bigint NOT NULL,
    token text NOT NULL,                      -- unique per lease (the holder's record token)
    kind text NOT NULL CHECK (kind IN ('test', 'booking')),
    owner text NOT NULL,                      -- user@host
    host text NOT NULL,
    pid integer NOT NULL,
    run_id text NOT NULL,
    worker text NOT NULL,
    holder text NOT NULL,                     -- the test node id, or a booking's note
    since timestamptz NOT NULL DEFAULT now(),
    heartbeat timestamptz NOT NULL DEFAULT now(),
    ttl_s double precision NOT NULL,
    expires timestamptz NOT NULL);
CREATE TABLE waiters (
    id bigserial PRIMARY KEY,                 -- the queue order: first come, first served
    device text NOT NULL REFERENCES devices (name),
    owner text NOT NULL, host text NOT NULL, pid integer NOT NULL, run_id text NOT NULL, holder text NOT NULL,
    backend_pid integer NOT NULL,             -- the waiting connection: once it is gone, so is the waiter
    since timestamptz NOT NULL DEFAULT now(),
    seen timestamptz NOT NULL DEFAULT now());
CREATE INDEX waiters_device ON waiters (device, id);
CREATE TABLE failures (
    run_id text NOT NULL, device text NOT NULL, source text NOT NULL, reason text NOT NULL, holder text NOT NULL,
    at timestamptz NOT NULL DEFAULT now());
CREATE INDEX failures_run ON failures (run_id, device);
CREATE TABLE quarantine (
    device text PRIMARY KEY, run_id text NOT NULL, reason text NOT NULL, failures text[] NOT NULL,
    since timestamptz NOT NULL DEFAULT now(), expires timestamptz NOT NULL);
CREATE TABLE quarantine_log (
    device text NOT NULL, run_id text NOT NULL, reason text NOT NULL, since timestamptz NOT NULL,
    PRIMARY KEY (run_id, device));
CREATE TABLE audit (
    id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), actor text NOT NULL, action text NOT NULL,
    device text, fence bigint, previous text, reason text);
CREATE INDEX audit_device ON audit (device, fence);
CREATE TABLE history_runs (
    run_id text PRIMARY KEY, started_at double precision NOT NULL, finished_at double precision,
    harness_version text NOT NULL, lab_seed bigint, selected integer NOT NULL, host text);
CREATE TABLE history_results (
    run_id text NOT NULL REFERENCES history_runs (run_id) ON DELETE CASCADE, nodeid text NOT NULL,
    scenario text NOT NULL, device text NOT NULL, platform text, oem text, model text, os_version text, serial text,
    outcome text NOT NULL, killer text, duration_s double precision, message text, explanation text,
    PRIMARY KEY (run_id, nodeid));
CREATE INDEX history_results_cell ON history_results (scenario, device);
CREATE TABLE history_quarantined (
    run_id text NOT NULL, device text NOT NULL, reason text NOT NULL, since double precision,
    PRIMARY KEY (run_id, device));
"""

MIGRATIONS: tuple[str, ...] = (_V1,)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: psycopg.Connection[tuple[object, ...]], where: str) -> int:
    """Bring the database to SCHEMA_VERSION; return the version it was at."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version ("
                     "version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())")
        row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
        current = int(row[0]) if row is not None else 0  # type: ignore[call-overload]
        if current > SCHEMA_VERSION:
            raise FarmError(f"{where}: the farm database is at schema version {current}, newer than this harness "
                            f"knows ({SCHEMA_VERSION}); upgrade the harness on this controller")
        for version in range(current + 1, SCHEMA_VERSION + 1):
            conn.execute(MIGRATIONS[version - 1])
            conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (version,))
    return current
