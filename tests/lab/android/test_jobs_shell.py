"""``cmd jobscheduler``, ``dumpsys jobscheduler``, ``cmd appops``, ``dumpsys alarm`` and ``dumpsys
usagestats`` through Google's adb CLI against a virtual phone: every text, stream and exit code.

Jobs are scheduled from the lab side (``lab.call``) on ``com.test.jobs``, a package this module installs;
every test cancels what it scheduled. The session lab runs at 600 device seconds per wall second.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from harness.lab.android.os.contracts import JobInfo
from harness.logs._durations import DURATION, parse_duration
from tests.lab.android.jobkit import NAME, Recorder, sh, wait_for
from tests.labkit import RunningLab

PKG = "com.test.jobs"
SVC = f"{PKG}/{PKG}.TestJobService"
SHORT = f"{PKG}/.TestJobService"
NS = "androidx.work.systemjobscheduler"
WM = f"{PKG}/androidx.work.impl.background.systemjob.SystemJobService"
DAY = 86_400.0
TAG = "expo.modules.taskManager.TaskBroadcastReceiver.INTENT_ACTION"


@pytest.fixture(scope="module")
def uid(lab: RunningLab) -> Iterator[str]:
    dev = lab.device(NAME)
    pkg = lab.call(lambda: dev.packages.get(PKG) or dev.packages.install(PKG))
    yield f"u0a{pkg.uid - 10_000}"
    lab.call(lambda: (dev.alarms.cancel_all(PKG), dev.appops.reset(PKG)))


@pytest.fixture(autouse=True)
def _clean(lab: RunningLab, uid: str) -> Iterator[None]:
    yield
    dev = lab.device(NAME)
    lab.call(lambda: (dev.jobs.clients.pop(PKG, None), dev.jobs.cancel_all(PKG, "test cleanup")))


def schedule(lab: RunningLab, job: JobInfo) -> None:
    dev = lab.device(NAME)
    lab.call(lambda: dev.jobs.schedule(PKG, job))


def with_recorder(lab: RunningLab) -> Recorder:
    rec, dev = Recorder(), lab.device(NAME)
    lab.call(lambda: dev.jobs.register_client(PKG, rec))
    return rec


# -- cmd jobscheduler run -------------------------------------------------------------------------
def test_run_forced_and_soft_accept_the_job(lab: RunningLab, uid: str) -> None:
    schedule(lab, JobInfo(5, SVC, min_latency_s=DAY))
    schedule(lab, JobInfo(6, SVC, min_latency_s=DAY))
    assert sh(lab, f"cmd jobscheduler run -f {PKG} 5") == ("Running job [FORCED]\n", "", 0)
    assert sh(lab, f"cmd jobscheduler run {PKG} 6") == ("Running job\n", "", 0)
    wait_for(lambda: "STOP-P: #" + f"{uid}/6" in sh(lab, f"dumpsys jobscheduler {PKG}")[0])
    history = sh(lab, f"dumpsys jobscheduler {PKG}")[0]
    assert re.search(rf"^ +-\S+   START: #{uid}/5 {re.escape(SHORT)}$", history, re.M), history
    assert re.search(rf"^ +-\S+  STOP-P: #{uid}/5 {re.escape(SHORT)} app called jobFinished$", history, re.M)
    log = lab.adb(NAME, "logcat", "-d", "-s", "JobScheduler").stdout
    assert f"D JobScheduler: executeRunCommand(): {PKG}/null/0 5 s=false f=true" in log


@pytest.mark.parametrize(("command", "expected"), [
    (f"cmd jobscheduler run -f {PKG} 99", ("", f"Could not find job 99 in package {PKG} / user 0\n", 23)),
    ("cmd jobscheduler run -f no.such.pkg 1", ("", "Package not found: no.such.pkg / user 0\n", 24)),
    (f"cmd jobscheduler run -f -s {PKG} 1", ("Cannot specify both --force and --satisfied\n", "", 255)),
    (f"cmd jobscheduler run -x {PKG} 1", ("Error: unknown option '-x'\n", "", 255)),
    ("cmd jobscheduler run",
     ('Exception: java.lang.IllegalArgumentException: Argument expected after "run"\n', "", 255)),
    (f"cmd jobscheduler run {PKG} x1",
     ('Exception: java.lang.NumberFormatException: For input string: "x1"\n', "", 255)),
    (f"cmd jobscheduler run -n {NS} {PKG} 99",
     ("", f"Could not find job 99 in package {PKG} / namespace {NS} / user 0\n", 23)),
])
def test_run_errors_texts_streams_and_exit_codes(lab: RunningLab, uid: str, command: str,
                                                 expected: tuple[str, str, int]) -> None:
    assert sh(lab, command) == expected


def test_run_satisfied_refuses_a_job_whose_delay_has_not_passed(lab: RunningLab, uid: str) -> None:
    schedule(lab, JobInfo(7, SVC, min_latency_s=DAY))
    assert sh(lab, f"cmd jobscheduler run -s {PKG} 7") == (
        "", f"Job 7 in package {PKG} / user 0 has functional constraints but --force not specified\n", 22)


def test_workmanager_jobs_need_the_namespace(lab: RunningLab, uid: str) -> None:
    schedule(lab, JobInfo(8, WM, namespace=NS, min_latency_s=DAY))
    dump = sh(lab, f"dumpsys jobscheduler {PKG}")[0]
    assert re.search(rf"^  JOB {NS}:{uid}/8: [0-9a-f]+ @{NS}@{re.escape(WM)}$", dump, re.M), dump
    assert sh(lab, f"cmd jobscheduler run -f {PKG} 8") == (
        "", f"Could not find job 8 in package {PKG} / user 0\n", 23)
    assert sh(lab, f"cmd jobscheduler run -f -n {NS} {PKG} 8") == ("Running job [FORCED]\n", "", 0)


def test_negative_and_large_job_ids(lab: RunningLab, uid: str) -> None:
    schedule(lab, JobInfo(-359368280, SVC, min_latency_s=DAY))
    schedule(lab, JobInfo(2000007999, SVC, min_latency_s=DAY))
    dump = sh(lab, f"dumpsys jobscheduler {PKG}")[0]
    assert re.search(rf"^  JOB #{uid}/-359368280: [0-9a-f]+ {re.escape(SHORT)}$", dump, re.M), dump
    assert re.search(rf"^  JOB #{uid}/2000007999: ", dump, re.M)
    assert sh(lab, f"cmd jobscheduler run -f {PKG} -359368280") == ("Running job [FORCED]\n", "", 0)


# -- other verbs ----------------------------------------------------------------------------------
def test_get_job_state_and_its_newline_quirk(lab: RunningLab, uid: str) -> None:
    schedule(lab, JobInfo(9, SVC, min_latency_s=DAY))
    assert sh(lab, f"cmd jobscheduler get-job-state {PKG} 9") == ("waiting\n", "", 0)
    assert sh(lab, f"cmd jobscheduler get-job-state {PKG} 99") == (
        f"unknown({uid}/jid99)\n", f"Could not find job 99 in package {PKG} / user 0\n", 23)
    assert sh(lab, "cmd jobscheduler get-job-state no.such.pkg 9") == (
        "unknown(no.such.pkg)\n", "Package not found: no.such.pkg / user 0\n", 24)
    rec = with_recorder(lab)
    schedule(lab, JobInfo(10, SVC))
    wait_for(lambda: 10 in rec.started)
    assert sh(lab, f"cmd jobscheduler get-job-state {PKG} 10") == ("active\n ready\n\n", "", 0)


def test_cancel_one_all_and_unknown(lab: RunningLab, uid: str) -> None:
    schedule(lab, JobInfo(11, SVC, min_latency_s=DAY))
    assert sh(lab, f"cmd jobscheduler cancel {PKG} 11") == (f"Canceling job {PKG}/#11 in user 0\n", "", 0)
    assert sh(lab, f"cmd jobscheduler cancel {PKG} 11") == (
        f"Canceling job {PKG}/#11 in user 0\nNo matching job found.\n", "", 0)
    assert sh(lab, f"cmd jobscheduler cancel {PKG}") == (
        f"Canceling all jobs for {PKG} in user 0\nNo matching jobs found.\n", "", 0)
    assert sh(lab, "cmd jobscheduler cancel no.such.pkg") == ("Package no.such.pkg not found.\n", "", 24)


def test_timeout_stops_the_running_job(lab: RunningLab, uid: str) -> None:
    assert sh(lab, f"cmd jobscheduler timeout {PKG} 12") == ("No matching executing jobs found.\n", "", 0)
    rec = with_recorder(lab)
    schedule(lab, JobInfo(12, SVC))
    wait_for(lambda: 12 in rec.started)
    assert sh(lab, f"cmd jobscheduler timeout {PKG} 12") == (f"Stopping job: #{uid}/12 {SHORT}\n", "", 0)
    assert rec.stopped == [(12, "timeout")]


def test_a_job_without_job_finished_times_out_with_the_system_log_line(lab: RunningLab, uid: str) -> None:
    rec = with_recorder(lab)
    schedule(lab, JobInfo(13, SVC))
    wait_for(lambda: rec.stopped == [(13, "timeout")])  # 10 device minutes = 1 s of wall time
    log = lab.adb(NAME, "logcat", "-d", "-s", "JobServiceContext").stdout
    pattern = (r" I JobServiceContext: Client timed out while executing \(no jobFinished received\)\. "
               rf"Sending onStop: [0-9a-f]+ #{uid}/13 {re.escape(SHORT)}$")
    assert re.search(pattern, log, re.M), log


@pytest.mark.parametrize(("command", "expected"), [
    ("cmd jobscheduler monitor-battery on", ("Battery monitoring enabled\n", "", 0)),
    ("cmd jobscheduler monitor-battery off", ("Battery monitoring disabled\n", "", 0)),
    ("cmd jobscheduler monitor-battery maybe", ("", "Error: unknown option maybe\n", 1)),
    ("cmd jobscheduler heartbeat", ("Heartbeat command is no longer supported\n", "", 255)),
    ("cmd jobscheduler frobnicate", ("Unknown command: frobnicate\n", "", 255)),
    ("cmd jobscheduler get-storage-not-low", ("true\n", "", 0)),
    (f"cmd jobscheduler reset-execution-quota {PKG}", ("", "", 0)),
    ("dumpsys jobscheduler no.such.pkg", ("Invalid package: no.such.pkg\n", "", 0)),
    ("dumpsys jobscheduler -x", ("Unknown option: -x\n", "", 0)),
])
def test_small_verbs(lab: RunningLab, uid: str, command: str, expected: tuple[str, str, int]) -> None:
    assert sh(lab, command) == expected


def test_help_and_battery_getters(lab: RunningLab, uid: str) -> None:
    out, _, code = sh(lab, "cmd jobscheduler help")
    assert out.startswith("Job scheduler (jobscheduler) commands:\n") and code == 255
    charging = lab.call(lab.device(NAME).power.charging)
    assert sh(lab, "cmd jobscheduler get-battery-charging") == ("true\n" if charging else "false\n", "", 0)


# -- dumpsys jobscheduler -------------------------------------------------------------------------
def test_dump_job_block(lab: RunningLab, uid: str) -> None:
    schedule(lab, JobInfo(14, SVC, periodic_s=3600, flex_s=900, requires_network=True, persisted=True,
                          requires_battery_not_low=True))
    dump = sh(lab, f"dumpsys jobscheduler {PKG}")[0]
    block = dump.split(f"  JOB #{uid}/14: ", 1)[1].split("\n  JOB ", 1)[0]
    for line in (
        f"    {uid} tag=*job*/{SHORT}", f"    Source: uid={uid} user=0 pkg={PKG}", "    JobInfo:",
        f"      Service: {SHORT}", "      PERIODIC: interval=+1h0m0s0ms flex=+15m0s0ms", "      PERSISTED",
        "      Requires: charging=false batteryNotLow=true deviceIdle=false",
        "      Backoff: policy=1 initial=+30s0ms", "      Has early constraint", "      Has late constraint",
        "    Required constraints: BATTERY_NOT_LOW TIMING_DELAY DEADLINE CONNECTIVITY [0xd0000002]",
        "    Dynamic constraints:", "    Restricted due to: none.",
    ):
        assert f"\n{line}\n" in f"\n{block}", (line, block)
    network = r"^      Network type: NetworkRequest \[ NONE id=0, \[ Capabilities: \S+ Uid: \d+\] \]$"
    assert re.search(network, block, re.M)
    assert re.search(r"^    Satisfied constraints: .*DEVICE_NOT_DOZING BACKGROUND_NOT_RESTRICTED .*WITHIN_QUOTA "
                     r"\[0x[0-9a-f]+\]$", block, re.M), block
    assert re.search(r"^    Standby bucket: (ACTIVE|WORKING_SET|FREQUENT|RARE)$", block, re.M)
    # The run window is the periodic one (earliest: enqueued + interval - flex, latest: + interval), printed relative
    # to the dump's now like the enqueue time above it: however much device time passed since the schedule (33 s on
    # a loaded host at 600x), the two add up exactly.
    times = re.search(rf"^    Enqueue time: ({DURATION})\n    Run time: earliest=\+({DURATION}), "
                      rf"latest=\+({DURATION}), original latest=", block, re.M)
    assert times is not None, block
    since_enqueue = -parse_duration(times[1])
    assert parse_duration(times[2]) + since_enqueue == pytest.approx(45 * 60, abs=0.0015), block
    assert parse_duration(times[3]) + since_enqueue == pytest.approx(60 * 60, abs=0.0015), block
    assert re.search(r"^    Ready: false \(job=false user=true !restricted=true !pending=true !active=true "
                     r"!backingup=true comp=true\)$", block, re.M)
    assert re.search(r"^Registered \d+ jobs:$", dump, re.M) and "\nStarted users: [0]\n" in dump
    assert "\nPending queue:\n" in dump and "\nActive jobs:\n" in dump


# -- cmd appops -----------------------------------------------------------------------------------
def test_appops_set_get_reset(lab: RunningLab, uid: str) -> None:
    op = "RUN_ANY_IN_BACKGROUND"
    assert sh(lab, f"cmd appops get {PKG} {op}") == ("No operations.\nDefault mode: allow\n", "", 0)
    assert sh(lab, f"cmd appops set {PKG} {op} ignore") == ("", "", 0)
    assert sh(lab, f"appops get {PKG} {op}") == (f"{op}: ignore\n", "", 0)
    assert sh(lab, f"cmd appops get --user 0 {PKG}") == (f"{op}: ignore\n", "", 0)
    assert sh(lab, f"cmd appops reset {PKG}") == (f"Reset all modes for: user 0, package {PKG}\n", "", 0)
    assert sh(lab, f"cmd appops get {PKG}") == ("No operations.\n", "", 0)


@pytest.mark.parametrize(("command", "stderr"), [
    ("cmd appops set no.such.pkg RUN_ANY_IN_BACKGROUND ignore", "Error: No UID for no.such.pkg in user 0\n"),
    (f"cmd appops set {PKG} NOT_AN_OP ignore", "Error: Unknown operation string: NOT_AN_OP\n"),
    (f"cmd appops set {PKG} RUN_ANY_IN_BACKGROUND sometimes", "Error: Mode sometimes is not valid\n"),
    (f"cmd appops set {PKG} RUN_ANY_IN_BACKGROUND", "Error: Mode not specified.\n"),
    (f"cmd appops set {PKG}", "Error: Operation not specified.\n"),
    ("cmd appops get", "Error: Package name not specified.\n"),
])
def test_appops_errors(lab: RunningLab, uid: str, command: str, stderr: str) -> None:
    assert sh(lab, command) == ("", stderr, 255)


# -- dumpsys alarm / usagestats -------------------------------------------------------------------
def test_dumpsys_alarm_lists_the_pending_alarm(lab: RunningLab, uid: str) -> None:
    dev = lab.device(NAME)
    lab.call(lambda: dev.alarms.set_inexact_repeating(PKG, TAG, 6 * 3600, 6 * 3600, lambda: None))
    dump = sh(lab, "dumpsys alarm")[0]
    lab.call(lambda: dev.alarms.cancel(PKG, TAG))
    assert dump.startswith("Current Alarm Manager state:\n")
    # the courier app's fetch alarm carries a longer tag that starts the same: split on the exact one
    block = re.split(rf"\*walarm\*:{re.escape(TAG)}(?=\n)", dump, maxsplit=1)
    assert re.search(rf"ELAPSED_WAKEUP #\d+: Alarm\{{[0-9a-f]+ type 2 origWhen \d+  whenElapsed \d+ {PKG}\}}\n +tag=$",
                     block[0]), dump
    assert re.match(r"\n +type=ELAPSED_WAKEUP origWhen=\+5h59m\S+ window=\+4h30m0s0ms repeatInterval=21600000 count=0 "
                    r"flags=0x0\n +policyWhenElapsed: requester=\S+ app_standby=\S+ device_idle=\S+ battery_saver=--\n",
                    block[1]), block[1]
    operation = rf"operation=PendingIntent\{{[0-9a-f]+: PendingIntentRecord\{{[0-9a-f]+ {PKG} broadcastIntent\}}\}}"
    assert re.search(operation, block[1])


def test_dumpsys_usagestats_shows_the_bucket(lab: RunningLab, uid: str) -> None:
    bucket = lab.call(lambda: lab.device(NAME).standby.bucket(PKG))
    out = sh(lab, "dumpsys usagestats")[0]
    assert re.search(rf"^    package={PKG} u=0 bucket={bucket} reason=\S+ ", out, re.M), out
