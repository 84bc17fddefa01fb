"""Events from logcat: the real captures, then each source of events on lab-formatted lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.lab.android.logbuf import LogEntry, LogFormat, format_entry
from harness.logs.android_events import android_events, for_package
from harness.logs.events import Event
from harness.logs.logcat import LogLine, parse_logcat
from harness.logs.probe import parse_probe, probe_event
from harness.logs.timeline import capture_timeline

DATA = Path(__file__).parent / "data"
T0 = 1_732_781_702.0  # 2024-11-28 08:15:02 UTC


def events_of(text: str) -> list[Event]:
    return android_events(parse_logcat(text, year=2024).lines)


def lab(*entries: tuple[float, int, str, str], fmt: str = "threadtime") -> str:
    """Lines as the lab's logcat prints them: (seconds after T0, pid, "P/Tag", message)."""
    out = []
    for i, (dt, pid, prio_tag, msg) in enumerate(entries):
        prio, tag = prio_tag.split("/", 1)
        entry = LogEntry(i, "main", T0 + dt, 100.0, pid, pid + 17, 1000, prio, tag, msg)
        out.append(format_entry(entry, LogFormat(fmt)))
    return "".join(out)


def brief(e: Event) -> tuple[object, ...]:
    return (e.kind, e.package, e.pid, e.job_id, e.reason, e.killer, e.line)


# -- every logcat capture (shared/reference/captures/android.md) ------------------------------
# file → [(kind, package, pid, job_id, reason, killer, line)]
CAPTURE_EVENTS: dict[str, list[tuple[object, ...]]] = {
    "s02_a.txt": [("force_stop", "im.vector.app.debug", None, None, "MARs #1", "samsung", 3),
                  ("kill", "im.vector.app.debug", 29855, None, "stop im.vector.app.debug,MARs #1", "samsung", 4)],
    "s03_a.txt": [],
    "s03_b.txt": [("kill", "com.termux", 11364, None, "DHA:empty #33", "samsung", 1)],
    "s05_a.txt": [("freeze", "com.smartpack.kernelmanager", None, None,
                   "destroyActivityLocked com.smartpack.kernelmanager/.activities.MainActivity, "
                   "reason = finish-imm:finishIfPossible", "oneplus", 2)],
    # "Initial -> Freezeable" is a state (eligible to be frozen), not a freeze (issue 18).
    "s06_a.txt": [],
    # No ActivityManager line follows HwPFW's announcement: it stands as the force-stop.
    "s07_a.txt": [("force_stop", None, None, None, "force stop abnormal wakelock app uid: 10185", "huawei", 10)],
    "s08_a.txt": [("kill", pkg, pid, None, f"empty #{n}", "aosp", n - 16) for pkg, pid, n in [
        ("com.android.settings", 879, 17), ("android.process.media", 2826, 18),
        ("com.android.providers.calendar", 1398, 19), ("com.android.dialer", 1153, 20),
        ("com.android.imsserviceentitlement", 2937, 21), ("android.process.acore", 1227, 22),
        ("com.android.managedprovisioning", 3012, 23), ("com.android.dynsystem", 2997, 24),
        ("com.android.dynsystem", 2980, 25)]],
    "s08_b.txt": [("kill", None, 5683, None, "Trimming phantom processes", "aosp", 1),
                  ("process_died", None, 5683, None, None, None, 3)],
    "s10_a.txt": [("process_died", "com.nullij.androidcodestudio", 14362, None, "fore TOP", None, 1)],
    "s10_b.txt": [("process_died", "com.mservice.momotransfer", 35228, None, "fg  TOP", None, 1)],
    "s10_c.txt": [("force_stop", "org.mysite.grr", None, None, "uninstall pkg", "aosp", 1)],
    "s11_a.txt": [],
    "s11_b.txt": [("freeze", "app.revanced.android.youtube", 11950, None, "cached app freezer", "aosp", 2),
                  ("freeze", "app.revanced.android.gms", 30033, None, "cached app freezer", "aosp", 3)],
    "s13_a.txt": [],
    "s21_a.txt": [("job_timeout", "com.myapp.background_fetch_teste", None, 999, "no jobFinished received", None, 1)],
    "s23_a.txt": [],
    "s25_a.txt": [],
}


