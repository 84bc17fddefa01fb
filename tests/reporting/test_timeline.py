"""Timeline items from parsed events, the span pairing rules, the time axis, and the picture."""

from __future__ import annotations

from pathlib import Path

from harness.logs import capture_timeline
from harness.logs.events import Event, EventKind
from harness.reporting import TimelineItem, draw_timeline, timeline_from_events
from harness.reporting._timeline import LANES, Lane, Span, doze_bands, lane_spans, time_ticks
from tests.reporting.sample import T0, xiaomi_day

DATA = Path(__file__).parent.parent / "logs" / "data"
PROCESS, JOBS, TASKS = LANES


def item(t: float, kind: EventKind, subject: str | None = None, state: str | None = None) -> TimelineItem:
    return TimelineItem(T0 + t, kind, kind, state, subject)


def spans(lane_items: list[TimelineItem], lane: Lane = PROCESS) -> list[tuple[float, float, bool, bool]]:
    got = lane_spans(lane_items, lane, T0, T0 + 1000)
    return [(s.start - T0, s.end - T0, s.open_start, s.open_end) for s in got]


def test_events_become_items_in_time_order_and_untimed_ones_are_dropped() -> None:
    items = timeline_from_events([
        Event("kill", T0 + 50, package="p", pid=42, reason="PowerKeeper", killer="miui"),
        Event("doze", T0 + 10, reason="IDLE", extra={"mode": "light"}),
        Event("job_start", None, time_text="-5m", job_id=3),
    ])
    assert items == (TimelineItem(T0 + 10, "doze", "light IDLE", "IDLE", "light"),
                     TimelineItem(T0 + 50, "kill", "killed by miui (PowerKeeper)", None, "42", "miui"))


def test_a_real_samsung_capture_carries_its_killer_onto_the_picture(tmp_path: Path) -> None:
    capture = capture_timeline((DATA / "s02_a.txt").read_text(encoding="utf-8"), year=2025)
    items = timeline_from_events(capture.events)
    assert [(i.kind, i.killer) for i in items] == [("force_stop", "samsung"), ("kill", "samsung")]
    assert draw_timeline(items, tmp_path / "t.png")
    assert (tmp_path / "t.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_nothing_to_draw_draws_nothing(tmp_path: Path) -> None:
    assert draw_timeline((), tmp_path / "t.png") is False and not (tmp_path / "t.png").exists()


def test_a_process_lives_from_its_start_to_its_kill() -> None:
    assert spans([item(10, "process_start", "42"), item(50, "kill", "42")]) == [(10, 50, False, False)]


def test_a_force_stop_without_a_pid_ends_every_process() -> None:
    got = spans([item(10, "process_start", "1"), item(20, "process_start", "2"), item(30, "force_stop")])
    assert got == [(10, 30, False, False), (20, 30, False, False)]


def test_a_kill_with_no_start_seen_was_alive_since_before_the_capture() -> None:
    assert spans([item(40, "kill", "42")]) == [(0, 40, True, False)]


def test_a_start_with_no_end_is_still_going() -> None:
    assert spans([item(10, "job_start", "7")], JOBS) == [(10, 1000, False, True)]


def test_jobs_pair_by_job_id_and_a_boot_ends_them_all() -> None:
    got = spans([item(10, "job_start", "1"), item(12, "job_start", "2"), item(20, "job_stop", "1"),
                 item(30, "boot")], JOBS)
    assert got == [(10, 20, False, False), (12, 30, False, False)]


def test_a_kill_ends_the_running_task() -> None:
    assert spans([item(10, "task_start", "sync"), item(15, "kill", "42")], TASKS) == [(10, 15, False, False)]


def test_doze_bands_follow_each_mode_and_stop_at_a_boot() -> None:
    items = list(xiaomi_day())
    got = [(b.start - T0, b.end - T0, b.subject, b.state) for b in doze_bands(items, T0 + 4000)]
    assert got == [(600, 1800, "deep", "IDLE"), (660, 3000, "light", "IDLE"),
                   (1800, 1830, "deep", "IDLE_MAINTENANCE"), (1830, 3000, "deep", "IDLE")]
    assert all(isinstance(b, Span) for b in doze_bands(items, T0 + 4000))


def test_time_ticks_are_round_device_times() -> None:
    hour = time_ticks(T0 + 5, T0 + 3600)
    assert [label for _, label in hour] == ["00:10", "00:20", "00:30", "00:40", "00:50", "01:00"]
    assert hour[0][0] == T0 + 600
    minute = time_ticks(T0 - 1, T0 + 61)
    assert [label for _, label in minute] == [f"00:0{s // 60}:{s % 60:02d}" for s in range(0, 61, 10)]


def test_a_run_is_as_long_as_it_was_not_as_long_as_the_gap_to_the_next() -> None:
    # WorkManager's job has no job_stop at the default log level: the worker's result ends it.
    jobs = [item(10, "job_start", "0"), item(14, "work_result"), item(900, "job_start", "0"), item(904, "work_result")]
    assert spans(jobs, JOBS) == [(10, 14, False, False), (900, 904, False, False)]
    # Expo's worker line names no task; the named run's end ends it too.
    tasks = [item(10, "task_start"), item(10, "task_start", "sync"), item(14, "task_end", "sync")]
    assert spans(tasks, TASKS) == [(10, 14, False, False), (10, 14, False, False)]
    # A start whose end was lost is drawn at its start, not stretched to the next start.
    assert spans([item(10, "job_start", "7"), item(500, "job_start", "7"), item(505, "job_stop", "7")], JOBS) == \
        [(10, 10, False, True), (500, 505, False, False)]
