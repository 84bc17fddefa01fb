"""The shared farm: leases, owners, bookings, quarantine and history in one PostgreSQL database.

Chosen by ``[farm] url`` in ``devices.toml`` or ``HARNESS_FARM_URL`` (the environment wins); without
either, the harness keeps its embedded stores (lease files, ``reports/history.sqlite``). See
``docs/farm.md``::

    store = farm_store(cfg)                         # None without a farm URL
    pool = Pool(state_dir, run_id, store=store)     # the same Pool, its leases now in the database
    with pool.acquire(dev, timeout_s=600, holder=nodeid) as lease:
        lease.check()                               # before a device action: LeaseLost names who took over
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.config._farm import FarmConfig, farm_url
from harness.farm._admin import STATUS_KEYS, AuditRow, DeviceStatus, audit_log, book, release, status
from harness.farm._cluster import Cluster, find_pg_bin, start_cluster
from harness.farm._errors import FarmError, FarmUnreachable
from harness.farm._history import ImportCounts, PgHistory, import_sqlite
from harness.farm._pg import PgLeaseStore
from harness.farm._schema import SCHEMA_VERSION

if TYPE_CHECKING:
    from harness.config import Config

__all__ = ["SCHEMA_VERSION", "STATUS_KEYS", "AuditRow", "Cluster", "DeviceStatus", "FarmError", "FarmUnreachable",
           "ImportCounts", "PgHistory", "PgLeaseStore", "audit_log", "book", "farm_store", "find_pg_bin",
           "import_sqlite", "release", "start_cluster", "status"]


def farm_store(config: Config | None = None, hostname: str | None = None) -> PgLeaseStore | None:
    """The farm's lease store when a farm URL is set (``HARNESS_FARM_URL`` or ``[farm] url``), else None."""
    url = farm_url(config)
    if url is None:
        return None
    farm: FarmConfig = getattr(config, "farm", None) or FarmConfig()
    return PgLeaseStore(url, hostname=hostname, quarantine_s=farm.quarantine_s)
