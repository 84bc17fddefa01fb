"""A second app, described only in a copy of devices.toml, runs the catalogue on the lab: the roles it maps
pass or are expected kills, the ones it does not are skipped with the reason; a misspelt task fails at once
with "did you mean"; and no configured secret (push tokens, the lab's key files) reaches the reports."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.config import load_config
from tests.adopt.second_app import UNMAPPED, second_app_toml
from tests.labkit import ROOT, private_devices_toml
from tests.repro.project import env

# A stock Android phone and an iPhone: the OEM phones' expected kills are timing races on a loaded host (MIUI's
# clean-up can land between two checks of a cell), which is the lab's business, not the adoption's.
PHONES = ("pixel-8", "iphone-15")
# Cells that must fail, and how: the failure page of a test that drags the app, the phone's config and its token
# into its message, and a misspelt task name (a day-long window: only failing at once ends it in time).
EXTRA = '''
import pytest
from harness.plugin import App, DeviceSession

@pytest.mark.platform("android")
def test_zz_failure_page(android, app: App, device: DeviceSession, timeline) -> None:
    print("token", device.config.push_token)
    assert app is None, f"{app!r} {device.config!r} {device.run.config.push!r} {device.config.push_token}"

@pytest.mark.platform("android")
def test_zz_misspelt_task(android, timeline) -> None:
    timeline.task_fired("pull-inbx", within_s=24 * 3600)
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fieldops")
    text = re.sub(r"(?m)^clock_rate = \d+", "clock_rate = 600", private_devices_toml(path / "state"), count=1)
    head, *devices = second_app_toml(text).split("[[device]]")
    kept = [d for d in devices if any(f'name = "{n}"\n' in d for n in PHONES)]
    (path / "devices.toml").write_text(head + "".join("[[device]]" + d for d in kept))
    shutil.copytree(ROOT / "scenarios", path / "scenarios")
    (path / "scenarios" / "test_zz_extra.py").write_text(EXTRA)
    proc = subprocess.run([sys.executable, "-m", "pytest", "scenarios", "-p", "no:cacheprovider", "-p", "no:randomly",
                           "-q", "--reports", "reports"], cwd=path, env=env(), capture_output=True, text=True,
                          timeout=900, check=False)
    (path / "pytest.out").write_text(proc.stdout + proc.stderr)
    return path


def _results(project: Path) -> dict[str, dict[str, object]]:
    lines = (project / "reports" / "latest" / "results.jsonl").read_text().splitlines()
    return {r["nodeid"]: r for r in map(json.loads, lines) if r.get("type") == "result"}


def test_mapped_roles_run_and_unmapped_ones_skip_with_the_reason(project: Path) -> None:
    results = _results(project)
    assert results, (project / "pytest.out").read_text()[-3000:]
    bad = {n: r["outcome"] for n, r in results.items() if r["outcome"] in ("failed", "error", "unexpected_survival")
           and "test_zz_" not in n}
    assert not bad, bad
    passed = [n for n, r in results.items() if r["outcome"] == "passed"]
    assert len(passed) >= 20, passed
    skipped = " ".join(str(r["message"]) for r in results.values() if r["outcome"] == "skipped")
    for role in UNMAPPED:
        assert f"[app] maps no task to role '{role}'" in skipped
    assert "task 'map-tiles' has kind 'background-fetch': add role = \"fetch\" to it" in skipped
    assert "maps no task to role 'periodic'" not in skipped and "'push'" not in skipped


def test_a_misspelt_task_fails_at_once_with_did_you_mean(project: Path) -> None:
    typo = [r for n, r in _results(project).items() if "test_zz_misspelt_task" in n]
    assert typo and all(r["outcome"] == "failed" for r in typo)
    assert all("did you mean 'pull-inbox'?" in str(r["message"]) for r in typo)


def _key_secrets(folder: Path) -> list[str]:
    """The lab's key files, as a leak would show them: the .p8's base64 lines, the service account's key id and
    its private key's lines."""
    found: list[str] = []
    for path in folder.iterdir():
        text = path.read_text()
        if path.suffix == ".json":
            account = json.loads(text)
            found.append(account["private_key_id"])
            text = account["private_key"]
        found += [line for line in text.splitlines() if len(line) >= 16 and not line.startswith("-----")]
    return found


def test_no_configured_secret_reaches_the_reports(project: Path) -> None:
    cfg = load_config(project / "devices.toml")
    tokens = [d.push_token for d in cfg.devices if d.push_token]
    keys = _key_secrets(project / "state" / "push")
    assert tokens and len(keys) >= 4
    page = [r for n, r in _results(project).items() if "test_zz_failure_page" in n]
    assert page and all(r["outcome"] == "failed" and "App('FieldOps' on" in str(r["message"]) for r in page)
    leaks = {}
    for path in (project / "reports").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found = [s[:10] for s in (*tokens, *keys) if s.encode() in data]
            if found:
                leaks[str(path.relative_to(project))] = found
    assert not leaks, leaks
