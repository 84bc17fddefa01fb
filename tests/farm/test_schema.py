"""The farm's schema is created, versioned and migrated by the harness itself, against a real server: a fresh
database is brought to ``SCHEMA_VERSION`` on first use, a second controller finds it there and changes nothing,
and a database migrated by a newer harness is refused with one clear line rather than misread (issue 19, item 1).
"""

from __future__ import annotations

import gc
import warnings
from pathlib import Path

import psycopg

from harness.farm import SCHEMA_VERSION, PgLeaseStore, status
from tests.farm.conftest import harness_cli


def _versions(url: str) -> list[int]:
    with psycopg.connect(url, autocommit=True) as conn:
        return [int(v) for (v,) in conn.execute("SELECT version FROM schema_version ORDER BY version")]


def test_first_use_creates_the_schema_and_a_second_controller_leaves_it_as_it_is(farm_url: str) -> None:
    with psycopg.connect(farm_url, autocommit=True) as conn:
        assert conn.execute("SELECT to_regclass('schema_version')").fetchone() == (None,)  # the fixture's db is empty
    first = PgLeaseStore(farm_url, hostname="controller-a")
    assert [r.state for r in status(first, ["pixel-8"])] == ["free"]
    assert _versions(farm_url) == list(range(1, SCHEMA_VERSION + 1))
    second = PgLeaseStore(farm_url, hostname="controller-b")
    assert [r.state for r in status(second, ["pixel-8"])] == ["free"]
    assert _versions(farm_url) == list(range(1, SCHEMA_VERSION + 1))
    first.close()
    second.close()


def test_a_database_from_a_newer_harness_is_refused_in_one_line(farm_url: str, tmp_path: Path) -> None:
    newer = SCHEMA_VERSION + 1
    with psycopg.connect(farm_url, autocommit=True) as conn:  # as a later harness would have left it
        conn.execute("CREATE TABLE schema_version (version integer PRIMARY KEY, "
                     "applied_at timestamptz NOT NULL DEFAULT now())")
        conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (newer,))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        done = harness_cli("farm", "status", url=farm_url, cwd=tmp_path)
        gc.collect()
    assert [str(w.message) for w in caught if w.category is ResourceWarning] == []  # the refused connection closed
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert f"schema version {newer}, newer than this harness knows ({SCHEMA_VERSION})" in done.stderr, done.stderr
    assert "upgrade the harness" in done.stderr and "Traceback" not in done.stderr
    assert _versions(farm_url) == [newer]  # nothing of ours was applied on top
