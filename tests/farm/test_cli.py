"""``harness farm status|book|release|log|import`` through the real command against a real server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.farm import STATUS_KEYS, PgHistory, PgLeaseStore, book, status
from harness.nightly import nightly_comparison, record_quarantines
from harness.pool import Pool
from harness.reporting import append_history, compare_runs, read_history
from harness.reporting._history import history_at
from tests.farm.conftest import harness_cli
from tests.reporting.test_history import night


def test_status_json_shows_the_owner_run_and_test_of_a_held_phone(store: PgLeaseStore, farm_url: str,
                                                                  tmp_path: Path) -> None:
    pool = Pool(Path("/unused"), "nightly-42", store=store, worker="gw1")
    with pool.acquire("pixel-8", timeout_s=5, holder="scenarios/test_doze.py::test_deep_idle[pixel-8]") as lease:
        done = harness_cli("farm", "status", "--json", url=farm_url, cwd=tmp_path, subprocess_=True)
    assert done.returncode == 0, done.stderr
    (row,) = json.loads(done.stdout)
    assert tuple(row) == STATUS_KEYS == ("name", "state", "owner", "run", "test", "since", "expiry", "token")
    assert row["name"] == "pixel-8" and row["state"] == "leased" and row["token"] == lease.fence
    assert row["owner"].endswith("@controller-a") and row["run"] == "nightly-42"
    assert row["test"] == "scenarios/test_doze.py::test_deep_idle[pixel-8]"
    assert row["since"] <= row["expiry"] and row["expiry"].endswith("Z")
    after = json.loads(harness_cli("farm", "status", "--json", url=farm_url, cwd=tmp_path).stdout)
    assert after == [dict.fromkeys(STATUS_KEYS) | {"name": "pixel-8", "state": "free"}]
    pool.close()


def test_book_release_force_and_the_audit_log(farm_url: str, tmp_path: Path) -> None:
    booked = harness_cli("farm", "book", "pixel-8", "--for", "2h", "--note", "debugging Doze by hand",
                         url=farm_url, cwd=tmp_path)
    assert booked.returncode == 0, booked.stderr
    token = int(booked.stdout.strip())
    (row,) = json.loads(harness_cli("farm", "status", "--json", url=farm_url, cwd=tmp_path).stdout)
    assert (row["state"], row["token"], row["test"], row["run"]) == ("booked", token, "debugging Doze by hand", None)

    again = harness_cli("farm", "book", "pixel-8", "--for", "10m", "--note", "me too", url=farm_url, cwd=tmp_path)
    assert again.returncode == 1 and "booked by" in again.stderr and "debugging Doze by hand" in again.stderr
    assert "Traceback" not in again.stderr
    assert harness_cli("farm", "release", "pixel-8", url=farm_url, cwd=tmp_path).returncode == 0  # our own

    colleague = PgLeaseStore(farm_url, hostname="qa-laptop-7")
    theirs = book(colleague, "pixel-8", 3600, "reproducing a customer bug")
    refused = harness_cli("farm", "release", "pixel-8", url=farm_url, cwd=tmp_path)
    assert refused.returncode == 1
    assert "@qa-laptop-7" in refused.stderr and "--force --reason" in refused.stderr, refused.stderr
    no_reason = harness_cli("farm", "release", "pixel-8", "--force", url=farm_url, cwd=tmp_path)
    assert no_reason.returncode == 1 and "a reason is required" in no_reason.stderr
    forced = harness_cli("farm", "release", "pixel-8", "--force", "--reason", "needed for the 2.3 release check",
                         url=farm_url, cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert [r.state for r in status(colleague)] == ["free"]

    log = json.loads(harness_cli("farm", "log", "--json", url=farm_url, cwd=tmp_path).stdout)
    assert [(r["action"], r["token"]) for r in log] == [("book", token), ("release", token), ("book", theirs.fence),
                                                        ("force-release", theirs.fence)]
    assert log[-1]["reason"] == "needed for the 2.3 release check"
    assert "@qa-laptop-7" in log[-1]["previous"] and "reproducing a customer bug" in log[-1]["previous"]
    text = harness_cli("farm", "log", url=farm_url, cwd=tmp_path).stdout
    assert "force-release" in text and "needed for the 2.3 release check" in text
    colleague.close()


def test_without_a_farm_url_the_farm_commands_say_how_to_set_one(tmp_path: Path) -> None:
    done = harness_cli("farm", "status", url="", cwd=tmp_path)
    assert done.returncode == 1 and "HARNESS_FARM_URL" in done.stderr and "Traceback" not in done.stderr


def test_a_bad_duration_is_refused_in_one_line(farm_url: str, tmp_path: Path) -> None:
    done = harness_cli("farm", "book", "pixel-8", "--for", "two hours", "--note", "x", url=farm_url, cwd=tmp_path)
    assert done.returncode == 2 and "not a duration" in done.stderr


def test_import_moves_a_history_sqlite_over_and_both_read_the_same(farm_url: str, tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite"
    for n in (2, 0, 3, 1):
        append_history(db, night(n))
    record_quarantines(db, "night-3", [("galaxy-a54", "health: adb offline", 1.0)])
    for _ in range(2):  # importing twice replaces, never doubles
        done = harness_cli("farm", "import", str(db), url=farm_url, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert "imported 4 run(s), 16 result(s), 1 quarantine(s)" in done.stdout

    farm = PgHistory(farm_url)
    assert read_history(farm) == read_history(db)
    assert read_history(farm, last_n=2) == read_history(db, last_n=2)
    assert compare_runs(farm, 3) == compare_runs(db, 3)
    assert nightly_comparison(farm, "night-3") == nightly_comparison(db, "night-3")


def test_history_goes_to_the_farm_when_a_farm_url_is_set(farm_url: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HARNESS_FARM_URL", raising=False)
    assert history_at(tmp_path).where == str(tmp_path / "history.sqlite")
    monkeypatch.setenv("HARNESS_FARM_URL", farm_url)
    store = history_at(tmp_path)
    append_history(store, night(0))
    assert store.where == farm_url and not (tmp_path / "history.sqlite").exists()
    runs, _ = read_history(PgHistory(farm_url))
    assert [r.run_id for r in runs] == ["night-0"]
