"""Every attribution row that cites field captures is proved by them (issue 18, item 3: "OEM signatures live in
one table per OEM, each row with the capture that proves it").

A row's ``source`` names captures of tests/logs/field/ as ``field a003`` or ``field a003_name`` (several with
commas). For each cited capture: it exists, and read through ``harness logs``' own path it shows the row's
wording. A ``reason`` row: an event attributed to the row's killer whose reason the row's pattern finds. A
``tag`` row: a line with that tag saying that text, and an event attributed to the row's killer. Rows without a
field capture say where else they come from (a reference, AOSP, or "unverified"), never nothing.
"""

from __future__ import annotations

import re

import pytest

from harness.logs.attribution import SIGNATURES, Signature
from harness.logs.logcat import parse_logcat
from tests.logs.field_corpus import YEAR, Capture, corpus, run

_CAPTURES = {c.name.split("_", 1)[0]: c for c in corpus()}
_CITED = re.compile(r"\b([a-z]\d{3})(?![0-9])")  # a001…, b001…: every batch's prefix


def cited(sig: Signature) -> list[str]:
    """The field captures a row's source names (none unless the source says ``field``)."""
    return _CITED.findall(sig.source) if "field " in sig.source else []


def proves(cap: Capture, sig: Signature) -> bool:
    """Whether the capture shows the row's wording and the parser gives the row's killer from it."""
    events = run(cap).events
    if sig.reason is not None:
        pattern = sig.reason
        return any(e.killer == sig.killer and e.reason is not None and pattern.search(e.reason) for e in events)
    assert sig.tag is not None
    tag = sig.tag
    said = any(r.tag is not None and tag.search(r.tag) and (sig.text is None or sig.text.search(r.msg))
               for r in parse_logcat(cap.body, year=YEAR).lines)
    return said and any(e.killer == sig.killer for e in events)


_ROWS = [(sig, cid) for sig in SIGNATURES for cid in cited(sig)]


def test_rows_cite_field_captures_and_every_row_names_a_source() -> None:
    assert len(_ROWS) >= 10  # the OEM tables alone cite ten (Samsung, MIUI, OnePlus, Lenovo)
    assert all(sig.source.strip() for sig in SIGNATURES), [s for s in SIGNATURES if not s.source.strip()]


@pytest.mark.parametrize(("sig", "cid"), _ROWS, ids=[f"{s.killer}-{c}" for s, c in _ROWS])
def test_a_cited_capture_proves_its_row(sig: Signature, cid: str) -> None:
    assert cid in _CAPTURES, f"{sig.source}: no capture {cid} in tests/logs/field"
    assert proves(_CAPTURES[cid], sig), f"capture {_CAPTURES[cid].name} does not show {sig}"


def test_a_capture_that_does_not_show_the_wording_proves_nothing() -> None:
    # The check can fail: OneKeyClean's row against a Samsung capture, and a Lenovo tag row against a MIUI one.
    (onekey,) = [s for s in SIGNATURES if s.reason is not None and "OneKeyClean" in s.reason.pattern]
    assert proves(_CAPTURES["a003"], onekey)
    assert not proves(_CAPTURES["a007"], onekey)
    lenovo = next(s for s in SIGNATURES if s.tag is not None and "PolicyCenter" in s.tag.pattern)
    assert proves(_CAPTURES["a018"], lenovo)
    assert not proves(_CAPTURES["a015"], lenovo)
