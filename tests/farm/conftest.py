"""A private PostgreSQL cluster for the farm tests: started once per test session (per xdist worker),
stopped at its end; each test gets a fresh database in it."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness.cli import app
from harness.farm import Cluster, PgLeaseStore, start_cluster
from tests.pool.conftest import Holder, Holders

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


@pytest.fixture
def spawn(farm_url: str, tmp_path: Path) -> Iterator[Callable[..., Holder]]:
    """Start ``tests.farm.worker`` controller processes against this test's farm database."""
    holders = Holders(tmp_path, "worker")

    def _spawn(mode: str, *args: str, url: str | None = None) -> Holder:
        return holders.start("tests.farm.worker", mode, "--url", url or farm_url, *args)

    yield _spawn
    holders.stop_all()


@dataclass(frozen=True)
class Done:
    returncode: int
    stdout: str
    stderr: str


def harness_cli(*args: str, url: str, cwd: Path, subprocess_: bool = False) -> Done:
    """The ``harness`` command pointed at the farm by HARNESS_FARM_URL, with ``cwd/devices.toml`` (usually absent)
    as its device file. In this process through Click's runner (the installed command costs seconds to start on a
    loaded machine), or as the real installed command with ``subprocess_``."""
    argv = [*args, "--devices", str(cwd / "devices.toml")]
    env = {**os.environ, "HARNESS_FARM_URL": url}
    if subprocess_:
        done = subprocess.run([str(Path(sys.executable).with_name("harness")), *argv], cwd=cwd, capture_output=True,
                              text=True, timeout=60, check=False, env=env)
        return Done(done.returncode, done.stdout, done.stderr)


    result = CliRunner().invoke(app, argv, env={"HARNESS_FARM_URL": url})
    return Done(result.exit_code, result.stdout, result.stderr)
