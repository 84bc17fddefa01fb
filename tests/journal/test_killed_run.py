"""Issue 16's check, end to end on a private lab: a run that restricted the app in the background, unplugged the
battery and put a device_config flag is SIGKILLed mid-test. Its journal holds the changes; before the next run's
first test the phone is back as it was; ``harness restore --all`` does the same by hand; and a phone whose
journal cannot be undone is quarantined instead of tested."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.config import Config, load_config
from harness.journal import Undo, journal_for
from harness.labctl import spawn_lab, stop_lab
from harness.logs.dumpsys import parse_battery
from tests.repro.project import env, harness, make_project

PHONE = "pixel-8"
PKG = "com.example.courier"

HANG = '''
import os
import threading
from pathlib import Path


def test_changes_the_phone_then_hangs(android):
    android.restrict_background(True)
    android.unplug()
    android.device_config_put("device_idle", "inactive_to", 60000)
    Path(os.environ["BGH_CHANGED"]).write_text("changed")
    threading.Event().wait()  # mid-cell: the run is killed here
'''

FIRST = '''
import json
import os
from pathlib import Path


def test_reads_the_phone_first(android):
    shell = android.transport.shell
    state = {"appops": shell("cmd appops get com.example.courier RUN_ANY_IN_BACKGROUND"),
             "battery": shell("dumpsys battery"), "device_config": shell("device_config list"),
             "sync": shell("device_config get_sync_disabled_for_tests")}
    Path(os.environ["BGH_SEEN"]).write_text(json.dumps(state))
'''


def _state(cfg: Config) -> dict[str, object]:
    """What the issue says must come back: app ops, battery (plugged, updating), device_config and its sync mode."""
    dev = cfg.device(PHONE)
    _, port = dev.adb_host_port
    serial = dev.serial
    assert serial is not None

    def shell(command: str) -> str:
        return subprocess.run(["adb", "-P", str(port), "-s", serial, "shell", command], capture_output=True,
                              text=True, timeout=30, check=True).stdout

    return _comparable({"appops": shell(f"cmd appops get {PKG} RUN_ANY_IN_BACKGROUND"),
                        "battery": shell("dumpsys battery"), "device_config": shell("device_config list"),
                        "sync": shell("device_config get_sync_disabled_for_tests")})


def _comparable(raw: dict[str, str]) -> dict[str, object]:
    battery = parse_battery(raw["battery"])  # the level drains on the lab's clock: compare the power state
    return {"appops": raw["appops"], "plugged": battery.plugged, "updates_stopped": battery.updates_stopped,
            "device_config": raw["device_config"], "sync": raw["sync"]}


def _pytest(project: Path, test: str, **extra: str) -> subprocess.Popen[str]:
    log = (project / f"{test}.log").open("w")
    return subprocess.Popen([sys.executable, "-m", "pytest", test, "--device", PHONE, "-p", "no:cacheprovider",
                             "-p", "no:randomly", "-rs", "-q"], cwd=project, env={**env(), **extra}, text=True,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _kill_mid_cell(project: Path) -> None:
    changed = project / "changed"
    changed.unlink(missing_ok=True)
    run = _pytest(project, "test_hang.py", BGH_CHANGED=str(changed))
    deadline = time.monotonic() + 180
    while not changed.exists():  # another process's file: nothing to await but its appearance
        assert run.poll() is None, (project / "test_hang.py.log").read_text()
        assert time.monotonic() < deadline, (project / "test_hang.py.log").read_text()
        time.sleep(0.1)
    os.killpg(run.pid, signal.SIGKILL)  # the whole run: pytest and anything it started in its group
    assert run.wait(30) == -signal.SIGKILL


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = make_project(tmp_path_factory.mktemp("killed"), (PHONE,), ())
    (path / "test_hang.py").write_text(HANG)
    (path / "test_first.py").write_text(FIRST)
    cfg = load_config(path / "devices.toml")
    spawn_lab(cfg)  # ours, not the runs': it outlives the killed run, as a real phone does
    try:
        yield path
    finally:
        stop_lab(cfg)


@pytest.fixture(scope="module")
def cfg(project: Path) -> Config:
    return load_config(project / "devices.toml")


def test_a_killed_run_leaves_its_changes_in_the_journal_and_the_next_run_undoes_them(project: Path,
                                                                                     cfg: Config) -> None:
    before = _state(cfg)
    assert before["appops"] != "" and before["plugged"] is True

    _kill_mid_cell(project)
    pending = journal_for(cfg, PHONE).pending()
    assert [e.key for e in pending] == ["device_config device_idle inactive_to", "device_config sync", "battery",
                                        f"appops {PKG} RUN_ANY_IN_BACKGROUND"]
    assert [e.undo.describe() for e in pending] == [
        "device_config delete device_idle inactive_to", "device_config set_sync_disabled_for_tests none",
        "dumpsys battery reset", f"cmd appops set {PKG} RUN_ANY_IN_BACKGROUND allow"]
    changed = _state(cfg)
    assert "ignore" in str(changed["appops"]) and changed["plugged"] is False
    assert "device_idle/inactive_to=60000" in str(changed["device_config"])

    seen = project / "seen.json"
    run = _pytest(project, "test_first.py", BGH_SEEN=str(seen))
    assert run.wait(180) == 0, (project / "test_first.py.log").read_text()
    assert _comparable(json.loads(seen.read_text())) == before  # what the first test saw
    assert journal_for(cfg, PHONE).pending() == []


def test_harness_restore_all_undoes_a_killed_run_by_hand(project: Path, cfg: Config) -> None:
    before = _state(cfg)
    _kill_mid_cell(project)
    assert _state(cfg) != before

    done = harness(project, "restore", "--all", timeout_s=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{PHONE}: put back 4 change(s)" in done.stdout
    assert f"undone appops {PKG} RUN_ANY_IN_BACKGROUND: cmd appops set {PKG} RUN_ANY_IN_BACKGROUND allow" in done.stdout
    assert _state(cfg) == before
    again = harness(project, "restore", PHONE, timeout_s=120)
    assert (again.returncode, again.stdout.strip()) == (0, f"{PHONE}: nothing to put back")


def test_a_journal_that_cannot_be_undone_quarantines_the_phone(project: Path, cfg: Config) -> None:
    journal = journal_for(cfg, PHONE)
    journal.record("appops com.example.gone", Undo.shell("cmd appops set com.example.gone RUN_ANY_IN_BACKGROUND allow"))
    try:
        done = harness(project, "restore", PHONE, timeout_s=120)
        assert done.returncode == 1, done.stdout + done.stderr
        assert f"{PHONE}: could not put back 1 change(s)" in done.stdout
        assert "No UID for com.example.gone" in done.stdout

        seen = project / "seen-quarantined.json"
        run = _pytest(project, "test_first.py", BGH_SEEN=str(seen))
        assert run.wait(180) == 0
        log = (project / "test_first.py.log").read_text()
        assert "1 skipped" in log and not seen.exists(), log
        assert "quarantined for run" in log and "could not be put back" in log, log
        assert f"harness restore {PHONE}" in log
    finally:
        journal.forget("appops com.example.gone")
    assert journal_for(cfg, PHONE).pending() == []


def test_restore_names_a_phone_it_does_not_know(project: Path) -> None:
    done = harness(project, "restore", "pixel-99", timeout_s=60)
    assert done.returncode == 2
    assert "no device named 'pixel-99'" in done.stderr and "configured: pixel-8" in done.stderr
    assert "Traceback" not in done.stderr
