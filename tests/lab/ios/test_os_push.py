"""Silent pushes: the captured lines, the budget, the newest held push, force-quit and kill."""

from __future__ import annotations

import re

import pytest

from harness.config import AppConfig, TaskConfig
from harness.lab.clock import ManualClock
from harness.lab.ios import IPhoneIdentity, VirtualIPhone
from harness.lab.ios.os import IOSModel, attach_system, bundle_for
from harness.lab.ios.os.push import BUDGET, REFILL_S, PushBudget, is_background_push

UDID = "00008120-001A2C3E0E90201E"
BUNDLE = "com.example.courier"
APP = AppConfig(name="Courier", ios_bundle_id=BUNDLE, tasks=(TaskConfig("on-push", "push", duration_s=2),))
PUSH = {"aps": {"content-available": 1}, "orderId": 42}


def make() -> tuple[IOSModel, VirtualIPhone, ManualClock]:
    clock = ManualClock()
    phone = VirtualIPhone(IPhoneIdentity("iphone-15", UDID, "iPhone15,4", "18.1"), clock, [bundle_for(APP)])
    model = attach_system(phone, APP, seed=4)
    model.launch(BUNDLE)
    model.press_home()
    clock.advance(60)
    return model, phone, clock


def lines(phone: VirtualIPhone, since: int = 0) -> list[str]:
    return [f"{e.process}: {e.message}" for e in phone.syslog.entries(since)]


def activity_of(text: list[str]) -> str:
    submitted = [line for line in text if "SUBMITTING: " in line]
    return submitted[-1].split("SUBMITTING: ", 1)[1]


def test_a_push_to_a_suspended_app_logs_the_captured_lines_and_runs_the_push_task() -> None:
    model, phone, clock = make()
    mark = phone.syslog.last_seq
    assert model.deliver_silent_push(BUNDLE, PUSH) == "delivered"
    clock.advance(5)
    text = lines(phone, mark)
    assert text[0] == f"SpringBoard: Received incoming message on topic {BUNDLE} at priority 5"
    assert re.fullmatch(
        rf"SpringBoard: \[{BUNDLE}\] Received remote notification request [0-9A-F]{{4}}-[0-9A-F]{{4}} \[ waking: 0, "
        r"hasAlertContent: 0, hasSound: 0 hasBadge: 0 hasContentAvailable: 1 hasMutableContent: 0 "
        r"pushType: Background\]", text[1])
    assert text[2] == (f"SpringBoard: [{BUNDLE}] Request DUET delivers content-available push notification to "
                       "application")
    activity = activity_of(text)
    assert re.fullmatch(rf"com\.apple\.pushLaunch\.{re.escape(BUNDLE)}:[0-9A-F]{{6}}", activity)
    assert f"dasd: Submitted Activity: {activity} at priority 5 <private>" in text
    courier = [line for line in text if line.startswith("Courier: ")]
    assert courier[:3] == ["Courier: BgProbe v1 wake reason=push",
                           "Courier: EXTaskService: Executing task 'on-push' for app 'main'.",
                           "Courier: BgProbe v1 task_start task=on-push run=1 trigger=push"]
    assert f"dasd: COMPLETED {activity} at priority 5 <private>!" in text
    assert model.app_state(BUNDLE) == "background"
    clock.advance(10)
    assert model.app_state(BUNDLE) == "suspended"  # the 30 s window closed with the task


def test_budget_throttles_and_only_the_newest_waits() -> None:
    model, phone, clock = make()
    results = [model.deliver_silent_push(BUNDLE, {**PUSH, "n": n}) for n in range(BUDGET + 2)]
    assert results == ["delivered"] * BUDGET + ["throttled", "throttled"]
    text = lines(phone)
    submitted = [line.split("SUBMITTING: ", 1)[1] for line in text if "SUBMITTING: " in line]
    assert f"dasd: CANCELED: {submitted[BUDGET]} at priority 5 <private>!" in text  # replaced by the newest
    wakes = sum(1 for line in text if "wake reason=push" in line)
    assert wakes == BUDGET
    clock.advance(REFILL_S + 10)  # one launch back, and the push task's 2 s
    text = lines(phone)
    assert sum(1 for line in text if "wake reason=push" in line) == BUDGET + 1
    assert f"dasd: COMPLETED {submitted[-1]} at priority 5 <private>!" in text


