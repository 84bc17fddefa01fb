"""The iOS model's processes: launch, roles, suspension, kill versus user force-quit, reboot, open_url."""

from __future__ import annotations

import pytest

from harness.config import AppConfig, TaskConfig
from harness.lab.clock import ManualClock
from harness.lab.ios import IPhoneIdentity, VirtualIPhone
from harness.lab.ios.contracts import IOSSystem, LaunchRefused
from harness.lab.ios.os import IOSModel, attach_system, bundle_for
from harness.lab.ios.os.processes import SUSPEND_AFTER_S

UDID = "00008120-001A2C3E0E90201E"
BUNDLE = "com.example.courier"
APP = AppConfig(name="Courier", ios_bundle_id=BUNDLE, tasks=(
    TaskConfig("sync-orders", "background-task", interval_min=15, duration_s=3),
    TaskConfig("refresh-feed", "background-fetch", interval_min=10),
    TaskConfig("on-push", "push"),
))
PUSH = {"aps": {"content-available": 1}}


def make(app: AppConfig = APP) -> tuple[IOSModel, VirtualIPhone, ManualClock]:
    clock = ManualClock()
    phone = VirtualIPhone(IPhoneIdentity("iphone-15", UDID, "iPhone15,4", "18.1"), clock, [bundle_for(app)])
    return attach_system(phone, app, seed=3), phone, clock


def messages(phone: VirtualIPhone, process: str | None = None) -> list[str]:
    return [e.message for e in phone.syslog.entries() if process is None or e.process == process]


def probe_lines(phone: VirtualIPhone) -> list[str]:
    return [m for m in messages(phone, "Courier") if "BgProbe v1" in m]


def test_the_model_is_the_phones_system() -> None:
    model, phone, _ = make()
    system: IOSSystem = model  # the contract's shape, checked by mypy
    assert phone.system is system


def test_launch_allocates_a_pid_and_logs_runningboard_and_frontboard() -> None:
    model, phone, _ = make()
    pid = model.launch(BUNDLE)
    assert phone.processes[pid] == "Courier"
    assert model.pid_for_bundle(BUNDLE) == pid and model.app_state(BUNDLE) == "foreground"
    rb = messages(phone, "runningboardd")
    assert f"Executing launch request for application<{BUNDLE}> (FBApplicationProcess)" in rb
    assert f"[application<{BUNDLE}>:{pid}] Set darwin role to: UserInteractiveFocal" in rb
    assert f"[application<{BUNDLE}>:{pid}] Bootstrap success!" in messages(phone, "SpringBoard")
    entry = next(e for e in phone.syslog.entries() if e.message.endswith("Bootstrap success!"))
    assert (entry.pid, entry.image) == (58, "FrontBoard")


def test_pids_grow_and_are_reproducible_from_the_seed() -> None:
    first, _, _ = make()
    second, _, _ = make()
    a = first.launch(BUNDLE)
    b = first.launch(BUNDLE, kill_existing=True)
    assert b > a
    assert second.launch(BUNDLE) == a


def test_home_backgrounds_then_suspends_a_few_seconds_later() -> None:
    model, phone, clock = make()
    pid = model.launch(BUNDLE)
    model.press_home()
    assert model.app_state(BUNDLE) == "background"
    clock.advance(SUSPEND_AFTER_S + 0.5)
    assert model.app_state(BUNDLE) == "suspended"
    assert f"[application<{BUNDLE}>:{pid}] Suspending task." in messages(phone, "runningboardd")
    assert phone.processes[pid] == "Courier"  # suspended is still a process
    assert model.user_open(BUNDLE) == pid and model.app_state(BUNDLE) == "foreground"


