"""Sample runs for the reporting tests: three phones, a few scenarios, every outcome."""

from __future__ import annotations

from pathlib import Path

from harness.logs.events import Event
from harness.reporting import Outcome, Result, RunWriter, Selected, TimelineItem, timeline_from_events

T0 = 1_741_910_400.0  # 2025-03-14 00:00:00, device time
WALL = 1_741_950_000.0  # when the sample run starts, harness wall clock

DEVICES: dict[str, dict[str, str]] = {
    "pixel-8": {"platform": "android", "oem": "google", "model": "Pixel 8", "os_version": "15",
                "serial": "127.0.0.1:6521"},
    "redmi-note-12": {"platform": "android", "oem": "xiaomi", "model": "Redmi Note 12", "os_version": "14",
                      "serial": "127.0.0.1:6522"},
    "galaxy-a54": {"platform": "android", "oem": "samsung", "model": "SM-A546B", "os_version": "14",
                   "serial": "127.0.0.1:6523"},
}


def nodeid(scenario: str, device: str) -> str:
    return f"scenarios/test_background.py::{scenario}[{device}]"


def result(scenario: str, device: str, outcome: Outcome = "passed", *, killer: str | None = None, message: str = "",
           explanation: str = "", timeline: tuple[TimelineItem, ...] = (), artifacts: dict[str, str] | None = None,
           at: float = 0.0) -> Result:
    start = WALL + at
    return Result(nodeid(scenario, device), scenario, device, outcome, dict(DEVICES[device]), duration_s=12.5,
                  started_at=start, ended_at=start + 12.5, message=message, explanation=explanation, killer=killer,
                  artifacts=artifacts or {}, timeline=timeline)


def xiaomi_day() -> tuple[TimelineItem, ...]:
    """A task that ran once, then Doze, a maintenance window, and MIUI's PowerKeeper killing the app."""
    pkg = "com.example.app"
    return timeline_from_events([
        Event("process_start", T0 + 60, package=pkg, pid=4242),
        Event("job_start", T0 + 120, package=pkg, job_id=7),
        Event("task_start", T0 + 121, package=pkg, task="sync-orders"),
        Event("task_end", T0 + 130, package=pkg, task="sync-orders", reason="success"),
        Event("job_stop", T0 + 131, package=pkg, job_id=7, reason="finished"),
        Event("doze", T0 + 600, reason="IDLE", extra={"mode": "deep"}),
        Event("doze", T0 + 660, reason="IDLE", extra={"mode": "light"}),
        Event("doze", T0 + 1800, reason="IDLE_MAINTENANCE", extra={"mode": "deep"}),
        Event("doze", T0 + 1830, reason="IDLE", extra={"mode": "deep"}),
        Event("kill", T0 + 2400, package=pkg, pid=4242, reason="PowerKeeper", killer="miui"),
        Event("work_scheduled", T0 + 2500, package=pkg, task="sync-orders"),
        Event("boot", T0 + 3000),
        Event("job_timeout", None, time_text="-1h2m", package=pkg, job_id=7),  # no device time: not drawn
    ])


SCENARIOS = ("test_periodic_fetch", "test_survives_swipe", "test_after_reboot")


def write_sample_run(reports_dir: Path, run_id: str = "sample", *, finish: bool = True) -> RunWriter:
    """The matrix every writer test reads:

                          pixel-8   redmi-note-12        galaxy-a54
    test_periodic_fetch   passed    expected_kill miui   failed samsung
    test_survives_swipe   passed    unexpected_survival  error
    test_after_reboot     skipped   not run              (not tried)
    test_geofence         not run, device not chosen yet
    """
    w = RunWriter(reports_dir, run_id, lab_seed=7, started_at=WALL)
    w.select([Selected.of(nodeid(s, d), d) for s in SCENARIOS for d in DEVICES
              if (s, d) != ("test_after_reboot", "galaxy-a54")] + ["scenarios/test_geo.py::test_geofence"])
    logcat = w.artifact_dir(nodeid("test_periodic_fetch", "redmi-note-12")) / "logcat.txt"
    logcat.write_text("03-14 00:40:00.000 1000 1000 I PowerKeeper: kill com.example.app\n", encoding="utf-8")
    w.add(result("test_periodic_fetch", "pixel-8", at=0))
    w.add(result("test_periodic_fetch", "redmi-note-12", "expected_kill", killer="miui", at=20,
                 explanation="killed by miui com.example.app (PowerKeeper)", timeline=xiaomi_day(),
                 artifacts={"logcat": str(logcat.relative_to(w.run_dir))}))
    w.add(result("test_periodic_fetch", "galaxy-a54", "failed", killer="samsung", at=40,
                 message="\x1b[31mAssertionError\x1b[0m: task <script>alert(1)</script> did not fire\x00",
                 explanation="force-stopped by samsung (MARs #1): its jobs and alarms were cancelled"))
    w.add(result("test_survives_swipe", "pixel-8", at=60))
    w.add(result("test_survives_swipe", "redmi-note-12", "unexpected_survival", at=80,
                 message="known_kill(miui) expected a kill, and the task kept running"))
    w.add(result("test_survives_swipe", "galaxy-a54", "error", at=100, message="DeviceUnreachable: [galaxy-a54]"))
    w.add(result("test_after_reboot", "pixel-8", "skipped", at=120, message="needs a rooted phone"))
    if finish:
        w.finish(finished_at=WALL + 200)
    return w