@pytest.mark.parametrize("name", sorted(CAPTURE_EVENTS))
def test_capture_events(name: str) -> None:
    found = events_of((DATA / name).read_text(encoding="utf-8"))
    assert [brief(e) for e in found] == CAPTURE_EVENTS[name]


def test_capture_event_details() -> None:
    [kill] = events_of((DATA / "s02_a.txt").read_text(encoding="utf-8"))[1:]
    assert kill.time_text == "11-02 15:19:00.137"
    assert kill.extra == {"process": "im.vector.app.debug", "uid": "u0a157", "adj": "700"}
    assert kill.raw.startswith("11-02 15:19:00.137  4027  4078 I ActivityManager: Killing 29855")
    [huawei] = events_of((DATA / "s07_a.txt").read_text(encoding="utf-8"))
    assert huawei.extra["uid"] == "10185"
    assert huawei.raw == ("[ 05-25 18:10:17.249 4230:16683 D/PFW.HwPFWAppWakeLockPolicy ]\n"
                          "force stop abnormal wakelock app uid: 10185")
    [timeout] = events_of((DATA / "s21_a.txt").read_text(encoding="utf-8"))
    assert timeout.extra["battery_name"].endswith("/com.transistorsoft.tsbackgroundfetch.FetchJobService")


def test_bare_am_proc_start_payload() -> None:
    # Capture §14 is the payload only; logcat prints it after the tag (android.md §6.4).
    payload = (DATA / "s14_a.txt").read_text(encoding="utf-8").strip()
    rec = LogLine(None, None, 1370, 1387, "I", "am_proc_start", payload, 1)
    [event] = android_events([rec])
    assert brief(event) == ("process_start", "com.google.android.inputmethod.latin", 21185, None,
                            "broadcast com.google.android.inputmethod.latin/com.android.inputmethod.dictionarypack."
                            "EventHandler", None, 1)
    assert event.extra == {"process": "com.google.android.inputmethod.latin", "uid": "10054"}
    [again] = events_of("I am_proc_start: " + payload + "\n")
    assert again.pid == 21185


# -- ActivityManager and the events buffer --------------------------------------------------------
def test_process_lifecycle_lines() -> None:
    found = events_of(lab(
        (0, 1416, "I/ActivityManager",
         "Start proc 4321:com.example.app/u0a123 for service {com.example.app/com.example.app.Svc}"),
        (1, 1416, "I/ActivityManager",
         "Start proc 4400:com.example.app:remote/u0a123 for activity com.example.app/.Main"),
        (2, 1416, "I/ActivityManager", "Process com.example.app (pid 4321) has died: cch+5 CEM"),
        (3, 1416, "I/ActivityManager",
         "Start proc com.old.app for broadcast com.old.app/.R: pid=555 uid=10099 gids={}"),
        (4, 1416, "W/ActivityManager", "Scheduling restart of crashed service com.example.app/.Svc in 1000ms"),
    ))
    assert [brief(e) for e in found] == [
        ("process_start", "com.example.app", 4321, None, "service {com.example.app/com.example.app.Svc}", None, 1),
        ("process_start", "com.example.app", 4400, None, "activity com.example.app/.Main", None, 2),
        ("process_died", "com.example.app", 4321, None, "cch+5 CEM", None, 3),
        ("process_start", "com.old.app", 555, None, "broadcast com.old.app/.R", None, 4),
    ]
    assert found[1].extra["process"] == "com.example.app:remote"


