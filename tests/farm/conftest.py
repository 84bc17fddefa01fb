"""A private PostgreSQL cluster for the farm tests: started once per test session (per xdist worker),
stopped at its end; each test gets a fresh database in it."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import pytest

from harness.farm import Cluster, PgLeaseStore, start_cluster

_DB_NAMES = itertools.count()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    cluster = start_cluster(prefix=f"bgh-pg-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-")
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def farm_url(pg_cluster: Cluster) -> str:
    """A fresh, empty farm database (the harness creates its tables on first use)."""
    return pg_cluster.create_database(f"farm_{os.getpid()}_{next(_DB_NAMES)}")


@pytest.fixture
def store(farm_url: str) -> Iterator[PgLeaseStore]:
    store = PgLeaseStore(farm_url, hostname="controller-a")
    yield store
    store.close()