def test_a_foreground_app_gets_the_push_directly() -> None:
    model, phone, _ = make()
    model.user_open(BUNDLE)
    mark = phone.syslog.last_seq
    for _ in range(BUDGET + 1):  # no budget spent in the foreground
        assert model.deliver_silent_push(BUNDLE, PUSH) == "delivered"
    text = lines(phone, mark)
    assert not any("DUET" in line or "SUBMITTING" in line for line in text)


def test_held_push_is_delivered_when_the_user_opens_the_app() -> None:
    model, phone, _ = make()
    model.set_low_power_mode(True)
    assert model.deliver_silent_push(BUNDLE, {**PUSH, "n": 1}) == "held"
    assert model.deliver_silent_push(BUNDLE, {**PUSH, "n": 2}) == "held"
    assert not any("wake reason=push" in line for line in lines(phone))
    model.user_open(BUNDLE)
    wakes = [line for line in lines(phone) if "wake reason=push" in line]
    assert len(wakes) == 1  # only the newest


@pytest.mark.parametrize("how", ["kill", "force_quit"])
def test_killing_the_app_discards_the_held_push(how: str) -> None:
    model, phone, clock = make()
    model.set_background_app_refresh(BUNDLE, False)
    assert model.deliver_silent_push(BUNDLE, PUSH) == "held"
    if how == "kill":
        model.kill(model.pid_for_bundle(BUNDLE))
    else:
        model.user_force_quit(BUNDLE)
    model.set_background_app_refresh(BUNDLE, True)
    model.user_open(BUNDLE)
    clock.advance(60)
    assert not any("wake reason=push" in line for line in lines(phone))


def test_after_force_quit_pushes_are_dropped_until_the_user_opens_the_app() -> None:
    model, phone, _ = make()
    model.user_force_quit(BUNDLE)
    mark = phone.syslog.last_seq
    assert model.deliver_silent_push(BUNDLE, PUSH) == "dropped"
    text = lines(phone, mark)
    assert len(text) == 2 and "Received incoming message" in text[0]  # SpringBoard saw it, nothing more
    assert model.pid_for_bundle(BUNDLE) == 0
    model.user_open(BUNDLE)
    model.press_home()
    assert model.deliver_silent_push(BUNDLE, PUSH) == "delivered"


@pytest.mark.parametrize(("payload", "background"), [
    ({"aps": {"content-available": 1}}, True),
    ({"aps": {"content-available": 1}, "data": {"x": 1}}, True),
    ({"aps": {"content-available": 1, "alert": "hi"}}, False),
    ({"aps": {"content-available": 0}}, False),
    ({"aps": {}}, False),
    ({"content-available": 1}, False),
])
def test_what_counts_as_a_background_push(payload: dict[str, object], background: bool) -> None:
    assert is_background_push(payload) is background


def test_budget_refills_one_launch_per_interval() -> None:
    budget = PushBudget(0.0)
    assert [budget.take(0.0) for _ in range(BUDGET + 1)] == [True] * BUDGET + [False]
    assert budget.next_token_s(0.0) == pytest.approx(REFILL_S)
    assert not budget.take(REFILL_S - 1)
    assert budget.take(REFILL_S + 1)
    assert budget.take(10 * REFILL_S) and budget.take(10 * REFILL_S) and budget.take(10 * REFILL_S)
    assert not budget.take(10 * REFILL_S)  # capped at BUDGET


def test_unknown_app_push_is_dropped_silently() -> None:
    model, phone, _ = make()
    mark = phone.syslog.last_seq
    assert model.deliver_silent_push("com.example.nope", PUSH) == "dropped"
    assert lines(phone, mark) == []
