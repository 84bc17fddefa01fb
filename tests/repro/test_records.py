"""What a repro run counts as fired, killed and when: read from results as the plugin writes them."""

from __future__ import annotations

import pytest

from harness.cli.repro import parse_for
from harness.errors import ConfigError
from harness.logs.events import Event
from harness.reporting import Outcome, Result, Run, timeline_from_events
from harness.repro import RunRecord, device_entry, device_stats, record_of, reproduce_command
from harness.repro._records import kills_of

T0 = 1_795_852_831.0
PKG = "com.example.courier"


def result(outcome: Outcome, events: list[Event], killer: str | None = None, device: str = "xiaomi-13") -> Result:
    return Result(f"scenarios/test_periodic_sync.py::test_x[{device}]", "test_x", device, outcome,
                  killer=killer, timeline=timeline_from_events(events))


LAUNCH = Event("process_start", T0, package=PKG, pid=4217)
FIRED = Event("task_start", T0 + 25, package=PKG, task="sync-orders")
MIUI_STOP = Event("force_stop", T0 + 381, package=PKG, killer="miui", reason="from pid 4200")
MIUI_KILL = Event("kill", T0 + 381.02, package=PKG, pid=4217, killer="miui")
USER_STOP = Event("force_stop", T0 + 100, package=PKG, killer="user")
FREEZE = Event("freeze", T0 + 90, package=PKG, killer="samsung")
# An iPhone relaunch (Xcode, DVT, the test's ios.launch()): SIGKILL, then the new process at once
RELAUNCH_KILL = Event("kill", T0 + 200, package=PKG, pid=549, killer="unknown", reason="signal 9")
RELAUNCHED = Event("process_start", T0 + 200.3, package=PKG, pid=582)
LATE_START = Event("process_start", T0 + 260, package=PKG, pid=590)


@pytest.mark.parametrize(("res", "killers", "ttk"), [
    (result("expected_kill", [LAUNCH, FIRED, MIUI_STOP, MIUI_KILL], killer="miui"), ("miui",), 381.0),
    (result("passed", [LAUNCH, FIRED]), (), None),
    # the test's own `am force-stop` is the user, not a killer
    (result("passed", [LAUNCH, USER_STOP, FIRED]), (), None),
    # a freeze stops the work as surely as a kill; the explanation's killer counts even off the timeline
    (result("expected_kill", [LAUNCH, FREEZE], killer="samsung"), ("samsung",), 90.0),
    (result("failed", [LAUNCH], killer="oppo"), ("oppo",), None),
    (result("failed", [], killer="user"), (), None),
    # a relaunch replaces the process: the phone did not stop the app
    (result("passed", [LAUNCH, RELAUNCH_KILL, RELAUNCHED, FIRED]), (), None),
    # the same signal with no new process right after is a kill
    (result("passed", [LAUNCH, RELAUNCH_KILL, LATE_START]), ("unknown",), 200.0),
])
def test_kills_of(res: Result, killers: tuple[str, ...], ttk: float | None) -> None:
    got_killers, got_ttk = kills_of(res)
    assert got_killers == killers
    assert got_ttk == (pytest.approx(ttk) if ttk is not None else None)


def run_of(*results: Result) -> Run:
    return Run("r1", T0, "0.1.0", 7, results=results)


def test_record_of_a_run_and_of_a_run_that_never_reported() -> None:
    rec = record_of(run_of(result("expected_kill", [LAUNCH, MIUI_STOP], killer="miui")), index=2,
                    device="xiaomi-13", seed=9, run_id="r1")
    assert (rec.outcome, rec.killers, rec.has_verdict, rec.fired, rec.killed, rec.failing) == \
        ("expected_kill", ("miui",), True, False, True, True)
    assert rec.time_to_kill_s == pytest.approx(381.0)
    gone = record_of(None, index=3, device="xiaomi-13", seed=10, run_id="r2")
    assert (gone.outcome, gone.has_verdict, gone.failing) == ("not_run", False, False)
    other = record_of(run_of(result("passed", [LAUNCH], device="pixel-8")), index=0, device="xiaomi-13", seed=1,
                      run_id="r3")
    assert other.outcome == "not_run"


def rec(i: int, outcome: str, killers: tuple[str, ...] = (), ttk: float | None = None) -> RunRecord:
    return RunRecord(i, "xiaomi-13", 100 + i, f"r{i}", outcome, killers=killers, time_to_kill_s=ttk)  # type: ignore[arg-type]


def test_device_stats_count_verdicts_only() -> None:
    records = [rec(0, "expected_kill", ("miui",), 400.0), rec(1, "expected_kill", ("miui",), 800.0),
               rec(2, "unexpected_survival"), rec(3, "error"), rec(4, "passed"), rec(5, "not_run"),
               rec(6, "failed", ("miui", "lmk"), 600.0)]
    st = device_stats("xiaomi-13", records)
    assert st.runs == 7
    assert (st.fired.hits, st.fired.n) == (2, 5)  # unexpected survival and pass fired; error/not run say nothing
    assert (st.killed.hits, st.killed.n) == (3, 5)
    assert st.killers == {"miui": 3, "lmk": 1}
    assert st.time_to_kill is not None and (st.time_to_kill.min, st.time_to_kill.median) == (400.0, 600.0)
    assert st.outcomes["expected_kill"] == 2 and st.seeds == tuple(range(100, 107))


SHIPPED = '''[lab]
seed = 1                    # comment
[app]
name = "Courier"

[[app.task]]
name = "sync-orders"

[[device]]
name = "pixel-8"
oem = "google"

[[device]]
name = "xiaomi-13"
oem = "xiaomi"
settings = { "secure:lab.miui.autostart.com.example.courier" = "1" }

[[device]]
name = "xiaomi-13-pro"
'''


def test_device_entry_keeps_lab_app_and_only_that_device() -> None:
    entry = device_entry(SHIPPED, "xiaomi-13")
    assert '[lab]\nseed = 1                    # comment' in entry
    assert '[[app.task]]\nname = "sync-orders"' in entry
    assert 'name = "xiaomi-13"\noem = "xiaomi"\nsettings = {' in entry
    assert "pixel-8" not in entry and "xiaomi-13-pro" not in entry


def test_reproduce_command_is_one_run_with_the_seed_and_quotes_what_the_shell_would_split() -> None:
    assert reproduce_command("scenarios/t.py::test_a[x y]", "xiaomi-13", "my pool.toml", 17) == \
        "harness repro 'scenarios/t.py::test_a[x y]' --device xiaomi-13 --devices 'my pool.toml' --seed 17 --runs 1"
    assert reproduce_command("t.py::a", "pixel", "devices.toml", None).endswith("--devices devices.toml --runs 1")


@pytest.mark.parametrize(("text", "seconds"), [("90", 90.0), ("45s", 45.0), ("10m", 600.0), ("2h", 7200.0),
                                                ("1h30m", 5400.0), ("1m5s", 65.0)])
def test_parse_for(text: str, seconds: float) -> None:
    assert parse_for(text) == seconds


@pytest.mark.parametrize("text", ["", "ten minutes", "5x", "m"])
def test_parse_for_refuses_what_is_not_a_duration(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_for(text)
