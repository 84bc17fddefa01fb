"""``dev.alarms``: AlarmManagerService for the alarms apps use for background work.

An alarm goes off at the latest of its policies (Alarm.java ``mPolicyWhenElapsed``): the requester's
time; app standby (per-bucket deliveries per hour: ACTIVE 720, WORKING_SET 10, FREQUENT 2, RARE 1,
RESTRICTED 1 per day, NEVER 0, lifted while charging — the "parole" of AppStandbyTracker; the numbers follow
the ``alarm_manager`` flags, see alarm_config.py); device
idle (in deep IDLE a plain alarm waits for the maintenance window, an allow-while-idle one may fire
once per 9 min, 5 s for whitelisted apps); background restriction (RUN_ANY_IN_BACKGROUND ignore holds
the app's alarms while it is in the background). Inexact alarms are delivered at their window start
(no batching), so runs stay deterministic. Values are the ``dumpsys alarm`` Settings of a 13/14 device
(shared/reference android.md §1.9, §4.2; droidcon "Debugging alarms with adb", 2023). Alarms do not
survive a reboot.
"""

from __future__ import annotations

import logging
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harness.lab.android.os.jobs import standby
from harness.lab.android.os.jobs.alarm_config import AlarmConstants
from harness.lab.android.os.jobs.constraints import DeviceState
from harness.lab.clock import Timer

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = ["Alarm", "AlarmManager", "DeliveryStats"]

log = logging.getLogger(__name__)

ELAPSED_WAKEUP = 2  # AlarmManager.ELAPSED_REALTIME_WAKEUP
FLAG_ALLOW_WHILE_IDLE = 1 << 2
MIN_FUTURITY_S, MIN_INTERVAL_S, MIN_FUZZABLE_S = 5.0, 60.0, 10.0
WHILE_IDLE_LONG_S, WHILE_IDLE_SHORT_S = 9 * 60.0, 5.0
HOUR = 3600.0
POLICIES = ("requester", "app_standby", "device_idle", "battery_saver")


@dataclass(eq=False, slots=True)
class Alarm:
    package: str
    uid: int
    tag: str  # what PendingIntent.getTag gives (the intent's action); the stats tag is *walarm*:<tag>
    when_s: float  # requested trigger, device wall-clock seconds
    window_s: float
    interval_s: float
    fire: Callable[[], None]
    while_idle: bool
    hash: str
    pi_hash: str
    record_hash: str
    policy: dict[str, float] = field(default_factory=dict)  # device time per policy; 0 = no constraint

    @property
    def stats_tag(self) -> str:
        return f"*walarm*:{self.tag}"

    @property
    def flags(self) -> int:
        return FLAG_ALLOW_WHILE_IDLE if self.while_idle else 0


@dataclass(slots=True)
class DeliveryStats:
    """BroadcastStats/FilterStats: what ``Top Alarms`` and ``Alarm Stats`` print."""

    uid: int
    count: int = 0
    last_s: float = 0.0


