"""The iOS model seen through the wire: ``build_iphone`` (which attaches the model) behind a virtual usbmuxd,
read with the unmodified clients (``pymobiledevice3 processes pgrep`` / ``syslog live``, ``idevicesyslog``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.config import load_config
from harness.lab.clock import RealtimeClock
from harness.lab.ios import build_iphone
from harness.lab.ios.contracts import RUN_TASK_ARGUMENT
from harness.lab.ios.os import IOSModel
from tests.lab.ios.conftest import IOSLab
from tests.lab.ios.test_clients import PMD3, needs_limd, streaming

ROOT = Path(__file__).resolve().parents[3]
UDID = "00008120-001A2C3E0E90201E"
BUNDLE = "com.example.courier"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IOSLab]:
    """The iphone-15 of devices.toml with its model, alone behind its own usbmuxd."""
    cfg = load_config(ROOT / "devices.toml")
    clock = RealtimeClock(1.0)
    lab = IOSLab([build_iphone(cfg.device("iphone-15"), cfg.app, clock)], clock, tmp_path_factory.mktemp("home"))
    lab.start()
    try:
        yield lab
    finally:
        lab.stop()


def model(lab: IOSLab) -> IOSModel:
    system = lab.phone.system
    assert isinstance(system, IOSModel)
    return system


def pgrep(lab: IOSLab, name: str) -> list[dict[str, object]]:
    out = lab.run(PMD3, "processes", "pgrep", name, "--udid", UDID)
    assert out.returncode == 0, out.stderr
    return list(json.loads(out.stdout))


def test_pgrep_sees_the_apps_pid_come_and_go(lab: IOSLab) -> None:
    pid = lab.call(model(lab).launch, BUNDLE, kill_existing=True)
    assert {"pid": str(pid), "name": "Courier"} in pgrep(lab, "Courier")
    lab.call(model(lab).user_force_quit, BUNDLE)
    assert pgrep(lab, "Courier") == []


def test_pmd3_syslog_live_shows_runningboard_and_the_probe(lab: IOSLab) -> None:
    with streaming(lab, PMD3, "syslog", "live", "--label", "--udid", UDID) as stream:
        lab.call(lab.phone.log, "SpringBoard", "wire-test-ready", pid=58)
        stream.wait_for("wire-test-ready", timeout_s=15)
        pid = lab.call(model(lab).launch, BUNDLE, arguments=[RUN_TASK_ARGUMENT, "refresh-feed"], kill_existing=True)
        launch = stream.wait_for(f"Executing launch request for application<{BUNDLE}>")
        assert "runningboardd{RunningBoard}[92] <NOTICE>: " in launch
        start = stream.wait_for("BgProbe v1 task_start task=refresh-feed")
        assert f"Courier{{Courier}}[{pid}] <INFO>: " in start
        assert "[com.facebook.react.log][javascript]" in start  # the os_log label pmd3 prints
        stream.wait_for("BgProbe v1 task_end task=refresh-feed")  # 2 s of device time later


@needs_limd
def test_idevicesyslog_shows_a_silent_push_and_the_apps_nslog(lab: IOSLab) -> None:
    pid = lab.call(model(lab).launch, BUNDLE, kill_existing=True)
    lab.call(model(lab).press_home)
    with streaming(lab, "stdbuf", "-oL", "idevicesyslog", "-u", UDID) as stream:
        lab.call(lab.phone.log, "SpringBoard", "wire-push-ready", pid=58)
        stream.wait_for("wire-push-ready")
        assert lab.call(model(lab).deliver_silent_push, BUNDLE, {"aps": {"content-available": 1}}) == "delivered"
        line = stream.wait_for(f"Received incoming message on topic {BUNDLE} at priority 5")
        assert " SpringBoard[58] <Notice>: " in line
        stream.wait_for("SUBMITTING: com.apple.pushLaunch.com.example.courier:")
        assert f" Courier[{pid}] <Info>: BgProbe v1 wake reason=push" in stream.wait_for("wake reason=push")
