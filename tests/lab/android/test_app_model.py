"""The modelled Expo app on a ManualClock: WorkManager, background fetch, location, geofences, the probe."""

from __future__ import annotations

import json
import re
from dataclasses import replace

from harness.config import load_config
from harness.lab.android.os import activity, apps
from harness.lab.android.os.apps import WM_NAMESPACE
from harness.lab.clock import ManualClock
from harness.lab.runner import build_android
from tests.lab.android.test_activity_standins import PKG, ROOT, ensure_parts, logcat, model_device, sh

MONKEY = f"monkey -p {PKG} -c android.intent.category.LAUNCHER 1"
PROBE = re.compile(r"^ReactNativeJS: BgProbe v1 (\w+) task=(\S+) run=(\d+)(.*)$")


def _advance(dev: object, seconds: float) -> None:
    clock = dev.clock  # type: ignore[attr-defined]
    assert isinstance(clock, ManualClock)
    clock.advance(seconds)


def _probe(dev: object, task: str) -> list[tuple[str, int, str]]:
    out = []
    for line in logcat(dev):  # type: ignore[arg-type]
        m = PROBE.match(line)
        if m and m.group(2) == task:
            out.append((m.group(1), int(m.group(3)), m.group(4).strip()))
    return out


def _worker_ids(dev: object) -> list[int]:
    return [job_id for ns, job_id in dev.jobs.job_ids(PKG) if ns == WM_NAMESPACE]  # type: ignore[attr-defined]


def test_fresh_install_is_stopped_and_runs_nothing() -> None:
    dev = model_device("pixel-8")
    _advance(dev, 3600)
    assert dev.packages.get(PKG).stopped  # type: ignore[union-attr]
    assert dev.jobs.job_ids(PKG) == []
    assert _probe(dev, "sync-orders") == []


def test_worker_runs_every_period_in_background_with_the_probe_and_ring_buffer() -> None:
    dev = model_device("pixel-8")
    sh(dev, MONKEY)
    worker = apps.app_of(dev).wm.unique("EXPO_BACKGROUND_WORKER")
    assert worker is not None and worker.job_id == 0  # IdGenerator starts at 0
    assert (WM_NAMESPACE, 0) in dev.jobs.job_ids(PKG)
    sh(dev, "input keyevent 3")
    _advance(dev, 25 + 2 * 903 + 3)  # each period starts when the previous run ended (lastEnqueueTime)
    assert [e for e in _probe(dev, "sync-orders") if e[0] == "task_end"] == [
        ("task_end", 1, "result=success duration_ms=3000"), ("task_end", 2, "result=success duration_ms=3000"),
        ("task_end", 3, "result=success duration_ms=3000")]
    assert ("task_start", 1, "trigger=workmanager") in _probe(dev, "sync-orders")
    lines = logcat(dev)
    assert "WM-WorkerWrapper: Worker result SUCCESS for Work [ id=" in "\n".join(lines)
    assert re.search(r"WM-SystemJobScheduler: Scheduling work ID [0-9a-f-]{36}Job ID 0", "\n".join(lines))
    ring = sh(dev, f"run-as {PKG} cat files/bgprobe.jsonl").stdout.splitlines()
    first = json.loads(ring[0])
    assert first["event"] == "task_start" and first["task"] == "sync-orders" and first["time"] > 0


def test_worker_skips_the_task_while_the_app_is_in_the_foreground() -> None:
    dev = model_device("pixel-8")
    sh(dev, MONKEY)
    _advance(dev, 30)
    assert "BackgroundTaskConsumer: Task was not executed since the app was not in the background or in Debug mode." \
        in logcat(dev)
    assert _probe(dev, "sync-orders") == []


