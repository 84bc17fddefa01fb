"""Silent pushes: the recommended replacement for "sync every 15 minutes", checked on every phone.

Requirement: a silent push (FCM high-priority data message on Android) wakes the app within a minute
of device time — even in Doze — and every wake the app reports reaches the server (the harness's
collector stands in for it): what was sent, minus what the platform may drop, is what was counted.

What a failure means for users: pushes are the lever the team relies on when background schedules
are throttled; if a push does not wake the app, data stays stale until the user opens it. After an
OEM killer force-stops the app (MIUI, ColorOS), FCM cannot wake it until the user opens it again —
an expected kill here, and a reason to ask those users to allow autostart.

Needs ``[push]`` in devices.toml (the lab ships it, pointing at its gateway), a ``push_token`` per
phone, and a ``kind = "push"`` task in ``[app]`` (the app's background message handler). The iOS
cells (budget, force-quit) are in test_push_ios.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from harness.android import AndroidDriver
from harness.collector import (
    Collector,
    WakeExpect,
    adb_reverse,
    reverse_problem,
    wake_count_rows,
    write_android_config,
)
from harness.config import TaskConfig
from harness.journal import Undo
from harness.logs.expect import Expect
from harness.plan import MIN, cost
from harness.plugin import App, DeviceSession
from harness.push import Pusher

pytestmark = pytest.mark.platform("android")
LONG_SCREEN_OFF_S = 35 * MIN  # past MIUI's (5-15 min) and ColorOS's (freeze 1-3 min, kill 10-30 min later) timers

# Device seconds from send to wake: a high-priority message is delivered in seconds; a minute is generous at 1x and far
# short of Doze's first maintenance window (an hour into deep IDLE), so a deferred push cannot pass. On a fast lab
# clock the window also holds the sender's HTTP round trip (``Expect.ack_s``).
DELIVERY_S = 60.0


def window(timeline: Expect) -> float:
    return max(DELIVERY_S, timeline.ack_s)


def _push_task(app: App) -> TaskConfig:
    """The app's background message handler: the task that plays role "push" (skips the cell when none does)."""
    return app.task(app.role("push"))


class Sender:
    """Pushes to the leased phone, counting what was sent for the wake-count table."""

    def __init__(self, pusher: Pusher, device: DeviceSession) -> None:
        self.pusher, self.device, self.sent = pusher, device, 0

    def send(self, **data: object) -> None:
        self.pusher.send(self.device.config, data)
        self.sent += 1


@pytest.fixture
def collector(device: DeviceSession) -> Iterator[Collector]:
    with Collector(device.run.config.collector) as running:
        yield running


@pytest.fixture
def sender(device: DeviceSession, collector: Collector) -> Iterator[Sender]:
    cfg = device.run.config
    if cfg.push is None:
        pytest.skip(f"{cfg.path} has no [push] table (docs/push.md)")
    if not (device.config.push_token or device.config.push_token_env):
        pytest.skip(f"{device.name} has no push_token in {cfg.path}")
    with Pusher(cfg) as pusher:
        sender = Sender(pusher, device)
        try:
            yield sender
        finally:
            rows = wake_count_rows(collector.store.since(), sent={device.name: sender.sent})
            (device.artifacts / "wake-counts.json").write_text(json.dumps([r.as_json() for r in rows], indent=1))


@pytest.fixture
def wakes(android: AndroidDriver, device: DeviceSession, collector: Collector, app: App) -> WakeExpect:
    """The app reports its wakes to the collector through `adb reverse` (undone at teardown)."""
    port = device.run.config.collector.device_port
    android.remember(f"adb reverse tcp:{port}", Undo.adb_reverse(port))  # journaled before it is made
    adb_reverse(android.transport, port, collector.port)
    write_android_config(android.transport, app.package, f"http://127.0.0.1:{port}/wake", collector.token,
                         device.name)
    assert device.stream is not None  # the android fixture opened the capture: a lost phone ends the wake waits too
    return WakeExpect(collector, device.name, clock_rate=android.clock_rate, device_now=android.device_time,
                      stream=device.stream, stepper=android.stepper,
                      path=lambda: reverse_problem(android.transport, port, collector.port))