class AlarmManager:
    """The AlarmModel of ``os/contracts.py``; ``set`` is the general form for one-shot and while-idle alarms."""

    def __init__(self, dev: AndroidDevice, state: DeviceState) -> None:
        self.dev = dev
        self.state = state
        self.consts = AlarmConstants()  # the standby quotas and windows (alarm_manager flags, alarm_config.py)
        self.alarms: list[Alarm] = []
        self.stats: dict[tuple[str, str], DeliveryStats] = {}
        self._delivered: dict[str, list[float]] = defaultdict(list)
        self._last_while_idle: dict[str, float] = {}
        self._timer: Timer | None = None
        self._hooked: list[object] = []  # the power/activity objects subscribed to
        self._rng = random.Random(f"{dev.ident.seed}:{dev.name}:alarms")
        dev.on_shutdown(self._on_shutdown)
        state.standby.on_change(lambda _p, _b: self.reschedule())
        state.appops.on_change(lambda _p, _o: self.reschedule())

    # -- AlarmModel ------------------------------------------------------------------------------
    def set_inexact_repeating(self, package: str, tag: str, first_s: float, interval_s: float,
                              fire: Callable[[], None]) -> None:
        """``setInexactRepeating(ELAPSED_REALTIME_WAKEUP, elapsedRealtime() + first_s, interval_s, …)``:
        ``first_s`` is the delay from now to the first trigger (the app part's reading of the contract)."""
        self.set(package, tag, first_s, fire, interval_s=max(interval_s, MIN_INTERVAL_S))

    def set(self, package: str, tag: str, delay_s: float, fire: Callable[[], None], *,
            interval_s: float = 0.0, while_idle: bool = False) -> None:
        """``set``/``setAndAllowWhileIdle`` (inexact, ELAPSED_REALTIME_WAKEUP); replaces the same tag."""
        pkg = self.dev.packages.get(package)
        if pkg is None:
            raise ValueError(f"{self.dev.name}: cannot set alarm {tag}: package {package} is not installed")
        self.cancel(package, tag)
        now = self.now()
        when = now + max(delay_s, MIN_FUTURITY_S)
        futurity = interval_s or when - now
        window = 0.0 if futurity < MIN_FUZZABLE_S else 0.75 * futurity
        window = min(window, HOUR) if not interval_s else window
        self.alarms.append(Alarm(package, pkg.uid, tag, when, window, interval_s, fire, while_idle,
                                 self._hash(), self._hash(), self._hash()))
        self.reschedule()

    def cancel(self, package: str, tag: str) -> None:
        before = len(self.alarms)
        self.alarms = [a for a in self.alarms if not (a.package == package and a.tag == tag)]
        if len(self.alarms) != before:
            self.reschedule()

    def cancel_all(self, package: str) -> int:
        doomed = [a for a in self.alarms if a.package == package]
        self.alarms = [a for a in self.alarms if a.package != package]
        self.reschedule()
        return len(doomed)

    # -- queries ----------------------------------------------------------------------------------
    def now(self) -> float:
        return self.dev.clock.now()

    def pending(self, package: str | None = None) -> list[Alarm]:
        return sorted((a for a in self.alarms if package in (None, a.package)), key=lambda a: a.when_s)

    def delivery_time(self, alarm: Alarm, now: float) -> float | None:
        """The latest of the policies; None while a policy holds the alarm indefinitely."""
        alarm.policy = {"requester": alarm.when_s, "app_standby": self._standby_time(alarm),
                        "device_idle": self._idle_time(alarm), "battery_saver": 0.0}
        if not self.state.bg_allowed(alarm.package):
            return None
        if any(t == float("inf") for t in alarm.policy.values()):
            return None
        return max(alarm.policy.values())

    def _standby_time(self, alarm: Alarm) -> float:
        bucket = self.state.standby.bucket(alarm.package)
        if self.state.charging() or bucket == standby.EXEMPTED:
            return 0.0
        c = self.consts
        quota = c.quota.get(bucket, c.quota[standby.ACTIVE])
        if quota <= 0:
            return float("inf")
        window = c.restricted_window_s if bucket == standby.RESTRICTED else c.window_s
        recent = [t for t in self._delivered[alarm.package] if t > self.now() - window]
        return recent[-quota] + window if len(recent) >= quota else 0.0

    def _idle_time(self, alarm: Alarm) -> float:
        if not self.state.deep_idle():
            return 0.0
        if not alarm.while_idle:
            return float("inf")  # waits for the next maintenance window (mPendingIdleUntil)
        last = self._last_while_idle.get(alarm.package)
        gap = WHILE_IDLE_SHORT_S if self.state.whitelisted(alarm.package) else WHILE_IDLE_LONG_S
        return 0.0 if last is None else last + gap

    # -- delivery ---------------------------------------------------------------------------------
    def reschedule(self) -> None:
        if not self.dev.booted:
            return
        self._hook_parts()
        now = self.now()
        times = [t for a in self.alarms if (t := self.delivery_time(a, now)) is not None]
        due = min(times, default=None)
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self.dev.clock.call_at(max(due, now), self._deliver_due) if due is not None else None

    def _deliver_due(self) -> None:
        self._timer = None
        now = self.now()
        for alarm in self.pending():
            when = self.delivery_time(alarm, now)
            if when is not None and when <= now and alarm in self.alarms:
                self._deliver(alarm, now)
        self.reschedule()

    def _deliver(self, alarm: Alarm, now: float) -> None:
        self.alarms.remove(alarm)
        self._delivered[alarm.package].append(now)
        if self.state.deep_idle() and alarm.while_idle:
            self._last_while_idle[alarm.package] = now
        stats = self.stats.setdefault((alarm.package, alarm.stats_tag), DeliveryStats(alarm.uid))
        stats.count, stats.last_s = stats.count + 1, now
        if alarm.interval_s:  # deliverAlarmsLocked: the next one counts the intervals missed
            count = 1 + max(0, int((now - alarm.when_s) // alarm.interval_s))
            nxt = alarm.when_s + count * alarm.interval_s
            self.alarms.append(Alarm(alarm.package, alarm.uid, alarm.tag, nxt, 0.75 * alarm.interval_s,
                                     alarm.interval_s, alarm.fire, alarm.while_idle, self._hash(), alarm.pi_hash,
                                     alarm.record_hash))
        try:
            alarm.fire()
        except Exception:  # an app-side bug must not stop other alarms
            log.exception("[%s] alarm %s of %s failed", self.dev.name, alarm.tag, alarm.package)

    # -- the other parts ------------------------------------------------------------------------
    def _hook_parts(self) -> None:
        power, activity = self.state.power, self.state.activity
        if power is not None and not any(power is o for o in self._hooked):
            self._hooked.append(power)
            power.on_change(lambda _what: self.reschedule())
        if activity is not None and not any(activity is o for o in self._hooked):
            self._hooked.append(activity)
            activity.on_launch(lambda _pkg: self.reschedule())
            activity.on_background(lambda _pkg: self.reschedule())

    def _on_shutdown(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        self.alarms.clear()
        self.stats.clear()
        self._delivered.clear()
        self._last_while_idle.clear()

    def _hash(self) -> str:
        return f"{self._rng.randrange(0x1000000, 0x10000000):x}"  # identityHashCode-like
