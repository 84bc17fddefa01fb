"""A phone disconnected during a wait is an error naming the drop, within 5 s of wall time, never a pass.

A whole pytest run through the plugin against a private lab. Each cell disconnects its phone from the adb server
(``adb -P <port> disconnect <serial>``, as a pulled cable) the moment its wait starts (the stream's wait observer
tells it, so nothing sleeps), during a positive wait (pixel-8), a negative one (xiaomi-13) and a wait for the
phone's clock to pass (oppo-find-x6); an iPhone's hub port is switched off behind its driver's back during a
negative wait (iphone-12: an unplug the driver did not ask for is a loss, ``ios.unplug()`` is not).
Every window is 4 h of device time (a minute of wall time at 240x): a wait
that did not notice the drop would run it out, and the negative one would pass.
"""

from __future__ import annotations

import json

import pytest

from tests.labkit import private_devices_toml

pytest_plugins = ["pytester"]

SCENARIOS = '''
import json
import subprocess
import threading
import time
from pathlib import Path

from harness.logs.stream import observe_waits

FOUR_HOURS = 4 * 3600


def disconnect_when_the_wait_starts(device):
    """Pull the phone the moment the next wait on its stream starts; returns when it was pulled (monotonic)."""
    pulled = {}
    previous = observe_waits(None)

    def pull():
        pulled["at"] = time.monotonic()  # the drop is at most this early: the wait is timed from here
        if device.config.platform == "ios":
            client, port = device.driver._hub_port("test")
            client.set_mode(port, "o")
            return
        host, port = device.config.adb_host_port
        subprocess.run(["adb", "-P", str(port), "disconnect", device.config.serial], check=True, timeout=20)

    def observer(stream, what, window_s):
        observe_waits(previous)  # once
        threading.Thread(target=pull, daemon=True).start()
        return previous(stream, what, window_s) if previous is not None else None

    observe_waits(observer)
    return pulled


def waited(device, pulled):
    ended = time.monotonic()
    with Path("lost_times.jsonl").open("a") as out:
        out.write(json.dumps({"device": device.name, "after_pull_s": ended - pulled["at"] if pulled else None}) + "\\n")


def test_a_wait_on_a_lost_phone(device, timeline):
    pulled = disconnect_when_the_wait_starts(device)
    try:
        if device.name == "pixel-8":
            timeline.task_fired("depot-geofence", within_s=FOUR_HOURS)  # nothing enters its region
        elif device.name in ("xiaomi-13", "iphone-12"):
            timeline.task_not_fired("depot-geofence", during_s=FOUR_HOURS)
        else:
            timeline.settle(FOUR_HOURS)
    finally:
        waited(device, pulled)


def test_zz_later_on_the_same_phone(device):
    assert device.name
'''


@pytest.fixture
def run(pytester: pytest.Pytester) -> pytest.RunResult:
    (pytester.path / "devices.toml").write_text(private_devices_toml(pytester.path / "state"))
    pytester.makepyfile(test_lost=SCENARIOS)
    return pytester.runpytest_subprocess("--device", "pixel-8", "--device", "xiaomi-13", "--device", "oppo-find-x6",
                                         "--device", "iphone-12",
                                         "--reports", "reports", "-p", "no:cacheprovider", "-p", "no:randomly", "-rs",
                                         timeout=400)


def test_a_phone_lost_during_a_wait_errors_and_is_quarantined(run: pytest.RunResult, pytester: pytest.Pytester) -> None:
    outcomes = run.parseoutcomes()
    assert outcomes.get("passed", 0) == 0, run.outlines[-40:]
    assert outcomes.get("failed") == 4, run.outlines[-40:]
    run.stdout.fnmatch_lines(["*DeviceLost: pixel-8 disconnected at *(device time) while waiting for task_fired "
                              "'depot-geofence'*"])
    run.stdout.fnmatch_lines(["*DeviceLost: xiaomi-13 disconnected at *while waiting for task_not_fired "
                              "'depot-geofence'*"])
    run.stdout.fnmatch_lines(["*DeviceLost: oppo-find-x6 disconnected at *while waiting for settle*"])
    run.stdout.fnmatch_lines(["*DeviceLost: iphone-12 disconnected at *while waiting for task_not_fired "
                              "'depot-geofence' — usbmuxd * no longer lists it*"])

    times = [json.loads(line) for line in (pytester.path / "lost_times.jsonl").read_text().splitlines()]
    assert {t["device"] for t in times} == {"pixel-8", "xiaomi-13", "oppo-find-x6", "iphone-12"}
    for entry in times:  # measured from the moment `adb disconnect` started to the moment the wait ended
        assert entry["after_pull_s"] is not None and entry["after_pull_s"] < 5.0, entry

    latest = pytester.path / "reports" / "latest"
    results = {r["nodeid"]: r for line in (latest / "results.jsonl").read_text().splitlines()
               if (r := json.loads(line))["type"] == "result"}
    for name in ("pixel-8", "xiaomi-13", "oppo-find-x6", "iphone-12"):
        lost = results[f"test_lost.py::test_a_wait_on_a_lost_phone[{name}]"]
        assert lost["outcome"] == "error", lost
        assert f"{name} disconnected at" in lost["message"]
        later = results[f"test_lost.py::test_zz_later_on_the_same_phone[{name}]"]
        assert later["outcome"] == "skipped", later  # quarantined: not run, with the reason
        assert "quarantined" in later["message"] and f"{name} disconnected at" in later["message"], later