def test_force_stop_drops_the_worker_until_launch_and_relaunch_gets_a_new_id() -> None:
    dev = model_device("xiaomi-13")
    sh(dev, MONKEY)
    sh(dev, "input keyevent 3")
    before = _worker_ids(dev)
    assert sh(dev, f"am force-stop {PKG}").code == 0
    assert _worker_ids(dev) == [] and dev.alarms.cancel_all(PKG) == 0
    _advance(dev, 3 * 900)
    assert _probe(dev, "sync-orders") == []
    sh(dev, MONKEY)
    after = _worker_ids(dev)
    assert after and not set(after) & set(before)
    assert "WM-ForceStopRunnable: Application was force-stopped, rescheduling." in logcat(dev)
    sh(dev, "input keyevent 3")
    _advance(dev, 900)
    assert any(e[0] == "task_end" for e in _probe(dev, "sync-orders"))


def test_stop_app_keeps_jobs_and_ids() -> None:
    dev = model_device("pixel-8")
    sh(dev, MONKEY)
    sh(dev, "input keyevent 3")
    before = _worker_ids(dev)
    result = sh(dev, f"am stop-app {PKG}")
    assert (result.stdout, result.stderr, result.code) == ("", "", 0)
    assert activity.manager(dev).pid_of(PKG) is None and _worker_ids(dev) == before
    assert any(line.endswith(f"fully stop {PKG}/0 by user request") for line in logcat(dev))


def test_background_fetch_alarm_schedules_a_transient_task_job() -> None:
    dev = model_device("pixel-8")
    sh(dev, MONKEY)
    sh(dev, "input keyevent 3")
    _advance(dev, 30)  # the worker's first run is over
    sh(dev, f"am kill {PKG}")  # the alarm must start the process for TaskBroadcastReceiver
    _advance(dev, 570)
    lines = logcat(dev)
    assert any(re.fullmatch(rf"ActivityManager: Start proc \d+:{PKG}/u0a\d+ for broadcast \{{{PKG}/expo\.modules"
                            r"\.taskManager\.TaskBroadcastReceiver\}", line) for line in lines)
    assert f"TaskService: Handling intent with task name 'refresh-feed' and app scoping identifier '{PKG}'." in lines
    assert f"TaskService: Handling job with task name 'refresh-feed' for app with scoping identifier '{PKG}'." in lines
    assert ("task_start", 1, "trigger=fetch") in _probe(dev, "refresh-feed")
    _advance(dev, 5)
    assert [ns for ns, _ in dev.jobs.job_ids(PKG)].count(None) == 0  # transient: gone once finished


def test_launch_cancels_the_fetch_alarm() -> None:
    dev = model_device("pixel-8")
    sh(dev, MONKEY)
    sh(dev, "input keyevent 3")
    sh(dev, MONKEY)
    _advance(dev, 1800)
    assert _probe(dev, "refresh-feed") == []


def test_location_service_runs_a_task_per_interval() -> None:
    dev = model_device("pixel-8")
    apps.grant_background_location(dev)
    sh(dev, MONKEY)
    sh(dev, "input keyevent 3")
    _advance(dev, 3 * 60 + 5)
    runs = [e for e in _probe(dev, "courier-location") if e[0] == "task_end"]
    assert len(runs) == 3
    assert ("task_start", 1, "trigger=location") in _probe(dev, "courier-location")


def test_geofences_beyond_100_are_rejected_with_a_visible_error() -> None:
    dev = model_device("pixel-8")
    apps.grant_background_location(dev)
    apps.set_geofence_regions(dev, 101)
    sh(dev, MONKEY)
    assert any(line.startswith("GeofencerStateMachine: addGeofences rejected") and "limit 100" in line
               for line in logcat(dev))
    assert not apps.trigger_geofence(dev, "depot-geofence-0")
    apps.set_geofence_regions(dev, 3)
    sh(dev, "input keyevent 3")
    assert apps.trigger_geofence(dev, "depot-geofence-1")
    _advance(dev, 5)
    assert ("task_start", 1, "trigger=geofence") in _probe(dev, "depot-geofence")


