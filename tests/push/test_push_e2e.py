"""A silent push end to end on a lab Android phone: sender → gateway → Play services → app → collector.

Everything goes over the wire the way it would with a real phone: the FCM v1 client (google-auth for the
token), the gateway, ``adb reverse`` through Google's adb server, ``run-as`` for the probe's collector
config, and the phone's log read with ``adb logcat``.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from harness.android.transport import AdbTransport
from harness.collector import (
    Collector,
    WakeExpect,
    adb_reverse,
    remove_adb_reverse,
    reverse_listed,
    reverse_problem,
    write_android_config,
)
from harness.errors import DeviceLost
from harness.push import Pusher
from tests.push.conftest import GatewayLab

PKG = "com.example.courier"
DEVICE_PORT = 8765


@pytest.fixture
def reporting(gwlab: GatewayLab) -> Iterator[tuple[Collector, AdbTransport]]:
    dev = gwlab.cfg.device("pixel-8")
    assert dev.serial is not None
    transport = AdbTransport("pixel-8", dev.serial, "127.0.0.1", gwlab.cfg.lab.adb_server_port)
    with Collector() as collector:
        adb_reverse(transport, DEVICE_PORT, collector.port)
        write_android_config(transport, PKG, f"http://127.0.0.1:{DEVICE_PORT}/wake", collector.token, "pixel-8")
        try:
            yield collector, transport
        finally:
            remove_adb_reverse(transport, DEVICE_PORT)


def _logcat(gwlab: GatewayLab) -> str:
    return gwlab.lab.adb("pixel-8", "logcat", "-d").stdout


def test_push_in_doze_wakes_the_app_and_reaches_the_collector(gwlab: GatewayLab,
                                                              reporting: tuple[Collector, AdbTransport]) -> None:
    collector, _ = reporting
    lab = gwlab.lab
    lab.shell("pixel-8", f"monkey -p {PKG} -c android.intent.category.LAUNCHER 1")
    lab.shell("pixel-8", "input keyevent KEYCODE_HOME")
    lab.shell("pixel-8", "dumpsys battery unplug")
    lab.shell("pixel-8", "input keyevent KEYCODE_POWER")  # screen off
    lab.shell("pixel-8", "dumpsys deviceidle force-idle")
    try:
        assert "IDLE" in lab.shell("pixel-8", "dumpsys deviceidle get deep").stdout
        wakes = WakeExpect(collector, "pixel-8", clock_rate=gwlab.cfg.lab.clock_rate)
        with Pusher(gwlab.cfg) as pusher:
            receipt = pusher.send(gwlab.cfg.device("pixel-8"), {"kind": "orders"})
        assert receipt.service == "fcm" and receipt.message_id
        wake = wakes.woke(reason="push", within_s=60)
        assert wake.device == "pixel-8"
        log = _logcat(gwlab)
        assert f"I GCM     : GCM message {PKG} 0:" in log
        assert "ReactNativeJS: BgProbe v1 wake reason=push" in log
    finally:
        lab.shell("pixel-8", "dumpsys deviceidle unforce")
        lab.shell("pixel-8", "dumpsys battery reset")
        lab.shell("pixel-8", "input keyevent KEYCODE_WAKEUP")


def test_force_stopped_app_gets_nothing(gwlab: GatewayLab, reporting: tuple[Collector, AdbTransport]) -> None:
    collector, _ = reporting
    lab = gwlab.lab
    lab.shell("pixel-8", f"am force-stop {PKG}")
    wakes = WakeExpect(collector, "pixel-8", clock_rate=gwlab.cfg.lab.clock_rate, grace_s=1.0)
    with Pusher(gwlab.cfg) as pusher:
        pusher.send(gwlab.cfg.device("pixel-8"))  # FCM accepts it: the phone is what drops it
    wakes.not_woke(reason="push", during_s=60)
    assert (f"W GCM     : broadcast intent callback: result=CANCELLED for Intent {{ act=com.google.android.c2dm."
            f"intent.RECEIVE flg=0x10000000 pkg={PKG} (has extras) }}") in _logcat(gwlab)
    assert gwlab.gateway.outcomes("pixel-8")[-1] == "dropped"
    lab.shell("pixel-8", f"monkey -p {PKG} -c android.intent.category.LAUNCHER 1")  # leave it launched


def test_a_reverse_lost_with_its_adb_connection_makes_a_wake_wait_an_error(
        gwlab: GatewayLab, reporting: tuple[Collector, AdbTransport]) -> None:
    """An `adb reverse` lives as long as the adb connection that made it: a server restart or a reconnect drops it,
    and from then on no report can reach the collector. A quiet window then proves nothing: the wait is an error
    (DeviceLost), never a "did not wake" FAIL, nor a not_woke PASS."""
    collector, transport = reporting
    serial = gwlab.cfg.device("pixel-8").serial
    assert serial is not None
    wakes = WakeExpect(collector, "pixel-8", clock_rate=gwlab.cfg.lab.clock_rate, grace_s=0.2,
                       path=lambda: reverse_problem(transport, DEVICE_PORT, collector.port))
    assert reverse_listed(transport)[f"tcp:{DEVICE_PORT}"] == f"tcp:{collector.port}"
    wakes.not_woke(during_s=1)  # the path is there: a quiet window is a pass

    port = str(gwlab.cfg.lab.adb_server_port)
    for verb in ("disconnect", "connect"):  # what a restarted server or a replugged phone does to the connection
        subprocess.run(["adb", "-P", port, verb, serial], capture_output=True, timeout=20, check=True)
    transport.state()  # online again
    try:
        problem = reverse_problem(transport, DEVICE_PORT, collector.port)
        assert problem is not None and "was lost (no longer listed" in problem
        with pytest.raises(DeviceLost, match="to the collector was lost"):
            wakes.not_woke(during_s=1)
        with pytest.raises(DeviceLost, match="while waiting for woke"):
            wakes.woke(within_s=1)
    finally:
        adb_reverse(transport, DEVICE_PORT, collector.port)  # as the fixture left it, for its teardown