@cost(lambda c: c.ack + 2 * max(DELIVERY_S, c.ack))
def test_silent_push_wakes_the_app_in_doze(android: AndroidDriver, app: App, timeline: Expect, sender: Sender,
                                           wakes: WakeExpect) -> None:
    task = _push_task(app)
    android.launch()
    android.home()
    android.unplug()
    android.screen_off()
    android.force_idle()
    assert android.doze_states().deep == "IDLE"
    timeline.reset()
    wakes.reset()
    sender.send(kind="orders-changed")
    timeline.task_fired(task.name, within_s=window(timeline))  # high priority: "No restriction" in Doze
    wakes.woke(reason="push", within_s=window(timeline))


@cost(lambda c: 6 * max(DELIVERY_S, c.ack))
def test_every_push_is_counted(android: AndroidDriver, app: App, timeline: Expect, sender: Sender,
                               wakes: WakeExpect) -> None:
    task = _push_task(app)
    android.launch()
    android.home()
    android.unplug()
    android.screen_off()
    for n in range(3):
        timeline.reset()
        sender.send(kind="orders-changed", seq=n)
        timeline.task_fired(task.name, within_s=window(timeline))
        wakes.woke(reason="push", within_s=window(timeline))
        wakes.reset()
    counted = wake_count_rows(wakes.collector.store.since(), sent={android.name: sender.sent})
    push_row = next(r for r in counted if r.reason == "push")
    assert (push_row.sent, push_row.wakes, push_row.missing) == (3, 3, 0), push_row


@cost(lambda c: c.ack + 4 * max(DELIVERY_S, c.ack))
def test_force_stopped_app_gets_no_push_until_opened(android: AndroidDriver, app: App, timeline: Expect,
                                                     sender: Sender, wakes: WakeExpect) -> None:
    task = _push_task(app)
    android.launch()
    android.home()
    timeline.reset()
    android.force_stop()
    timeline.killed(by="user", within_s=timeline.ack_s)  # the stop's own line: every line before it is in now
    timeline.reset()
    wakes.reset()
    sender.send(kind="orders-changed")
    timeline.task_not_fired(task.name, during_s=window(timeline))
    wakes.not_woke(reason="push", during_s=window(timeline))

    android.launch()  # the user opens the app: the stopped state ends
    android.home()
    timeline.reset()
    wakes.reset()
    sender.send(kind="orders-changed")
    timeline.task_fired(task.name, within_s=window(timeline))
    wakes.woke(reason="push", within_s=window(timeline))


@pytest.mark.known_kill(oem="xiaomi", reason="MIUI's PowerKeeper force-stops the app minutes after screen-off; "
                        "a force-stopped app gets no FCM message until the user opens it")
@pytest.mark.known_kill(oem="oppo", reason="ColorOS's athena force-stops the app after screen-off; a force-stopped "
                        "app gets no FCM message until the user opens it")
@cost(lambda c: LONG_SCREEN_OFF_S + 2 * max(DELIVERY_S, c.ack))
def test_push_wakes_the_app_after_a_long_screen_off(android: AndroidDriver, app: App, timeline: Expect,
                                                    sender: Sender, wakes: WakeExpect) -> None:
    task = _push_task(app)
    android.launch()
    android.home()
    android.unplug()
    android.screen_off()
    # On a desk for half an hour; OEM cleaners act here. Only time passes: no push is asserted absent, as a message
    # sent to this phone before the cell (a previous cell's, one FCM held) may arrive here on a real phone too; and
    # the push below is looked for from a mark after this wait.
    timeline.settle(LONG_SCREEN_OFF_S)
    wakes.reset()
    sender.send(kind="orders-changed")
    timeline.task_fired(task.name, within_s=window(timeline))
    wakes.woke(reason="push", within_s=window(timeline))
