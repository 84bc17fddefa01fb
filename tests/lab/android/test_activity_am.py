"""``am``, ``monkey`` and ``pidof`` through the real adb CLI: texts, streams and exit codes."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.labkit import RunningLab

PKG = "com.example.courier"
MONKEY = f"monkey -p {PKG} -c android.intent.category.LAUNCHER 1"
ANDROID = ("pixel-8", "xiaomi-13", "oppo-find-x6", "samsung-s23")


@pytest.fixture
def clean(lab: RunningLab) -> Iterator[RunningLab]:
    """Every phone as a fresh install leaves it, before and after: screen on, app stopped. Before too: the lab is
    shared by the tests of this worker, and one of them may have left the app running (a cold start is then warm)."""
    for name in ANDROID:
        lab.shell(name, f"input keyevent 224; am force-stop {PKG}")
    yield lab
    for name in ANDROID:
        lab.shell(name, f"input keyevent 224; am force-stop {PKG}")


def test_monkey_launches_the_app_and_pidof_finds_it(clean: RunningLab) -> None:
    result = clean.shell("pixel-8", MONKEY)
    assert result.code == 0
    assert result.stdout.startswith("  bash arg: -p\n  bash arg: com.example.courier\n  bash arg: -c\n")
    assert "\nEvents injected: 1\n## Network stats: elapsed time=" in result.stdout
    assert result.stderr.startswith(f"args: [-p, {PKG}, -c, android.intent.category.LAUNCHER, 1]\n arg: \"-p\"\n")
    assert f'data="{PKG}"\ndata="android.intent.category.LAUNCHER"\n' in result.stderr
    pid = clean.shell("pixel-8", f"pidof {PKG}")
    assert pid.code == 0 and re.fullmatch(r"\d+\n", pid.stdout)


def test_monkey_without_a_launchable_activity_aborts(lab: RunningLab) -> None:
    result = lab.shell("pixel-8", "monkey -p com.android.phone -c android.intent.category.LAUNCHER 1")
    assert result.code == 252
    assert result.stderr.endswith("** No activities found to run, monkey aborted.\n")
    assert "Events injected" not in result.stdout


def test_am_start_texts_for_cold_top_and_background_launches(clean: RunningLab) -> None:
    cmp = f"{PKG}/.MainActivity"
    cold = clean.shell("oppo-find-x6", f"am start -W -n {cmp}")
    assert cold.code == 0
    assert re.fullmatch(rf"Starting: Intent \{{ cmp={re.escape(cmp)} \}}\nStatus: ok\nLaunchState: COLD\n"
                        rf"Activity: {re.escape(cmp)}\nTotalTime: \d+\nWaitTime: \d+\nComplete\n", cold.stdout)
    top = clean.shell("oppo-find-x6", f"am start -n {cmp}")
    assert (top.stdout, top.code) == (f"Starting: Intent {{ cmp={cmp} }}\n", 0)
    assert top.stderr == ("Warning: Activity not started, intent has been delivered to currently running top-most "
                          "instance.\n")
    clean.shell("oppo-find-x6", "input keyevent 3")
    hot = clean.shell("oppo-find-x6", f"am start -W -n {cmp}")
    assert "Warning: Activity not started, its current task has been brought to the front\n" in hot.stdout
    assert "\nLaunchState: HOT\n" in hot.stdout and hot.stderr == ""
    stop = clean.shell("oppo-find-x6", f"am start -S -n {cmp}")
    assert stop.stdout == f"Stopping: {PKG}\nStarting: Intent {{ cmp={cmp} }}\n"


def test_am_start_of_a_missing_activity_is_error_type_3(lab: RunningLab) -> None:
    result = lab.shell("pixel-8", f"am start -n {PKG}/.Nope")
    assert result.stdout == f"Starting: Intent {{ cmp={PKG}/.Nope }}\n"
    assert result.stderr == f"Error type 3\nError: Activity class {{{PKG}/{PKG}.Nope}} does not exist.\n"
    assert result.code == 1


def test_force_stop_is_silent_kills_and_cancels_the_jobs(clean: RunningLab) -> None:
    clean.shell("pixel-8", MONKEY)
    clean.shell("pixel-8", "input keyevent 3")
    pid = clean.shell("pixel-8", f"pidof {PKG}").stdout.strip()
    dev = clean.device("pixel-8")
    jobs = clean.call(dev.jobs.job_ids, PKG)
    assert jobs
    result = clean.shell("pixel-8", f"am force-stop {PKG}")
    assert (result.stdout, result.stderr, result.code) == ("", "", 0)
    gone = clean.shell("pixel-8", f"pidof {PKG}")
    assert (gone.stdout, gone.code) == ("", 1)
    log = clean.adb("pixel-8", "logcat", "-d").stdout
    assert re.search(rf"I ActivityManager: Force stopping {PKG} appid=\d+ user=0: from pid \d+$", log, re.M)
    assert re.search(rf"I ActivityManager: Killing {pid}:{PKG}/u0a\d+ \(adj \d+\): stop {PKG} due to from pid \d+$",
                     log, re.M)
    assert re.search(rf"I Zygote  : Process {pid} exited due to signal 9 \(Killed\)$", log, re.M)
    events = clean.adb("pixel-8", "logcat", "-d", "-b", "events").stdout
    assert re.search(rf"I am_kill : \[0,{pid},{PKG},\d+,stop {PKG} due to from pid \d+,\d+\]$", events, re.M)
    assert clean.call(dev.jobs.job_ids, PKG) == []
    namespace, job_id = jobs[0]
    ns = f"-n {namespace} " if namespace else ""
    run = clean.shell("pixel-8", f"cmd jobscheduler run -f {ns}{PKG} {job_id}")
    assert run.code == 23 and run.stderr.startswith(f"Could not find job {job_id} in package {PKG}")


def test_force_stop_of_an_unknown_package_prints_nothing(lab: RunningLab) -> None:
    result = lab.shell("xiaomi-13", "am force-stop no.such.app")
    assert (result.stdout, result.stderr, result.code) == ("", "", 0)


def test_unknown_verb_option_and_missing_argument(lab: RunningLab) -> None:
    verb = lab.shell("pixel-8", "am frobnicate")
    assert (verb.stdout, verb.stderr, verb.code) == ("Unknown command: frobnicate\n", "", 255)
    option = lab.shell("pixel-8", f"am force-stop --bogus {PKG}")
    assert (option.stdout, option.stderr, option.code) == ("", "Error: Unknown option: --bogus\n", 255)
    missing = lab.shell("pixel-8", "am force-stop")
    assert missing.code == 255
    assert missing.stderr.startswith("\nException occurred while executing 'force-stop':\n"
                                     'java.lang.IllegalArgumentException: Argument expected after "force-stop"\n')


def test_stop_app_exists_on_15_only_and_keeps_the_jobs(clean: RunningLab) -> None:
    old = clean.shell("xiaomi-13", f"am stop-app {PKG}")
    assert (old.stdout, old.stderr, old.code) == ("Unknown command: stop-app\n", "", 255)
    clean.shell("pixel-8", MONKEY)
    clean.shell("pixel-8", "input keyevent 3")
    dev = clean.device("pixel-8")
    jobs = clean.call(dev.jobs.job_ids, PKG)
    result = clean.shell("pixel-8", f"am stop-app {PKG}")
    assert (result.stdout, result.stderr, result.code) == ("", "", 0)
    assert clean.shell("pixel-8", f"pidof {PKG}").code == 1
    assert clean.call(dev.jobs.job_ids, PKG) == jobs


def test_am_kill_spares_the_foreground_app(clean: RunningLab) -> None:
    clean.shell("samsung-s23", MONKEY)
    assert clean.shell("samsung-s23", f"am kill {PKG}; pidof {PKG}").code == 0
    clean.shell("samsung-s23", "input keyevent 3")
    assert clean.shell("samsung-s23", f"am kill {PKG}; pidof {PKG}").code == 1
    assert re.search(rf"Killing \d+:{PKG}/u0a\d+ \(adj 700\): kill background$",
                     clean.adb("samsung-s23", "logcat", "-d").stdout, re.M)


def test_standby_bucket_and_inactive_verbs(clean: RunningLab) -> None:
    assert clean.shell("pixel-8", f"am set-standby-bucket {PKG} rare").code == 0
    assert clean.shell("pixel-8", f"am get-standby-bucket {PKG}").stdout == "40\n"
    bad = clean.shell("pixel-8", f"am set-standby-bucket {PKG} X")
    assert (bad.stderr, bad.code) == ("Error: Unknown bucket: X\n", 255)
    clean.shell("pixel-8", f"am set-inactive {PKG} true")
    assert clean.shell("pixel-8", f"am get-inactive {PKG}").stdout == "Idle=true\n"
    clean.shell("pixel-8", f"am set-standby-bucket {PKG} active; {MONKEY}")  # a launch un-pins the bucket
