"""dumpsys parsers over the reference's composite blocks and the real captures, plus the small
shell outputs (ps, cmd jobscheduler run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.logs.dumpsys import (
    parse_activity_processes,
    parse_activity_services,
    parse_battery,
    parse_deviceidle,
    parse_duration,
    parse_job_body,
    parse_jobscheduler,
    split_battery_name,
)
from harness.logs.shell import parse_jobscheduler_run, parse_ps

DATA = Path(__file__).parent / "data"
WM = "androidx.work.impl.background.systemjob.SystemJobService"


def data(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


@pytest.mark.parametrize(("text", "seconds"), [
    ("+1h29m59s687ms", 5399.687), ("-8m12s280ms", -492.28), ("+5s0ms", 5.0), ("0", 0.0), ("+30m0s0ms", 1800.0),
    ("-1h35m26s440ms", -5726.44), ("+40ms", 0.04), ("+1d2h0m0s0ms", 93600.0), ("-24s295ms", -24.295),
])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "none", "+", "1h", "5s", "+5 s0ms"])
def test_not_durations(text: str) -> None:
    with pytest.raises(ValueError, match="not an AOSP duration"):
        parse_duration(text)


# -- jobscheduler ---------------------------------------------------------------------------------
def test_docs_job_block() -> None:
    # captures §17 (developer.android.com debug page)
    [job] = parse_jobscheduler(data("s17_a.txt")).jobs
    assert (job.uid, job.job_id, job.hash, job.namespace, job.package) == (
        "u0a172", 4, "6412553", None, "com.google.android.youtube")
    assert job.battery_name == f"com.google.android.youtube/{WM}" and job.service == job.battery_name
    assert job.required == ("TIMING_DELAY", "CONNECTIVITY")
    assert job.satisfied == ("DEVICE_NOT_DOZING", "BACKGROUND_NOT_RESTRICTED", "WITHIN_QUOTA")
    assert job.unsatisfied == ("TIMING_DELAY", "CONNECTIVITY")  # its mask is Markdown-escaped in the source
    assert (job.standby_bucket, job.ready, job.persisted, job.periodic_interval_s) == ("RARE", False, False, None)
    assert job.min_latency_s == pytest.approx(5399.687)
    assert job.enqueue_s == pytest.approx(-3089.853)
    assert job.earliest_run_s == pytest.approx(2309.834) and job.latest_run_s is None
    assert (job.source_uid, job.user, job.line) == ("u0a172", 0, 1)
    assert job.network is not None and job.network.startswith("NetworkRequest [ NONE id=0")


def test_docs_job_history() -> None:
    dump = parse_jobscheduler(data("s17_b.txt"))
    assert dump.jobs == ()
    assert [(h.event, h.uid, h.job_id, h.package, h.reason, h.line) for h in dump.history] == [
        ("START", "u0a107", 9008, "com.google.android.youtube", None, 2),
        ("STOP-P", "u0a107", 9008, "com.google.android.youtube", "app called jobFinished", 3)]
    assert dump.history[0].ago_s == pytest.approx(-5726.44) and dump.history[0].ago_text == "-1h35m26s440ms"


def test_reference_composite_job() -> None:
    # android.md §2.3: the composite block, verbatim, under its example header.
    [job] = parse_jobscheduler(data("ref_job_composite.txt")).jobs
    assert (job.uid, job.job_id, job.package, job.service) == ("u0a453", 275, "<pkg>", f"<pkg>/{WM}")
    assert (job.periodic_interval_s, job.periodic_flex_s, job.persisted) == (900.0, 300.0, True)
    assert job.min_latency_s == pytest.approx(899.979)
    assert (job.required, job.preferred, job.unsatisfied) == (("TIMING_DELAY", "CONNECTIVITY"), (), ("TIMING_DELAY",))
    assert (job.standby_bucket, job.num_failures, job.ready) == ("ACTIVE", 3, False)
    assert (job.last_successful_run, job.last_failed_run) == ("2020-05-27 15:27:42", "2019-11-04 13:03:41")
    assert job.enqueue_s == pytest.approx(-302.428) and job.earliest_run_s == pytest.approx(597.551)


def test_namespaced_negative_and_system_jobs_in_a_full_dump() -> None:
    text = (
        "JOB SCHEDULER\nSettings:\n  min_ready_non_active_jobs_count=5\nStarted users: [0]\nRegistered 3 jobs:\n"
        f"  JOB #u0a212/53: 4c1ed02 @androidx.work.systemjobscheduler@com.example.app/{WM}\n"
        "    Source: uid=u0a212 user=0 pkg=com.example.app\n"
        "    Ready: true (job=true user=true !restricted=true !pending=true !active=true !backingup=true comp=true)\n"
        "  JOB #u0a29/-359368280: 1a2b3c4 com.transistorsoft.app/com.transistorsoft.tsbackgroundfetch.FetchJobService\n"
        "    Unsatisfied constraints: TIMING_DELAY DEADLINE [0xc0000000]\n"
        "\n"
        "  JOB #1000/2000007999: 77 SyncManager:android\n"
        "    Standby bucket: EXEMPTED\n"
        "  Active jobs:\n"
        "    Slot #0: inactive since -5m2s, stopped because: timeout\n"
        "      Ready: true (job=true)\n"
        "  Pending queue:\n"
    )
    dump = parse_jobscheduler(text)
    assert [(j.uid, j.job_id, j.namespace, j.package, j.ready) for j in dump.jobs] == [
        ("u0a212", 53, "androidx.work.systemjobscheduler", "com.example.app", True),
        ("u0a29", -359368280, None, "com.transistorsoft.app", None),
        ("1000", 2000007999, None, "android", None)]
    assert dump.jobs[0].battery_name == f"com.example.app/{WM}"
    assert dump.jobs[1].unsatisfied == ("TIMING_DELAY", "DEADLINE")
    assert dump.jobs[2].standby_bucket == "EXEMPTED"  # the Active jobs slot's Ready line is not its
    assert [j.job_id for j in dump.for_package("com.example.app")] == [53]


def test_2019_fragments() -> None:
    body = parse_job_body(data("s19_a.txt"))
    assert body.enqueue_s == pytest.approx(-24.295)
    assert body.earliest_run_s == pytest.approx(95.705)
    assert (body.latest_run_s, body.num_failures) == (None, 3)
    assert (body.last_failed_run, body.ready) == ("2019-11-04 13:03:41", False)
    [job] = parse_jobscheduler(data("s19_b.txt")).jobs
    assert (job.uid, job.job_id, job.package, job.ready) == ("u0a944", 13, "com.example.background", None)


@pytest.mark.parametrize(("text", "running"), [
    ("Active jobs:\n  N/A\n", ()),
    # JobConcurrencyManager.dumpContextInfoLocked, then JobServiceContext.dumpLocked's toShortString
    ("Active jobs:\n  Slot #0(ID=3): 6412553 #u0a172/4 com.example/.SyncService\n"
     "    Running for: +12s3ms, timeout at: +9m47s997ms\n", (("u0a172", 4),)),
    ("Active jobs:\n  Slot #1(ID=7): 8f9e21 {androidx.work.systemjobscheduler} #u0a200/-10 "
     "@androidx.work.systemjobscheduler@com.example.courier/androidx.work.impl.background.systemjob.SystemJobService\n",
     (("u0a200", -10),)),
    ("Idle contexts (16):\n  ID=0: inactive since -3s626ms, stopped because: app called jobFinished\n", ()),
])
def test_running_jobs_from_the_active_slots(text: str, running: tuple[tuple[str, int], ...]) -> None:
    assert parse_jobscheduler(text).running == running


def test_invalid_package() -> None:
    assert parse_jobscheduler("Invalid package: com.nope\n").invalid_package == "com.nope"


@pytest.mark.parametrize(("name", "expected"), [
    (f"@androidx.work.systemjobscheduler@com.a/{WM}", ("androidx.work.systemjobscheduler", "com.a")),
    ("com.a/.MyJobService", (None, "com.a")),
    ("SyncManager:com.a", (None, "com.a")),
])
def test_battery_names(name: str, expected: tuple[str | None, str | None]) -> None:
    assert split_battery_name(name) == expected


# -- deviceidle, battery --------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["s15_a.txt", "s16_a.txt"])
def test_deviceidle_settings_captures(name: str) -> None:
    dump = parse_deviceidle(data(name))
    s = dump.settings
    assert (s["light_after_inactive_to"], s["light_idle_to"], s["inactive_to"], s["idle_to"]) == (
        180.0, 300.0, 1800.0, 3600.0)
    assert (s["min_light_maintenance_time"], s["max_idle_to"], s["idle_factor"], s["location_accuracy"]) == (
        5.0, 21600.0, 2.0, 20.0)
    assert dump.state is None
    assert len(s) == (21 if name == "s15_a.txt" else 26)


def test_deviceidle_full_dump() -> None:
    # android.md §1.7: the dump's structure, with the values the reference quotes.
    text = (
        "  Settings:\n    inactive_to=+30m0s0ms\n    idle_factor=2.0\n    location_accuracy=20.0m\n"
        "  Idling history:\n     normal: -1h0m0s0ms (s:shell)\n  deep-idle: -30m0s0ms\n"
        "  Whitelist (except idle) system apps:\n    com.android.providers.downloads\n"
        "  Whitelist system apps:\n    com.google.android.gms\n"
        "  Whitelist user apps:\n    com.example.app\n"
        "  mLightEnabled=true  mDeepEnabled=true\n  mForceIdle=true\n  mScreenOn=true\n  mScreenLocked=false\n"
        "  mNetworkConnected=true\n  mCharging=true\n  activeEmergencyCall=false\n"
        "  mState=IDLE mLightState=OVERRIDE\n  mInactiveTimeout=+30m0s0ms\n"
    )
    dump = parse_deviceidle(text)
    assert (dump.state, dump.light_state, dump.deep_idle, dump.state_line) == ("IDLE", "OVERRIDE", True, 21)
    assert (dump.force_idle, dump.screen_on, dump.screen_locked, dump.charging) == (True, True, False, True)
    assert (dump.network_connected, dump.light_enabled, dump.deep_enabled) == (True, True, True)
    assert dump.settings == {"inactive_to": 1800.0, "idle_factor": 2.0, "location_accuracy": 20.0}
    assert dump.whitelists == {"Whitelist (except idle) system apps": ("com.android.providers.downloads",),
                               "Whitelist system apps": ("com.google.android.gms",),
                               "Whitelist user apps": ("com.example.app",)}


def test_battery_dump_unplugged_and_frozen() -> None:
    # android.md §1.8 field list; values made up.
    text = ("Current Battery Service state:\n  (UPDATES STOPPED -- use 'reset' to restart)\n  AC powered: false\n"
            "  USB powered: false\n  Wireless powered: false\n  Dock powered: false\n  Max charging current: 0\n"
            "  status: 3\n  health: 2\n  present: true\n  level: 80\n  scale: 100\n  technology: Li-ion\n"
            "  Charging state: 1\n")
    dump = parse_battery(text)
    assert (dump.updates_stopped, dump.plugged, dump.level) == (True, False, 80)
    assert dump.fields["technology"] == "Li-ion" and dump.fields["Charging state"] == "1"
    plugged = parse_battery("Current Battery Service state:\n  AC powered: false\n  USB powered: true\n  level: x\n")
    assert (plugged.updates_stopped, plugged.plugged, plugged.level) == (False, True, None)


# -- activity processes and services --------------------------------------------------------------
def test_activity_processes_header_capture() -> None:
    dump = parse_activity_processes(data("s26_a.txt"))  # captures §26
    assert len(dump.oom_levels) == 16
    assert dump.oom_levels[0] == (-900, "SYSTEM_ADJ") and dump.oom_levels[-1] == (999, "CACHED_APP_MAX_ADJ")
    assert dump.home is not None and (dump.home.pid, dump.home.name, dump.home.uid) == (
        21734, "com.google.android.apps.nexuslauncher", "u0a61")
    assert dump.previous is not None and dump.previous.package == "com.termux"
    assert dump.processes == ()


def test_activity_processes_app_record() -> None:
    # android.md §3.3 (APDOCS, Android 12), plus an LRU summary row.
    text = ("  Process LRU list (sorted by oom_adj, 74 total, non-act at 11, non-svc at 11):\n"
            "    #73: prcp   FGS  ---N-- 18144:com.termux/u0a383 act:activities|recents\n"
            "    #72: cch+5  CEM  ----   9000:com.example.app:remote/u0a100\n"
            "  *APP* UID 10383 ProcessRecord{f26c83c 18144:com.termux/u0a383}\n"
            "    oom adj: max=1001 curRaw=200 setRaw=200 cur=200 set=200\n"
            "    curProcState=4 mRepProcState=4 setProcState=4 lastStateTime=-9m30s394ms\n"
            "    mHasForegroundServices=true forcingToImportant=null\n"
            "    cached=false empty=true\n")
    dump = parse_activity_processes(text)
    termux, remote = dump.processes
    assert (termux.pid, termux.name, termux.uid, termux.oom_adj, termux.proc_state, termux.fg_services) == (
        18144, "com.termux", "u0a383", 200, "4", True)
    assert (remote.pid, remote.package, remote.proc_state, remote.oom_adj) == (9000, "com.example.app", "CEM", None)
    assert dump.for_package("com.termux") == (termux,)


def test_phantom_processes_capture() -> None:
    dump = parse_activity_processes(data("s28_b.txt"))  # captures §28
    assert [(p.pid, p.name, p.uid, p.parent_pid, p.oom_adj, p.phantom) for p in dump.phantoms] == [
        (3542, "bash", "u0a147", 3451, 0, True), (6206, "sshd", "u0a147", 3451, 0, True),
        (6704, "top", "u0a147", 3451, 0, True)]


def test_activity_services() -> None:
    # android.md §5: ServiceRecord.dump's foreground line, types as %08X.
    text = ("ACTIVITY MANAGER SERVICES (dumpsys activity services)\n  User 0 active services:\n"
            "  * ServiceRecord{c3f5bd7 u0 com.example.app/.SyncService}\n"
            "    intent={cmp=com.example.app/.SyncService}\n    packageName=com.example.app\n"
            "    app=ProcessRecord{1a2b3c 4321:com.example.app/u0a123}\n"
            "    isForeground=true foregroundId=7 types=00000009 foregroundNoti=Notification(channel=sync)\n"
            "  * ServiceRecord{d4e5 u10 com.other/.Plain}\n    packageName=com.other\n"
            "  * ServiceRecord{f00 u0 com.x/.Special}\n    isForeground=true foregroundId=1 types=0x40000000\n")
    sync, plain, special = parse_activity_services(text)
    assert (sync.component, sync.package, sync.user, sync.pid) == (
        "com.example.app/.SyncService", "com.example.app", 0, 4321)
    assert (sync.is_foreground, sync.foreground_id, sync.types, sync.type_names) == (
        True, 7, 9, ("dataSync", "location"))
    assert (plain.user, plain.is_foreground, plain.type_names) == (10, False, ())
    assert special.type_names == ("specialUse",)


# -- shell outputs -----------------------------------------------------------------------------------
def test_ps_capture() -> None:
    rows = parse_ps(data("s28_a.txt"))  # captures §28, prompt line included
    assert [(r.user, r.pid, r.ppid, r.name) for r in rows] == [
        ("u0_a147", 3451, 339, "com.termux"), ("u0_a147", 3542, 3451, "/data/data/com.termux/files/usr/bin/bash -l"),
        ("u0_a147", 6206, 1, "sshd"), ("u0_a147", 6704, 3451, "/system/bin/top -n"),
        ("u0_a147", 6207, 3542, "ps -efww")]
    assert rows[0].columns["TTY"] == "?"


def test_ps_dash_a() -> None:
    text = ("USER           PID  PPID     VSZ    RSS WCHAN            ADDR S NAME\n"
            "u0_a123       4321   600 1234567  89012 SyS_epoll_wait      0 S com.example.app:remote\n")
    [row] = parse_ps(text)
    assert (row.pid, row.ppid, row.name, row.package) == (4321, 600, "com.example.app:remote", "com.example.app")


@pytest.mark.parametrize(("text", "outcome", "forced", "job_id", "package"), [
    (data("s22_a.txt"), "no_job", False, 999, "com.veanka.hello"),  # captures §22
    ("Running job\n", "running", False, None, None),
    ("Running job [FORCED]\n", "running", True, None, None),
    ("Package not found: com.nope / user 0\n", "no_package", False, None, "com.nope"),
    ("Job 5 in package com.a / user 0 has functional constraints but --force not specified\n", "needs_force", False, 5,
     "com.a"),
    ("Could not find job -359368280 in package com.a / namespace androidx.work.systemjobscheduler / user 0\n",
     "no_job", False, -359368280, "com.a"),
    ("Error: unknown option '-x'\n", "unknown", False, None, None),
])
def test_jobscheduler_run_output(text: str, outcome: str, forced: bool, job_id: int | None,
                                 package: str | None) -> None:
    result = parse_jobscheduler_run(text)
    assert (result.outcome, result.forced, result.job_id, result.package) == (outcome, forced, job_id, package)
    assert result.ok == (outcome == "running")


def test_namespaced_job_header_of_android_14_and_15() -> None:
    # JobSchedulerService.dumpInternal prints "JOB " + printUniqueId: "<ns>:" replaces "#" for namespaced jobs.
    text = (
        "  JOB androidx.work.systemjobscheduler:u0a217/0: 5d421eb "
        "@androidx.work.systemjobscheduler@com.example.courier/androidx.work.impl.background.systemjob.SystemJobService\n"
        "    Source: uid=u0a217 user=0 pkg=com.example.courier\n"
    )
    (job,) = parse_jobscheduler(text).jobs
    assert (job.job_id, job.namespace, job.package) == (0, "androidx.work.systemjobscheduler", "com.example.courier")
