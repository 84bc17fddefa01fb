"""Where the gateway delivers: each lab phone's app, by the push token it registered.

A target hands a push to the phone's OS model the way the real transport would: APNs → the iPhone's
``IOSSystem.deliver_silent_push`` (``harness/lab/ios/contracts.py``); FCM → Google Play services on the
Android phone (``harness.lab.android.os.apps.deliver_fcm``). Both run on the lab's loop and return what
the phone did (``delivered``, ``held``, ``throttled``, ``deferred``, ``dropped``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice
    from harness.lab.ios.device import VirtualIPhone

__all__ = ["Target", "TargetRegistry", "android_target", "iphone_target"]

log = logging.getLogger("harness.lab.push")


@dataclass
class Target:
    device: str  # the devices.toml name
    platform: str  # ios | android
    app_id: str  # bundle id (the APNs topic) or package name
    token: str
    deliver: Callable[[Mapping[str, object], str], str]  # (payload or data, priority) → outcome
    installed: Callable[[], bool]
    outcomes: list[str] = field(default_factory=list)  # what the phone did with each push, in order


class TargetRegistry:
    def __init__(self) -> None:
        self.by_token: dict[str, Target] = {}

    def add(self, target: Target) -> None:
        self.by_token[target.token] = target

    def get(self, token: str) -> Target | None:
        return self.by_token.get(token)

    def deliver(self, target: Target, payload: Mapping[str, object], priority: str) -> str:
        try:
            outcome = target.deliver(payload, priority)
        except Exception:  # a model bug must not turn into an APNs/FCM error the sender sees
            log.exception("push gateway: delivering to %s failed", target.device)
            outcome = "error"
        target.outcomes.append(outcome)
        log.info("push gateway: %s push to %s (%s) → %s", target.platform, target.device, target.app_id, outcome)
        return outcome


def iphone_target(name: str, phone: VirtualIPhone, bundle_id: str, token: str) -> Target:
    def deliver(payload: Mapping[str, object], priority: str) -> str:
        if phone.system is None:
            return "dropped"
        return phone.system.deliver_silent_push(bundle_id, payload, priority=int(priority))

    return Target(name, "ios", bundle_id, token, deliver, lambda: bundle_id in phone.apps)


def android_target(name: str, dev: AndroidDevice, package: str, token: str) -> Target:
    from harness.lab.android.os.apps import deliver_fcm  # noqa: PLC0415 - the Android app model imports the push targets: a cycle

    def deliver(data: Mapping[str, object], priority: str) -> str:
        return deliver_fcm(dev, package, {str(k): str(v) for k, v in data.items()}, high=priority == "high")

    return Target(name, "android", package, token, deliver, lambda: dev.packages.get(package) is not None)