def test_events_buffer_payloads_are_read_from_both_ends() -> None:
    found = events_of(lab(
        (0, 1416, "I/am_kill", "[0,4321,com.example.app,905,empty #3,12345]"),
        (1, 1416, "I/am_kill", "[0,4322,com.example.app,905,stop com.example.app,MARs #1]"),
        (2, 1416, "I/am_proc_died", "[0,4323,com.example.app,900,19]"),
        (3, 1416, "I/am_proc_died", "[0,4324,com.example.app]"),
        (4, 1416, "I/am_freeze", "[4325,com.example.app]"),
        (5, 1416, "I/am_kill", "[garbage]"),
    ))
    assert [brief(e) for e in found] == [
        ("kill", "com.example.app", 4321, None, "empty #3", "aosp", 1),
        ("kill", "com.example.app", 4322, None, "stop com.example.app,MARs #1", "samsung", 2),
        ("process_died", "com.example.app", 4323, None, None, None, 3),
        ("process_died", "com.example.app", 4324, None, None, None, 4),
        ("freeze", "com.example.app", 4325, None, "cached app freezer", "aosp", 5),
    ]
    assert found[2].extra == {"process": "com.example.app", "adj": "900", "proc_state": "19"}


def test_the_same_kill_from_two_buffers_is_one_event() -> None:
    found = events_of(lab(
        (0.000, 1416, "I/am_kill", "[0,4321,com.example.app,905,empty #3]"),
        (0.001, 1416, "I/ActivityManager", "Killing 4321:com.example.app/u0a123 (adj 905): empty #3"),
        (9.000, 1416, "I/ActivityManager", "Killing 4321:com.example.app/u0a123 (adj 905): empty #3"),
    ))
    assert [(e.kind, e.line) for e in found] == [("kill", 1), ("kill", 3)]


def test_rows_joined_by_the_parser_each_give_events() -> None:
    text = ("11-28 08:15:02.311  1416  1433 I ActivityManager: Killing 1:a.b/u0a1 (adj 900): empty #1\n"
            "11-28 08:15:02.311  1416  1433 I ActivityManager: Killing 2:c.d/u0a2 (adj 900): empty #2\n")
    assert [(e.pid, e.line) for e in events_of(text)] == [(1, 1), (2, 2)]


# -- Doze and boot --------------------------------------------------------------------------------
def test_doze_lines() -> None:
    found = events_of(lab(
        (0, 1416, "I/device_idle", "[5,s:shell]"),
        (1, 1416, "I/device_idle_light", "[4,s:alarm]"),
        (2, 1416, "I/device_idle", "[IDLE_MAINTENANCE,s:alarm]"),
        (3, 1416, "D/DeviceIdleController", "Moved from STATE_IDLE_PENDING to STATE_SENSING."),
        (4, 1416, "D/DeviceIdleController", "Moved from LIGHT_STATE_INACTIVE to LIGHT_STATE_IDLE."),
    ))
    assert [(e.kind, e.reason, e.extra.get("mode")) for e in found] == [
        ("doze", "IDLE", "deep"), ("doze", "IDLE", "light"), ("doze", "IDLE_MAINTENANCE", "deep"),
        ("doze", "SENSING", "deep"), ("doze", "IDLE", "light")]
    assert found[0].extra["cause"] == "s:shell"


def test_boot_lines() -> None:
    found = events_of(lab(
        (0, 600, "I/Zygote", "Zygote64 started, preloading classes"),
        (1, 600, "D/Zygote", "begin preload"),
        (2, 600, "I/Zygote", "Process 27478 exited due to signal 9 (Killed)"),
        (3, 1, "I/init", "processing action (sys.boot_completed=1) from (/system/etc/init/x.rc:1)"),
        (4, 1416, "I/ActivityManager", "Finished processing BOOT_COMPLETED for u0"),
    ))
    # Zygote reaping a child is that process's death, not a boot (issue 18).
    assert [(e.kind, e.reason, e.line) for e in found] == [
        ("boot", "zygote", 1), ("boot", "zygote", 2), ("process_died", "signal 9 (Killed)", 3),
        ("boot", "sys.boot_completed", 4), ("boot", "BOOT_COMPLETED", 5)]


