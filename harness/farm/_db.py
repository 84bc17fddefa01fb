"""Connections to the farm database: bounded in time, migrated on first use, errors made one line.

Every connection is in autocommit mode (transactions are explicit, short, and never span a wait)
and bounded: 5 s to connect, 10 s per statement, TCP keepalives and a user timeout so a controller
whose network dies learns it in seconds rather than waiting on a socket forever.
"""

from __future__ import annotations

import getpass
import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from harness.config._farm import redact_url
from harness.farm._errors import FarmUnreachable
from harness.farm._schema import migrate

__all__ = ["CONNECT_TIMEOUT_S", "Conn", "Db", "channel", "owner"]

Conn = psycopg.Connection[tuple[Any, ...]]
CONNECT_TIMEOUT_S = 5
_STATEMENT_TIMEOUT_MS = 10_000
_MIGRATED: set[str] = set()  # URLs migrated by this process: once is enough
_MIGRATE_LOCK = threading.Lock()


def owner(host: str) -> str:
    """``user@host``: who a lease or a booking belongs to."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (a container's random uid)
        user = "unknown"
    return f"{user}@{host}"


def channel(device: str) -> str:
    """The LISTEN/NOTIFY channel of a device (a channel name is at most 63 bytes: long names are hashed)."""
    name = f"harness_farm:{device}"
    if len(name.encode()) <= 63:
        return name
    return "harness_farm:" + hashlib.sha256(device.encode()).hexdigest()[:40]


class Db:
    """A farm URL and how to open connections to it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.where = redact_url(url)

    def connect(self) -> Conn:
        """A new autocommit connection, the schema migrated (once per process and URL)."""
        try:
            conn: Conn = psycopg.connect(
                self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S, application_name="bgharness",
                options=f"-c statement_timeout={_STATEMENT_TIMEOUT_MS}", keepalives=1, keepalives_idle=5,
                keepalives_interval=2, keepalives_count=3, tcp_user_timeout=_STATEMENT_TIMEOUT_MS)
        except psycopg.Error as exc:
            raise FarmUnreachable(f"{self.where}: cannot connect to the farm database: {_first_line(exc)} "
                                  f"(is PostgreSQL up and the URL right? `harness farm status` tries it)") from exc
        try:
            self._migrate_once(conn)
        except BaseException:
            conn.close()  # a refused schema (newer harness) or a failed migration: the caller never gets it
            raise
        return conn

    def _migrate_once(self, conn: Conn) -> None:
        """Migrate the schema on this process's first connection to the URL."""
        with _MIGRATE_LOCK:
            if self.url not in _MIGRATED:
                with self.errors("migrate the schema"):
                    migrate(conn, self.where)
                _MIGRATED.add(self.url)

    @contextmanager
    def errors(self, doing: str) -> Iterator[None]:
        """Turn a psycopg error into a one-line FarmUnreachable naming the database and what was being done."""
        try:
            yield
        except psycopg.Error as exc:
            raise FarmUnreachable(f"{self.where}: {doing}: {_first_line(exc)}") from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
