"""dasd, the Duet Activity Scheduler: pending BGTask requests and background fetch, granted opportunistically.

Every ``EVAL_INTERVAL_S`` (jittered, seeded) while something is pending, dasd looks at each app's pending
work and launches at most one item per app when:

- the app may be launched in the background at all (installed, not force-quit by the user, the phone
  unlocked once since boot: ``Host.blocked``);
- Background App Refresh allows it (``PhoneState.refresh_allowed``: global switch, the app's switch, Low
  Power Mode), the battery is not low, and the network is up when the request requires it;
- BGProcessingTask: the phone is idle (locked for a while) and, with ``requiresExternalPower``, charging;
- the request's ``earliestBeginDate`` (fetch: the minimum interval since the last fetch) has passed;
- the app has a slot left: ``Engagement.slots`` launches per rolling day, spread at least a day/slots apart,
  shared by all its kinds of work; the item that has waited longest past its due time goes first.

A BGProcessingTaskRequest with ``requiresExternalPower`` asks for the charging window itself, and Apple's
promise for it is "within the next two days as long as the user has used your app within the past week"
(BGTaskRequest.h): its gate is use within the week, not the refresh launches a day. On power, idle, it runs
without taking one of the app's slots [the lab's reading of that promise: dasd's budget is not published].

No public capture shows dasd's lines for a BGTask activity (reference §4.4), so dasd logs nothing here;
the app-side lines show the launch.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Protocol

from harness.lab.clock import Timer
from harness.lab.ios.os.engagement import DAY_S, WEEK_S, Engagement
from harness.lab.ios.os.power import PhoneState

if TYPE_CHECKING:
    from harness.lab.clock import Clock

__all__ = ["EVAL_INTERVAL_S", "Dasd", "Host", "TaskRequest"]

EVAL_INTERVAL_S = 900.0


@dataclass(frozen=True, slots=True)
class TaskRequest:
    bundle_id: str
    identifier: str
    kind: str  # "processing" (BGProcessingTaskRequest) | "refresh" (BGAppRefreshTaskRequest)
    earliest_s: float
    requires_network: bool = False
    requires_power: bool = False


class Host(Protocol):
    def blocked(self, bundle_id: str) -> str | None:
        """Why ``bundle_id`` cannot be launched in the background now, or None."""
        ...

    def permitted_identifiers(self, bundle_id: str) -> list[str]: ...

    def run_bgtask(self, request: TaskRequest) -> None: ...

    def run_fetch(self, bundle_id: str) -> None: ...


class Dasd:
    def __init__(self, clock: Clock, state: PhoneState, host: Host, rng: random.Random) -> None:
        self.clock = clock
        self.state = state
        self.host = host
        self.rng = rng
        self.requests: dict[tuple[str, str], TaskRequest] = {}
        self.fetch_interval: dict[str, float] = {}  # setMinimumBackgroundFetchInterval, seconds
        self.last_fetch: dict[str, float] = {}
        self.grants: dict[str, list[float]] = {}
        self.engagement: dict[str, Engagement] = {}
        self._timer: Timer | None = None

    # -- the app's side (BGTaskScheduler, UIApplication) -----------------------------------------
    def submit(self, request: TaskRequest) -> str | None:
        """``BGTaskScheduler.submit``: None, or the error code the call throws."""
        if request.identifier not in self.host.permitted_identifiers(request.bundle_id):
            return "notPermitted"
        if not self.state.refresh_allowed(request.bundle_id):
            return "unavailable"
        self.requests[(request.bundle_id, request.identifier)] = request
        self._arm()
        return None

    def cancel(self, bundle_id: str, identifier: str) -> None:
        self.requests.pop((bundle_id, identifier), None)

    def pending(self, bundle_id: str, identifier: str) -> TaskRequest | None:
        return self.requests.get((bundle_id, identifier))

    def set_fetch_interval(self, bundle_id: str, interval_s: float | None) -> None:
        if interval_s is None:
            self.fetch_interval.pop(bundle_id, None)
            return
        self.fetch_interval[bundle_id] = interval_s
        self.last_fetch.setdefault(bundle_id, self.clock.now())
        self._arm()

    def forget(self, bundle_id: str) -> None:
        """The app was uninstalled."""
        for key in [k for k in self.requests if k[0] == bundle_id]:
            del self.requests[key]
        self.fetch_interval.pop(bundle_id, None)

    # -- engagement -------------------------------------------------------------------------------
    def record_use(self, bundle_id: str) -> None:
        self.engagement.setdefault(bundle_id, Engagement()).record_use(self.clock.now())
        self._arm()

    def slots_left(self, bundle_id: str) -> int:
        now = self.clock.now()
        slots = self.engagement.setdefault(bundle_id, Engagement()).slots(now)
        recent = [t for t in self.grants.get(bundle_id, []) if now - t < DAY_S]
        self.grants[bundle_id] = recent
        if slots == 0 or len(recent) >= slots:
            return 0
        if recent and now - recent[-1] < DAY_S / slots * self.rng.uniform(0.75, 1.0):
            return 0
        return slots - len(recent)

    # -- decisions --------------------------------------------------------------------------------
    def _arm(self) -> None:
        if self._timer is not None and not self._timer.cancelled:
            return
        if not self.requests and not self.fetch_interval:
            return
        self._timer = self.clock.call_later(EVAL_INTERVAL_S * self.rng.uniform(0.8, 1.2), self._evaluate)

    def _evaluate(self) -> None:
        self._timer = None
        bundles = sorted({b for b, _ in self.requests} | set(self.fetch_interval))
        for bundle_id in bundles:
            overnight = self._charging_window_work(bundle_id)
            if overnight is not None:
                overnight()
                continue
            action = self._next_action(bundle_id)
            if action is not None and self.slots_left(bundle_id) > 0:
                self.grants.setdefault(bundle_id, []).append(self.clock.now())
                action()
        self._arm()

    def _charging_window_work(self, bundle_id: str) -> Callable[[], None] | None:
        """The oldest due ``requiresExternalPower`` processing request, when the phone charges idle and the app was
        used within the week; it takes no slot."""
        if not self.state.phone.charging or self.host.blocked(bundle_id) is not None \
                or not self.state.refresh_allowed(bundle_id):
            return None
        use = self.engagement.get(bundle_id)
        now = self.clock.now()
        if use is None or use.last_use_s is None or now - use.last_use_s > WEEK_S:
            return None
        due = [request for (bundle, _), request in self.requests.items()
               if bundle == bundle_id and request.requires_power and self.runnable(request, now)]
        if not due:
            return None
        return partial(self._launch, min(due, key=lambda r: (r.earliest_s, r.identifier)))

    def _next_action(self, bundle_id: str) -> Callable[[], None] | None:
        if self.host.blocked(bundle_id) is not None or not self.state.refresh_allowed(bundle_id):
            return None
        if not self.state.battery_ok():
            return None
        now = self.clock.now()
        due: list[tuple[float, str, Callable[[], None]]] = [
            (request.earliest_s, identifier, partial(self._launch, request))
            for (bundle, identifier), request in self.requests.items()
            if bundle == bundle_id and self.runnable(request, now)]
        interval = self.fetch_interval.get(bundle_id)
        if interval is not None and now - self.last_fetch.get(bundle_id, now) >= interval:
            due.append((self.last_fetch.get(bundle_id, now) + interval, "", partial(self._fetch, bundle_id)))
        return min(due, key=lambda item: item[:2])[2] if due else None  # the longest-waiting item first

    def runnable(self, request: TaskRequest, now_s: float) -> bool:
        if now_s < request.earliest_s or (request.requires_network and not self.state.network):
            return False
        if request.kind == "processing":
            return self.state.idle(now_s) and (self.state.phone.charging or not request.requires_power)
        return True

    def _launch(self, request: TaskRequest) -> None:
        self.requests.pop((request.bundle_id, request.identifier), None)
        self.host.run_bgtask(request)

    def _fetch(self, bundle_id: str) -> None:
        self.last_fetch[bundle_id] = self.clock.now()
        self.host.run_fetch(bundle_id)