# -- JobScheduler, WorkManager, Expo, the probe ----------------------------------------------------
def test_job_lines() -> None:
    svc = "com.example.app/androidx.work.impl.background.systemjob.SystemJobService"
    found = events_of(lab(
        (0, 1416, "I/JobScheduler", f"START: #u0a123/-66 @androidx.work.systemjobscheduler@{svc}"),
        (1, 1416, "I/JobScheduler", f"STOP-P: #u0a123/-66 {svc} app called jobFinished"),
        (2, 1416, "I/JobServiceContext", f"Client timed out while executing (no jobFinished received). "
                                          f"sending onStop. d62e888 #u0a123/7 {svc}"),
        (3, 1416, "V/JobSchedulerService", f"isReadyToBeExecutedLocked: 1 #u0a29/-66 {svc} ready=false"),
    ))
    assert [brief(e) for e in found] == [
        ("job_start", "com.example.app", None, -66, None, None, 1),
        ("job_stop", "com.example.app", None, -66, "app called jobFinished", None, 2),
        ("job_timeout", "com.example.app", None, 7, "no jobFinished received", None, 3)]
    assert found[0].extra["namespace"] == "androidx.work.systemjobscheduler"
    assert found[1].extra["event"] == "STOP-P"


def test_workmanager_lines_and_their_package_from_the_pid() -> None:
    wid = "08be261c-2def-4bd6-a716-1e4410968dc4"
    other = "23136bcd-01dd-46eb-b910-0fe8a140c2a4"
    found = events_of(lab(
        (0, 1416, "I/ActivityManager", "Start proc 4321:com.example.app/u0a123 for service {com.example.app/X}"),
        (1, 4321, "D/WM-SystemJobScheduler", f"Scheduling work ID {wid}Job ID 33"),
        (2, 4321, "D/WM-SystemJobScheduler", f"Scheduling work ID {other} Job ID -5"),
        (3, 4321, "D/WM-SystemJobService", f"onStartJob for WorkGenerationalId(workSpecId={wid}, generation=0)"),
        (4, 4321, "I/WM-WorkerWrapper", f"Worker result SUCCESS for Work [ id={wid}, tags={{ com.example.Sync }} ]"),
        (5, 4321, "D/WM-SystemJobService", f"onStopJob for WorkGenerationalId(workSpecId={other}, generation=1)"),
        (6, 9999, "I/WM-WorkerWrapper", f"Worker result FAILURE for Work [ id={other}, tags={{ a, b }} ]"),
    ))
    assert [brief(e) for e in found][1:] == [
        ("work_scheduled", "com.example.app", 4321, 33, None, None, 2),
        ("work_scheduled", "com.example.app", 4321, -5, None, None, 3),
        ("job_start", "com.example.app", 4321, 33, None, None, 4),
        ("work_result", "com.example.app", 4321, 33, "SUCCESS", None, 5),
        ("job_stop", "com.example.app", 4321, -5, None, None, 6),
        ("work_result", None, 9999, -5, "FAILURE", None, 7)]
    assert found[4].extra == {"work_id": wid, "tags": "com.example.Sync"}


def test_expo_lines() -> None:
    found = events_of(lab(
        (0, 4321, "D/BackgroundTaskWork", "doWork: Starting worker"),
        (1, 4321, "D/BackgroundTaskConsumer", "Executing task 'sync-orders'"),
        (2, 4321, "D/BackgroundTaskConsumer", "didRegister: sync-orders"),
        (3, 4321, "I/TaskService", "Handling job with task name 'fetch' for app with ID 'com.example.app'."),
        (4, 4321, "I/TaskService", "Finished task 'fetch' with eventId '5'."),
        (5, 4321, "I/TaskService", "Job for task 'fetch' has been cancelled by the system."),
    ))
    assert [(e.kind, e.task, e.reason, e.line) for e in found] == [
        ("task_start", None, "workmanager", 1), ("task_start", "sync-orders", None, 2),
        ("task_start", "fetch", None, 4), ("task_end", "fetch", None, 5), ("task_end", "fetch", "cancelled", 6)]


