"""The app's probe and container, the run-task launch argument, Expo's lines and BGTask expiration."""

from __future__ import annotations

import json

from harness.config import AppConfig, TaskConfig
from harness.lab.clock import ManualClock
from harness.lab.ios import IPhoneIdentity, VirtualIPhone
from harness.lab.ios.contracts import RUN_TASK_ARGUMENT
from harness.lab.ios.os import IOSModel, attach_system, bundle_for
from harness.lab.ios.os.app import PROCESSING_LIMIT_S
from harness.lab.ios.os.probe import RING_PATH
from harness.logs.probe import parse_probe

UDID = "00008120-001A2C3E0E90201E"
BUNDLE = "com.example.courier"
EXPO_ID = "com.expo.modules.backgroundtask.processing"


def app_config(*, debuggable: bool = True, duration_s: float = 3.0, only: str | None = None) -> AppConfig:
    tasks = (
        TaskConfig("sync-orders", "background-task", interval_min=15, duration_s=duration_s),
        TaskConfig("refresh-feed", "background-fetch", interval_min=10, duration_s=1),
        TaskConfig("nightly-upload", "processing", requires_charging=True, interval_min=60, duration_s=60),
    )
    return AppConfig(name="Courier", ios_bundle_id=BUNDLE, debuggable=debuggable,
                     tasks=tuple(t for t in tasks if only is None or t.name == only))


def make(app: AppConfig | None = None) -> tuple[IOSModel, VirtualIPhone, ManualClock]:
    app = app or app_config()
    clock = ManualClock()
    phone = VirtualIPhone(IPhoneIdentity("iphone-15", UDID, "iPhone15,4", "18.1"), clock, [bundle_for(app)])
    return attach_system(phone, app, seed=6), phone, clock


def courier(phone: VirtualIPhone) -> list[str]:
    return [e.message for e in phone.syslog.entries() if e.process == "Courier"]


def advance_until(clock: ManualClock, phone: VirtualIPhone, text: str, limit_s: float = 86_400.0) -> None:
    """Step device time a minute at a time until the app logs ``text`` (dasd decides when, not the test)."""
    end = clock.now() + limit_s
    while not any(text in m for m in courier(phone)):
        assert clock.now() < end, f"{text!r} not logged within {limit_s} s"
        clock.advance(60)


def ring(model: IOSModel) -> list[dict[str, object]]:
    files = {f.path: f for f in model.container(BUNDLE) or []}
    return [json.loads(line) for line in files[RING_PATH].data.decode().splitlines()]


def test_probe_lines_come_from_the_apps_process_as_react_native_logs_them() -> None:
    model, phone, clock = make()
    pid = model.launch(BUNDLE, arguments=[RUN_TASK_ARGUMENT, "refresh-feed"])
    clock.advance(5)
    entries = [e for e in phone.syslog.entries() if "BgProbe v1" in e.message]
    assert [parse_probe(e.message).event for e in entries] == ["task_start", "task_end"]  # type: ignore[union-attr]
    for entry in entries:
        assert (entry.process, entry.pid, entry.level) == ("Courier", pid, "Info")
        assert (entry.subsystem, entry.category) == ("com.facebook.react.log", "javascript")
    assert entries[0].message == "BgProbe v1 task_start task=refresh-feed run=1 trigger=test"


def test_run_counter_survives_process_death() -> None:
    model, phone, clock = make()
    for _ in range(3):
        model.launch(BUNDLE, arguments=[RUN_TASK_ARGUMENT, "refresh-feed"], kill_existing=True)
        clock.advance(5)
    model.kill(model.pid_for_bundle(BUNDLE))
    model.launch(BUNDLE, arguments=[RUN_TASK_ARGUMENT, "refresh-feed"])
    clock.advance(5)
    starts = [m for m in courier(phone) if "task_start" in m]
    assert [parse_probe(m).fields["run"] for m in starts] == ["1", "2", "3", "4"]  # type: ignore[union-attr]
    events = ring(model)
    assert [e["event"] for e in events[-2:]] == ["task_start", "task_end"]
    assert events[-1]["run"] == 4 and events[-1]["result"] == "success" and isinstance(events[-1]["time"], int)


def test_a_run_cut_by_death_leaves_only_its_start() -> None:
    model, _, clock = make(app_config(duration_s=30))
    model.launch(BUNDLE, arguments=[RUN_TASK_ARGUMENT, "sync-orders"])
    clock.advance(5)
    model.kill(model.pid_for_bundle(BUNDLE))
    clock.advance(60)
    assert [e["event"] for e in ring(model)] == ["task_start"]


def test_container_lists_the_standard_directories_and_the_ring() -> None:
    model, _, clock = make()
    assert {f.path for f in model.container(BUNDLE) or []} == {
        "Documents/", "Library/", "Library/Caches/", "Library/Preferences/", "tmp/"}
    model.launch(BUNDLE, arguments=[RUN_TASK_ARGUMENT, "refresh-feed"])
    clock.advance(5)
    ring_file = next(f for f in model.container(BUNDLE) or [] if f.path == RING_PATH)
    assert ring_file.mtime_s == clock.now() - 4  # written when the 1 s task ended
    assert model.container("com.example.nope") is None
    assert model.container("com.apple.mobilesafari") is None


def test_run_task_argument_runs_the_task_directly_in_a_debug_build() -> None:
    """The probe's trigger calls the task's JS function: no BGTaskScheduler, nothing needs scheduling first."""
    model, phone, clock = make()
    model.launch(BUNDLE, arguments=[RUN_TASK_ARGUMENT, "sync-orders"])
    clock.advance(5)
    lines = courier(phone)
    assert "BgProbe v1 task_start task=sync-orders run=1 trigger=test" in lines
    assert not any(line.startswith("Simulating launch") for line in lines)
    assert any(line.startswith("BgProbe v1 task_end task=sync-orders run=1 result=success") for line in lines)


