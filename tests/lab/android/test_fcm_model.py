"""FCM delivery rules on the Android model (ManualClock): Doze, standby caps, stopped apps, the app's wake."""

from __future__ import annotations

from harness.config import TaskConfig, load_config
from harness.lab.android.device import AndroidDevice
from harness.lab.android.os.apps import deliver_fcm
from harness.lab.clock import ManualClock
from harness.lab.runner import build_android
from tests.lab.android.test_activity_standins import logcat, sh
from tests.labkit import ROOT

PKG = "com.example.courier"
RECEIVER = f"{PKG}/com.google.firebase.iid.FirebaseInstanceIdReceiver"


def _device(sdk: int | None = None) -> AndroidDevice:
    cfg = load_config(ROOT / "devices.toml")
    assert cfg.app.task("on-push") == TaskConfig("on-push", "push", duration_s=2, role="push")  # the shipped push task
    dev = build_android(cfg, cfg.device("pixel-8"), ManualClock())
    if sdk is not None:
        dev.sdk = sdk  # the caps depend on the release (API <= 32)
    return dev


def _advance(dev: AndroidDevice, seconds: float) -> None:
    assert isinstance(dev.clock, ManualClock)
    dev.clock.advance(seconds)


def _wakes(dev: AndroidDevice) -> int:
    return sum(1 for line in logcat(dev) if line == "ReactNativeJS: BgProbe v1 wake reason=push task=on-push")


def _doze(dev: AndroidDevice) -> None:
    sh(dev, "dumpsys battery unplug")
    sh(dev, "input keyevent KEYCODE_POWER")
    sh(dev, "dumpsys deviceidle force-idle")
    assert dev.power.dozing()


def test_a_message_starts_the_dead_app_for_the_broadcast_and_runs_its_push_task() -> None:
    dev = _device()
    sh(dev, f"monkey -p {PKG} -c android.intent.category.LAUNCHER 1")
    sh(dev, "input keyevent 3")
    sh(dev, f"am kill {PKG}")
    assert deliver_fcm(dev, PKG, {"kind": "sync"}, high=True) == "delivered"
    _advance(dev, 5)
    lines = logcat(dev)
    assert any(line.startswith(f"GCM: GCM message {PKG} 0:") for line in lines)
    assert any(line.startswith("ActivityManager: Start proc ") and f"for broadcast {{{RECEIVER}}}" in line
               for line in lines)
    probe = [line for line in lines if "BgProbe v1" in line and "on-push" in line]
    assert probe == ["ReactNativeJS: BgProbe v1 wake reason=push task=on-push",
                     "ReactNativeJS: BgProbe v1 task_start task=on-push run=1 trigger=push",
                     "ReactNativeJS: BgProbe v1 task_end task=on-push run=1 result=success duration_ms=2000"]


def test_a_stopped_app_gets_nothing() -> None:
    dev = _device()  # a fresh install is in the stopped state
    assert deliver_fcm(dev, PKG, {}, high=True) == "dropped"
    assert ("GCM: broadcast intent callback: result=CANCELLED for Intent { act=com.google.android.c2dm.intent."
            f"RECEIVE flg=0x10000000 pkg={PKG} (has extras) }}") in logcat(dev)
    assert _wakes(dev) == 0 and dev.activity.pid_of(PKG) is None


def test_doze_holds_normal_priority_until_it_ends_but_not_high_priority() -> None:
    dev = _device()
    sh(dev, f"monkey -p {PKG} -c android.intent.category.LAUNCHER 1")
    sh(dev, "input keyevent 3")
    _doze(dev)
    assert deliver_fcm(dev, PKG, {}, high=False) == "deferred"
    _advance(dev, 1)
    assert _wakes(dev) == 0
    assert deliver_fcm(dev, PKG, {}, high=True) == "delivered"
    _advance(dev, 1)
    assert _wakes(dev) == 1
    sh(dev, "dumpsys deviceidle unforce")
    sh(dev, "input keyevent KEYCODE_WAKEUP")  # the user picks the phone up: Doze ends
    _advance(dev, 1)
    assert not dev.power.dozing()
    assert _wakes(dev) == 2


def test_restricted_bucket_caps_high_priority_on_api_32_and_below_only() -> None:
    for sdk, delivered in ((32, 5), (34, 7)):
        dev = _device(sdk)
        sh(dev, f"monkey -p {PKG} -c android.intent.category.LAUNCHER 1")
        sh(dev, "input keyevent 3")
        sh(dev, f"am set-standby-bucket {PKG} restricted")
        _doze(dev)
        outcomes = [deliver_fcm(dev, PKG, {}, high=True) for _ in range(7)]
        assert outcomes.count("delivered") == delivered, (sdk, outcomes)
        assert outcomes[delivered:] == ["deferred"] * (7 - delivered)  # over the cap: normal priority, held by Doze


def test_the_cap_does_not_apply_while_charging() -> None:
    dev = _device(31)
    sh(dev, f"monkey -p {PKG} -c android.intent.category.LAUNCHER 1")
    sh(dev, "input keyevent 3")
    sh(dev, f"am set-standby-bucket {PKG} rare")
    sh(dev, "dumpsys battery set ac 1")
    assert [deliver_fcm(dev, PKG, {}, high=True) for _ in range(6)] == ["delivered"] * 6
