"""The field corpus (tests/logs/field/, see field_corpus.py): real captures from public threads, read through
``harness logs``' own parsing path, scored against the events written down for each.

The thresholds are issue 18's: kills found with the right killer (recall ≥ 0.90) and few false kills
(precision ≥ 0.95), job and task runs (recall ≥ 0.85), process starts and deaths (recall ≥ 0.80), and not
one event from a negative control. ``pytest -s`` prints the scores; so does ``python -m tests.logs.field_corpus``.
"""

from __future__ import annotations

import re

import pytest

from harness.logs.cli_logs import capture_events_detail
from tests.logs.field_corpus import FAMILIES, Capture, corpus, report, run, score

CAPTURES = corpus()
OUTCOMES = [run(c) for c in CAPTURES]
_URL = re.compile(r"^https?://\S+$")


def test_the_corpus_is_large_and_every_capture_names_its_source() -> None:
    assert len(CAPTURES) >= 150  # issue 18: at least 150 real captures
    for cap in CAPTURES:
        assert _URL.match(cap.source), f"{cap.name}: source is not a URL: {cap.source!r}"
        assert cap.body.strip(), f"{cap.name}: empty capture"
        assert cap.expected or cap.negative, f"{cap.name}: no expected events and not a negative control"


def test_scores_meet_the_thresholds() -> None:
    print("\n" + report(OUTCOMES))
    scores = score(OUTCOMES)
    assert scores["kills"].recall >= 0.90
    assert scores["kills"].precision >= 0.95
    assert scores["runs"].recall >= 0.85
    assert scores["process"].recall >= 0.80


@pytest.mark.parametrize("cap", [c for c in CAPTURES if c.negative], ids=lambda c: c.name)
def test_negative_controls_yield_no_event(cap: Capture) -> None:
    events, _ = run(cap).events, None
    assert [(e.kind, e.package, e.line) for e in events] == []


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_is_exercised(family: str) -> None:
    assert any(exp.kind in FAMILIES[family] for c in CAPTURES for exp in c.expected)


def test_cut_lines_never_crash_the_parsers() -> None:
    # Pastes cut lines anywhere; a cut line may be skipped but must never raise (a traceback is no answer).
    for cap in CAPTURES:
        for line in cap.body.splitlines():
            for cut in {len(line) // 4, len(line) // 2, 3 * len(line) // 4, len(line) - 1}:
                if cut > 0:
                    capture_events_detail(line[:cut] + "\n", year=2021)
