"""Background (``content-available``) pushes reaching the phone: SpringBoard, dasd, a budget, the held push.

Apple (``documentation/UserNotifications/pushing-background-updates-to-your-app``, reference §4.6):
background notifications are low priority and throttled, "don't try to send more than two or three per
hour"; the system keeps only the newest held notification and delivers it at once when the user launches
the app; "if something force quits or kills the app, the system discards the held notification"; the app
gets 30 seconds. After a user force-quit the system does not launch the app for a push until the user opens
it again or the phone restarts (``application(_:didReceiveRemoteNotification:fetchCompletionHandler:)``).

The budget is the lab's reading of "two or three per hour": a bucket of ``BUDGET`` launches refilled one per
``REFILL_S``. A push over budget, or one that arrives while the app cannot be launched (before the first
unlock, Background App Refresh off, Low Power Mode), stays pending as the app's newest push (dasd cancels
the one it replaces, as in the capture) and runs when the budget refills or the condition clears.
A foreground app gets the push directly, without DUET and without spending the budget.

Lines (firebase/flutterfire#8277): SpringBoard ``Received incoming message on topic <b> at priority 5``,
``[<b>] Received remote notification request XXXX-XXXX [ … hasContentAvailable: 1 … pushType: Background]``,
``[<b>] Request DUET delivers content-available push notification to application``,
``SUBMITTING: com.apple.pushLaunch.<b>:<HEX>``; dasd ``Submitted Activity: … at priority 5 <private>`` and
``CANCELED: … at priority 5 <private>!``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from harness.lab.clock import Timer
from harness.lab.ios.os import texts
from harness.lab.ios.os.processes import emit

if TYPE_CHECKING:
    from harness.lab.ios.device import VirtualIPhone

__all__ = ["BUDGET", "PUSH_WINDOW_S", "REFILL_S", "PushBudget", "PushCenter", "PushHost", "is_background_push"]

BUDGET = 3
REFILL_S = 1200.0  # one launch back every 20 minutes: three an hour
PUSH_WINDOW_S = 30.0


_TOKEN_EPS = 1e-6
_MIN_RETRY_S = 0.001  # device seconds: above a device timestamp's float resolution (~2e-7 s in 2026)


class PushBudget:
    """A token bucket, full at start; deterministic (device time only)."""

    def __init__(self, now_s: float, capacity: int = BUDGET, refill_s: float = REFILL_S) -> None:
        self.capacity, self.refill_s = capacity, refill_s
        self.tokens, self.updated_s = float(capacity), now_s

    def _refill(self, now_s: float) -> None:
        self.tokens = min(float(self.capacity), self.tokens + (now_s - self.updated_s) / self.refill_s)
        self.updated_s = now_s

    def take(self, now_s: float) -> bool:
        self._refill(now_s)
        if self.tokens < 1.0 - _TOKEN_EPS:  # a token refilled at exactly its time is there (float rounding)
            return False
        self.tokens = max(0.0, self.tokens - 1.0)
        return True

    def next_token_s(self, now_s: float) -> float:
        """When the next token is in: never "now" (a retry at the same instant would find the same bucket)."""
        self._refill(now_s)
        return now_s + max(_MIN_RETRY_S, (1.0 - self.tokens) * self.refill_s)


def is_background_push(payload: Mapping[str, object]) -> bool:
    """``{"aps": {"content-available": 1}}`` with no alert, sound or badge (Apple's background update page)."""
    aps = payload.get("aps")
    if not isinstance(aps, Mapping) or aps.get("content-available") != 1:
        return False
    return not any(key in aps for key in ("alert", "sound", "badge"))


@dataclass
class _Pending:
    activity: str
    payload: Mapping[str, object]


class PushHost(Protocol):
    def push_refused(self, bundle_id: str) -> str | None:
        """Why the phone drops a push for ``bundle_id`` outright (not installed, no mode, force-quit)."""
        ...

    def push_blocked(self, bundle_id: str) -> str | None:
        """Why it cannot launch the app for one right now (first unlock, BAR, Low Power Mode)."""
        ...

    def in_foreground(self, bundle_id: str) -> bool: ...

    def run_push(self, bundle_id: str, payload: Mapping[str, object], done: Callable[[], None]) -> None: ...


class PushCenter:
    def __init__(self, phone: VirtualIPhone, host: PushHost, rng: random.Random) -> None:
        self.phone = phone
        self.host = host
        self.rng = rng
        self.budgets: dict[str, PushBudget] = {}
        self.pending: dict[str, _Pending] = {}
        self._timers: dict[str, Timer] = {}

    def deliver(self, bundle_id: str, payload: Mapping[str, object], priority: int = 5) -> str:
        refused = self.host.push_refused(bundle_id)
        if refused == "not installed":
            return "dropped"
        received = texts.push_received(bundle_id, priority, self._request_id())
        emit(self.phone, received if is_background_push(payload) else received[:1])
        if not is_background_push(payload) or refused is not None:
            return "dropped"
        if self.host.in_foreground(bundle_id):
            self.host.run_push(bundle_id, payload, lambda: None)
            return "delivered"
        activity = f"com.apple.pushLaunch.{bundle_id}:{self.rng.getrandbits(24):06X}"
        emit(self.phone, texts.push_submitted(bundle_id, activity))
        older = self.pending.pop(bundle_id, None)
        if older is not None:
            emit(self.phone, [texts.push_canceled(older.activity)])
        self.pending[bundle_id] = _Pending(activity, payload)
        return self.attempt(bundle_id)

    def attempt(self, bundle_id: str) -> str:
        """Try to launch the app for its pending push: ``delivered``, ``held`` or ``throttled``."""
        pending = self.pending.get(bundle_id)
        if pending is None:
            return "dropped"
        if self.host.push_refused(bundle_id) is not None:
            self.pending.pop(bundle_id, None)
            return "dropped"
        if self.host.push_blocked(bundle_id) is not None:
            return "held"
        now = self.phone.clock.now()
        budget = self.budgets.setdefault(bundle_id, PushBudget(now))
        if not budget.take(now):
            self._retry_at(bundle_id, budget.next_token_s(now))
            return "throttled"
        self._launch(bundle_id, pending)
        return "delivered"

    def app_opened(self, bundle_id: str) -> None:
        """The user launched the app: the held push is delivered at once (no budget)."""
        pending = self.pending.get(bundle_id)
        if pending is not None:
            self._launch(bundle_id, pending)

    def app_died(self, bundle_id: str) -> None:
        """Killed or force-quit: the held push is discarded."""
        self.pending.pop(bundle_id, None)
        timer = self._timers.pop(bundle_id, None)
        if timer is not None:
            timer.cancel()

    def _launch(self, bundle_id: str, pending: _Pending) -> None:
        self.pending.pop(bundle_id, None)
        timer = self._timers.pop(bundle_id, None)
        if timer is not None:
            timer.cancel()
        self.host.run_push(bundle_id, pending.payload,
                           lambda: emit(self.phone, [texts.push_completed(pending.activity)]))

    def _retry_at(self, bundle_id: str, when_s: float) -> None:
        if bundle_id in self._timers:
            return

        def retry() -> None:
            self._timers.pop(bundle_id, None)
            self.attempt(bundle_id)

        self._timers[bundle_id] = self.phone.clock.call_at(when_s, retry)

    def _request_id(self) -> str:
        return f"{self.rng.getrandbits(16):04X}-{self.rng.getrandbits(16):04X}"
