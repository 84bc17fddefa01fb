"""A failure page leads with the answer: verdict, why, evidence, the timeline with its window; the traceback
folded at the bottom. Kill labels never overlap."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.reporting import Result, Run, TimelineItem, draw_timeline
from harness.reporting._html import result_html
from harness.reporting._timeline import label_rows

T = 1795852800.0
TRACEBACK = ("timeline = <harness.logs.expect.Expect object at 0x7f1c>\n\n    def test_x(android, timeline):\n"
             ">       timeline.task_fired(task, within_s=60)\nE       harness.logs.expect.ExpectationFailed: ...\n")


def _result(**kw: object) -> Result:
    base: dict[str, object] = dict(
        nodeid="scenarios/test_p.py::test_x[pixel-8]", scenario="test_x", device="pixel-8", outcome="failed",
        message=TRACEBACK, explanation="it ran 7 s after the window closed (at 08:01:07, trigger workmanager)",
        verdict="[pixel-8] task 'sync-orders' did not fire within 1m of device time",
        evidence=("L12: 12-07 08:01:07.000 I ReactNativeJS: BgProbe v1 task_start task=sync-orders",),
        timeline=(TimelineItem(T + 67, "task_start", "task_start sync-orders", subject="sync-orders"),
                  TimelineItem(T + 70, "task_end", "task_end sync-orders", subject="sync-orders")),
        window=(T, T + 60))
    base.update(kw)
    return Result(**base)  # type: ignore[arg-type]


def test_the_answer_comes_before_the_traceback() -> None:
    page = result_html(Run("20261207-120000-abcdef", T, "0"), _result(), "x.png")
    order = [page.index(s) for s in ("did not fire within 1m", "<h2>Why</h2>", "it ran 7 s after", "<h2>Evidence</h2>",
                                     "BgProbe v1 task_start", "<h2>Timeline</h2>", "<h2>Device</h2>",
                                     "<summary>Traceback")]
    assert order == sorted(order)
    assert page.index("object at 0x7f1c") > page.index("<details class=\"traceback\">")


def test_without_an_expectation_the_assertion_line_is_the_verdict() -> None:
    page = result_html(Run("r", T, "0"), _result(verdict="", explanation="", evidence=()), None)
    assert '<p class="verdict"><strong>harness.logs.expect.ExpectationFailed: ...</strong>' in page


def test_a_skip_says_its_reason_and_has_no_traceback() -> None:
    page = result_html(Run("r", T, "0"), _result(outcome="skipped", verdict="", explanation="", evidence=(),
                                                 message="[app] maps no task to role 'geofence'"), None)
    assert "skipped: [app] maps no task to role &#x27;geofence&#x27;" in page and "Traceback" not in page


@pytest.mark.parametrize(("xs", "rows"), [
    ([0, 100, 200], [0, 0, 0]),
    ([0, 5, 10, 15, 200], [0, 1, 2, None, 0]),
    ([0, 5, 60, 65], [0, 1, 0, 1]),
])
def test_kill_labels_closer_than_the_gap_go_on_other_rows(xs: list[float], rows: list[int | None]) -> None:
    assert label_rows(xs, gap=50) == rows


def test_the_picture_draws_the_window(tmp_path: Path) -> None:
    assert draw_timeline(_result().timeline, tmp_path / "t.png", title="x", window=(T, T + 60))
    assert (tmp_path / "t.png").stat().st_size > 1000