def test_simulate_launch_runs_the_expo_bgtask_like_the_debugger() -> None:
    model, phone, clock = make()
    model.launch(BUNDLE)
    clock.advance(1)
    model.app(BUNDLE).simulate_launch(EXPO_ID)
    clock.advance(5)
    lines = courier(phone)
    start = lines.index(f"Simulating launch for task with identifier {EXPO_ID}")
    assert lines[start:start + 5] == [
        f"Simulating launch for task with identifier {EXPO_ID}",
        f"Starting simulated task: <BGProcessingTask: {EXPO_ID}>",
        "🔵 Expo Background Tasks - starting background work",
        "EXTaskService: Executing task 'sync-orders' for app 'main'.",
        "BgProbe v1 task_start task=sync-orders run=1 trigger=bgtask",
    ]
    simulating = next(e for e in phone.syslog.entries() if e.message.startswith("Simulating launch"))
    assert simulating.image == "BackgroundTasks"
    expo = next(e for e in phone.syslog.entries() if "starting background work" in e.message)
    assert (expo.level, expo.subsystem, expo.category) == ("Debug", "dev.expo.modules", "expo")


def test_run_task_argument_is_ignored_in_a_release_build() -> None:
    model, phone, clock = make(app_config(debuggable=False))
    model.launch(BUNDLE, arguments=[RUN_TASK_ARGUMENT, "sync-orders"])
    clock.advance(5)
    assert courier(phone) == []


def test_processing_task_expires_when_the_user_unlocks() -> None:
    model, phone, clock = make(app_config(duration_s=1200, only="sync-orders"))
    model.user_open(BUNDLE)
    model.lock()
    advance_until(clock, phone, "task_start task=sync-orders run=1 trigger=bgtask")
    model.unlock()
    lines = courier(phone)
    assert lines[-2:] == ["🟡 Expo Background Tasks - task expired", "BgProbe v1 task_expired task=sync-orders run=1"]
    expired = next(e for e in phone.syslog.entries() if "task expired" in e.message)
    assert expired.level == "Notice"  # warn is kept at .default in release builds too
    assert model.dasd.pending(BUNDLE, EXPO_ID) is not None  # rescheduled


def test_processing_task_expires_at_its_time_limit() -> None:
    model, phone, clock = make(app_config(duration_s=2 * PROCESSING_LIMIT_S, only="sync-orders"))
    model.user_open(BUNDLE)
    model.lock()
    advance_until(clock, phone, "task_start task=sync-orders run=1 trigger=bgtask")
    clock.advance(PROCESSING_LIMIT_S - 60)
    assert "BgProbe v1 task_expired task=sync-orders run=1" not in courier(phone)
    clock.advance(60)
    assert "BgProbe v1 task_expired task=sync-orders run=1" in courier(phone)
    clock.advance(30)
    assert model.app_state(BUNDLE) == "suspended"


def test_private_data_off_redacts_expos_lines_but_not_nslog_or_the_probe() -> None:
    model, phone, clock = make()
    model.set_private_data_logging(False)
    model.launch(BUNDLE)
    clock.advance(1)
    model.app(BUNDLE).simulate_launch(EXPO_ID)
    clock.advance(5)
    lines = courier(phone)
    assert "<private>" in lines and not any(m.startswith("🔵") for m in lines)
    assert "EXTaskService: Executing task 'sync-orders' for app 'main'." in lines
    assert any(m.startswith("BgProbe v1 task_end") for m in lines)


def test_own_processing_task_needs_power_and_runs_under_its_own_identifier() -> None:
    model, phone, clock = make(app_config(only="nightly-upload"))
    model.user_open(BUNDLE)
    assert model.dasd.pending(BUNDLE, f"{BUNDLE}.nightly-upload") is not None
    model.lock()
    clock.advance(6 * 3600)
    assert not any("task=nightly-upload" in m for m in courier(phone))
    phone.charging = True
    clock.advance(6 * 3600)
    assert any("task_start task=nightly-upload run=1 trigger=bgtask" in m for m in courier(phone))


def test_fetch_runs_with_a_wake_line() -> None:
    model, phone, clock = make()
    model.user_open(BUNDLE)
    model.press_home()
    model.dasd.cancel(BUNDLE, EXPO_ID)  # only the fetch is left to grant
    clock.advance(3600)
    lines = courier(phone)
    wake = lines.index("BgProbe v1 wake reason=fetch")
    assert lines[wake + 1:wake + 3] == ["EXTaskService: Executing task 'refresh-feed' for app 'main'.",
                                        "BgProbe v1 task_start task=refresh-feed run=1 trigger=fetch"]


def test_overlapping_runs_get_distinct_numbers_and_the_ring_keeps_200_events() -> None:
    app = AppConfig(name="Courier", ios_bundle_id=BUNDLE, tasks=(
        TaskConfig("courier-location", "location", interval_min=1, duration_s=150),))  # each run spans 3 batches
    model, phone, clock = make(app)
    model.set_location_authorization(BUNDLE, "always")
    model.launch(BUNDLE)
    model.press_home()
    clock.advance(150 * 60)
    starts = [parse_probe(e.message) for e in phone.syslog.entries() if "task_start" in e.message]
    runs = [int(r.fields["run"]) for r in starts if r is not None]
    assert runs == list(range(1, 151))
    events = ring(model)
    assert len(events) == 200 and events[-1]["event"] in ("task_start", "task_end")
    assert max(int(str(e["run"])) for e in events) == 150