def test_probe_lines_anywhere() -> None:
    text = lab(
        (0, 1416, "I/ActivityManager", "Start proc 4321:com.example.app/u0a123 for service {com.example.app/X}"),
        (0.3, 4321, "I/ReactNativeJS", "BgProbe v1 task_start task=sync-orders run=3 trigger=workmanager"),
        (1.1, 4321, "I/ReactNativeJS",
         "[sync] BgProbe v1 task_end task=sync-orders run=3 result=success duration_ms=840"),
        (1.2, 4321, "I/ReactNativeJS", 'BgProbe v1 task_error task="a b" run=4 error="boom \\"x\\" \\\\ y" new=1'),
        (1.3, 4321, "I/ReactNativeJS", "BgProbe v1 wake reason=push"),
    )
    found = events_of(text)[1:]
    assert [(e.kind, e.package, e.pid, e.task, e.reason, e.line) for e in found] == [
        ("task_start", "com.example.app", 4321, "sync-orders", "workmanager", 2),
        ("task_end", "com.example.app", 4321, "sync-orders", "success", 3),
        ("task_end", "com.example.app", 4321, "a b", "error", 4),
        ("wake", "com.example.app", 4321, None, "push", 5)]
    assert found[1].extra == {"run": "3", "result": "success", "duration_ms": "840", "event": "task_end"}
    assert found[2].extra["error"] == 'boom "x" \\ y' and found[2].extra["new"] == "1"
    assert found[0].time == pytest.approx(T0 + 0.3)


@pytest.mark.parametrize(("line", "event", "fields"), [
    ("11-28 08:15:02.311  4321  4350 I ReactNativeJS: BgProbe v1 task_start task=sync-orders run=3 trigger=workmanager",
     "task_start", {"task": "sync-orders", "run": "3", "trigger": "workmanager"}),
    ("Nov 28 08:15:02 iPhone Courier(ExpoTaskManager)[412] <Notice>: BgProbe v1 task_start task=sync-orders run=3 "
     "trigger=bgtask", "task_start", {"task": "sync-orders", "run": "3", "trigger": "bgtask"}),
    ('BgProbe v1 task_expired task="x=y" run=9', "task_expired", {"task": "x=y", "run": "9"}),
    ("BgProbe v1 wake reason=boot", "wake", {"reason": "boot"}),
])
def test_probe_parser(line: str, event: str, fields: dict[str, str]) -> None:
    record = parse_probe(line)
    assert record is not None and (record.event, record.fields) == (event, fields)


def test_probe_event_mapping() -> None:
    expired = parse_probe("BgProbe v1 task_expired task=t run=1")
    wake = parse_probe("BgProbe v1 wake reason=push")
    assert expired is not None and wake is not None
    event = probe_event(expired)
    assert event is not None and (event.kind, event.reason, event.task) == ("task_end", "expired", "t")
    woke = probe_event(wake)
    assert woke is not None and (woke.kind, woke.reason, woke.task) == ("wake", "push", None)
    assert parse_probe("no probe here") is None and parse_probe("BgProbe v1 ") is None


def test_for_package_keeps_device_wide_and_unknown_events() -> None:
    found = events_of(lab(
        (0, 1416, "I/ActivityManager", "Killing 1:com.a/u0a1 (adj 900): empty #1"),
        (1, 1416, "I/ActivityManager", "Killing 2:com.b:remote/u0a2 (adj 900): empty #2"),
        (2, 1416, "I/device_idle", "[5,s:shell]"),
        (3, 777, "I/ReactNativeJS", "BgProbe v1 task_start task=t run=1 trigger=test"),
    ))
    assert [e.line for e in for_package(found, "com.b")] == [2, 3, 4]


def test_timeline_of_a_mixed_capture() -> None:
    text = ("--------- beginning of system\n" + lab(
        (0, 1416, "I/ActivityManager", "Force stopping com.example.app appid=10123 user=0: from pid 9876"),
        (0.01, 1416, "I/ActivityManager", "Killing 4321:com.example.app/u0a123 (adj 0): stop com.example.app"),
    ) + "garbage line\n")
    timeline = capture_timeline(text)
    assert timeline.kind == "logcat" and timeline.skipped == 1
    assert [(e.kind, e.killer, e.line) for e in timeline.events] == [("force_stop", "user", 2), ("kill", "user", 3)]
