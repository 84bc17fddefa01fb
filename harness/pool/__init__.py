"""The device pool: pick phones, lease them crash-safely across xdist workers and runs, health, quarantine.

Typical use, from a per-test pytest fixture::

    pool = Pool(state_dir, run_id)                      # once per process (per xdist worker)
    dev = select(cfg, platform="android", oem=["xiaomi", "oppo"])[0]
    with pool.acquire(dev, timeout_s=600, holder=request.node.nodeid, health=check) as lease:
        ...                                             # the device is ours until the block ends

See ``_pool.py`` for the lease protocol, ``_store.py`` for the two lease stores (files here, or a
PostgreSQL farm: ``harness.farm``) and ``_quarantine.py`` for quarantine.
"""

from harness.pool._files import FileStore
from harness.pool._pool import DEFAULT_POLL_S, HealthCheck, Lease, OnWait, Pool
from harness.pool._quarantine import Quarantined, quarantined
from harness.pool._records import LeaseInfo, LeaseRecord, leases
from harness.pool._select import select
from harness.pool._store import Claim, LeaseLost, LeaseStore, Loss, SharedQuarantine

__all__ = [
    "DEFAULT_POLL_S",
    "Claim",
    "FileStore",
    "HealthCheck",
    "Lease",
    "LeaseInfo",
    "LeaseLost",
    "LeaseRecord",
    "LeaseStore",
    "Loss",
    "OnWait",
    "Pool",
    "Quarantined",
    "SharedQuarantine",
    "leases",
    "quarantined",
    "select",
]