def test_diagnostics_broadcast_logs_the_workmanager_tables() -> None:
    dev = model_device("pixel-8")
    sh(dev, MONKEY)
    result = sh(dev, f"am broadcast -a androidx.work.diagnostics.REQUEST_DIAGNOSTICS -p {PKG}")
    assert result.stdout == (f"Broadcasting: Intent {{ act=androidx.work.diagnostics.REQUEST_DIAGNOSTICS flg=0x400000 "
                             f"pkg={PKG} }}\nBroadcast completed: result=0\n")
    wrkr = [e.msg for e in dev.logs.entries(["main"]) if e.tag == "WM-DiagnosticsWrkr"]
    assert "Enqueued work:\n\n" in wrkr
    table = next(m for m in wrkr if "EXPO_BACKGROUND_WORKER" in m)
    assert table.startswith("\n Id \t Class Name\t Job Id\t State\t Unique Name\t Tags\t\n")
    assert re.search(r"\n[0-9a-f-]{36}\t expo\.modules\.backgroundtask\.BackgroundTaskWork\t 0\t ENQUEUED\t "
                     r"EXPO_BACKGROUND_WORKER\t expo\.modules\.backgroundtask\.BackgroundTaskWork\t", table)


def test_ring_buffer_keeps_the_last_200_events_and_runs_survive_process_death() -> None:
    dev = model_device("pixel-8")
    app = apps.app_of(dev)
    sh(dev, MONKEY)
    for _ in range(210):
        app.probe.emit("wake", reason="test")
    assert len(app.probe.events()) == 200
    sh(dev, "input keyevent 3")
    _advance(dev, 30)
    sh(dev, f"am kill {PKG}")
    sh(dev, MONKEY)
    sh(dev, "input keyevent 3")
    _advance(dev, 900)
    assert [e[1] for e in _probe(dev, "sync-orders") if e[0] == "task_start"] == [1, 2]


def test_failure_rate_comes_from_the_device_rng() -> None:
    dev = model_device("pixel-8")
    app = apps.app_of(dev)
    app.cfg = replace(app.cfg, tasks=tuple(replace(t, failure_rate=1.0) if t.name == "sync-orders" else t
                                           for t in app.cfg.tasks))
    sh(dev, MONKEY)
    sh(dev, "input keyevent 3")
    _advance(dev, 30)
    assert ("task_end", 1, "result=failed duration_ms=3000") in _probe(dev, "sync-orders")


def test_start_location_updates_needs_the_grant_and_the_foreground() -> None:
    dev = model_device("oppo-find-x6")
    sh(dev, MONKEY)
    assert not apps.start_location_updates(dev)
    sh(dev, f"pm grant {PKG} android.permission.ACCESS_FINE_LOCATION; "
            f"pm grant {PKG} android.permission.ACCESS_BACKGROUND_LOCATION")
    assert apps.start_location_updates(dev)
    assert "isForeground=true" in sh(dev, f"dumpsys activity services {PKG}").stdout
    assert apps.trigger_geofence(dev, "depot-geofence-0")


def test_start_on_boot_fetch_task_rearms_its_alarm_after_boot_completed() -> None:
    cfg = load_config(ROOT / "devices.toml")
    tasks = tuple(replace(t, start_on_boot=True) if t.kind == "background-fetch" else t for t in cfg.app.tasks)
    cfg = replace(cfg, app=replace(cfg.app, tasks=tasks))
    dev = build_android(cfg, cfg.device("pixel-8"), ManualClock())
    ensure_parts(dev)
    sh(dev, MONKEY)
    sh(dev, "input keyevent 3")
    dev.shutdown()
    dev.boot()
    assert "TaskService: Handling intent with action 'android.intent.action.BOOT_COMPLETED'." in logcat(dev)
    _advance(dev, 601)
    assert ("task_start", 1, "trigger=fetch") in _probe(dev, "refresh-feed")
