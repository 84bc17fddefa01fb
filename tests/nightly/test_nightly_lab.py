"""Three nightly runs on the lab through the real command, with the Xiaomi profile changed before the
third (Autostart and "No restrictions" given in devices.toml): the comparison names exactly that cell."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.repro.project import harness, make_project, set_device_settings

PKG = "com.example.courier"
CHANGED = {"scenario": "test_periodic_task_fires_in_background", "device": "xiaomi-13",
           "before": "expected_kill", "after": "unexpected_survival"}


def nightly(project: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, object]]:
    done = harness(project, "nightly", "--workers", "1", "--reports", "reports/nightly", timeout_s=600)
    runs = sorted((project / "reports" / "nightly").glob("*/nightly.json"), key=lambda p: p.stat().st_mtime)
    assert runs, done.stdout + done.stderr
    return done, json.loads(runs[-1].read_text())


Night = tuple[subprocess.CompletedProcess[str], dict[str, object]]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("nightly"), ("pixel-8", "xiaomi-13"),
                        ("test_periodic_sync.py", "test_headless_state.py"))


@pytest.fixture(scope="module")
def nights(project: Path) -> list[Night]:
    done = [nightly(project), nightly(project)]
    set_device_settings(project, "xiaomi-13", {f"secure:lab.miui.autostart.{PKG}": "1",
                                               f"secure:lab.miui.battery_saver.{PKG}": "no_restrictions"})
    done.append(nightly(project))
    return done


def test_the_first_night_has_nothing_to_compare(nights: list[Night]) -> None:
    done, cmp = nights[0]
    assert done.returncode == 0, done.stdout + done.stderr
    assert cmp["compared_with"] == [] and cmp["new_failures"] == [] and cmp["changed"] == []
    assert "(the first run: nothing to compare with)" in done.stdout


def test_an_unchanged_night_names_nothing(nights: list[Night]) -> None:
    done, cmp = nights[1]
    assert done.returncode == 0, done.stdout + done.stderr
    assert cmp["compared_with"] == [nights[0][1]["run_id"]]
    assert (cmp["new_failures"], cmp["fixed"], cmp["changed"], cmp["flaky"]) == ([], [], [], [])
    assert "exit 0: no new failures" in done.stdout


def test_the_changed_profile_is_exactly_the_changed_cell(nights: list[Night]) -> None:
    done, cmp = nights[2]
    assert done.returncode == 1, done.stdout + done.stderr  # a new failure, and only that fails the job
    previous = nights[1][1]["run_id"]
    assert cmp["compared_with"] == [previous, nights[0][1]["run_id"]]
    assert cmp["new_failures"] == [{**CHANGED, "before_run": previous}]
    assert cmp["changed"] == [{**CHANGED, "before_run": previous}]
    assert cmp["fixed"] == [] and cmp["flaky"] == [] and cmp["newly_quarantined"] == {}
    assert "test_periodic_task_fires_in_background @ xiaomi-13: expected kill → unexpected survival" in done.stdout
    assert "exit 1: new failures since the previous run" in done.stdout


def test_the_trends_page_shows_survival_per_oem_over_the_nights(nights: list[Night], project: Path) -> None:
    page = (project / "reports" / "nightly" / "trends.html").read_text()
    assert "Survival rate per OEM" in page
    # xiaomi: the headless cell survives every night; the periodic one is killed until the third night
    assert '<td>xiaomi</td><td title="1/2">50%</td><td title="1/2">50%</td><td title="2/2">100%</td>' in page
    assert '<td>google</td><td title="2/2">100%</td><td title="2/2">100%</td><td title="2/2">100%</td>' in page
    assert (project / "reports" / "nightly" / "trends-oems.png").stat().st_size > 0