@pytest.mark.parametrize(("action", "flag", "reported"), [
    ("kill", False, "(2, 9, 9)"),  # killed by signal 9
    ("force_quit", True, "(10, 3735943697, 9)"),  # OS_REASON_SPRINGBOARD, 0xDEADFA11: killed from app switcher
])
def test_kill_versus_user_force_quit(action: str, flag: bool, reported: str) -> None:
    model, phone, clock = make()
    pid = model.launch(BUNDLE)
    model.press_home()
    if action == "kill":
        assert model.kill(pid)
    else:
        model.user_force_quit(BUNDLE)
    assert pid not in phone.processes and model.app_state(BUNDLE) == "not_running"
    rb = messages(phone, "runningboardd")
    assert f"[application<{BUNDLE}>:{pid}] termination reported by launchd {reported}" in rb
    assert any("explanation:killed from app switcher" in line for line in rb) is flag
    assert f"Removing process: [application<{BUNDLE}>:{pid}]" in rb
    assert (BUNDLE in model.force_quit) is flag
    assert model.deliver_silent_push(BUNDLE, PUSH) == ("dropped" if flag else "delivered")
    model.lock()
    clock.advance(2 * 86_400)  # two days locked: BGTask and fetch would have run by now
    ran = [line for line in probe_lines(phone) if "task_start" in line and "trigger=push" not in line]
    assert (ran == []) is flag


def test_force_quit_lasts_until_the_user_opens_the_app() -> None:
    model, phone, clock = make()
    model.launch(BUNDLE)
    model.user_force_quit(BUNDLE)
    model.lock()
    clock.advance(86_400)
    assert probe_lines(phone) == []
    model.unlock()
    model.user_open(BUNDLE)
    assert BUNDLE not in model.force_quit
    model.lock()
    clock.advance(86_400)
    assert any("trigger=bgtask" in line or "trigger=fetch" in line for line in probe_lines(phone))


def test_reboot_clears_the_flag_and_waits_for_first_unlock() -> None:
    model, phone, clock = make()
    model.launch(BUNDLE)
    model.user_force_quit(BUNDLE)
    events: list[bool] = []
    model.add_power_listener(events.append)
    model.reboot()
    assert model.force_quit == set() and model.locked
    assert {pid: name for pid, name in phone.processes.items() if name == "Courier"} == {}
    with pytest.raises(LaunchRefused, match="because the device was not, or could not be, unlocked"):
        model.launch(BUNDLE)
    assert model.deliver_silent_push(BUNDLE, PUSH) == "held"
    clock.advance(86_400)
    assert probe_lines(phone) == []  # nothing runs before the first unlock
    assert events == [False, True]
    model.unlock()  # the held push goes out now
    assert "BgProbe v1 wake reason=push" in probe_lines(phone)


def test_launch_refusals_carry_the_phones_messages() -> None:
    model, _, _ = make()
    with pytest.raises(LaunchRefused, match=r'FBSApplicationLibrary\) returned nil for "com.example.nope"'):
        model.launch("com.example.nope")
    with pytest.raises(LaunchRefused, match="-10814"):
        model.open_url("nohandler://x")


def test_open_url_brings_the_claiming_app_forward() -> None:
    model, phone, _ = make()
    pid = model.open_url("courier://orders/42")
    assert phone.processes[pid] == "Courier" and model.app_state(BUNDLE) == "foreground"
    safari = model.open_url("https://example.com/")
    assert phone.processes[safari] == "MobileSafari" and model.app_state(BUNDLE) == "background"


def test_start_suspended_runs_no_code_and_does_not_count_as_a_use() -> None:
    model, phone, _ = make()
    pid = model.launch(BUNDLE, start_suspended=True)
    assert model.app_state(BUNDLE) == "suspended" and phone.processes[pid] == "Courier"
    assert model.dasd.engagement.get(BUNDLE) is None
    assert probe_lines(phone) == [] and model.dasd.requests == {}


def test_killing_a_daemon_or_an_unknown_pid() -> None:
    model, phone, _ = make()
    assert model.kill(139) and phone.processes[139] == "dasd"  # launchd restarts it at once
    assert not model.kill(99_999)
