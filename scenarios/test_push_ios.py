"""Silent pushes on iPhone: APNs `content-available` pushes, and the rules iOS applies to them.

Requirements:
- a silent push wakes a backgrounded app promptly, and the app gets to run (`wake reason=push`);
- iOS rations them: a burst of pushes is throttled to a budget (Apple: "don't send more than two or
  three per hour"), so the counts show what was sent and what arrived;
- after the user force-quits the app in the app switcher, pushes are dropped until the user opens the
  app again (Apple's `didReceiveRemoteNotification` documentation).

A failure in the first means pushes do not reach the app at all (check the APNs topic, `apns-push-type:
background`, `UIBackgroundModes` remote-notification); in the second, that the team can count on more
pushes than iOS delivers; in the third, that the lab no longer matches iOS.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from harness.ios import IOSDriver
from harness.logs.expect import Expect
from harness.plan import HOLD_S, MIN, cost
from harness.plugin import App, DeviceSession
from harness.push import Pusher
from harness.ui import UiDriver

pytestmark = pytest.mark.platform("ios")

# Send to wake: seconds on a real phone. The window is counted in the phone's time from the mark taken before the
# send, so on a fast lab clock it must also hold the sender's HTTP/2 round trip (``Expect.ack_s``).
DELIVERY_S = 60.0
# How long iOS's push budget is watched: Apple asks for "no more than two or three per hour".
BUDGET_WATCH_S = 30 * MIN
BUDGET_REFILL_S = 60 * MIN  # "two or three per hour": an hour gives a drained budget back


def window(timeline: Expect) -> float:
    return max(DELIVERY_S, timeline.ack_s)


class Sender:
    """Silent pushes to the leased iPhone; what was sent and what woke the app go in wake-counts.json."""

    def __init__(self, pusher: Pusher, device: DeviceSession) -> None:
        self.pusher, self.device, self.sent = pusher, device, 0

    def send(self, **data: object) -> None:
        self.pusher.send(self.device.config, data)
        self.sent += 1


@pytest.fixture
def sender(device: DeviceSession, timeline: Expect) -> Iterator[Sender]:
    cfg = device.run.config
    if cfg.push is None or not cfg.push.has_apns:
        pytest.skip(f"{cfg.path} has no APNs settings in [push] (docs/push.md)")
    if not (device.config.push_token or device.config.push_token_env):
        pytest.skip(f"{device.name} has no push_token in {cfg.path}")
    start = timeline.mark
    with Pusher(cfg) as pusher:
        sender = Sender(pusher, device)
        try:
            yield sender
        finally:
            woke = sum(1 for e in timeline.stream.since(start) if e.kind == "wake" and e.reason == "push")
            rows = [{"device": device.name, "reason": "push", "sent": sender.sent, "wakes": woke,
                     "missing": max(0, sender.sent - woke)}]
            (device.artifacts / "wake-counts.json").write_text(json.dumps(rows, indent=1))


@cost(lambda c: 2 * max(DELIVERY_S, c.ack))
def test_iphone_silent_push_wakes_the_app(ios: IOSDriver, sender: Sender, timeline: Expect, app: App) -> None:
    handler = app.role("push")  # the app's push handler in devices.toml [[app.task]]
    ios.launch()
    ios.home()
    timeline.reset()
    sender.send(kind="orders-changed")
    timeline.woke("push", within_s=window(timeline))
    timeline.task_fired(handler, within_s=window(timeline), trigger="push")


@cost(lambda c: max(BUDGET_WATCH_S, c.ack) + BUDGET_REFILL_S)
def test_iphone_throttles_a_burst_of_pushes_to_its_budget(ios: IOSDriver, sender: Sender,
                                                          timeline: Expect) -> None:
    ios.launch()
    ios.home()
    timeline.reset()
    for n in range(8):
        sender.send(kind="orders-changed", n=n)
    watch = max(BUDGET_WATCH_S, timeline.ack_s)
    timeline.woke("push", within_s=watch)
    timeline.stream.wait_quiet_until((timeline.mark.device_time or 0) + watch)
    woke = len(timeline.wakes("push"))
    assert 1 <= woke < sender.sent, f"{ios.name}: {woke} of {sender.sent} pushes woke the app within {watch / 60:g} min"
    # Leave the budget as found: the next cell on this phone (in whatever order they run) must not meet a drained one.
    timeline.stream.wait_quiet_until((timeline.mark.device_time or 0) + watch + BUDGET_REFILL_S)


@cost(lambda c: c.ack + max(HOLD_S, c.ack) + max(DELIVERY_S, c.ack))
def test_iphone_drops_pushes_after_a_user_force_quit(ios: IOSDriver, ui: UiDriver, sender: Sender,
                                                     timeline: Expect) -> None:
    ui.open_app()
    ios.home()
    timeline.reset()
    ui.force_quit_like_user()
    timeline.killed(by="user", within_s=timeline.ack_s)  # the swipe's own line
    timeline.reset()
    sender.send(kind="orders-changed")
    with pytest.raises(AssertionError):  # delivered, it would be there in seconds: two minutes is the drop
        timeline.woke("push", within_s=max(HOLD_S, timeline.ack_s))

    ui.open_app()  # the user opens the app: pushes are delivered again
    ios.home()
    timeline.reset()
    sender.send(kind="orders-changed")
    timeline.woke("push", within_s=window(timeline))
