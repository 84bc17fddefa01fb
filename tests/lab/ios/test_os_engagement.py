"""Engagement and dasd: a daily-opened app gets several slots a day, an ignored one is starved."""

from __future__ import annotations

import itertools

import pytest

from harness.config import AppConfig, TaskConfig
from harness.lab.clock import ManualClock
from harness.lab.ios import IPhoneIdentity, VirtualIPhone
from harness.lab.ios.os import IOSModel, attach_system, bundle_for
from harness.lab.ios.os.engagement import DAY_S, Engagement

UDID = "00008120-001A2C3E0E90201E"
BUNDLE = "com.example.courier"
APP = AppConfig(name="Courier", ios_bundle_id=BUNDLE, tasks=(
    TaskConfig("sync-orders", "background-task", interval_min=15, duration_s=3),))
T0 = 1_795_852_800.0


def make(app: AppConfig = APP, seed: int = 1) -> tuple[IOSModel, VirtualIPhone, ManualClock]:
    clock = ManualClock()
    phone = VirtualIPhone(IPhoneIdentity("iphone-15", UDID, "iPhone15,4", "18.1"), clock, [bundle_for(app)])
    return attach_system(phone, app, seed=seed), phone, clock


def bg_runs(phone: VirtualIPhone, since_s: float = 0.0) -> list[float]:
    return [e.time_s for e in phone.syslog.entries()
            if e.time_s >= since_s and "task_start task=sync-orders" in e.message and "trigger=bgtask" in e.message]


@pytest.mark.parametrize(("uses_days_ago", "now_day", "slots"), [
    ((), 0, 0),                      # never used
    ((0,), 0, 2),                    # opened once today
    ((0,), 1, 1),                    # ignored for a day
    ((0,), 2, 0),                    # ignored for two days: starved
    ((0, 1, 2, 3, 4, 5, 6), 6, 4),   # opened every day: settles near 0.5
    ((0, 0, 0), 0, 6),               # opened three times today
    ((0, 0, 0, 0), 8, 0),            # heavy use, then a week without: nothing
])
def test_slots_per_day(uses_days_ago: tuple[int, ...], now_day: int, slots: int) -> None:
    engagement = Engagement()
    for day in uses_days_ago:
        engagement.record_use(T0 + day * DAY_S)
    assert engagement.slots(T0 + now_day * DAY_S) == slots


def daily_user_week(model: IOSModel, clock: ManualClock, opens: set[int]) -> None:
    """Seven days: on the days in ``opens`` the user opens the app at 09:00 for a minute; otherwise locked."""
    for day in range(7):
        if day in opens:
            model.unlock()
            model.user_open(BUNDLE)
            clock.advance(60)
            model.lock()
        clock.advance(DAY_S - (60 if day in opens else 0))


def test_an_app_opened_daily_gets_several_slots_a_day() -> None:
    model, phone, clock = make()
    model.lock()
    daily_user_week(model, clock, opens=set(range(7)))
    runs = bg_runs(phone)
    per_day = [sum(1 for t in runs if T0 + d * DAY_S <= t < T0 + (d + 1) * DAY_S) for d in range(7)]
    assert all(n >= 2 for n in per_day[1:]), per_day
    assert sum(per_day) >= 14
    assert all(b - a >= 3 * 3600 for a, b in itertools.pairwise(runs))  # spread over the day


def test_an_ignored_app_is_starved() -> None:
    model, phone, clock = make()
    model.lock()
    daily_user_week(model, clock, opens={0})
    runs = bg_runs(phone)
    assert runs, "the first day still has slots"
    assert bg_runs(phone, since_s=T0 + 2 * DAY_S) == []


def test_never_opened_app_gets_nothing() -> None:
    model, phone, clock = make()
    model.launch(BUNDLE, start_suspended=True)  # installed and started for a debugger, never on screen
    model.lock()
    clock.advance(3 * DAY_S)
    assert bg_runs(phone) == []


def test_the_same_seed_gives_the_same_week_and_another_seed_may_not() -> None:
    weeks = []
    for seed in (5, 5, 6):
        model, phone, clock = make(seed=seed)
        model.lock()
        daily_user_week(model, clock, opens=set(range(7)))
        weeks.append(bg_runs(phone))
    assert weeks[0] == weeks[1]
    assert weeks[0] != weeks[2]


def test_processing_waits_for_idle() -> None:
    model, phone, clock = make()
    model.user_open(BUNDLE)
    clock.advance(DAY_S)  # unlocked and in use all day: no idle, no processing task
    assert bg_runs(phone) == []
    model.lock()
    clock.advance(3600)
    assert len(bg_runs(phone)) == 1
